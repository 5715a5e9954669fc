// CPU over the measured window on real trials: a blocking path (sockperf) shows what its client
// used while it counted (less than a core), a busy poller (bb-afxdp) its full core; each window
// is as long as the tool's counted time; the warm-up is the measuring process's own.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunMeta } from '../../core/run-meta.js';
import { FOREIGN_CORES_TOLERANCE } from '../../runners/cpu-window.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

describe('CPU over the measured window (real, netns)', () => {
  it('takes a blocking and a busy-polling path over their counted windows', { timeout: 180_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-cpuwin-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/cpu-window.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    expect(trials).toHaveLength(2);
    for (const t of trials) {
      expect(t.status, `${t.pathLabel}: ${t.error}`).toBe('ok');
      const cpu = t.cpu!;
      expect(cpu.window, t.pathLabel).toBe('measured');
      // The window is the tool's counted time (timers on a loaded machine fire a little late).
      expect(cpu.windowS!).toBeGreaterThanOrEqual(0.9 * t.measuredS! - 0.1);
      expect(cpu.windowS!).toBeLessThanOrEqual(t.measuredS! + 0.15);
      expect(t.measuredS!).toBeGreaterThanOrEqual(0.9);
      expect(cpu.perProcess!.length).toBeGreaterThanOrEqual(2);
      // Foreign load (other users of this shared machine) is flagged, never silently counted.
      if (cpu.foreignCores! > FOREIGN_CORES_TOLERANCE) expect(t.noisy).toMatch(/foreign load/);
      else expect(t.noisy).toBeNull();
    }
    const udp = trials.find((t) => t.path === 'kernel-udp')!;
    // sockperf's warm-up is its own, fixed 0.4 s; it counts at least the requested second.
    expect(udp.warmupS).toBe(0.4);
    for (const p of udp.cpu!.perProcess!) expect(p.cores!, p.role).toBeLessThan(1);
    // The UDP client was spawned first: its server started and the idle baseline was taken in its
    // 2 s sleep before traffic (or, if that lead was missed on a loaded machine, the record says so
    // and the trial ran again in the plain order).
    const quietLeadMissed = (udp.native as { quietLeadMissed?: string }).quietLeadMissed;
    if (quietLeadMissed === undefined) {
      expect(udp.cpu!.baselineHow).toBe('tool-quiet-lead');
      expect(udp.stepsS!.leadServicesStartS).toBeGreaterThan(0);
      expect(udp.stepsS!.leadBaselineS).toBeGreaterThanOrEqual(0.09);
      expect(udp.stepsS!.servicesStartS).toBeUndefined();
      const started = (role: string) =>
        Date.parse((JSON.parse(readFileSync(join(out, 'raw', `${udp.trialId}-${role}.json`), 'utf8')) as { startedAt: string }).startedAt);
      expect(started('client')).toBeLessThanOrEqual(started('server'));
    } else {
      expect(quietLeadMissed).toMatch(/quiet lead ended/);
      expect(udp.cpu!.baselineHow).toBe('before-trial');
    }
    expect(udp.cpu!.baselineS!).toBeGreaterThanOrEqual(0.09);
    expect(udp.cpu!.coresBusy!).toBeLessThan(2);

    const xdp = trials.find((t) => t.path === 'afxdp')!;
    expect(xdp.warmupS).toBe(0.2);
    // bb-afxdp sends from its start: its baseline is taken before the trial.
    expect(xdp.cpu!.baselineHow).toBe('before-trial');
    expect(xdp.cpu!.windowS!).toBeGreaterThanOrEqual(0.8);
    // Both ends spin: the reflector's CPU is held the whole window, so at least a full core shows.
    expect(xdp.cpu!.coresBusy!).toBeGreaterThanOrEqual(0.9);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunMeta;
    const pollerCpu = meta.cpuPlan.poller;
    expect(xdp.cpu!.perCpu.find((c) => c.cpu === pollerCpu)!.busy).toBeGreaterThanOrEqual(0.9);

    expect(meta.timing!.measuredS).toBeGreaterThan(2);
    expect(meta.timing!.wallS).toBeGreaterThan(meta.timing!.measuredS);
    expect(meta.timing!.wallToMeasured).toBeCloseTo(meta.timing!.wallS / meta.timing!.measuredS, 1);
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });
});
