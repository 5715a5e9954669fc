// The fair rule on hand-made inputs: bypass against the best kernel configuration (tuned
// busy-polling references), wake-up left out of the kernel's share when busy polling was
// measured, and attribution checks that fail.
import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput, type KernelAttribution, type PathSummary } from '../../analysis/selective-win.js';

function path(pathLabel: string, p99s: number[], extra: { coresBusy?: number; losses?: number[]; achievedPps?: number | null } = {}): PathSummary {
  const sorted = [...p99s].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const losses = extra.losses ?? p99s.map(() => 0);
  return {
    pathLabel,
    p50Us: median / 2,
    p99Us: median,
    p99RangeUs: { min: sorted[0] as number, max: sorted[sorted.length - 1] as number },
    repetitionsOk: p99s.length,
    lossRatio: [...losses].sort((a, b) => a - b)[Math.floor(losses.length / 2)] as number,
    lossRange: { min: Math.min(...losses), max: Math.max(...losses) },
    coresBusy: extra.coresBusy ?? 0.3,
    nsPerPacket: null,
    achievedPps: extra.achievedPps ?? null,
    emulated: false,
  };
}

const attribution: KernelAttribution = {
  kernelShareP50: 0.6,
  kernelShareP99: 0.7,
  components: [
    { name: 'kernelTxClient', shareP99: 0.2 },
    { name: 'kernelRxClient', shareP99: 0.5 },
    { name: 'nicWire', shareP99: 0.1 },
  ],
};

/** Default kernel 42 µs, afxdp 21 µs: a clear win against the default kernel. */
function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    msgSizeBytes: 64,
    offeredPps: 20_000,
    kernel: path('kernel-udp', [40, 42, 44], { coresBusy: 0.4 }),
    attribution,
    bypass: [path('afxdp', [20, 21, 22], { coresBusy: 1.4 })],
    loadCv: 0.1,
    ...overrides,
  };
}

