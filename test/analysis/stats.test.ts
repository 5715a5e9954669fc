// Repetition statistics on hand-made and seeded synthetic trial records.
import { describe, expect, it } from 'vitest';
import {
  bootstrapMedianCi,
  coefficientOfVariation,
  compareRanges,
  differs,
  groupTrials,
  seededRandom,
  summarize,
  type TrialGroup,
} from '../../analysis/stats.js';
import { emptyLatency, type TrialRecord } from '../../core/trial.js';

let nextId = 0;

/** A plausible ok trial; tests override what they look at. */
function trial(overrides: Partial<TrialRecord> & { p50?: number | null; p99?: number | null; p999?: number | null; coresBusy?: number | null }): TrialRecord {
  const { p50 = 10, p99 = 20, p999 = 30, coresBusy = 0.5, ...rest } = overrides;
  nextId += 1;
  return {
    trialId: `t${nextId}`,
    runId: 'run-test',
    path: 'kernel-udp',
    pathLabel: 'kernel-udp',
    driver: 'sockperf',
    mode: 'under-load',
    msgSizeBytes: 64,
    offeredPps: 10_000,
    achievedPps: 10_000,
    sentPackets: 10_000,
    receivedPackets: 10_000,
    lossRatio: 0,
    latencyUs: { ...emptyLatency(), p50, p99, p999, samples: 1000 },
    latencyKind: 'rtt',
    throughputGbps: null,
    msgRateMpps: null,
    measuredS: 1,
    native: {},
    cpu: { coresBusy, nsPerPacket: coresBusy === null ? null : (coresBusy * 1e9) / 10_000, perCpu: [] },
    repetition: 0,
    status: 'ok',
    error: null,
    emulated: false,
    raw: [],
    startedAt: '2025-01-01T00:00:00.000Z',
    durationS: 1,
    ...rest,
  };
}

function only(groups: TrialGroup[], pathLabel: string, offeredPps: number | null = 10_000): TrialGroup {
  const group = groups.find((g) => g.pathLabel === pathLabel && g.offeredPps === offeredPps);
  if (!group) throw new Error(`no group ${pathLabel} @ ${offeredPps}`);
  return group;
}

describe('groupTrials', () => {
  it('groups repetitions by path label, size and rate, sorted', () => {
    const groups = groupTrials([
      trial({ pathLabel: 'kernel-udp', offeredPps: 20_000, repetition: 0 }),
      trial({ pathLabel: 'afxdp', path: 'afxdp', repetition: 0 }),
      trial({ pathLabel: 'kernel-udp', repetition: 0 }),
      trial({ pathLabel: 'kernel-udp', repetition: 1 }),
      trial({ pathLabel: 'kernel-udp', msgSizeBytes: 1024, repetition: 0 }),
      trial({ pathLabel: 'kernel-udp', offeredPps: null, repetition: 0 }),
    ]);
    expect(groups.map((g) => [g.pathLabel, g.msgSizeBytes, g.offeredPps, g.repetitions.total])).toEqual([
      ['afxdp', 64, 10_000, 1],
      ['kernel-udp', 64, null, 1],
      ['kernel-udp', 64, 10_000, 2],
      ['kernel-udp', 64, 20_000, 1],
      ['kernel-udp', 1024, 10_000, 1],
    ]);
    expect(only(groups, 'afxdp').path).toBe('afxdp');
  });

  it('summarizes medians and ranges over ok repetitions only', () => {
    const groups = groupTrials([
      trial({ p50: 10, p99: 20, p999: 40, coresBusy: 0.4, lossRatio: 0 }),
      trial({ p50: 12, p99: 26, p999: 50, coresBusy: 0.6, lossRatio: 0.001 }),
      trial({ p50: 11, p99: 22, p999: 45, coresBusy: 0.5, lossRatio: 0.002 }),
      trial({ status: 'failed', error: 'boom', p50: 999, p99: 999, latencyUs: null, lossRatio: null, cpu: null }),
      trial({ status: 'timed-out', latencyUs: null }),
    ]);
    const g = only(groups, 'kernel-udp');
    expect(g.repetitions).toEqual({ ok: 3, total: 5, byStatus: { ok: 3, failed: 1, 'timed-out': 1 } });
    expect(g.latencyUs.p50).toMatchObject({ median: 11, min: 10, max: 12, n: 3 });
    expect(g.latencyUs.p99).toMatchObject({ median: 22, min: 20, max: 26, n: 3 });
    expect(g.latencyUs.p99?.spreadRel).toBeCloseTo(6 / 22, 10);
    expect(g.latencyUs.p999).toMatchObject({ median: 45, min: 40, max: 50 });
    expect(g.coresBusy).toMatchObject({ median: 0.5, min: 0.4, max: 0.6 });
    expect(g.nsPerPacket?.median).toBeCloseTo(50_000, 6);
    expect(g.lossRatio).toMatchObject({ median: 0.001, min: 0, max: 0.002 });
    expect(g.achievedPps?.median).toBe(10_000);
    expect(g.trialIds).toHaveLength(5);
    // Sanity, as for any real measurement.
    expect(g.latencyUs.p99?.median as number).toBeGreaterThanOrEqual(g.latencyUs.p50?.median as number);
    expect(g.latencyUs.p50?.median as number).toBeGreaterThan(0);
  });

  it('keeps missing values null, never 0', () => {
    const groups = groupTrials([trial({ p999: null, coresBusy: null, cpu: null }), trial({ p999: null, cpu: null })]);
    const g = only(groups, 'kernel-udp');
    expect(g.latencyUs.p999).toBeNull();
    expect(g.coresBusy).toBeNull();
    expect(g.nsPerPacket).toBeNull();
  });

  it('has no latency summary when every repetition failed', () => {
    const g = only(groupTrials([trial({ status: 'failed', latencyUs: null }), trial({ status: 'failed', latencyUs: null })]), 'kernel-udp');
    expect(g.repetitions).toMatchObject({ ok: 0, total: 2 });
    expect(g.latencyUs.p99).toBeNull();
    expect(g.p99Spread).toEqual({ relRange: null, ciUs: null });
  });

  it('leaves throughput-search trials out unless asked', () => {
    const trials = [trial({}), trial({ offeredPps: 123_456, search: { kind: 'ndr', step: 2 } })];
    expect(groupTrials(trials)).toHaveLength(1);
    expect(groupTrials(trials, { includeSearchTrials: true })).toHaveLength(2);
  });

  it('marks a group emulated when any repetition was', () => {
    const g = only(groupTrials([trial({ pathLabel: 'rxe', path: 'rdma-rxe' }), trial({ pathLabel: 'rxe', path: 'rdma-rxe', emulated: true })]), 'rxe');
    expect(g.emulated).toBe(true);
  });

  it('gives a seeded, reproducible bootstrap CI of the median p99 inside the observed range', () => {
    const trials = [18, 20, 21, 25, 30].map((p99) => trial({ p99 }));
    const a = only(groupTrials(trials), 'kernel-udp');
    const b = only(groupTrials(trials), 'kernel-udp');
    expect(a.p99Spread.ciUs).toEqual(b.p99Spread.ciUs);
    const ci = a.p99Spread.ciUs;
    expect(ci).not.toBeNull();
    expect(ci?.level).toBe(0.95);
    expect(ci?.low as number).toBeGreaterThanOrEqual(18);
    expect(ci?.high as number).toBeLessThanOrEqual(30);
    expect(ci?.low as number).toBeLessThanOrEqual(21);
    expect(ci?.high as number).toBeGreaterThanOrEqual(21);
  });
});

