// Throughput search against seeded noisy simulated devices: the noise on this shared 2-vCPU VM
// (a knee that moves from trial to trial, loss spikes when a neighbour steals the CPU, a generator
// slower than the device), reproduced with a seeded generator so every run is the same.
import { describe, expect, it } from 'vitest';
import { searchThroughput, type MeasureFn, type SearchOptions, type SearchResult } from '../../analysis/search.js';
import { seededRandom } from '../../analysis/stats.js';

const GOAL = 0.005;
/** The shipped suite's settings: 0.5 %, 12 full-length-equivalent trials of 2 s, exceed ratio 0.5 over two trials. */
const options: SearchOptions = {
  minPps: 1_000,
  maxPps: 2_000_000,
  goalWidth: GOAL,
  maxTrials: 12,
  lossTargets: { ndr: 0, pdr: 0.005 },
  trialDurationS: 2,
};
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

interface Noise {
  /** Relative standard deviation of the knee from trial to trial. */
  kneeJitter: number;
  /** Probability that a trial loses spikeLoss whatever the rate. */
  spikeProbability: number;
  spikeLoss: number;
  /** The generator sends at most this, packets/s. */
  generatorMaxPps: number;
  /** Probability that the generator stalls and falls this far short of the offered rate in a trial. */
  stallProbability: number;
  stallShortfall: number;
}

/** A capacity-limited device (loss = 1 − C/R above C) with seeded noise. */
function noisyDevice(capacityPps: number, noise: Partial<Noise>, seed: number): MeasureFn {
  const n: Noise = { kneeJitter: 0, spikeProbability: 0, spikeLoss: 0.02, generatorMaxPps: Infinity, stallProbability: 0, stallShortfall: 0.008, ...noise };
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return async (offeredPps) => {
    const stalled = random() < n.stallProbability;
    const achievedPps = Math.min(offeredPps, n.generatorMaxPps) * (stalled ? 1 - n.stallShortfall : 1);
    const knee = capacityPps * (1 + n.kneeJitter * gaussian());
    let loss = achievedPps <= knee ? 0 : 1 - knee / achievedPps;
    if (random() < n.spikeProbability) loss = Math.max(loss, n.spikeLoss * (0.5 + random()));
    return { achievedPps, lossRatio: loss, status: 'ok' };
  };
}

async function searchAll(capacityPps: number, noise: Partial<Noise>): Promise<SearchResult[]> {
  return Promise.all(SEEDS.map((seed) => searchThroughput(options, noisyDevice(capacityPps, noise, seed))));
}

/** Every bound is a load measured at full length, and the budget holds. */
function expectHonestFor(opts: SearchOptions): (result: SearchResult) => void {
  return (result) => {
    expect(result.fullLengthEquivalentTrials).toBeLessThanOrEqual(opts.maxTrials);
    for (const name of ['ndr', 'pdr'] as const) {
      const b = result[name];
      for (const pps of [b.lowerPps, b.upperPps]) {
        if (pps === null) continue;
        expect(result.trials.some((t) => t.offeredPps === pps && t.durationS === opts.trialDurationS)).toBe(true);
      }
      if (b.state === 'converged') expect(b.widthRel as number).toBeLessThanOrEqual(GOAL * (1 + 1e-9));
    }
    expect(result.stopDetail).toMatch(/full-length-equivalent/);
  };
}
const expectHonest = expectHonestFor(options);

const converged = (results: readonly SearchResult[]) => results.filter((r) => r.stopReason === 'converged');

