// The selective-win rule on hand-made inputs: every verdict and every reason it can give.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  decide,
  decideAll,
  inputsFromGroups,
  resolveThresholds,
  type DecisionInput,
  type KernelAttribution,
  type PathSummary,
} from '../../analysis/selective-win.js';
import { groupTrials } from '../../analysis/stats.js';
import { UserError } from '../../core/errors.js';
import { emptyLatency, type TrialRecord } from '../../core/trial.js';

/** A path measured over repetitions with the given p99s (µs) and losses. */
function path(
  pathLabel: string,
  p99s: number[],
  extra: { losses?: number[]; coresBusy?: number | null; nsPerPacket?: number | null; emulated?: boolean; pdrPps?: number | null } = {},
): PathSummary {
  const sorted = [...p99s].sort((a, b) => a - b);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  };
  const losses = extra.losses ?? p99s.map(() => 0);
  return {
    pathLabel,
    p50Us: median(p99s) / 2,
    p99Us: median(p99s),
    p99RangeUs: { min: sorted[0] as number, max: sorted[sorted.length - 1] as number },
    p99ValuesUs: p99s,
    repetitionsOk: p99s.length,
    lossRatio: median(losses),
    lossRange: { min: Math.min(...losses), max: Math.max(...losses) },
    coresBusy: extra.coresBusy === undefined ? 0.3 : extra.coresBusy,
    nsPerPacket: extra.nsPerPacket ?? null,
    emulated: extra.emulated ?? false,
    pdrPps: extra.pdrPps ?? null,
  };
}

const kernelBound: KernelAttribution = {
  kernelShareP50: 0.6,
  kernelShareP99: 0.7,
  components: [
    { name: 'kernel-tx', shareP99: 0.3 },
    { name: 'kernel-rx', shareP99: 0.4 },
    { name: 'nic-wire', shareP99: 0.1 },
    { name: 'serialization', shareP99: 0.2 },
  ],
};

/** Kernel-bound, steady, clear win for afxdp at 1 extra core: every check passes. */
function winningInput(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    msgSizeBytes: 64,
    offeredPps: 50_000,
    kernel: path('kernel-udp', [40, 42, 44], { coresBusy: 0.4, nsPerPacket: 8000 }),
    attribution: kernelBound,
    bypass: [path('afxdp', [20, 21, 22], { coresBusy: 1.4, nsPerPacket: 28_000 })],
    loadCv: 0.1,
    ...overrides,
  };
}

