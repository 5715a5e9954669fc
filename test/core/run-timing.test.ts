import { describe, expect, it } from 'vitest';
import { formatRunTiming, runTiming } from '../../core/run-timing.js';
import type { TrialRecord } from '../../core/trial.js';

const rec = (status: TrialRecord['status'], durationS: number, measuredS: number | null) => ({ status, durationS, measuredS }) as TrialRecord;

describe('run timing', () => {
  it('sums the measured windows of ok trials and says how many report none', () => {
    const t = runTiming(30, [rec('ok', 6, 3.55), rec('ok', 3.5, 3), rec('failed', 2, null), rec('ok', 5, null)]);
    expect(t).toEqual({ wallS: 30, measuredS: 6.55, wallToMeasured: 4.58, trialsS: 16.5, trialsMeasured: 2, trialsWithoutWindow: 1 });
    expect(formatRunTiming(t)).toMatch(/^time: 30 s wall for 6\.5 s measured \(4\.58× the measured time\); 14 s outside trials/);
  });

  it('has no ratio when nothing was measured', () => {
    expect(runTiming(5, []).wallToMeasured).toBeNull();
    expect(formatRunTiming(runTiming(5, []))).toContain('nothing measured');
  });
});
