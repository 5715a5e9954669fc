// Throughput search against deterministic simulated devices: loss is a function of the offered
// rate (a hard capacity step, a linear ramp, seeded noise, transient hiccups), so every run is
// reproducible and the true NDR/PDR is known.
import { describe, expect, it } from 'vitest';
import { searchThroughput, type MeasureFn, type SearchOptions, type SearchResult, type TrialOutcome } from '../../analysis/search.js';
import { seededRandom } from '../../analysis/stats.js';
import { UserError } from '../../core/errors.js';

const GOAL = 0.005;
const baseOptions: SearchOptions = {
  minPps: 10_000,
  maxPps: 1_000_000,
  goalWidth: GOAL,
  maxTrials: 20,
  lossTargets: { ndr: 0, pdr: 0.005 },
  trialDurationS: 1,
};

type LossCurve = (offeredPps: number) => number;

/** A device whose loss depends only on the offered rate; the generator always keeps up. */
function device(curve: LossCurve): MeasureFn {
  return async (offeredPps) => ({ achievedPps: offeredPps, lossRatio: curve(offeredPps), status: 'ok' });
}

/** Forwards up to capacityPps and drops the excess: loss = 1 − C/R above C. */
const capacityStep =
  (capacityPps: number): LossCurve =>
  (r) =>
    r <= capacityPps ? 0 : 1 - capacityPps / r;

/** Loss rises linearly from 0 at startPps to 1 at fullPps. */
const linearRamp =
  (startPps: number, fullPps: number): LossCurve =>
  (r) =>
    Math.min(1, Math.max(0, (r - startPps) / (fullPps - startPps)));

/** Convex loss that is total at maxPps: NDR and PDR are far apart (the hard case). */
const quadratic: LossCurve = (r) => Math.min(1, (Math.max(0, r - 300_000) / 700_000) ** 2);

/** Checks every result must satisfy, whatever the device. */
function expectConsistent(result: SearchResult): void {
  expect(result.trialCount).toBe(result.trials.length);
  expect(result.trials.map((t) => t.step)).toEqual(result.trials.map((_, i) => i + 1));
  for (const name of ['ndr', 'pdr'] as const) {
    const b = result[name];
    if (b.lowerPps !== null) {
      const passed = result.trials.find((t) => t.offeredPps === b.lowerPps && t.verdict?.[name] === 'pass');
      expect(passed, `${name} lower bound ${b.lowerPps} was measured to pass`).toBeDefined();
    }
    if (b.upperPps !== null) {
      expect(result.trials.some((t) => t.offeredPps === b.upperPps && t.verdict?.[name] === 'fail')).toBe(true);
    }
    if (b.lowerPps !== null && b.upperPps !== null) expect(b.lowerPps).toBeLessThan(b.upperPps);
    if (b.state === 'converged') expect(b.widthRel as number).toBeLessThanOrEqual(GOAL * (1 + 1e-9));
  }
  expect(result.ndrPps).toBe(result.ndr.lowerPps);
  expect(result.pdrPps).toBe(result.pdr.lowerPps);
  if (result.ndrPps !== null && result.pdrPps !== null && result.monotonicityViolations.length === 0) {
    expect(result.ndrPps).toBeLessThanOrEqual(result.pdrPps);
  }
}

/** The true threshold lies inside the final bracket (for monotonic devices). */
function expectBrackets(result: SearchResult, name: 'ndr' | 'pdr', truePps: number): void {
  const b = result[name];
  expect(b.state).toBe('converged');
  expect(b.lowerPps as number).toBeLessThanOrEqual(truePps);
  expect(b.upperPps as number).toBeGreaterThan(truePps);
}

