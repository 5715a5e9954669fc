// One experiment per verdict, on hand-made inputs: in a scenario the saving is judged against
// the scenario's own RTT and kernel part; every number names its experiment; and a kernel path
// that fell short of the offered rate is not used as a latency at that rate.
import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput, type KernelAttribution, type PathSummary } from '../../analysis/selective-win.js';
import { scenarioSaving } from '../../analysis/selective-win-scenario.js';

function path(pathLabel: string, p99s: number[], extra: { coresBusy?: number; achievedPps?: number | null } = {}): PathSummary {
  const sorted = [...p99s].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return {
    pathLabel,
    p50Us: median / 2,
    p99Us: median,
    p99RangeUs: { min: sorted[0] as number, max: sorted[sorted.length - 1] as number },
    repetitionsOk: p99s.length,
    lossRatio: 0,
    lossRange: { min: 0, max: 0 },
    coresBusy: extra.coresBusy ?? 0.3,
    nsPerPacket: null,
    achievedPps: extra.achievedPps ?? null,
    emulated: false,
    trialIds: p99s.map((_, i) => `${pathLabel}-t${i + 1}`),
  };
}

/** A probe experiment: shares of its own RTT (p50 50 µs, p99 100 µs unless given). */
function probe(kernelShareP99: number, extra: Partial<KernelAttribution> = {}): KernelAttribution {
  return {
    kernelShareP50: kernelShareP99,
    kernelShareP99,
    components: [{ name: 'kernelRxClient', shareP99: kernelShareP99 }],
    rttP50Us: 50,
    rttP99Us: 100,
    source: { pathLabel: 'app', trialIds: ['t7', 't9'] },
    ...extra,
  };
}

/** kernel-udp 40 µs, afxdp 20 µs at 20 kpps: bypass cuts the bare round trip by 50 %. */
function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    msgSizeBytes: 64,
    offeredPps: 20_000,
    kernel: path('kernel-udp', [39, 40, 41], { achievedPps: 20_000 }),
    attribution: probe(0.7),
    bypass: [path('afxdp', [19, 20, 21], { achievedPps: 20_000 })],
    loadCv: 0.1,
    ...overrides,
  };
}

describe('scenario mode: the saving is a share of the scenario’s own RTT', () => {
  it('applies the bare cut to the scenario’s kernel part (60 % of 2000 µs → 600 µs saved = 30 %; 30 % of it → 15 % < 25 %)', () => {
    const v = decide(input({ scenario: 'app-heavy', attribution: probe(0.6, { rttP50Us: 900, rttP99Us: 2000 }) }));
    expect(v.scenarioSaving).toMatchObject({
      scenario: 'app-heavy',
      rttP50Us: 900,
      rttP99Us: 2000,
      kernelP99Us: 1200,
      creditedKernelP99Us: 1200,
      bypassCutRel: 0.5,
    });
    expect(v.scenarioSaving!.savingP99Us).toBeCloseTo(600, 9);
    expect(v.scenarioSaving!.savingPct).toBeCloseTo(30, 9);
    expect(v.kernelAttributableP99Us).toBe(1200);
    expect(v.expectedP99SavingUs).toBeCloseTo(600, 9);
    expect(v.verdict).toBe('bypass-wins');
    expect(v.checks.gain.detail).toMatch(/afxdp saves 30 % of scenario app-heavy's RTT p99 \(2000 µs\): 600 µs/);

    // The same bare paths, a scenario where the kernel is 30 % of a 2000 µs RTT: the gain is 15 % of it.
    const small = decide(input({ scenario: 'app-heavy', attribution: probe(0.3, { rttP99Us: 2000 }) }), { kernelShareMin: 0.2 });
    expect(small.scenarioSaving!.savingPct).toBeCloseTo(15, 9);
    expect(small.verdict).toBe('no-win');
    expect(small.reason).toMatch(/afxdp would save 15 % of scenario app-heavy's RTT p99 \(2000 µs\) \(300 µs of the scenario's 600 µs kernel part\) < 25 %/);
  });

  it('with a busy-polling kernel measured, the scenario’s wake-up is not credited to bypass', () => {
    const tuned = path('kernel-udp-busypoll', [29, 30, 31], { achievedPps: 20_000 });
    const v = decide(input({ scenario: 's', tunedKernels: [tuned], attribution: probe(0.8, { wakeupShareP99: 0.3 }) }));
    // Kernel 80 µs of 100, wake-up 30 µs of it: 50 µs credited; afxdp cuts the tuned kernel's 30 µs by a third.
    expect(v.scenarioSaving).toMatchObject({ kernelP99Us: 80, bypassCutRel: 1 / 3 });
    expect(v.scenarioSaving!.creditedKernelP99Us).toBeCloseTo(50, 9);
    expect(v.scenarioSaving!.savingP99Us).toBeCloseTo(50 / 3, 9);
  });

  it('a scenario without its RTT cannot be judged: insufficient-data, not the bare gain', () => {
    const v = decide(input({ scenario: 's', attribution: probe(0.7, { rttP99Us: null }) }));
    expect(v.checks.gain.status).toBe('unknown');
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toMatch(/saving in scenario s is unknown/);
    expect(scenarioSaving('s', null, 0.5, false)).toMatchObject({ kernelP99Us: null, savingP99Us: null, savingPct: null });
  });

  it('bare mode keeps the bare gain, and the kernel µs come from the probe’s own RTT', () => {
    const v = decide(input({ attribution: probe(0.7, { rttP99Us: 60 }) }));
    expect(v.scenarioSaving).toBeUndefined();
    expect(v.expectedP99SavingPct).toBeCloseTo(50, 9);
    expect(v.kernelAttributableP99Us).toBeCloseTo(42, 9);
  });
});