describe('searchThroughput on noisy devices (seeded)', () => {
  const capacityPps = 250_000;

  it('converges on a monotonic device within 12 full-length-equivalent trials, bracketing the knee', async () => {
    const results = await searchAll(capacityPps, {});
    for (const r of results) {
      expectHonest(r);
      expect(r.stopReason).toBe('converged');
      expect(r.ndrPps as number).toBeLessThanOrEqual(capacityPps);
      expect(r.ndr.upperPps as number).toBeGreaterThan(capacityPps);
    }
  });

  it('converges on a knee that moves by 0.1 % from trial to trial, near the knee', async () => {
    const results = await searchAll(capacityPps, { kneeJitter: 0.001 });
    results.forEach(expectHonest);
    expect(converged(results).length).toBeGreaterThanOrEqual(18);
    for (const r of converged(results)) {
      expect(Math.abs((r.ndrPps as number) / capacityPps - 1)).toBeLessThan(0.01);
    }
  });

  it('is not pinned low by occasional loss spikes: a single lossy trial is measured again', async () => {
    const results = await searchAll(capacityPps, { spikeProbability: 0.1 });
    results.forEach(expectHonest);
    expect(converged(results).length).toBeGreaterThanOrEqual(18);
    for (const r of converged(results)) {
      expect(r.ndrPps as number).toBeGreaterThan(capacityPps * 0.98);
      expect(r.ndrPps as number).toBeLessThanOrEqual(capacityPps);
    }
    // Some search met a spike near its bracket and needed a second trial at one load to judge it.
    const repeated = results.filter((r) => new Set(r.trials.map((t) => `${t.offeredPps}/${t.durationS}`)).size < r.trials.length);
    expect(repeated.length).toBeGreaterThan(0);
  });

  it('says when the generator, not the device, set the upper bound', async () => {
    const generatorMaxPps = 180_000;
    const results = await searchAll(capacityPps, { generatorMaxPps });
    for (const r of results) {
      expectHonest(r);
      expect(r.stopReason).toBe('generator-limit');
      expect(r.ndr.upperIsGeneratorLimit).toBe(true);
      expect(r.stopDetail).toContain('generator fell short');
      // The bound is a rate the generator actually reached within the tolerance (≤ goal width).
      expect(r.ndrPps as number).toBeLessThanOrEqual(generatorMaxPps / (1 - GOAL));
      expect(r.ndrPps as number).toBeGreaterThan(generatorMaxPps * (1 - 2 * GOAL));
    }
  });

  it('measures a load again when the generator stalled once, instead of bisecting far below it', async () => {
    const results = await searchAll(capacityPps, { stallProbability: 0.15 });
    results.forEach(expectHonest);
    expect(converged(results).length + results.filter((r) => r.stopReason === 'generator-limit').length).toBeGreaterThanOrEqual(16);
    for (const r of results) if (r.ndrPps !== null) expect(r.ndrPps).toBeGreaterThan(capacityPps * 0.95);
  });

  it('on noise like a loaded run of this machine, steps down from a noisy upper bound and bisects, neither crawling nor dropping to minPps', async () => {
    // Modelled on a real search (AF_XDP and kernel UDP at 64 B, load average ~6): above 80 % of
    // the capacity, a trial loses 1–7 % with a probability that rises to 30 % at the capacity; a
    // few lose a handful of packets; 5 % of trials the generator stalls 0.3–2.3 % short.
    const capacity = 130_000;
    const realish = (seed: number): MeasureFn => {
      const random = seededRandom(seed);
      return async (offeredPps) => {
        const achievedPps = Math.min(offeredPps, 230_000) * (random() < 0.05 ? 1 - 0.003 - 0.02 * random() : 1);
        let loss = achievedPps <= capacity ? 0 : 1 - capacity / achievedPps;
        if (random() < 0.3 * Math.min(1, Math.max(0, (offeredPps - 0.8 * capacity) / (0.2 * capacity)))) loss = Math.max(loss, 0.01 + 0.06 * random());
        else if (random() < 0.1) loss = Math.max(loss, 0.0002 * random());
        return { achievedPps, lossRatio: loss, status: 'ok' };
      };
    };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => searchThroughput(options, realish(i + 1))));
    results.forEach(expectHonest);
    // Before: 29 of 40 (bisecting to ~11 kpps after a noisy failure, crawling up 0.5 % per passing trial); now 35.
    expect(converged(results).length).toBeGreaterThanOrEqual(34);
    for (const r of results) {
      expect(r.trials.every((t) => t.offeredPps > capacity * 0.5 || t.step === 1)).toBe(true);
      if (r.ndrPps !== null) expect(r.ndrPps).toBeGreaterThan(capacity * 0.9);
    }
    // A bracket already narrow enough whose bound needed a second trial when the budget ran out says so.
    const narrowButOpen = results.filter((r) => (['ndr', 'pdr'] as const).some((k) => r[k].state === 'open' && (r[k].widthRel ?? 1) <= GOAL));
    expect(narrowButOpen.length).toBeGreaterThan(0);
    for (const r of narrowButOpen) expect(r.stopDetail).toContain('narrow enough but a bound is still undecided');
  });

  it('says when loss did not follow the offered rate (lossy trials far below the MRR)', async () => {
    // Like the kernel→AF_XDP path at load average 15–37: 2–16 % lost at every rate from 5 to 30 kpps.
    const random = seededRandom(3);
    const flat: MeasureFn = async (offeredPps) => {
      const capacityLoss = offeredPps > 25_000 ? 1 - 25_000 / offeredPps : 0;
      return { achievedPps: offeredPps, lossRatio: Math.max(capacityLoss, random() < 0.8 ? 0.02 + 0.1 * random() : 0), status: 'ok' };
    };
    const result = await searchThroughput(options, flat);
    expectHonest(result);
    expect(result.stopReason).toBe('budget');
    expect(result.stopDetail).toMatch(/loss did not follow the offered rate: \d+ trial\(s\) below half the MRR \(25000 pps\)/);
    // A converged search on a device with a knee says nothing of the kind.
    const clean = await searchThroughput(options, noisyDevice(capacityPps, {}, 1));
    expect(clean.stopDetail).not.toContain('did not follow');
  });

  it('stops at the budget and says how wide the bracket still is', async () => {
    const result = await searchThroughput({ ...options, maxTrials: 3 }, noisyDevice(capacityPps, { spikeProbability: 0.3 }, 7));
    expect(result.stopReason).toBe('budget');
    expect(result.fullLengthEquivalentTrials).toBeLessThanOrEqual(3);
    expect(result.stopDetail).toMatch(/budget of 3 full-length-equivalent trials/);
    expect(result.stopDetail).toMatch(/NDR (open|converged|not bounded)/);
  });

  it('with an exploratory phase, bounds only full-length trials and still converges', async () => {
    const results = await Promise.all(
      SEEDS.map((seed) => searchThroughput({ ...options, phaseDurationsS: [1] }, noisyDevice(capacityPps, { spikeProbability: 0.1 }, seed))),
    );
    results.forEach(expectHonest);
    expect(converged(results).length).toBeGreaterThanOrEqual(17);
    for (const r of results) expect(r.trials[0]).toMatchObject({ kind: 'mrr', durationS: 1, phase: 0 });
    for (const r of converged(results)) expect(r.trials.some((t) => t.durationS === 2 && t.phase === 1)).toBe(true);
    // A search that spent its budget exploring says it bounded nothing, rather than quoting a short trial.
    for (const r of results.filter((x) => !x.trials.some((t) => t.phase === 1))) expect(r.stopDetail).toContain('not bounded by any full-length trial');
  });
});

