// Where a run's wall time went: how much of it the tools spent counting (their measured windows)
// and how much went on start-up, warm-up, pauses, set-up and teardown. Written into run.json when
// the run ends and shown in the closing summary.
import type { TrialRecord } from './trial.js';

export interface RunTiming {
  /** From the run's start to its close (topology, set-up, every trial, teardown; not the report). */
  wallS: number;
  /** Sum of the measured windows the tools report (measuredS of every ok trial that has one). */
  measuredS: number;
  /** wallS / measuredS; null when nothing was measured. */
  wallToMeasured: number | null;
  /** Sum of the trials' own wall times (services, warm-up, the measuring process, teardown). */
  trialsS: number;
  /** Trials counted in measuredS, and ok trials whose tool reports no measured window (they only cost). */
  trialsMeasured: number;
  trialsWithoutWindow: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function runTiming(wallS: number, records: readonly TrialRecord[]): RunTiming {
  const ok = records.filter((r) => r.status === 'ok');
  const measured = ok.filter((r) => r.measuredS !== null && r.measuredS > 0);
  const measuredS = measured.reduce((s, r) => s + r.measuredS!, 0);
  return {
    wallS: round2(wallS),
    measuredS: round2(measuredS),
    wallToMeasured: measuredS > 0 ? round2(wallS / measuredS) : null,
    trialsS: round2(records.reduce((s, r) => s + r.durationS, 0)),
    trialsMeasured: measured.length,
    trialsWithoutWindow: ok.length - measured.length,
  };
}

/** One line for people: "wall 152 s for 101 s measured (1.50×)". */
export function formatRunTiming(t: RunTiming): string {
  const ratio = t.wallToMeasured === null ? 'nothing measured' : `${t.wallToMeasured.toFixed(2)}× the measured time`;
  const setup = Math.max(0, t.wallS - t.trialsS);
  return (
    `time: ${t.wallS.toFixed(0)} s wall for ${t.measuredS.toFixed(1)} s measured (${ratio}); ` +
    `${setup.toFixed(0)} s outside trials (topology, path set-up)` +
    (t.trialsWithoutWindow > 0 ? `; ${t.trialsWithoutWindow} ok trials report no measured window` : '')
  );
}