describe('sources: every number names its experiment', () => {
  it('lists paths and trial ids per field, scenario numbers from the scenario’s probe trials', () => {
    const v = decide(input({ scenario: 'app-heavy' }));
    const src = (field: string) => v.sources!.find((s) => s.field === field)!;
    expect(src('kernelP99Us').from).toEqual([{ pathLabel: 'kernel-udp', trialIds: ['kernel-udp-t1', 'kernel-udp-t2', 'kernel-udp-t3'] }]);
    expect(src('bypassP99Us').from[0]!.pathLabel).toBe('afxdp');
    expect(src('kernelAttributableP99Us').from).toEqual([{ pathLabel: 'app', trialIds: ['t7', 't9'] }]);
    expect(src('scenarioSaving.rttP99Us').how).toMatch(/scenario app-heavy/);
    expect(src('expectedP99SavingUs').from.map((f) => f.pathLabel)).toEqual(['kernel-udp', 'afxdp', 'app']);
  });
});

describe('a kernel path short of the offered rate', () => {
  it('alone: insufficient-data naming the shortfall, not its p99 as if at the rate', () => {
    const v = decide(input({ kernel: path('kernel-udp', [39, 40, 41], { achievedPps: 15_000 }) }));
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toMatch(/no kernel configuration sustained 20000 pps at this size.*kernel-udp: reached 15000 of 20000 pps/);
    expect(v.kernelP99Us).toBeNull();
    expect(v.excludedPaths).toContainEqual({ pathLabel: 'kernel-udp', why: 'reached 15000 of 20000 pps (> 2 % short)' });
  });

  it('with a tuned kernel that reached it: compared with that one only, the default listed as left out', () => {
    const tuned = path('kernel-udp-busypoll', [35, 36, 37], { achievedPps: 20_000 });
    const v = decide(input({ kernel: path('kernel-udp', [39, 40, 41], { achievedPps: 15_000 }), tunedKernels: [tuned] }));
    expect(v).toMatchObject({ bestKernelPath: 'kernel-udp-busypoll', bestKernelTuned: true, kernelP99Us: null, savingVsDefaultUs: null });
    expect(v.excludedPaths.map((e) => e.pathLabel)).toContain('kernel-udp');
    expect(v.verdict).toBe('bypass-wins');
  });
});
