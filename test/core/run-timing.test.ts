import { describe, expect, it } from 'vitest';
import { RunClock, fixedCosts, formatRunTiming, formatTimingDetail, runTiming } from '../../core/run-timing.js';
import type { TrialRecord } from '../../core/trial.js';
import type { TrialSteps } from '../../core/trial-steps.js';

const rec = (status: TrialRecord['status'], durationS: number, measuredS: number | null, stepsS?: TrialSteps, pathLabel = 'kernel-udp') =>
  ({ status, durationS, measuredS, pathLabel, ...(stepsS ? { stepsS } : {}) }) as TrialRecord;

describe('run timing', () => {
  it('sums the measured windows of ok trials and says how many report none', () => {
    const t = runTiming(30, [rec('ok', 6, 3.55), rec('ok', 3.5, 3), rec('failed', 2, null), rec('ok', 5, null)]);
    expect(t).toMatchObject({ wallS: 30, measuredS: 6.55, wallToMeasured: 4.58, trialsS: 16.5, trialsMeasured: 2, trialsWithoutWindow: 1 });
    expect(formatRunTiming(t)).toMatch(/^time: 30 s wall for 6\.5 s measured \(4\.58× the measured time\); 14 s outside trials/);
  });

  it('has no ratio when nothing was measured', () => {
    expect(runTiming(5, []).wallToMeasured).toBeNull();
    expect(formatRunTiming(runTiming(5, []))).toContain('nothing measured');
  });

  it('adds up the trials’ steps, the tools’ time outside their windows, the run’s own steps and each path', () => {
    const sockperf: TrialSteps = {
      baselineS: 0.1,
      servicesStartS: 0.2,
      toolS: 6.3,
      toolStartS: 2.6,
      toolExitS: 0.15,
      servicesStopS: 0.01,
      parseS: 0.01,
      analysisS: 0,
    };
    const probe: TrialSteps = { baselineS: 0.1, servicesStartS: 0.05, toolS: 3.8, servicesStopS: 0.01, parseS: 0.01, analysisS: 1 };
    const records = [
      rec('ok', 6.62, 3.55, sockperf),
      rec('ok', 4.97, 3, probe, 'attribution'),
      // A failed trial measured nothing: all of its tool's time is outside a window.
      rec('failed', 1.2, null, { baselineS: 0.1, servicesStartS: 0.1, toolS: 1 }, 'attribution'),
    ];
    const clock = new RunClock();
    clock.add('openS', 0.1);
    clock.add('topologyS', 0.5);
    clock.add('topologyS', 0.25);
    clock.add('recordS', 0.03);
    const t = runTiming(14, records, clock.steps);
    expect(t.stepsS).toEqual({
      baselineS: 0.3,
      servicesStartS: 0.35,
      toolS: 11.1,
      toolStartS: 2.6,
      toolExitS: 0.15,
      leadServicesStartS: 0,
      leadBaselineS: 0,
      servicesStopS: 0.02,
      parseS: 0.02,
      analysisS: 1,
    });
    expect(t.toolOutsideWindowS).toBeCloseTo(6.3 - 3.55 + (3.8 - 3) + 1, 2);
    expect(t.runStepsS).toEqual({ openS: 0.1, topologyS: 0.75, pathSetupS: 0, recordS: 0.03 });
    expect(t.byPath).toEqual({
      'kernel-udp': { trials: 1, trialS: 6.62, measuredS: 3.55 },
      attribution: { trials: 2, trialS: 3.085, measuredS: 3 },
    });
    const costs = fixedCosts(t);
    expect(costs[0]).toEqual([expect.stringContaining('outside their counted window'), 4.55]);
    expect(costs.map(([, s]) => s)).toEqual([...costs.map(([, s]) => s)].sort((a, b) => b - a));
    // Every second of wall time outside the windows is named once: the costs add up to wall − measured.
    const named = costs.reduce((a, [, s]) => a + s, 0);
    expect(named).toBeCloseTo(t.wallS - t.measuredS, 1);
    const lines = formatTimingDetail({ ...t, reportS: 4.2 });
    expect(lines[0]).toMatch(/largest first/);
    expect(lines).toContain('  attribution: 2 trials, 3.08 s each for 3.00 s counted');
    expect(lines.at(-1)).toMatch(/report: 4\.2 s/);
  });

  it("counts services started and baselines taken in a tool's quiet lead once, as part of the tool's time", () => {
    // sockperf over UDP: client spawned first, server and baseline inside its 2 s sleep.
    const lead: TrialSteps = { toolS: 6.3, toolStartS: 2.6, toolExitS: 0.15, leadServicesStartS: 0.08, leadBaselineS: 0.1, servicesStopS: 0.01, parseS: 0.01 };
    const t = runTiming(6.4, [rec('ok', 6.4, 3.55, lead)]);
    expect(t.stepsS).toMatchObject({ baselineS: 0, servicesStartS: 0, leadServicesStartS: 0.08, leadBaselineS: 0.1 });
    const costs = fixedCosts(t);
    expect(costs.reduce((a, [, s]) => a + s, 0)).toBeCloseTo(t.wallS - t.measuredS, 1);
    expect(costs.map(([what]) => what).join()).not.toMatch(/idle CPU baseline|services started/);
    expect(formatTimingDetail(t)).toContainEqual(expect.stringMatching(/0\.2 s of service start-up and idle baseline ran inside the tools' quiet lead/));
    expect(formatTimingDetail(t)).toContainEqual(expect.stringMatching(/measuring tools alone ran 6\.3 s, 1\.77× the measured time/));
  });

  it('RunClock.time charges a step even when it throws', async () => {
    const clock = new RunClock();
    await expect(clock.time('pathSetupS', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(clock.steps.pathSetupS).toBeGreaterThanOrEqual(0);
    expect(await clock.time('recordS', () => 7)).toBe(7);
  });
});
