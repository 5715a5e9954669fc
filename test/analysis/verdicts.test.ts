// Verdicts of a real fixture run (kernel UDP and TCP; TCP standing in as the candidate, since the
// fixture has no bypass path), with real tsprobe attribution captures at 64 B / 2000 pps.
import { afterAll, describe, expect, it } from 'vitest';
import {
  PROBE_RTT_AGREEMENT_MAX_REL,
  attributionForCell,
  computeVerdicts,
  defaultKernelPath,
  loadCvForCell,
  probeRttDisagreement,
  probeRttP50ForCell,
} from '../../analysis/verdicts.js';
import { addAttributionTrials, copyFixtureRun, readTrials, removeTempDirs } from '../report/fixture-runs.js';

afterAll(removeTempDirs);

describe('computeVerdicts', () => {
  const dir = copyFixtureRun('quick-a');
  addAttributionTrials(dir);
  const trials = readTrials(dir);

  it('decides every size × rate of the grid, with its numbers', () => {
    const verdicts = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] });
    expect(verdicts).toHaveLength(2 * 3);
    for (const v of verdicts) {
      expect(['bypass-wins', 'no-win', 'insufficient-data']).toContain(v.verdict);
      expect(v.reason.length).toBeGreaterThan(0);
    }
  });

  it('uses the attribution measured at the same size and rate, and its arrival CV', () => {
    expect(defaultKernelPath(trials)).toBe('kernel-udp');
    const a = attributionForCell(trials, 64, 2000);
    expect(a).not.toBeNull();
    expect(a!.kernelShareP99!).toBeGreaterThanOrEqual(0);
    expect(a!.kernelShareP99!).toBeLessThanOrEqual(1);
    expect(attributionForCell(trials, 1024, 2000)).toBeNull();
    expect(loadCvForCell(trials, 64, 2000, 'kernel-udp')).not.toBeNull();
    const cell = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 64 && v.offeredPps === 2000)!;
    expect(cell.checks.kernelBottleneck.status).not.toBe('unknown');
    const other = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 1024 && v.offeredPps === 2000)!;
    expect(other.checks.kernelBottleneck.detail).toMatch(/attribution/);
  });

  it('in scenario mode, each verdict judges the scenario’s own RTT and names the probe trials behind it', () => {
    const [v] = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'], scenarios: [{ name: 'bare', attributionPath: 'attribution' }] }).filter(
      (x) => x.msgSizeBytes === 64 && x.offeredPps === 2000,
    );
    const a = attributionForCell(trials, 64, 2000)!;
    expect(v!.scenario).toBe('bare');
    expect(v!.scenarioSaving).toMatchObject({ scenario: 'bare', rttP99Us: a.rttP99Us, rttP50Us: a.rttP50Us });
    expect(v!.kernelAttributableP99Us).toBeCloseTo(a.kernelShareP99! * a.rttP99Us!, 9);
    const probeIds = trials.filter((t) => t.path === 'attribution' && t.msgSizeBytes === 64 && t.offeredPps === 2000).map((t) => t.trialId);
    expect(v!.sources!.find((s) => s.field === 'kernelAttributableP99Us')!.from).toEqual([{ pathLabel: 'attribution', trialIds: probeIds }]);
  });

  it('with the default band minimum, a thin capture gives no p99 share, and the verdict says why', () => {
    const strict = copyFixtureRun('quick-a');
    addAttributionTrials(strict, {});
    const all = readTrials(strict);
    // One capture of 400 requests at 2000 pps: a p99 band of 4.
    const a = attributionForCell(all, 64, 2000);
    expect(a?.kernelShareP99).toBeNull();
    expect(a?.shareP99Reason).toMatch(/^the p99 band \(p98\.5–p99\.5\) has \d+ requests, fewer than 50/);
    const cell = computeVerdicts(all, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 64 && v.offeredPps === 2000)!;
    expect(cell.checks.kernelBottleneck.detail).toMatch(/kernel share of p99 unknown \(the p99 band .* fewer than 50/);
  });

  it('has nothing to decide without a kernel path', () => {
    expect(
      computeVerdicts(
        trials.filter((t) => !t.path.startsWith('kernel')),
        [],
      ),
    ).toEqual([]);
  });
});

describe('one attribution, cross-checked against the kernel path', () => {
  const dir = copyFixtureRun('quick-a');
  addAttributionTrials(dir);
  const trials = readTrials(dir);

  it('passes the wake-up share and check failures on to the rule (a stored run without them: not measured, none failed)', () => {
    const a = attributionForCell(trials, 64, 2000)!;
    expect(a.wakeupShareP99).toBeNull();
    expect(a.checkFailures).toEqual([]);
    expect(probeRttP50ForCell(trials, 64, 2000)).toBeGreaterThan(0);
    expect(probeRttP50ForCell(trials, 1024, 2000)).toBeNull();
  });

  it('states the tolerance and fails beyond it, in either direction', () => {
    expect(PROBE_RTT_AGREEMENT_MAX_REL).toBe(0.5);
    expect(probeRttDisagreement(14, 10, 'kernel-udp')).toBeNull();
    expect(probeRttDisagreement(6, 10, 'kernel-udp')).toBeNull();
    expect(probeRttDisagreement(16, 10, 'kernel-udp')).toBe(
      "attribution check probe-vs-kernel-rtt failed: the probe's network RTT p50 (its RTT less the application model) 16.0 µs is 60 % above kernel-udp's 10.0 µs at the same size and rate (at most 50 %)",
    );
    expect(probeRttDisagreement(4, 10, 'kernel-udp')).toMatch(/60 % below kernel-udp's 10\.0 µs/);
    expect(probeRttDisagreement(null, 10, 'kernel-udp')).toBeNull();
    expect(probeRttDisagreement(10, null, 'kernel-udp')).toBeNull();
  });
});