describe('summary helpers', () => {
  it('summarize ignores null and non-finite values', () => {
    expect(summarize([null, undefined, Number.NaN])).toBeNull();
    expect(summarize([3, null, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3, spreadRel: 1, values: [3, 1, 2] });
    expect(summarize([0, 0])?.spreadRel).toBeNull();
  });

  it('bootstrap CI narrows with more repetitions (seeded synthetic data)', () => {
    const random = seededRandom(42);
    // Log-normal-ish latencies around 20 µs, as tails of real RTTs look.
    const sample = (n: number) => Array.from({ length: n }, () => 20 * Math.exp((random() + random() + random() - 1.5) * 0.4));
    const small = bootstrapMedianCi(sample(8), { seed: 7 });
    const large = bootstrapMedianCi(sample(400), { seed: 7 });
    expect(small && large).toBeTruthy();
    const width = (ci: { low: number; high: number }) => ci.high - ci.low;
    expect(width(large as { low: number; high: number })).toBeLessThan(width(small as { low: number; high: number }));
    expect(large?.low as number).toBeLessThan(20 * 1.1);
    expect(large?.high as number).toBeGreaterThan(20 * 0.9);
    expect(bootstrapMedianCi([5])).toBeNull();
  });

  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(seededRandom(10)()).not.toBe(seededRandom(9)());
  });

  it('coefficientOfVariation for load steadiness', () => {
    expect(coefficientOfVariation([100, 100, 100])).toBe(0);
    expect(coefficientOfVariation([1, 2, 3, 4])).toBeCloseTo(0.516, 3);
    expect(coefficientOfVariation([5])).toBeNull();
    expect(coefficientOfVariation([0, 0])).toBeNull();
    expect(coefficientOfVariation([null, 10, 12])).toBeCloseTo(Math.SQRT2 / 11, 10);
  });
});

describe('differs', () => {
  const group = (pathLabel: string, p99s: number[]) => only(groupTrials(p99s.map((p99) => trial({ pathLabel, p99 }))), pathLabel);

  it('says two groups differ when their p99 ranges do not overlap', () => {
    const result = differs(group('kernel-udp', [40, 44, 42]), group('afxdp', [20, 23, 21]));
    expect(result.differs).toBe(true);
    expect(result.deltaUs).toBe(21 - 42);
    expect(result.deltaRel).toBeCloseTo(-0.5, 10);
    expect(result.reason).toContain('do not overlap');
  });

  it('says they do not when the difference is within the repetition spread', () => {
    const result = differs(group('kernel-udp', [40, 50, 45]), group('afxdp', [38, 48, 43]));
    expect(result.differs).toBe(false);
    expect(result.reason).toMatch(/within the repetition spread/);
  });

  it('cannot tell from a single repetition', () => {
    const result = differs(group('kernel-udp', [40]), group('afxdp', [20, 21]));
    expect(result.differs).toBeNull();
    expect(result.deltaUs).toBe(20.5 - 40);
    expect(result.reason).toContain('1 repetition');
  });

  it('cannot tell without a p99', () => {
    expect(compareRanges(null, { median: 1, min: 1, max: 1, n: 3 }).differs).toBeNull();
  });

  it('honours a stricter repetition minimum', () => {
    expect(differs(group('kernel-udp', [40, 41]), group('afxdp', [20, 21]), 3).differs).toBeNull();
  });
});
