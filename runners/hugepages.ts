// Hugepage reservations for DPDK runs. The pool size (/proc/sys/vm/nr_hugepages) is global and
// other processes may use it at the same time, so a reservation adds pages on top of what is
// there and its release takes back only what it added. hugetlbfs is mounted only when no mount
// exists, and only a mount this module made is ever unmounted.
import { readFile, writeFile, mkdir, rmdir, rm } from 'node:fs/promises';
import { isSameProcessAlive, readStartTicks } from './ledger.js';
import { run } from './exec.js';
import { pausePoint } from './test-pause.js';

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const MEMINFO = '/proc/meminfo';
const MOUNTS = '/proc/mounts';
/** Parent of the mount points this project creates; one sub-folder per reservation. */
export const HUGETLBFS_MOUNT_ROOT = '/run/bypassbench';

export interface HugetlbfsMount {
  mountPoint: string;
  /** The mount's pagesize= option in kB; null when the mount gives none (the default size). */
  pageSizeKb: number | null;
}

export interface HugepageState {
  totalPages: number;
  freePages: number;
  reservedPages: number;
  surplusPages: number;
  /** Default hugepage size; null when the kernel has no hugetlb support. */
  pageSizeKb: number | null;
  /** hugetlbfs mounts visible in this mount namespace. */
  mounts: HugetlbfsMount[];
}

export interface HugepageReservation {
  /** Pages this reservation asked for, on top of the pool it found. */
  requestedPages: number;
  /** nr_hugepages before the reservation. */
  previousPages: number;
  /** nr_hugepages after the reservation (previous + requested when the kernel granted all). */
  totalPages: number;
  pageSizeKb: number | null;
  /** The hugetlbfs mount DPDK will find: ours or one that was already there. */
  mountPoint: string;
  mountedByUs: boolean;
  /** Set by release(); a second release is a no-op. */
  released: boolean;
}

// Sample lines (values in pages, except Hugepagesize in kB):
//   HugePages_Total:     512
//   Hugepagesize:       2048 kB
const MEMINFO_LINE = /^(HugePages_Total|HugePages_Free|HugePages_Rsvd|HugePages_Surp|Hugepagesize):\s+(\d+)/;

export function parseMeminfo(text: string): Omit<HugepageState, 'mounts'> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = MEMINFO_LINE.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], Number(m[2]));
  }
  return {
    totalPages: values.get('HugePages_Total') ?? 0,
    freePages: values.get('HugePages_Free') ?? 0,
    reservedPages: values.get('HugePages_Rsvd') ?? 0,
    surplusPages: values.get('HugePages_Surp') ?? 0,
    pageSizeKb: values.get('Hugepagesize') ?? null,
  };
}

// Sample line of /proc/mounts (pagesize in the options is M or G):
//   nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
const PAGESIZE_OPTION = /(?:^|,)pagesize=(\d+)([KMG])(?:,|$)/;

export function parseHugetlbfsMounts(text: string): HugetlbfsMount[] {
  const mounts: HugetlbfsMount[] = [];
  for (const line of text.split('\n')) {
    const [, mountPoint, fsType, options] = line.split(' ');
    if (fsType !== 'hugetlbfs' || mountPoint === undefined) continue;
    const size = PAGESIZE_OPTION.exec(options ?? '');
    const unitKb = { K: 1, M: 1024, G: 1024 * 1024 } as const;
    const pageSizeKb = size?.[1] !== undefined && size[2] !== undefined ? Number(size[1]) * unitKb[size[2] as keyof typeof unitKb] : null;
    // /proc/mounts escapes spaces in paths as \040.
    mounts.push({ mountPoint: mountPoint.replace(/\\040/g, ' '), pageSizeKb });
  }
  return mounts;
}

export async function hugepageState(): Promise<HugepageState> {
  const [meminfo, mounts] = await Promise.all([readFile(MEMINFO, 'utf8'), readFile(MOUNTS, 'utf8')]);
  return { ...parseMeminfo(meminfo), mounts: parseHugetlbfsMounts(mounts) };
}

async function readNrHugepages(): Promise<number> {
  return Number((await readFile(NR_HUGEPAGES, 'utf8')).trim());
}

async function writeNrHugepages(pages: number): Promise<number> {
  await writeFile(NR_HUGEPAGES, `${pages}\n`);
  // The kernel grants fewer pages than asked when memory is fragmented; read back what it did.
  return readNrHugepages();
}

let mountSequence = 0;

/** What a reservation is about to change (or has changed), for the ledger; null: nothing any more. */
export type HugepageIntent = { previousTotal: number; addedPages: number; mountPoint: string | null } | null;

/**
 * Adds `pages` hugepages of the default size to the pool and makes sure a hugetlbfs mount of
 * that size exists. Throws (after undoing its changes) when the kernel grants fewer pages.
 * `record` is called *before* each change with everything changed so far plus that change, so a
 * kill at any instant leaves a ledger that covers what the system holds.
 */
