import { describe, expect, it } from 'vitest';
import { logSweep, offeredRates, planTrials } from '../../suites/plan.js';
import { parseSuite } from '../../suites/load.js';

describe('logSweep', () => {
  it('spaces rates logarithmically and hits both ends', () => {
    expect(logSweep({ from: 1000, to: 100000, points: 3 })).toEqual([1000, 10000, 100000]);
    const r = logSweep({ from: 100, to: 1_000_000, points: 9 });
    expect(r[0]).toBe(100);
    expect(r.at(-1)).toBe(1_000_000);
    for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThan(r[i - 1]!);
  });
});

describe('planTrials', () => {
  const loaded = parseSuite(
    'x.yaml',
    `name: p
sizes: [64, 1024]
rates: { from: 1000, to: 4000, points: 3 }
closedLoop: true
repetitions: 2
durationS: 2
paths:
  - path: kernel-udp
  - path: kernel-tcp
    label: tcp-a
  - path: kernel-tcp
    label: off
    enabled: false
`,
  );

  it('expands paths × sizes × rates × repetitions, skipping disabled entries', () => {
    expect(offeredRates(loaded)).toEqual([1000, 2000, 4000, null]);
    const plan = planTrials(loaded);
    expect(plan).toHaveLength(2 * 2 * 4 * 2);
    expect(new Set(plan.map((t) => t.pathLabel))).toEqual(new Set(['kernel-udp', 'tcp-a']));
    expect(new Set(plan.map((t) => t.trialId)).size).toBe(plan.length);
    expect(plan.every((t) => t.driver === 'sockperf')).toBe(true);
  });

  it('puts repetitions outermost', () => {
    const plan = planTrials(loaded);
    const half = plan.length / 2;
    expect(plan.slice(0, half).every((t) => t.repetition === 1)).toBe(true);
    expect(plan.slice(half).every((t) => t.repetition === 2)).toBe(true);
  });
});