describe('decide: bypass-wins', () => {
  it('wins when the kernel dominates p99, the gain is large, the load steady and beyond spread', () => {
    const v = decide(winningInput());
    expect(v.verdict).toBe('bypass-wins');
    expect(v.bestBypassPath).toBe('afxdp');
    expect(v.expectedP99SavingUs).toBe(21);
    expect(v.expectedP99SavingPct).toBeCloseTo(50, 10);
    expect(v.kernelAttributableP99Us).toBeCloseTo(0.7 * 42, 10);
    expect(v.checks.kernelBottleneck).toMatchObject({ status: 'passed', kernelShareP99: 0.7 });
    expect(v.checks.gain).toMatchObject({ status: 'passed', gainRel: 0.5 });
    expect(v.checks.steadyLoad).toMatchObject({ status: 'passed', cv: 0.1 });
    expect(v.checks.beyondSpread).toMatchObject({ status: 'passed', basis: 'p99' });
    expect(v.repetitions.agree).toBe(true);
    expect(v.reasons).toEqual([]);
    expect(v.reason).toBe('afxdp wins: kernel is 70 % of p99 (≥ 50 %); afxdp cuts p99 by 50 % (21 µs) for 1.0 extra core');
  });

  it('shows the CPU cost of busy polling in the numbers', () => {
    const v = decide(winningInput());
    expect(v.coresDelta).toBeCloseTo(1.0, 10);
    expect(v.cpu).toEqual({
      kernelCoresBusy: 0.4,
      bypassCoresBusy: 1.4,
      coresDelta: v.coresDelta,
      defaultKernelCoresBusy: 0.4,
      coresDeltaVsDefault: v.coresDelta,
      kernelNsPerPacket: 8000,
      bypassNsPerPacket: 28_000,
    });
  });

  it('says so when bypass saves cores, and when CPU was not measured', () => {
    const saves = decide(winningInput({ bypass: [path('dpdk-afxdp', [20, 21, 22], { coresBusy: 0.1 })] }));
    expect(saves.reason).toContain('and saves 0.3 cores');
    expect(saves.coresDelta).toBeCloseTo(-0.3, 10);
    const unmeasured = decide(winningInput({ bypass: [path('afxdp', [20, 21, 22], { coresBusy: null })] }));
    expect(unmeasured.verdict).toBe('bypass-wins');
    expect(unmeasured.coresDelta).toBeNull();
    expect(unmeasured.reason).toContain('CPU cost not measured');
  });

  it('wins by sustaining a rate the kernel path cannot, even with little latency gain', () => {
    const v = decide(
      winningInput({
        offeredPps: 800_000,
        attribution: { kernelShareP50: 0.2, kernelShareP99: 0.3, components: [{ name: 'application', shareP99: 0.5 }] },
        kernel: path('kernel-udp', [40, 42, 44], { losses: [0.02, 0.03, 0.025] }),
        bypass: [path('afxdp', [38, 40, 41], { losses: [0, 0, 0.001] })],
      }),
    );
    expect(v.verdict).toBe('bypass-wins');
    expect(v.checks.kernelBottleneck.status).toBe('passed');
    expect(v.checks.kernelBottleneck.detail).toBe('best kernel path (kernel-udp) loses 2.5 % > 0.5 % at 800000 pps while afxdp holds it');
    expect(v.checks.gain).toMatchObject({ status: 'passed', sustainsRateKernelCannot: true });
    expect(v.checks.beyondSpread).toMatchObject({ status: 'passed', basis: 'loss' });
  });

  it('uses PDRs from a throughput search when losses at R are unknown', () => {
    const kernel = { ...path('kernel-udp', [40, 42, 44]), lossRatio: null, lossRange: null, pdrPps: 300_000 };
    const bypass = { ...path('afxdp', [20, 21, 22]), lossRatio: null, lossRange: null, pdrPps: 900_000 };
    const v = decide(winningInput({ offeredPps: 500_000, kernel, bypass: [bypass], attribution: null }));
    expect(v.checks.kernelBottleneck).toMatchObject({ status: 'passed', kernelLosesWhereBypassHolds: true });
    expect(v.checks.kernelBottleneck.detail).toContain('PDR 300000 pps is below the offered rate');
    expect(v.verdict).toBe('bypass-wins');
  });

  it('picks the lowest-p99 bypass path that holds the loss goal', () => {
    const v = decide(
      winningInput({
        bypass: [path('dpdk-afpacket', [10, 11, 12], { losses: [0.05, 0.05, 0.05] }), path('afxdp', [20, 21, 22]), path('dpdk-afxdp', [25, 26, 27])],
      }),
    );
    expect(v.bestBypassPath).toBe('afxdp');
    expect(v.verdict).toBe('bypass-wins');
  });
});