export async function reserveHugepages(pages: number, record: (intent: HugepageIntent) => void = () => undefined): Promise<HugepageReservation> {
  if (!Number.isInteger(pages) || pages <= 0) {
    throw new RangeError(`reserveHugepages: pages must be a positive integer, got ${pages}`);
  }
  const before = await hugepageState();
  if (before.pageSizeKb === null) {
    throw new Error('reserveHugepages: the kernel reports no hugepage support (no Hugepagesize in /proc/meminfo)');
  }
  const { previousPages, totalPages } = await withPoolLock(async () => {
    const previous = await readNrHugepages();
    record({ previousTotal: previous, addedPages: pages, mountPoint: null });
    pausePoint('hugepages-pool');
    return { previousPages: previous, totalPages: await writeNrHugepages(previous + pages) };
  });
  if (totalPages < previousPages + pages) {
    await shrinkPool(totalPages - previousPages);
    record(null);
    throw new Error(`reserveHugepages: asked the kernel for ${pages} more ${before.pageSizeKb} kB pages, it granted ${totalPages - previousPages}`);
  }
  const reservation: HugepageReservation = {
    requestedPages: pages,
    previousPages,
    totalPages,
    pageSizeKb: before.pageSizeKb,
    mountPoint: '',
    mountedByUs: false,
    released: false,
  };
  const existing = before.mounts.find((m) => m.pageSizeKb === null || m.pageSizeKb === before.pageSizeKb);
  if (existing) {
    reservation.mountPoint = existing.mountPoint;
    record({ previousTotal: previousPages, addedPages: totalPages - previousPages, mountPoint: null });
    return reservation;
  }
  // A folder of our own per reservation, so two concurrent runs never unmount each other's mount.
  // The pid in the name tells `cleanup` whose folder it is (a live run's empty folder is left alone).
  const mountPoint = `${HUGETLBFS_MOUNT_ROOT}/hugetlbfs-${process.pid}-${mountSequence++}`;
  record({ previousTotal: previousPages, addedPages: totalPages - previousPages, mountPoint });
  try {
    pausePoint('hugetlbfs-mkdir');
    await mkdir(mountPoint, { recursive: true });
    pausePoint('hugetlbfs-mount');
    await run(['mount', '-t', 'hugetlbfs', '-o', `pagesize=${before.pageSizeKb}K`, 'nodev', mountPoint]);
  } catch (error) {
    await rmdir(mountPoint).catch(() => undefined);
    await shrinkPool(pages);
    record(null);
    throw error;
  }
  reservation.mountPoint = mountPoint;
  reservation.mountedByUs = true;
  return reservation;
}

/**
 * The pool size is a read-modify-write of one global number: two runs growing or shrinking it at
 * the same instant would lose one change (both read 512, both write 256: 256 pages left behind).
 * A lock folder (mkdir is atomic) with its owner's pid inside serialises those few lines; a lock
 * whose owner died (kill -9 in between) is taken over.
 */
export const POOL_LOCK = '/run/bypassbench-hugepages.lock';

async function withPoolLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await mkdir(POOL_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readFile(`${POOL_LOCK}/owner`, 'utf8').catch(() => null);
      const [pid, ticks] = (owner ?? '').split(' ').map(Number);
      // No owner file yet: its owner is between mkdir and write; wait unless it takes too long.
      if (owner !== null && !isSameProcessAlive(pid ?? 0, Number.isFinite(ticks) ? (ticks as number) : null)) {
        await rm(POOL_LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`hugepage pool: ${POOL_LOCK} held by pid ${pid ?? '?'} for over 10 s`, { cause: err });
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    await writeFile(`${POOL_LOCK}/owner`, `${process.pid} ${readStartTicks(process.pid) ?? ''}`);
    return await fn();
  } finally {
    await rm(POOL_LOCK, { recursive: true, force: true });
  }
}

/** Takes `pages` back out of the pool; pages still in use become surplus and free on exit. */
async function shrinkPool(pages: number): Promise<void> {
  await withPoolLock(async () => {
    const current = await readNrHugepages();
    await writeNrHugepages(Math.max(0, current - pages));
  });
}

/** Reservations whose pages went back, so a release that failed later on can be retried. */
const poolReturned = new WeakSet<HugepageReservation>();

/**
 * Undoes a reservation: gives back the pages it added and unmounts only a mount it made.
 * Safe to call twice; a release that threw (umount busy) can be called again.
 */
export async function releaseHugepages(reservation: HugepageReservation): Promise<void> {
  if (reservation.released) return;
  if (!poolReturned.has(reservation)) {
    await shrinkPool(reservation.totalPages - reservation.previousPages);
    poolReturned.add(reservation);
  }
  if (reservation.mountedByUs) {
    const mounted = parseHugetlbfsMounts(await readFile(MOUNTS, 'utf8')).some((m) => m.mountPoint === reservation.mountPoint);
    if (mounted) await run(['umount', reservation.mountPoint]);
    await rmdir(reservation.mountPoint).catch(() => undefined);
    // Only succeeds when empty: another run's mount keeps the parent.
    await rmdir(HUGETLBFS_MOUNT_ROOT).catch(() => undefined);
  }
  reservation.released = true;
}

export { releaseHugepages as release };