describe('searchThroughput on monotonic devices', () => {
  it('finds NDR and PDR of a capacity-limited device within 0.5 % in ≤ 12 trials', async () => {
    for (const capacityPps of [15_000, 123_457, 600_000, 987_000]) {
      const result = await searchThroughput(baseOptions, device(capacityStep(capacityPps)));
      expectConsistent(result);
      expect(result.stopReason).toBe('converged');
      expectBrackets(result, 'ndr', capacityPps);
      expectBrackets(result, 'pdr', capacityPps / (1 - 0.005));
      expect(result.trialCount).toBeLessThanOrEqual(12);
    }
  });

  it('finds both knees of a linear loss ramp in ≤ 16 trials', async () => {
    for (const [start, full] of [
      [400_000, 1_600_000],
      [50_000, 2_050_000],
      [20_000, 900_000],
    ] as const) {
      const result = await searchThroughput(baseOptions, device(linearRamp(start, full)));
      expectConsistent(result);
      expectBrackets(result, 'ndr', start);
      expectBrackets(result, 'pdr', start + 0.005 * (full - start));
      // Every upper bound is confirmed by a second trial (exceed ratio 0.5 over two trials).
      expect(result.trialCount).toBeLessThanOrEqual(16);
    }
  });

  it('stays within bisection + slack on a convex curve with total loss at max', async () => {
    const result = await searchThroughput({ ...baseOptions, maxTrials: 40 }, device(quadratic));
    expectConsistent(result);
    expectBrackets(result, 'ndr', 300_000);
    expectBrackets(result, 'pdr', 300_000 + 700_000 * Math.sqrt(0.005));
    // Log-space bisection over 10k–1M needs ⌈log2(ln(100) / −ln(0.995))⌉ = 10 trials per target.
    expect(result.trialCount).toBeLessThanOrEqual(1 + 2 * (10 + 2));
  });

  it('classifies every trial against both targets, so one trial informs both bounds', async () => {
    const result = await searchThroughput(baseOptions, device(capacityStep(600_000)));
    const lossyButWithinPdr = result.trials.find((t) => (t.lossRatio ?? 0) > 0 && (t.lossRatio ?? 1) <= 0.005);
    expect(lossyButWithinPdr?.verdict).toEqual({ ndr: 'fail', pdr: 'pass' });
    const kinds = new Set(result.trials.map((t) => t.kind));
    expect(kinds.has('mrr') && kinds.has('pdr')).toBe(true);
  });

  it('reports MRR as the received rate at max offered load', async () => {
    const result = await searchThroughput(baseOptions, device(capacityStep(600_000)));
    expect(result.trials[0]).toMatchObject({ step: 1, kind: 'mrr', offeredPps: 1_000_000 });
    expect(result.mrrPps).toBeCloseTo(600_000, 6);
  });

  it('stops after one trial when the max rate is lossless', async () => {
    const result = await searchThroughput(baseOptions, device(capacityStep(5_000_000)));
    expectConsistent(result);
    expect(result.trialCount).toBe(1);
    expect(result.stopReason).toBe('converged');
    expect(result.ndr).toMatchObject({ state: 'max-rate-passes', lowerPps: 1_000_000, upperPps: null, widthRel: 0 });
    expect(result.ndrPps).toBe(1_000_000);
    expect(result.pdrPps).toBe(1_000_000);
  });

  it('reports all rates lossy when even minPps misses the PDR target', async () => {
    const result = await searchThroughput(
      baseOptions,
      device(() => 0.1),
    );
    expectConsistent(result);
    expect(result.stopReason).toBe('all-rates-lossy');
    expect(result.ndrPps).toBeNull();
    expect(result.pdrPps).toBeNull();
    expect(result.pdr.state).toBe('min-rate-lossy');
    expect(result.trials.at(-1)?.offeredPps).toBe(baseOptions.minPps);
    expect(result.stopDetail).toContain('10000 pps');
  });

  it('finds PDR but no NDR when a little loss never goes away', async () => {
    const result = await searchThroughput(
      baseOptions,
      device((r) => (r <= 300_000 ? 0.001 : 1 - 300_000 / r)),
    );
    expectConsistent(result);
    expect(result.stopReason).toBe('converged');
    expect(result.ndr.state).toBe('min-rate-lossy');
    expect(result.ndrPps).toBeNull();
    expect(result.pdr.state).toBe('converged');
    expect(result.pdrPps).not.toBeNull();
  });
});

