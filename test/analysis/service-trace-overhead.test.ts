// The tracing-overhead summary on hand-made pairs (the bench runs the real trials): ratios per
// pair, their geometric mean, a bootstrap interval over pairs that contains it, and the goal.
import { describe, expect, it } from 'vitest';
import { traceOverhead, type OverheadPair } from '../../analysis/service-trace-overhead.js';

const pair = (i: number, p50: [number, number], p99: [number, number]): OverheadPair => ({
  pair: i,
  traced: { trialId: `on${i}`, p50Us: p50[0], p99Us: p99[0] },
  untraced: { trialId: `off${i}`, p50Us: p50[1], p99Us: p99[1] },
});

describe('traceOverhead', () => {
  it('summarises per-pair ratios as a geometric mean with an interval over pairs', () => {
    const pairs = [1, 2, 3, 4, 5, 6].map((i) => pair(i, [110, 100], [100 + i, 100]));
    const o = traceOverhead(pairs);
    expect(o.pairs).toBe(6);
    expect(o.p50.ratio).toBeCloseTo(1.1, 9);
    expect(o.p50.ci.low).toBeCloseTo(1.1, 9);
    expect(o.p99.perPair).toEqual([1.01, 1.02, 1.03, 1.04, 1.05, 1.06]);
    expect(o.p99.ci.low).toBeLessThanOrEqual(o.p99.ratio);
    expect(o.p99.ci.high).toBeGreaterThanOrEqual(o.p99.ratio);
    expect(o.p99.ci.high).toBeLessThanOrEqual(1.06);
    expect(o.meetsGoal).toBe(o.p99.ci.high <= 1.05);
    expect(o.method).toMatch(/bootstrap over pairs/);
  });

  it('needs at least two pairs', () => {
    expect(() => traceOverhead([pair(1, [1, 1], [1, 1])])).toThrow(/at least 2/);
  });
});