/**
 * Loss rises linearly from 0 at ndrPps through 0.5 % at pdrPps, with knee jitter and spikes whose
 * chance grows with the trial's duration. Seeded, not a measurement; shaped after kernel UDP's
 * trials on this machine (NDR ≈ 54 kpps, PDR ≈ 57.6 kpps, 2 % lost at 70 kpps, MRR ≈ 88 kpps).
 */
function rampDevice(ndrPps: number, pdrPps: number, kneeJitter: number, spikeProbabilityPer2s: number, seed: number): MeasureFn {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return async (offeredPps, _step, ctx) => {
    const x = offeredPps / (1 + kneeJitter * gaussian());
    let loss = x > ndrPps ? Math.min(1, (0.005 * (x - ndrPps)) / (pdrPps - ndrPps)) : 0;
    // Above 1.5 × PDR the device forwards no more (kernel UDP's MRR was ~88 kpps).
    loss = Math.max(loss, 1 - (1.5 * pdrPps) / x);
    if (random() < 1 - (1 - spikeProbabilityPer2s) ** (ctx.trialDurationS / 2)) loss = Math.max(loss, 0.0005 + 0.01 * random());
    return { achievedPps: offeredPps, lossRatio: loss, status: 'ok' };
  };
}

describe('searchThroughput with NDR and PDR knees apart (seeded ramp)', () => {
  /** suites/throughput.yaml's settings: 4 s trials, a 1 s exploratory phase, exceed ratio 0.5 over 8 s. */
  const suite: SearchOptions = { ...options, trialDurationS: 4, phaseDurationsS: [1], durationSumS: 8 };
  const run = (opts: SearchOptions, jitter: number, spikes: number) =>
    Promise.all(SEEDS.map((seed) => searchThroughput(opts, rampDevice(54_000, 57_600, jitter, spikes, seed))));

  it('a quarter-length exploratory phase converges where full-length trials alone run out of budget', async () => {
    const withPhase = await run(suite, 0.001, 0.1);
    const without = await run({ ...suite, phaseDurationsS: [] }, 0.001, 0.1);
    withPhase.forEach(expectHonestFor(suite));
    // 16 of 20 with the phase, 3 without, when written.
    expect(converged(without).length).toBeLessThanOrEqual(5);
    expect(converged(withPhase).length).toBeGreaterThanOrEqual(15);
    for (const r of converged(withPhase)) {
      expect(r.ndrPps!).toBeGreaterThan(54_000 * 0.99);
      expect(r.pdrPps!).toBeGreaterThan(57_600 * 0.99);
      expect(r.pdrPps!).toBeLessThan(57_600 * 1.01);
    }
  });

  it('with loss spikes in a quarter of its trials, judges a once-failing load again instead of narrowing below the spike', async () => {
    const results = await run(suite, 0, 0.25);
    results.forEach(expectHonestFor(suite));
    // 15 of 20 when written; 7 when a once-failing load below a passing one was narrowed towards.
    expect(converged(results).length).toBeGreaterThanOrEqual(14);
  });
});