describe('decide: no-win, one test per reason', () => {
  it('names the dominant non-kernel component', () => {
    const v = decide(
      winningInput({
        attribution: {
          kernelShareP50: 0.3,
          kernelShareP99: 0.2,
          components: [
            { name: 'kernel-tx', shareP99: 0.1 },
            { name: 'kernel-rx', shareP99: 0.1 },
            { name: 'serialization', shareP99: 0.62 },
            { name: 'hops', shareP99: 0.18 },
          ],
        },
      }),
    );
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('serialization is 62 % of p99 (kernel only 20 % < 50 %)');
    expect(v.checks.kernelBottleneck.dominantNonKernel).toEqual({ name: 'serialization', shareP99: 0.62 });
  });

  it('names runtime pauses the same way', () => {
    const v = decide(winningInput({ attribution: { kernelShareP50: 0.3, kernelShareP99: 0.25, components: [{ name: 'runtime-pauses', shareP99: 0.7 }] } }));
    expect(v.reason).toBe('runtime-pauses is 70 % of p99 (kernel only 25 % < 50 %)');
  });

  it('reports a low kernel share when no component is named', () => {
    const v = decide(winningInput({ attribution: { kernelShareP50: 0.3, kernelShareP99: 0.3, components: [] } }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('kernel only 30 % of p99 < 50 %');
  });

  it('reports a small gain', () => {
    const v = decide(winningInput({ bypass: [path('afxdp', [37, 38.6, 39], { coresBusy: 0.4 })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('gain 8 % < 25 %');
    expect(v.expectedP99SavingUs).toBeCloseTo(3.4, 10);
  });

  it('reports the extra cores a small gain costs', () => {
    const v = decide(winningInput({ bypass: [path('afxdp', [40, 40.7, 41], { coresBusy: 1.4 })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('bypass costs 1.0 extra core for 3 % gain (< 25 %)');
    expect(v.coresDelta).toBeCloseTo(1.0, 10);
  });

  it('reports a bypass path that is slower', () => {
    const v = decide(winningInput({ bypass: [path('afxdp', [60, 63, 66], { coresBusy: 0.4 })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe("afxdp p99 is 50 % worse than the kernel path's at about the same CPU cost");
    expect(v.expectedP99SavingUs).toBe(-21);
    expect(v.reasons).toContain(
      'p99 of bypass is not lower (one-sided Welch t on log p99, 3 vs 3 repetitions: p = 1 > α 0.05; bypass/kernel 1.50, 90 % CI 1.38–1.63)',
    );
  });

  it('reports unsteady load', () => {
    const v = decide(winningInput({ loadCv: 0.9 }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('load unsteady (CV 0.90 > 0.25)');
  });

  it('reports a difference within the repetition noise, with the test behind it', () => {
    const v = decide(winningInput({ kernel: path('kernel-udp', [36, 40, 44]), bypass: [path('afxdp', [26, 30, 40])] }));
    expect(v.verdict).toBe('no-win');
    expect(v.checks.gain.status).toBe('passed');
    expect(v.reason).toMatch(/^p99 difference 10 µs is within the repetition noise \(one-sided Welch t on log p99, 3 vs 3 repetitions: p = 0\.\d+ > α 0\.05; /);
    const test = v.checks.beyondSpread.p99?.test;
    expect(test).toMatchObject({ method: 'welch-t-log', alternative: 'less', kernelN: 3, bypassN: 3, qValue: null, alpha: 0.05 });
    expect(test?.pValue).toBeGreaterThan(0.05);
    expect(test?.ci.level).toBeCloseTo(0.9, 10);
    expect(test?.ci.low).toBeLessThan(test?.ratio ?? 0);
    expect(test?.ci.high).toBeGreaterThan(1);
  });

  it('compares ranges, descriptively, when only ranges are given', () => {
    const noValues = (p: PathSummary): PathSummary => ({ ...p, p99ValuesUs: undefined });
    const v = decide(winningInput({ kernel: noValues(path('kernel-udp', [36, 40, 44])), bypass: [noValues(path('afxdp', [26, 28, 37]))] }));
    expect(v.reason).toBe('p99 difference 12 µs is within the repetition spread (36–44 vs 26–37 µs)');
    expect(v.checks.beyondSpread.p99?.test).toBeUndefined();
  });

  it('reports that no bypass path holds the loss goal', () => {
    const v = decide(winningInput({ bypass: [path('afxdp', [20, 21, 22], { losses: [0.03, 0.03, 0.04] })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('no bypass path holds the 0.5 % loss goal (afxdp loses 3 %)');
  });

  it('reports a sustained-rate win that the repetitions do not all support', () => {
    const v = decide(
      winningInput({
        attribution: { kernelShareP50: 0.2, kernelShareP99: 0.3, components: [] },
        kernel: path('kernel-udp', [40, 42, 44], { losses: [0.002, 0.02, 0.03] }),
        bypass: [path('afxdp', [38, 40, 41], { losses: [0, 0, 0] })],
      }),
    );
    expect(v.verdict).toBe('no-win');
    expect(v.checks.beyondSpread).toMatchObject({ status: 'failed', basis: 'loss' });
    expect(v.reason).toBe('loss difference within the repetition spread (kernel 0.2 %–3 %, afxdp 0 %–0 %; goal 0.5 %)');
  });

  it('decides no-win on a failed check even when another input is missing', () => {
    const v = decide(winningInput({ loadCv: null, bypass: [path('afxdp', [37, 38.6, 39], { coresBusy: 0.4 })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('gain 8 % < 25 %');
    expect(v.reasons).toEqual(['gain 8 % < 25 %', 'load steadiness not measured (no arrival-rate CV)']);
    expect(v.checks.steadyLoad.status).toBe('unknown');
  });

  it('lists every failing reason, the first in rule order deciding', () => {
    const v = decide(winningInput({ loadCv: 0.8, attribution: { kernelShareP50: 0.1, kernelShareP99: 0.1, components: [{ name: 'hops', shareP99: 0.8 }] } }));
    expect(v.reason).toBe('hops is 80 % of p99 (kernel only 10 % < 50 %)');
    expect(v.reasons).toEqual(['hops is 80 % of p99 (kernel only 10 % < 50 %)', 'load unsteady (CV 0.80 > 0.25)']);
  });

  it('treats closed loop as latency-only: a low kernel share is a no-win, not unknown', () => {
    const closed = (p: PathSummary): PathSummary => ({ ...p, lossRatio: null, lossRange: null });
    const v = decide(
      winningInput({
        offeredPps: null,
        kernel: closed(path('kernel-udp', [40, 42, 44])),
        bypass: [closed(path('afxdp', [20, 21, 22]))],
        attribution: { kernelShareP50: 0.2, kernelShareP99: 0.2, components: [{ name: 'application', shareP99: 0.7 }] },
      }),
    );
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe('application is 70 % of p99 (kernel only 20 % < 50 %)');
  });
});

describe('decide: insufficient-data', () => {
  it('without a kernel-path measurement', () => {
    const v = decide(winningInput({ kernel: null }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toBe('no kernel-path p99 at this size and rate');
  });

  it('without any usable bypass path, naming emulated ones left out', () => {
    const v = decide(winningInput({ bypass: [path('rdma-rxe', [20, 21, 22], { emulated: true })] }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toBe('no bypass path measured at this size and rate (left out: rdma-rxe: emulated (set includeEmulated to use it))');
    expect(v.excludedPaths).toEqual([{ pathLabel: 'rdma-rxe', why: 'emulated (set includeEmulated to use it)' }]);
  });

  it('uses emulated results only when asked', () => {
    const v = decide(winningInput({ bypass: [path('rdma-rxe', [20, 21, 22], { emulated: true })] }), { includeEmulated: true });
    expect(v.verdict).toBe('bypass-wins');
    expect(v.bestBypassPath).toBe('rdma-rxe');
  });

  it('leaves out a bypass path without p99', () => {
    const v = decide(winningInput({ bypass: [{ ...path('afxdp', [1]), p99Us: null, p99RangeUs: null }] }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.excludedPaths).toEqual([{ pathLabel: 'afxdp', why: 'no p99 measured' }]);
  });

  it('when repetitions disagree too much and only their ranges are known, even if a check fails', () => {
    const { p99ValuesUs: _, ...rangesOnly } = path('kernel-udp', [30, 42, 70]);
    const v = decide(winningInput({ kernel: rangesOnly, loadCv: 0.9 }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.repetitions).toMatchObject({ agree: false, maxSpreadRel: 0.5 });
    expect(v.repetitions.kernelSpreadRel).toBeCloseTo(40 / 42, 10);
    expect(v.reason).toBe('repetitions disagree: kernel-udp p99 varies 95 % across 3 repetitions (> 50 %)');
  });

  it('with per-repetition values, a wide spread is judged by the test of check 4, and still recorded', () => {
    const v = decide(winningInput({ kernel: path('kernel-udp', [30, 42, 70]) }));
    expect(v.repetitions).toMatchObject({ agree: false, maxSpreadRel: 0.5 });
    expect(v.checks.beyondSpread.p99?.test).toBeDefined();
    expect(v.reason).not.toMatch(/repetitions disagree/);
    expect(['bypass-wins', 'no-win']).toContain(v.verdict);
  });

  it('without attribution while the kernel path holds the rate', () => {
    const v = decide(winningInput({ attribution: null }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.checks.kernelBottleneck.status).toBe('unknown');
    expect(v.reason).toBe('kernel share of p99 unknown (no attribution at this size and rate)');
    // The numbers are still there for the report.
    expect(v.expectedP99SavingUs).toBe(21);
    expect(v.kernelAttributableP99Us).toBeNull();
  });

  it('without a load-steadiness measurement', () => {
    const v = decide(winningInput({ loadCv: null }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toBe('load steadiness not measured (no arrival-rate CV)');
  });

  it('with a single repetition: the spread is unknown', () => {
    const v = decide(winningInput({ kernel: path('kernel-udp', [42]), bypass: [path('afxdp', [21])] }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.repetitions.agree).toBeNull();
    expect(v.reason).toBe('spread unknown: 1 repetition(s), need 3');
  });

  it('when a low kernel share meets an unknown kernel loss at an offered rate', () => {
    const unknownLoss = (p: PathSummary): PathSummary => ({ ...p, lossRatio: null, lossRange: null });
    const v = decide(
      winningInput({
        kernel: unknownLoss(path('kernel-udp', [40, 42, 44])),
        bypass: [unknownLoss(path('afxdp', [20, 21, 22]))],
        attribution: { kernelShareP50: 0.2, kernelShareP99: 0.2, components: [] },
      }),
    );
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toBe('kernel only 20 % of p99 < 50 %, and whether the kernel path holds the rate is unknown');
  });
});

describe('thresholds', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({
      kernelShareMin: 0.5,
      gainMin: 0.25,
      steadyCvMax: 0.25,
      lossGoal: 0.005,
      maxSpreadRel: 0.5,
      minRepetitions: 3,
      alpha: 0.05,
      includeEmulated: false,
    });
    expect(decide(winningInput()).thresholds).toEqual(DEFAULT_THRESHOLDS);
  });

  it('lets a team set its own bar', () => {
    const small = winningInput({ bypass: [path('afxdp', [37, 38.6, 39], { coresBusy: 0.4 })] });
    expect(decide(small).verdict).toBe('no-win');
    expect(decide(small, { gainMin: 0.05 }).verdict).toBe('bypass-wins');
    expect(decide(winningInput({ loadCv: 0.4 }), { steadyCvMax: 0.5 }).verdict).toBe('bypass-wins');
  });

  it('rejects bad thresholds naming the field', () => {
    expect(() => resolveThresholds({ kernelShareMin: 1.5 })).toThrow(UserError);
    expect(() => resolveThresholds({ gainMin: -0.1 }, 'suites/quick.yaml: thresholds')).toThrow(/suites\/quick\.yaml: thresholds\.gainMin/);
    expect(() => resolveThresholds({ minRepetitions: 0 })).toThrow(/minRepetitions/);
    expect(() => resolveThresholds({ maxSpreadRel: 0 })).toThrow(/maxSpreadRel/);
  });
});

describe('decideAll and inputsFromGroups', () => {
  it('decides every (size, rate) in order', () => {
    const verdicts = decideAll([winningInput(), winningInput({ loadCv: 0.9 }), winningInput({ kernel: null })]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['bypass-wins', 'no-win', 'insufficient-data']);
  });

  it('assembles inputs from stats groups', () => {
    let id = 0;
    const record = (pathLabel: string, path: TrialRecord['path'], offeredPps: number, p99: number, coresBusy: number): TrialRecord => ({
      trialId: `t${++id}`,
      runId: 'r',
      path,
      pathLabel,
      driver: 'x',
      mode: 'm',
      msgSizeBytes: 64,
      offeredPps,
      achievedPps: offeredPps,
      sentPackets: null,
      receivedPackets: null,
      lossRatio: 0,
      latencyUs: { ...emptyLatency(), p50: p99 / 2, p99 },
      latencyKind: 'rtt',
      throughputGbps: null,
      msgRateMpps: null,
      measuredS: 1,
      native: {},
      cpu: { coresBusy, nsPerPacket: null, perCpu: [] },
      repetition: id,
      status: 'ok',
      error: null,
      emulated: false,
      raw: [],
      startedAt: '2025-01-01T00:00:00.000Z',
      durationS: 1,
    });
    const trials: TrialRecord[] = [];
    for (const rate of [10_000, 100_000]) {
      for (const p99 of [40, 42, 44]) trials.push(record('kernel-udp', 'kernel-udp', rate, p99, 0.4));
      for (const p99 of [20, 21, 22]) trials.push(record('afxdp', 'afxdp', rate, p99, 1.4));
      trials.push(record('kernel-tcp', 'kernel-tcp', rate, 50, 0.5));
    }
    const inputs = inputsFromGroups(groupTrials(trials), {
      kernelPathLabel: 'kernel-udp',
      attributionFor: () => kernelBound,
      loadCvFor: (_size, rate) => (rate === 10_000 ? 0.05 : 0.6),
    });
    expect(inputs.map((i) => [i.msgSizeBytes, i.offeredPps, i.kernel?.pathLabel, i.bypass.map((b) => b.pathLabel)])).toEqual([
      [64, 10_000, 'kernel-udp', ['afxdp']],
      [64, 100_000, 'kernel-udp', ['afxdp']],
    ]);
    expect(inputs[0]?.kernel).toMatchObject({ p99Us: 42, p99RangeUs: { min: 40, max: 44 }, repetitionsOk: 3, coresBusy: 0.4 });
    expect(decideAll(inputs).map((v) => [v.verdict, v.reason])).toEqual([
      ['bypass-wins', 'afxdp wins: kernel is 70 % of p99 (≥ 50 %); afxdp cuts p99 by 50 % (21 µs) for 1.0 extra core'],
      ['no-win', 'load unsteady (CV 0.60 > 0.25)'],
    ]);
  });
});
