// bb-tsprobe's load for real (netns): coordinated omission accounted for at a rate the client
// cannot reach, and the steadiness statistic reading on/off bursts as unsteady and fixed gaps as
// steady, from the arrivals at the probe's server. Structure and sanity only, never speeds.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../analysis/selective-win-types.js';
import type { WorkloadSteadiness } from '../../analysis/steadiness.js';
import type { TrialRecord } from '../../core/trial.js';
import type { TsprobeClientSummary } from '../../drivers/tsprobe/index.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

async function runSuite(suite: string): Promise<{ trials: TrialRecord[]; out: string }> {
  const out = join(mkdtempSync(join(tmpdir(), 'bb-probe-load-')), 'run');
  const result = await startCli(['run', suite, '--out', out, '--quiet']);
  expect(result.stderr).not.toMatch(/unexpected error/);
  expect(result.exitCode).toBe(0);
  const trials = loadRun(out).trials;
  const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
  expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  return { trials, out };
}

describe('bb-tsprobe load (real, netns)', () => {
  it('at a rate it cannot reach, counts the unsent requests, marks the rate not reached and times requests from their schedule', async () => {
    const { trials } = await runSuite('test/fixtures/suites/probe-overload-tiny.yaml');
    const t = trials.find((x) => x.pathLabel === 'overload')!;
    expect(t.status).toBe('ok');
    const native = t.native as unknown as TsprobeClientSummary;
    expect(t.latencyFrom).toBe('schedule');
    expect(t.unsentRequests).toBeGreaterThan(0);
    expect(t.unsentRequests).toBe(native.unsent);
    expect(native.scheduled).toBe((native.sent ?? 0) + (native.unsent ?? 0));
    expect(t.rateReached).toBe(false);
    expect(t.achievedPps!).toBeLessThan(t.offeredPps! * 0.98);
    // From the schedule, a request waited at least as long as from its own send.
    expect(t.latencyUs!.p50!).toBeGreaterThanOrEqual(native.rttUs.p50 as number);
    expect(t.latencyUs!.p99!).toBeGreaterThanOrEqual(native.rttUs.p99 as number);
    // The warm-up ran inside the measured process and the record says how long.
    expect(native.warmupS).toBe(0.1);
  }, 120_000);

  it('reads on/off bursts at the receiver as unsteady and fixed gaps as steadier, at the same mean rate', async () => {
    const { trials } = await runSuite('test/fixtures/suites/probe-load-tiny.yaml');
    const steadiness = (label: string) => {
      const t = trials.find((x) => x.pathLabel === label)!;
      expect(t.status).toBe('ok');
      const s = t.native['steadiness'] as WorkloadSteadiness;
      expect(s.source).toMatch(/server RX/);
      expect(s.windows.map((w) => w.windowMs)).toEqual([1, 100]);
      expect(s.cv).not.toBeNull();
      return { s, native: t.native as unknown as TsprobeClientSummary };
    };
    const fixed = steadiness('fixed');
    const bursty = steadiness('bursty');
    expect(bursty.native.arrivals).toBe('onoff');
    // Same mean rate offered: the schedules hold the same number of requests (one burst per 50 ms).
    expect(Math.abs(bursty.native.scheduled! - fixed.native.scheduled!)).toBeLessThanOrEqual(100);
    // 5 ms on in every 50 ms: 1 ms counts are 10× the mean one tenth of the time (excess CV ≈ 2.9).
    expect(bursty.s.cv!).toBeGreaterThan(DEFAULT_THRESHOLDS.steadyCvMax);
    expect(bursty.s.cv!).toBeGreaterThan(2 * fixed.s.cv!);
    // Fixed gaps are steady at the receiver when the sender kept its schedule; a stalled sender on
    // a loaded machine really did deliver bursts, which the statistic then rightly reports.
    if (fixed.native.unsent === 0 && fixed.native.sendLagUs!.p99 < 250) expect(fixed.s.cv!).toBeLessThanOrEqual(DEFAULT_THRESHOLDS.steadyCvMax);
  }, 120_000);
});
