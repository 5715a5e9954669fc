// The probe-vs-kernel check compares like with like: a real fixture run (kernel UDP and TCP, real
// tsprobe captures at 64 B / 2000 pps), with the receive modes changed the way a run with a
// spinning probe or a busy-polling kernel reference records them.
import { afterAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../core/trial.js';
import { probeKernelReference, receiveModeClause, receiveModeForCell, receiveModeOf } from '../../analysis/probe-kernel-check.js';
import { computeVerdicts, probeRttP50ForCell } from '../../analysis/verdicts.js';
import { addAttributionTrials, copyFixtureRun, readTrials, removeTempDirs } from '../report/fixture-runs.js';

afterAll(removeTempDirs);

const dir = copyFixtureRun('quick-a');
addAttributionTrials(dir);
const trials = readTrials(dir);
const atCell = (t: TrialRecord) => t.msgSizeBytes === 64 && t.offeredPps === 2000;
const spinningProbe = trials.map((t) => (t.path === 'attribution' ? { ...t, receiveMode: 'spin' as const } : t));
/** The kernel-udp trials again, as the busy-polling reference (which spins), at a tenth of the latency. */
const busyPoll = trials
  .filter((t) => t.path === 'kernel-udp')
  .map((t): TrialRecord => ({
    ...t,
    trialId: `${t.trialId}-bp`,
    path: 'kernel-udp-busypoll',
    pathLabel: 'kernel-udp-busypoll',
    receiveMode: 'spin',
    latencyUs: t.latencyUs && { ...t.latencyUs, p50: (t.latencyUs.p50 ?? 0) / 10 },
  }));

describe('receive modes', () => {
  it('come from the record, else from what the path always did (older runs)', () => {
    const kernel = trials.find((t) => t.path === 'kernel-udp')!;
    const probe = trials.find((t) => t.path === 'attribution')!;
    expect(receiveModeOf({ ...kernel, receiveMode: undefined })).toBe('block');
    expect(receiveModeOf({ ...probe, receiveMode: undefined })).toBe('block');
    expect(receiveModeOf({ ...probe, receiveMode: undefined, native: { ...probe.native, rxMode: 'spin' } })).toBe('spin');
    expect(receiveModeOf({ ...kernel, receiveMode: 'spin' })).toBe('spin');
    expect(receiveModeOf(trials.find((t) => t.path === 'kernel-tcp')!)).toBeNull();
    expect(receiveModeForCell(trials, 64, 2000, 'kernel-udp')).toBe('block');
    expect(receiveModeForCell(trials, 64, 999, 'kernel-udp')).toBeNull();
  });
});

describe('the kernel measurement the probe is checked against', () => {
  const kernelP50 = 10;

  it('is the default kernel path when both block, with nothing to say about modes', () => {
    const ref = probeKernelReference(trials, 64, 2000, undefined, 'kernel-udp', kernelP50);
    expect(ref).toEqual({ label: 'kernel-udp', p50Us: kernelP50, probeMode: 'block', kernelMode: 'block' });
    expect(receiveModeClause(ref)).toBe('');
  });

  it('is a kernel UDP path in the probe’s own mode when the run has one', () => {
    const withBusyPoll = [...spinningProbe, ...busyPoll];
    const ref = probeKernelReference(withBusyPoll, 64, 2000, 'attribution', 'kernel-udp', kernelP50);
    expect(ref.label).toBe('kernel-udp-busypoll');
    expect(ref.probeMode).toBe('spin');
    expect(ref.kernelMode).toBe('spin');
    expect(ref.p50Us).toBeGreaterThan(0);
    // The busy-polling trials' own p50s (a tenth of kernel-udp's), not kernel-udp's.
    const bpP50s = busyPoll.filter(atCell).map((t) => t.latencyUs?.p50 ?? Number.NaN);
    expect(ref.p50Us).toBeGreaterThanOrEqual(Math.min(...bpP50s));
    expect(ref.p50Us).toBeLessThanOrEqual(Math.max(...bpP50s));
    expect(receiveModeClause(ref)).toBe('');
  });

  it('is the default kernel path otherwise, and the sentence says the modes differ and what to do', () => {
    const ref = probeKernelReference(spinningProbe, 64, 2000, undefined, 'kernel-udp', kernelP50);
    expect(ref).toEqual({ label: 'kernel-udp', p50Us: kernelP50, probeMode: 'spin', kernelMode: 'block' });
    expect(receiveModeClause(ref)).toMatch(/receive modes differ \(the probe's spin, kernel-udp's block\).*kernel-udp-busypoll/);
  });

  it('reaches the verdict: a failed check across modes names both modes', () => {
    // The kernel path far faster than the probe, so the check fails.
    const probeP50 = probeRttP50ForCell(trials, 64, 2000)!;
    const fastKernel = spinningProbe.map((t) =>
      t.path === 'kernel-udp' && atCell(t) && t.latencyUs ? { ...t, latencyUs: { ...t.latencyUs, p50: probeP50 / 10 } } : t,
    );
    const cell = computeVerdicts(fastKernel, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 64 && v.offeredPps === 2000)!;
    expect(JSON.stringify(cell)).toMatch(/probe-vs-kernel-rtt failed.*receive modes differ \(the probe's spin, kernel-udp's block\)/);
  });
});
