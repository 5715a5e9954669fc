// Per-service verdicts: on a real captured service-demo run (test/fixtures/runs/service-verdict,
// its FIXTURE.md has the command) each service gets its own verdict from its own attribution, the
// reason naming what dominates in the seed's words; and on hand-made inputs the rule's branches:
// too few matched requests, a kernel-heavy service, wake-up not credited beside busy polling.
import { describe, expect, it } from 'vitest';
import type { ServiceAttributionResult } from '../../analysis/service-attribution.js';
import { decide, type DecisionInput, type PathSummary } from '../../analysis/selective-win.js';
import { kernelBound, serviceCell, serviceInsufficient, serviceKernelAttribution } from '../../analysis/selective-win-service.js';
import { computeVerdicts } from '../../analysis/verdicts.js';
import { loadRun } from '../../core/run-folder.js';
import type { TrialRecord } from '../../core/trial.js';
import { resolveThresholds } from '../../analysis/selective-win-types.js';

const run = loadRun('test/fixtures/runs/service-verdict');
const verdicts = computeVerdicts(run.trials, [], run.meta.suite.verdict ?? {});
const of = (label: string) => verdicts.find((v) => v.service?.label === label)!;

describe('service verdicts of a real run (Java, Node with forced GC, a Node chain with forced GC)', () => {
  it('gives each service its own verdict at the cell, beside the bare one', () => {
    expect(verdicts.filter((v) => !v.service)).toHaveLength(1);
    expect(verdicts.filter((v) => v.service).map((v) => v.service!.label)).toEqual(['java', 'node-gc', 'node-chain-gc']);
    for (const v of verdicts.filter((x) => x.service)) {
      const s = v.service!;
      expect(v.scenario).toBe(`service ${s.label}`);
      expect(['bypass-wins', 'no-win', 'insufficient-data']).toContain(v.verdict);
      expect(s.trials).toBe(3);
      expect(s.attributed).toBe(3);
      expect(s.matchedRatio).toBeGreaterThanOrEqual(0.95);
      expect(s.rttP99Us!).toBeGreaterThanOrEqual(s.rttP50Us!);
      for (const x of [...Object.values(s.sharesP50), ...Object.values(s.sharesP99)]) if (x !== null) expect(x).toBeGreaterThan(-0.05);
      // Measured components sum to the RTT: their shares to about 1.
      const sum = (Object.values(s.sharesP99) as (number | null)[]).reduce<number>((a, x) => a + (x ?? 0), 0);
      expect(sum).toBeGreaterThan(0.9);
      expect(sum).toBeLessThan(1.1);
    }
  });

  it('names what dominates in the seed’s words when it is not the kernel', () => {
    expect(of('node-gc').verdict).toBe('no-win');
    expect(of('node-gc').reason).toMatch(/^GC pauses dominate \(\d+ % of p99\)/);
    expect(of('node-chain-gc').reason).toMatch(/^the service hop dominates \(\d+ % of p99, the downstream's GC pauses \d+ % inside it\)/);
    expect(of('java').reason).toMatch(/dominate/);
    expect(of('java').service!.sharesP99.hops).toBeNull();
  });

  it('takes every number from the service’s own trials (one experiment per verdict)', () => {
    const v = of('node-gc');
    const ids = run.trials.filter((t) => t.pathLabel === 'node-gc').map((t) => t.trialId);
    const rtt = v.sources!.find((s) => s.field === 'scenarioSaving.rttP99Us')!;
    expect(rtt.from).toEqual([{ pathLabel: 'node-gc', trialIds: ids }]);
    expect(v.scenarioSaving!.rttP99Us).toBe(v.service!.rttP99Us);
    expect(v.kernelAttributableP99Us).toBeCloseTo(v.checks.kernelBottleneck.kernelShareP99! * v.service!.rttP99Us!, 6);
    expect(v.sources!.find((s) => s.field === 'checks.kernelBottleneck.kernelShareP99')!.how).toMatch(/service node-gc’s kernel RX work \+ TX/);
  });

  it('puts the chain’s downstream pauses inside the hop, measured from the downstream’s own log', () => {
    const s = of('node-chain-gc').service!;
    expect(s.downstreamPausesShareP99).not.toBeNull();
    expect(s.downstreamPausesShareP99!).toBeGreaterThan(0);
    expect(s.downstreamPausesShareP99!).toBeLessThanOrEqual(s.sharesP99.hops! + 1e-9);
    for (const t of run.trials.filter((x) => x.pathLabel === 'node-chain-gc')) {
      const a = t.native['serviceAttribution'] as Extract<ServiceAttributionResult, { status: 'ok' }>;
      expect(a.downstreamPauses!.runtime).toBe('node');
      expect(a.downstreamPauses!.count).toBeGreaterThan(0);
      expect(a.downstreamPauses!.delayedRequests).toBeGreaterThan(0);
      expect(a.hopSplit!.downstreamPauses.p99Us).toBeLessThanOrEqual(a.components.hops!.p99Us + 1e-6);
    }
    expect(of('node-gc').service!.downstreamPausesShareP99).toBeNull();
  });
});

// Hand-made inputs from here on (synthetic, to reach each branch of the rule).
function path(pathLabel: string, p99Us: number): PathSummary {
  return {
    pathLabel,
    p50Us: p99Us / 2,
    p99Us,
    p99RangeUs: { min: p99Us * 0.98, max: p99Us * 1.02 },
    p99ValuesUs: [p99Us * 0.98, p99Us, p99Us * 1.02],
    repetitionsOk: 3,
    lossRatio: 0,
    lossRange: { min: 0, max: 0 },
    coresBusy: 0.3,
    nsPerPacket: null,
    achievedPps: 1000,
    emulated: false,
    trialIds: [`${pathLabel}-1`, `${pathLabel}-2`, `${pathLabel}-3`],
  };
}

const stats = (share: number, us = 10) => ({ p50Us: us, p99Us: us * 2, shareP50: share, shareP99: share });

/** A service trial whose attribution has the given p99 shares (the rest is application). */
function serviceTrial(id: string, shares: { kernelRx: number; kernelTx: number; wakeup: number; pauses?: number }, matched = 1000): TrialRecord {
  const application = 1 - shares.kernelRx - shares.kernelTx - shares.wakeup - (shares.pauses ?? 0);
  const a: ServiceAttributionResult =
    matched >= 950
      ? {
          status: 'ok',
          requests: 1000,
          matched,
          matchedRatio: matched / 1000,
          unmatched: { arrival: 1000 - matched },
          requestBytes: 200,
          chained: false,
          rttUs: { p50: 100, p99: 400 },
          components: {
            kernelRx: stats(shares.kernelRx),
            wakeup: stats(shares.wakeup),
            queueing: stats(0),
            pauses: stats(shares.pauses ?? 0),
            application: stats(application),
            hops: null,
            kernelTx: stats(shares.kernelTx),
            clientAndWire: stats(0),
          },
          serviceKernelShare: { p50: shares.kernelRx + shares.kernelTx, p99: shares.kernelRx + shares.kernelTx },
          dominant: { p50: 'kernelRx', p99: 'kernelRx' },
          pauses: null,
          serialization: 'inside application',
          remainders: ['clientAndWire'],
        }
      : { status: 'insufficient-data', reason: 'too few matched', requests: 1000, matched, unmatched: { arrival: 1000 - matched } };
  return {
    trialId: id,
    path: 'service',
    pathLabel: 'svc',
    status: 'ok',
    msgSizeBytes: 200,
    offeredPps: 1000,
    native: { serviceAttribution: a },
  } as unknown as TrialRecord;
}

const bare = (extra: Partial<DecisionInput> = {}): DecisionInput => ({
  msgSizeBytes: 200,
  offeredPps: 1000,
  kernel: path('kernel-udp', 40),
  attribution: null,
  bypass: [path('afxdp', 20)],
  loadCv: 0.1,
  ...extra,
});

describe('service verdict rule (hand-made inputs)', () => {
  it('a tail from fewer than 1000 matched requests is not judged', () => {
    const cell = serviceCell([serviceTrial('a', { kernelRx: 0.05, kernelTx: 0.05, wakeup: 0, pauses: 0.8 }, 990)], 'svc', 200, 1000);
    const v = decide({ ...bare(), scenario: 'service svc', attribution: serviceKernelAttribution('svc', cell, false) });
    expect(v.verdict).toBe('insufficient-data');
    expect(v.reason).toMatch(/service svc: 990 matched requests over 1 repetition\(s\); a p99 needs ≥ 1000/);
  });

  it('below 95 % matched requests the service is insufficient-data, naming the ratio and the step', () => {
    const cell = serviceCell([serviceTrial('a', { kernelRx: 0.5, kernelTx: 0.2, wakeup: 0 }, 900)], 'svc', 200, 1000);
    expect(serviceInsufficient('svc', cell)).toMatch(/service svc: only 90\.0 % of 1000 answered requests matched .*at least 95 %.*arrival 100/);
  });

  it('a kernel-heavy service: bypass saves its cut of the service’s own kernel part', () => {
    const trials = ['a', 'b', 'c'].map((id) => serviceTrial(id, { kernelRx: 0.5, kernelTx: 0.2, wakeup: 0 }));
    const cell = serviceCell(trials, 'svc', 200, 1000);
    expect(serviceInsufficient('svc', cell)).toBeNull();
    const v = decide({ ...bare(), scenario: 'service svc', attribution: serviceKernelAttribution('svc', cell, false) });
    // 70 % of a 400 µs p99 = 280 µs kernel part; afxdp cuts the bare round trip by 50 % → 140 µs = 35 % of 400 µs.
    expect(v.scenarioSaving!.savingP99Us).toBeCloseTo(140, 6);
    expect(v.verdict).toBe('bypass-wins');
    expect(v.checks.gain.detail).toMatch(/afxdp saves 35 % of service svc's RTT p99 \(400 µs\): 140 µs/);
  });

  it('beside a busy-polling kernel, waiting to run is not credited and can be what dominates', () => {
    const trials = ['a', 'b', 'c'].map((id) => serviceTrial(id, { kernelRx: 0.05, kernelTx: 0.05, wakeup: 0.6 }));
    const cell = serviceCell(trials, 'svc', 200, 1000);
    const tuned = { tunedKernels: [path('kernel-udp-busypoll', 30)] };
    const v = decide({ ...bare(tuned), scenario: 'service svc', attribution: serviceKernelAttribution('svc', cell, true) });
    expect(v.verdict).toBe('no-win');
    expect(v.reason).toMatch(/^waiting to run dominates \(60 % of p99; kernel without wake-up only 10 % < 50 %\)/);
    // Without the bare paths the bound still decides: the kernel part alone is below the gain bar.
    expect(kernelBound('svc', { ...bare({ ...tuned, bypass: [] }), attribution: serviceKernelAttribution('svc', cell, true) }, resolveThresholds())).toMatch(
      /^waiting to run dominates \(60 % of p99\); even removing service svc's whole kernel part without wake-up .* 10 % of its RTT p99, would save less than 25 %/,
    );
  });
});