describe('searchThroughput exploration budget', () => {
  it('leaves the full-length phase half the budget when loss follows the knee only half the time (a loaded machine)', async () => {
    const suite: SearchOptions = { ...options, trialDurationS: 4, phaseDurationsS: [1], durationSumS: 8 };
    let budgetStops = 0;
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      // Seeded, not measured: a 250 kpps knee, and in half the trials 0–25 % lost at any rate, as
      // kernel UDP lost at load average 7–13 (a loaded run explored for 10.5 of its 12 trials).
      const result = await searchThroughput(suite, async (offeredPps) => {
        const knee = offeredPps <= 250_000 ? 0 : 1 - 250_000 / offeredPps;
        return { achievedPps: offeredPps, lossRatio: random() < 0.5 ? Math.max(knee, 0.25 * random()) : knee, status: 'ok' };
      });
      const exploringS = result.trials.filter((t) => t.phase === 0).reduce((sum, t) => sum + t.durationS, 0);
      expect(exploringS / suite.trialDurationS).toBeLessThanOrEqual(suite.maxTrials / 2);
      expect(result.fullLengthEquivalentTrials).toBeLessThanOrEqual(suite.maxTrials);
      if (result.stopReason === 'budget') {
        budgetStops++;
        expect(result.trials.filter((t) => t.phase === 1).length).toBeGreaterThanOrEqual(5);
      }
    }
    expect(budgetStops).toBeGreaterThan(0);
  });
});
