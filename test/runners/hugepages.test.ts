// Real reservations: CI runs as root on a kernel with hugetlbfs. Other processes may resize the
// pool at the same time, so the checks compare against what this test itself added.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { hugepageState, parseHugetlbfsMounts, parseMeminfo, releaseHugepages, reserveHugepages } from '../../runners/hugepages.js';

const isRoot = process.getuid?.() === 0;
const hasHugetlb = /Hugepagesize:/.test(readFileSync('/proc/meminfo', 'utf8'));

const nrHugepages = () => Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8').trim());
const isMounted = (mountPoint: string) => parseHugetlbfsMounts(readFileSync('/proc/mounts', 'utf8')).some((m) => m.mountPoint === mountPoint);

describe('parseMeminfo', () => {
  it('reads the pool from this machine', () => {
    const state = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
    expect(state.totalPages).toBeGreaterThanOrEqual(0);
    expect(state.freePages).toBeLessThanOrEqual(state.totalPages);
    if (hasHugetlb) expect(state.pageSizeKb).toBeGreaterThan(0);
  });

  it('gives null page size and zero pages when the kernel has no hugetlb', () => {
    expect(parseMeminfo('MemTotal:       24683940 kB\n')).toEqual({
      totalPages: 0,
      freePages: 0,
      reservedPages: 0,
      surplusPages: 0,
      pageSizeKb: null,
    });
  });
});

describe('parseHugetlbfsMounts', () => {
  it('keeps only hugetlbfs and reads the page size option', () => {
    const mounts = parseHugetlbfsMounts(
      [
        'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
        'nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0',
        'nodev /mnt/huge\\0401g hugetlbfs rw,relatime,pagesize=1024M 0 0',
        'hugetlbfs /run/h hugetlbfs rw,relatime 0 0',
      ].join('\n'),
    );
    expect(mounts).toEqual([
      { mountPoint: '/dev/hugepages', pageSizeKb: 2048 },
      { mountPoint: '/mnt/huge 1g', pageSizeKb: 1024 * 1024 },
      { mountPoint: '/run/h', pageSizeKb: null },
    ]);
  });
});

describe.skipIf(!isRoot || !hasHugetlb)('reserveHugepages / releaseHugepages (real, root)', () => {
  it('adds pages, mounts hugetlbfs when none exists, and undoes exactly that', async () => {
    const before = nrHugepages();
    const first = await reserveHugepages(16);
    try {
      expect(first.previousPages).toBeGreaterThanOrEqual(0);
      expect(first.totalPages - first.previousPages).toBe(16);
      expect(isMounted(first.mountPoint)).toBe(true);
      const state = await hugepageState();
      expect(state.totalPages).toBeGreaterThanOrEqual(16);
      expect(state.mounts.some((m) => m.mountPoint === first.mountPoint)).toBe(true);

      // A second reservation reuses the mount it finds and must not unmount it.
      const second = await reserveHugepages(8);
      expect(second.mountedByUs).toBe(false);
      expect(second.mountPoint).toBe(first.mountPoint);
      await releaseHugepages(second);
      expect(isMounted(first.mountPoint)).toBe(true);
    } finally {
      await releaseHugepages(first);
    }
    await releaseHugepages(first);
    expect(first.released).toBe(true);
    expect(nrHugepages()).toBe(before);
    if (first.mountedByUs) expect(isMounted(first.mountPoint)).toBe(false);
  });

  it('rejects a non-positive page count without touching the pool', async () => {
    const before = nrHugepages();
    await expect(reserveHugepages(0)).rejects.toThrow(/positive integer/);
    expect(nrHugepages()).toBe(before);
  });
});