describe('searchThroughput when things go wrong', () => {
  it('stops at a failed measurement and does not treat it as loss', async () => {
    const curve = capacityStep(600_000);
    const measure: MeasureFn = async (offeredPps, step) =>
      step === 3
        ? { achievedPps: null, lossRatio: null, status: 'failed', error: 'sockperf exited 1' }
        : { achievedPps: offeredPps, lossRatio: curve(offeredPps), status: 'ok' };
    const result = await searchThroughput(baseOptions, measure);
    expectConsistent(result);
    expect(result.stopReason).toBe('measurement-failed');
    expect(result.trialCount).toBe(3);
    expect(result.trials[2]).toMatchObject({ verdict: null, status: 'failed', error: 'sockperf exited 1' });
    expect(result.stopDetail).toContain('sockperf exited 1');
    // The failed rate is neither bound.
    expect(result.ndr.upperPps).not.toBe(result.trials[2]?.offeredPps);
  });

  it('treats an ok status without a loss ratio as a failed measurement', async () => {
    const result = await searchThroughput(baseOptions, async () => ({ achievedPps: 1_000_000, lossRatio: null, status: 'ok' }));
    expect(result.stopReason).toBe('measurement-failed');
    expect(result.trialCount).toBe(1);
    expect(result.mrrPps).toBeNull();
    expect(result.stopDetail).toContain('loss ratio missing');
  });

  it('stops at maxTrials and still reports the bounds found so far', async () => {
    const result = await searchThroughput({ ...baseOptions, maxTrials: 3 }, device(quadratic));
    expectConsistent(result);
    expect(result.stopReason).toBe('budget');
    expect(result.trialCount).toBe(3);
    expect(result.fullLengthEquivalentTrials).toBe(3);
    expect(result.stopDetail).toContain('budget of 3 full-length-equivalent trials');
    expect(result.pdr.state === 'open' || result.ndr.state === 'open').toBe(true);
  });

  it('says "no upper bound" when only the lower bound was measured at full length, not "width 0 %"', async () => {
    // The exploratory phase finds the knee; the budget ends after verifying its lower bound.
    const result = await searchThroughput({ ...baseOptions, maxTrials: 2, trialDurationS: 4, phaseDurationsS: [1] }, device(capacityStep(250_000)));
    expectConsistent(result);
    expect(result.stopReason).toBe('budget');
    expect(result.pdr.lowerPps).not.toBeNull();
    expect(result.pdr.upperPps).toBeNull();
    expect(result.stopDetail).toMatch(/PDR open in \[\d+, none\] pps \(no upper bound\)/);
    expect(result.stopDetail).not.toMatch(/width 0 %/);
  });

  it('does not claim a rate the generator could not reach', async () => {
    const generatorMaxPps = 400_000;
    const measure: MeasureFn = async (offeredPps) => ({ achievedPps: Math.min(offeredPps, generatorMaxPps), lossRatio: 0, status: 'ok' });
    const result = await searchThroughput(baseOptions, measure);
    expectConsistent(result);
    expect(result.trials[0]?.generatorShort).toBe(true);
    expect(result.trials[0]?.verdict).toEqual({ ndr: 'fail', pdr: 'fail' });
    // Within the 5 % tolerance the generator counts as keeping up.
    expect(result.ndrPps as number).toBeLessThanOrEqual(generatorMaxPps / 0.95);
    expect(result.ndrPps as number).toBeGreaterThan(generatorMaxPps * 0.99);
  });

  it('measures a load again after a transient hiccup instead of pinning the bound below it', async () => {
    const curve = capacityStep(600_000);
    let hiccupPps: number | null = null;
    // Step 4 loses 2 % whatever the rate, as if a noisy neighbour stole the CPU; then the device behaves again.
    const measure: MeasureFn = async (offeredPps, step) => {
      if (step === 4) {
        hiccupPps = offeredPps;
        return { achievedPps: offeredPps, lossRatio: 0.02, status: 'ok' };
      }
      return { achievedPps: offeredPps, lossRatio: curve(offeredPps), status: 'ok' };
    };
    const result = await searchThroughput({ ...baseOptions, minPps: 100_000 }, measure);
    expectConsistent(result);
    expect(hiccupPps).not.toBeNull();
    expect(result.stopReason).toBe('converged');
    expectBrackets(result, 'ndr', 600_000);
    expectBrackets(result, 'pdr', 600_000 / (1 - 0.005));
    expect(result.monotonicityViolations).toEqual([]);
  });

  it('keeps the pessimistic bound when a load fails twice above one that passed', async () => {
    const curve = capacityStep(600_000);
    // 590 000 pps and up always lose 2 % (a real dip, not noise); 595 000 passes by itself.
    const measure: MeasureFn = async (offeredPps) => ({
      achievedPps: offeredPps,
      lossRatio: offeredPps >= 590_000 && offeredPps !== 595_000 ? Math.max(0.02, curve(offeredPps)) : curve(offeredPps),
      status: 'ok',
    });
    const result = await searchThroughput({ ...baseOptions, minPps: 100_000 }, measure);
    expectConsistent(result);
    expect(result.ndr.upperTrials).toBe(2);
    expect(result.ndr.state).toBe('converged');
    expect(result.ndrPps as number).toBeLessThan(590_000);
  });

  it('converges on a noisy-but-seeded device and never reports a rate that failed', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const base = capacityStep(500_000);
      // 15 % of trials lose a few packets in 10^4 even below capacity; loss also jitters above it.
      const measure: MeasureFn = async (offeredPps): Promise<TrialOutcome> => {
        const spurious = random() < 0.15 ? random() * 0.0004 : 0;
        const jitter = base(offeredPps) > 0 ? (random() - 0.5) * 0.002 : 0;
        return { achievedPps: offeredPps * (1 - random() * 0.003), lossRatio: Math.min(1, Math.max(0, base(offeredPps) + jitter + spurious)), status: 'ok' };
      };
      const result = await searchThroughput(baseOptions, measure);
      expectConsistent(result);
      expect(result.stopReason).toBe('converged');
      expect(result.fullLengthEquivalentTrials).toBeLessThanOrEqual(20);
      // Noise only ever adds loss here, so the answers stay at or below the true knees.
      expect(result.ndrPps as number).toBeLessThanOrEqual(500_000 / 0.99);
      expect(result.pdrPps as number).toBeLessThanOrEqual(500_000 / (1 - 0.006));
    }
  });

  it('is deterministic for a deterministic device', async () => {
    const a = await searchThroughput(baseOptions, device(linearRamp(50_000, 2_050_000)));
    const b = await searchThroughput(baseOptions, device(linearRamp(50_000, 2_050_000)));
    expect(a.trials.map((t) => t.offeredPps)).toEqual(b.trials.map((t) => t.offeredPps));
  });
});

