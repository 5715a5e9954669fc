// The tracing-overhead phase's pure parts: the cell it measures at, which entries it measures, and
// the summary run.json keeps (from real trial records of the service-verdict fixture run).
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../core/run-folder.js';
import { overheadCell, summariseOverhead, tracedServiceEntries } from '../../runners/trace-overhead-phase.js';
import type { OpenRun } from '../../runners/open-run.js';
import type { PlannedTrial } from '../../suites/plan.js';

describe('overhead cell', () => {
  it('takes the lowest rate that gives a p99 (≥ 1000 replies) in the duration', () => {
    expect(overheadCell([200, 1000, 2000], 2)).toEqual({ offeredPps: 1000, durationS: 2 });
    expect(overheadCell([2000, 200, 1000], 5)).toEqual({ offeredPps: 200, durationS: 5 });
  });
  it('else the highest rate, long enough for a p99', () => {
    expect(overheadCell([100, 250], 2)).toEqual({ offeredPps: 250, durationS: 5 });
    expect(overheadCell([], 2)).toBeNull();
  });
});

describe('traced service entries', () => {
  const entry = (path: string, label: string) => ({ path, label, enabled: true });
  const run = {
    loaded: {
      suite: { paths: [entry('kernel-udp', 'k'), entry('service', 'java'), entry('service', 'plain'), entry('service', 'crash'), entry('service', 'node')] },
      pathOptions: [{}, { trace: 'on' }, { trace: 'off' }, { trace: 'on', crashAfter: 100 }, { trace: 'on' }],
    },
    plan: [0, 1, 2, 3, 4].map((pathIndex) => ({ pathIndex }) as PlannedTrial),
  } as unknown as Pick<OpenRun, 'loaded' | 'plan'>;
  it('measures traced services only, not one that crashes on purpose, and only the labels asked for', () => {
    expect(tracedServiceEntries(run, { pairs: 2 })).toEqual([1, 4]);
    expect(tracedServiceEntries(run, { pairs: 2, paths: ['node'] })).toEqual([4]);
  });
});

describe('overhead summary', () => {
  const trials = loadRun('test/fixtures/runs/service-verdict').trials;
  const byId = (id: string) => trials.find((t) => t.trialId === id)!;
  const cell = { pathLabel: 'java', msgSizeBytes: 200, offeredPps: 1000, durationS: 2, pairsPlanned: 2, wallS: 40 };
  it('keeps the ratios, their interval and the trials, from real records', () => {
    const o = summariseOverhead(cell, [
      { traced: byId('t0005'), untraced: byId('t0012') },
      { traced: byId('t0019'), untraced: byId('t0012') },
    ]);
    expect(o.pairs).toBe(2);
    expect(o.trialIds).toEqual(['t0005', 't0012', 't0019', 't0012']);
    expect(o.perPair.p99).toHaveLength(2);
    expect(o.perPair.p99[0]).toBeCloseTo(310708.122 / 252030.987, 6);
    expect(o.p99Ratio).toBeGreaterThan(0);
    expect(o.interval!.p99[0]).toBeLessThanOrEqual(o.p99Ratio!);
    expect(o.interval!.p99[1]).toBeGreaterThanOrEqual(o.p99Ratio!);
    expect(o.reason).toBeUndefined();
  });
  it('says why there is no ratio when fewer than 2 pairs are complete (a failed side drops its pair)', () => {
    const failed = { ...byId('t0019'), status: 'failed' as const };
    const o = summariseOverhead(cell, [
      { traced: byId('t0005'), untraced: byId('t0012') },
      { traced: failed, untraced: byId('t0012') },
    ]);
    expect(o.pairs).toBe(1);
    expect(o.p99Ratio).toBeNull();
    expect(o.reason).toMatch(/1 of 2 pairs complete/);
  });
});
