// The ledger: what a run has created on this machine (namespaces, veths, processes, hugepages,
// mounts, XDP attachments), written to disk *before* each thing is created and rewritten after
// each change. If the orchestrator is killed with SIGKILL, `bypassbench cleanup` reads the ledger
// and removes exactly what that run made, nothing else.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LedgerProcess {
  pid: number;
  /** /proc/<pid>/stat start time, so a recycled pid is never killed by mistake. */
  startTicks: number | null;
  role: string;
  program: string;
  /** The process group it leads (runners/exec.ts starts each process in its own); cleanup kills the group. */
  pgid?: number;
}

export interface LedgerData {
  runId: string;
  /** The orchestrator that owns the objects; cleanup leaves a live owner's objects alone. */
  ownerPid: number;
  ownerStartTicks: number | null;
  createdAt: string;
  resultsDir: string | null;
  namespaces: string[];
  /** veths created in the host namespace (moved into a namespace, they die with it). */
  veths: string[];
  processes: LedgerProcess[];
  /**
   * Hugepages the run added to the pool (cleanup takes back only these, so other users of the
   * pool keep theirs), nr_hugepages before, and the hugetlbfs mount the run made.
   */
  hugepages: { previousTotal: number; addedPages: number; mountPoint: string | null } | null;
  mounts: string[];
  /** Files and folders to remove (DPDK runtime folders under /var/run/dpdk). */
  paths: string[];
  xdp: { netns: string | null; ifname: string }[];
}

/** tmpfs, emptied at boot, exactly like the namespaces it describes. */
export function ledgerDir(): string {
  return process.env.BYPASSBENCH_STATE_DIR ?? '/run/bypassbench';
}

/**
 * Live runs announce themselves here whatever their BYPASSBENCH_STATE_DIR, so a cleanup that reads
 * another state folder (a test's, a second user's) still sees that the namespaces named after a
 * run belong to a live orchestrator — between trials they hold no process that would show it.
 */
export const OWNER_MARK_DIR = '/run/bypassbench-owners';

interface OwnerMark {
  pid: number;
  startTicks: number | null;
}

/** Run ids (short ids) whose orchestrator is alive, other than this process. */
export function liveOwnerRunIds(): Set<string> {
  const live = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(OWNER_MARK_DIR);
  } catch {
    return live;
  }
  for (const name of names) {
    try {
      const mark = JSON.parse(readFileSync(join(OWNER_MARK_DIR, name), 'utf8')) as OwnerMark;
      if (mark.pid !== process.pid && isSameProcessAlive(mark.pid, mark.startTicks)) live.add(name);
      else if (mark.pid !== process.pid) rmSync(join(OWNER_MARK_DIR, name), { force: true });
    } catch {
      // half-written or foreign: ignore
    }
  }
  return live;
}

export function readStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; starttime is field 22 overall.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** True when the process is alive and is the same process that was recorded. */
export function isSameProcessAlive(pid: number, startTicks: number | null): boolean {
  const now = readStartTicks(pid);
  if (now === null) return false;
  return startTicks === null || now === startTicks;
}

export class Ledger {
  readonly file: string;
  private data: LedgerData;
  private readonly ownerMark: string;

  constructor(runId: string, resultsDir: string | null) {
    mkdirSync(ledgerDir(), { recursive: true });
    this.file = join(ledgerDir(), `${runId}.json`);
    this.data = {
      runId,
      ownerPid: process.pid,
      ownerStartTicks: readStartTicks(process.pid),
      createdAt: new Date().toISOString(),
      resultsDir,
      namespaces: [],
      veths: [],
      processes: [],
      hugepages: null,
      mounts: [],
      paths: [],
      xdp: [],
    };
    this.flush();
    this.ownerMark = join(OWNER_MARK_DIR, runId);
    try {
      mkdirSync(OWNER_MARK_DIR, { recursive: true });
      writeFileSync(this.ownerMark, JSON.stringify({ pid: process.pid, startTicks: this.data.ownerStartTicks } satisfies OwnerMark));
    } catch {
      // Only a courtesy to concurrent cleanups; the ledger itself is what cleanup acts on.
    }
  }

  get snapshot(): Readonly<LedgerData> {
    return this.data;
  }

  update(change: (d: LedgerData) => void): void {
    change(this.data);
    this.flush();
  }

  addProcess(p: LedgerProcess): void {
    this.update((d) => d.processes.push(p));
  }

  removeProcess(pid: number): void {
    this.update((d) => {
      d.processes = d.processes.filter((p) => p.pid !== pid);
    });
  }

  /**
   * The run is over: the ledger goes too — unless it still names mounts (a tracefs another tracer
   * kept busy when the trial unmounted it), which then stay for `bypassbench cleanup` (the owner
   * mark goes, so cleanup treats them as a finished run's). Returns what was left.
   */
  close(): string[] {
    rmSync(this.ownerMark, { force: true });
    if (this.data.mounts.length > 0) return [...this.data.mounts];
    rmSync(this.file, { force: true });
    return [];
  }

  /** Mounts still recorded (undone by the trial normally; see close). */
  get mounts(): readonly string[] {
    return this.data.mounts;
  }

  forgetMount(point: string): void {
    this.update((d) => {
      d.mounts = d.mounts.filter((m) => m !== point);
    });
  }

  private flush(): void {
    // Write-then-rename so a kill mid-write never leaves a truncated ledger.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }
}

/** A ledger file that cannot be read: cleanup reports it and sweeps by the run's naming pattern. */
export interface BadLedger {
  file: string;
  /** The run's short id, from the file name (<shortId>.json). */
  runId: string;
  error: string;
}

/** Fields a ledger must have for cleanup to act on it (older ledgers may lack the later ones). */
function asLedger(value: unknown): LedgerData {
  const d = value as Partial<LedgerData> | null;
  if (
    !d ||
    typeof d !== 'object' ||
    typeof d.runId !== 'string' ||
    typeof d.ownerPid !== 'number' ||
    !Array.isArray(d.namespaces) ||
    !Array.isArray(d.processes)
  ) {
    throw new Error('not a ledger (runId, ownerPid, namespaces or processes missing)');
  }
  return { veths: [], hugepages: null, mounts: [], paths: [], xdp: [], ownerStartTicks: null, ...d } as LedgerData;
}

export function listLedgers(): { file: string; data: LedgerData }[] {
  return readLedgers().good;
}

/** Every ledger in the state folder: the readable ones and the ones that are not. */
export function readLedgers(): { good: { file: string; data: LedgerData }[]; bad: BadLedger[] } {
  let names: string[];
  try {
    names = readdirSync(ledgerDir());
  } catch {
    return { good: [], bad: [] };
  }
  const good: { file: string; data: LedgerData }[] = [];
  const bad: BadLedger[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(ledgerDir(), name);
    try {
      good.push({ file, data: asLedger(JSON.parse(readFileSync(file, 'utf8'))) });
    } catch (err) {
      bad.push({ file, runId: name.slice(0, -'.json'.length), error: (err as Error).message });
    }
  }
  return { good, bad };
}
