// Default and tuned kernel side by side, and the kernel cells of a verdict row, on hand-made rows.
import { describe, expect, it } from 'vitest';
import type { SummaryRow } from '../../core/run-summary.js';
import { kernelSideBySide, kernelSideBySideCells, renderKernelSideBySide } from '../../report/kernel-compare.js';
import { verdictKernelCells } from '../../report/format.js';
import { renderTable } from '../../report/table.js';

function row(path: SummaryRow['path'], offeredPps: number, p50Us: number, p99Us: number, coresBusy: number, achievedPps = offeredPps): SummaryRow {
  return {
    pathLabel: path,
    path,
    msgSizeBytes: 64,
    offeredPps,
    repetitions: 3,
    ok: 3,
    statuses: ['ok'],
    achievedPps,
    lossRatio: 0,
    p50Us,
    p99Us,
    p999Us: null,
    p99RangeUs: { min: p99Us, max: p99Us },
    coresBusy,
    nsPerPacket: null,
    emulated: false,
    error: null,
    trialIds: [],
  };
}

const rows = [
  row('kernel-udp', 1000, 12, 40, 0.3),
  row('kernel-udp', 10_000, 10, 30, 0.5),
  row('kernel-tcp', 1000, 14, 44, 0.3),
  row('kernel-udp-busypoll', 1000, 8, 20, 2.0),
  row('kernel-udp-busypoll', 10_000, 7, 33, 2.0, 9000),
  row('afxdp', 1000, 5, 10, 2.0),
];

describe('kernel side by side', () => {
  it('pairs each tuned reference with the default path of its protocol at the same size and rate', () => {
    const e = kernelSideBySide(rows);
    expect(e.map((x) => [x.offeredPps, x.defaultKernel.pathLabel, x.tuned.pathLabel])).toEqual([
      [1000, 'kernel-udp', 'kernel-udp-busypoll'],
      [10_000, 'kernel-udp', 'kernel-udp-busypoll'],
    ]);
    expect(e[0]!.p99ChangeRel).toBeCloseTo(-0.5, 10);
    expect(kernelSideBySideCells(e[1]!)).toEqual([
      '64 B',
      '10k pps',
      'kernel-udp',
      '10',
      '30',
      '0.50',
      'kernel-udp-busypoll',
      '7',
      '33',
      '2.00',
      '9000',
      '+10.0%',
    ]);
  });

  it('the text table gains the side-by-side block only when a tuned reference ran', () => {
    expect(renderKernelSideBySide(rows.filter((r) => r.path !== 'kernel-udp-busypoll'))).toBe('');
    expect(renderTable(rows)).toContain('Kernel, default vs tuned (busy polling):');
    expect(renderTable(rows.slice(0, 3))).not.toContain('Kernel, default vs tuned');
  });
});

describe('verdict kernel cells', () => {
  it('shows the best kernel, both savings and the cores of each', () => {
    const cells = verdictKernelCells({
      kernelP99Us: 42,
      bestKernelPath: 'kernel-udp-busypoll',
      bestKernelP99Us: 24,
      expectedP99SavingUs: 3,
      expectedP99SavingPct: 12.5,
      savingVsDefaultUs: 21,
      savingVsDefaultPct: 50,
      cpu: { kernelCoresBusy: 2, bypassCoresBusy: 1.4, defaultKernelCoresBusy: 0.4 },
    });
    expect(cells).toEqual({
      bestKernel: 'kernel-udp-busypoll 24 µs',
      savingVsDefault: '21 µs (50 %)',
      savingVsBest: '3 µs (13 %)',
      cores: '0.40 / 2.00 / 1.40',
    });
  });

  it('reads a verdict written before tuned references as one against the default kernel', () => {
    const cells = verdictKernelCells({
      kernelP99Us: 42,
      expectedP99SavingUs: 21,
      expectedP99SavingPct: 50,
      cpu: { kernelCoresBusy: 0.4, bypassCoresBusy: 1.4 },
    });
    expect(cells).toEqual({ bestKernel: '—', savingVsDefault: '21 µs (50 %)', savingVsBest: '21 µs (50 %)', cores: '0.40 / 0.40 / 1.40' });
  });
});