describe('searchThroughput options', () => {
  it('passes step, kind and trial duration to measure', async () => {
    const calls: [number, number, string, number][] = [];
    const curve = capacityStep(600_000);
    await searchThroughput({ ...baseOptions, trialDurationS: 3 }, async (offeredPps, step, ctx) => {
      calls.push([offeredPps, step, ctx.kind, ctx.trialDurationS]);
      return { achievedPps: offeredPps, lossRatio: curve(offeredPps), status: 'ok' };
    });
    expect(calls[0]).toEqual([1_000_000, 1, 'mrr', 3]);
    for (const [rate, , kind, duration] of calls.slice(1)) {
      expect(Number.isInteger(rate)).toBe(true);
      expect(['ndr', 'pdr']).toContain(kind);
      expect(duration).toBe(3);
    }
  });

  it('rejects bad options naming the field', async () => {
    const measure = device(capacityStep(1));
    await expect(searchThroughput({ ...baseOptions, maxPps: 5_000 }, measure)).rejects.toThrow(/search\.maxPps/);
    await expect(searchThroughput({ ...baseOptions, goalWidth: 0 }, measure)).rejects.toThrow(UserError);
    await expect(searchThroughput({ ...baseOptions, lossTargets: { ndr: 0.01, pdr: 0.005 } }, measure)).rejects.toThrow(/lossTargets\.pdr/);
    await expect(searchThroughput({ ...baseOptions, maxTrials: 0 }, measure)).rejects.toThrow(/maxTrials/);
  });
});