describe('decide against the best kernel', () => {
  it('without a tuned reference the best kernel is the default one, and both gains agree', () => {
    const v = decide(input());
    expect(v.verdict).toBe('bypass-wins');
    expect(v).toMatchObject({ bestKernelPath: 'kernel-udp', bestKernelTuned: false, kernelP99Us: 42, bestKernelP99Us: 42, savingVsDefaultUs: 21 });
    expect(v.expectedP99SavingPct).toBeCloseTo(50, 10);
    expect(v.savingVsDefaultPct).toBeCloseTo(50, 10);
  });

  it('no-win when busy polling gets most of the gain without bypass, naming the share', () => {
    // Tuned kernel 24 µs: closes (42 − 24) / (42 − 21) = 86 % of the gap; afxdp gains only 12.5 % on it.
    const v = decide(input({ tunedKernels: [path('kernel-udp-busypoll', [23, 24, 25], { coresBusy: 2.0 })] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe(
      'busy-polling the kernel socket (kernel-udp-busypoll) gets 86 % of the gain without bypass (p99 kernel-udp 42 µs, kernel-udp-busypoll 24 µs, afxdp 21 µs)',
    );
    expect(v).toMatchObject({ bestKernelPath: 'kernel-udp-busypoll', bestKernelTuned: true, kernelP99Us: 42, bestKernelP99Us: 24, bypassP99Us: 21 });
    expect(v.expectedP99SavingUs).toBe(3);
    expect(v.savingVsDefaultUs).toBe(21);
    expect(v.checks.gain.tunedClosesGapRel).toBeCloseTo(18 / 21, 10);
    expect(v.checks.gain.gainVsDefaultRel).toBeCloseTo(0.5, 10);
    // CPU of each: bypass against the tuned kernel and against the default one.
    expect(v.cpu.kernelCoresBusy).toBe(2.0);
    expect(v.cpu.defaultKernelCoresBusy).toBe(0.4);
    expect(v.coresDelta).toBeCloseTo(-0.6, 10);
    expect(v.cpu.coresDeltaVsDefault).toBeCloseTo(1.0, 10);
  });

  it('no-win when the busy-polling kernel socket beats bypass outright', () => {
    const v = decide(input({ tunedKernels: [path('kernel-udp-busypoll', [17, 18, 19])] }));
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toBe(
      'busy-polling the kernel socket (kernel-udp-busypoll) beats afxdp without bypass (p99 kernel-udp 42 µs, kernel-udp-busypoll 18 µs, afxdp 21 µs)',
    );
  });

  it('wins when the gain holds against the best kernel, stating both gains', () => {
    const v = decide(input({ tunedKernels: [path('kernel-udp-busypoll', [33, 34, 35]), path('kernel-tcp-busypoll', [36, 38, 39])] }));
    expect(v.verdict).toBe('bypass-wins');
    expect(v.bestKernelPath).toBe('kernel-udp-busypoll');
    expect(v.checks.gain.detail).toBe('afxdp cuts p99 by 38 % (13 µs) against kernel-udp-busypoll, 50 % against kernel-udp for 1.1 extra cores');
  });

  it('a tuned reference that misses the loss goal is not the best kernel', () => {
    const v = decide(input({ tunedKernels: [path('kernel-udp-busypoll', [23, 24, 25], { losses: [0.02, 0.03, 0.04] })] }));
    expect(v.bestKernelPath).toBe('kernel-udp');
    expect(v.verdict).toBe('bypass-wins');
  });

  it('a tuned reference that fell > 2 % short of the offered rate is left out, and says so', () => {
    const v = decide(input({ tunedKernels: [path('kernel-udp-busypoll', [23, 24, 25], { achievedPps: 16_000 })] }));
    expect(v.bestKernelPath).toBe('kernel-udp');
    expect(v.excludedPaths).toContainEqual({ pathLabel: 'kernel-udp-busypoll', why: 'reached 16000 of 20000 pps (> 2 % short)' });
    expect(v.verdict).toBe('bypass-wins');
  });

  it('a bypass path that fell > 2 % short of the offered rate is not the best bypass', () => {
    const v = decide(input({ bypass: [path('afxdp', [20, 21, 22], { achievedPps: 3000 }), path('dpdk-afxdp', [30, 31, 32], { achievedPps: 19_900 })] }));
    expect(v.bestBypassPath).toBe('dpdk-afxdp');
    expect(v.excludedPaths).toContainEqual({ pathLabel: 'afxdp', why: 'reached 3000 of 20000 pps (> 2 % short)' });
  });

  it('the kernel-bottleneck check uses the best kernel for the loss criterion', () => {
    const v = decide(
      input({
        attribution: { ...attribution, kernelShareP99: 0.2 },
        kernel: path('kernel-udp', [40, 42, 44], { losses: [0.05, 0.05, 0.05] }),
        tunedKernels: [path('kernel-udp-busypoll', [30, 32, 34], { losses: [0, 0, 0] })],
        bypass: [path('afxdp', [20, 21, 22])],
      }),
    );
    // The tuned kernel holds the rate, so "kernel cannot sustain R" does not apply.
    expect(v.checks.kernelBottleneck.kernelLosesWhereBypassHolds).toBe(false);
    expect(v.checks.kernelBottleneck.status).toBe('failed');
  });
});

describe('wake-up and attribution checks', () => {
  it('leaves wake-up out of the kernel share when a tuned reference was measured', () => {
    const a: KernelAttribution = { ...attribution, wakeupShareP99: 0.3 };
    const withTuned = decide(input({ attribution: a, tunedKernels: [path('kernel-udp-busypoll', [30, 31, 32])] }));
    expect(withTuned.checks.kernelBottleneck).toMatchObject({ status: 'failed', kernelShareP99: 0.7, wakeupShareP99: 0.3 });
    expect(withTuned.checks.kernelBottleneck.kernelShareJudgedP99).toBeCloseTo(0.4, 10);
    expect(withTuned.verdict).toBe('no-win');
    expect(withTuned.reason).toBe('kernel without wake-up only 40 % of p99 < 50 % (wake-up 30 % left out: busy polling removes it)');
  });

  it('reports wake-up beside the kernel share when no tuned reference was measured', () => {
    const v = decide(input({ attribution: { ...attribution, wakeupShareP99: 0.3 } }));
    expect(v.checks.kernelBottleneck).toMatchObject({ status: 'passed', kernelShareJudgedP99: 0.7 });
    expect(v.checks.kernelBottleneck.detail).toBe('kernel is 70 % of p99 (≥ 50 %) (wake-up 30 % of it)');
  });

  it('a failed attribution check makes the verdict insufficient-data naming it', () => {
    const v = decide(
      input({ attribution: { ...attribution, checkFailures: ['NIC/wire < 0 in 12 % of requests', 'probe p99 41 % above kernel-udp p99 (tolerance 25 %)'] } }),
    );
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toBe('attribution check failed: NIC/wire < 0 in 12 % of requests; probe p99 41 % above kernel-udp p99 (tolerance 25 %)');
    expect(v.reasons).toHaveLength(2);
  });

  it('absent fields read as not measured', () => {
    const v = decide(input({ attribution: { ...attribution, wakeupShareP99: null, checkFailures: [] } }));
    expect(v.verdict).toBe('bypass-wins');
    expect(v.checks.kernelBottleneck.wakeupShareP99).toBeNull();
  });
});
