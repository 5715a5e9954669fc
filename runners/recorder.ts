// Recording finished trials: each goes to the run folder at once (trials.jsonl, trials.csv), is
// counted by status and reported as a trial:done event.
import { noMeasurement, rateReached, type TrialRecord, type TrialStatus } from '../core/trial.js';
import type { PlannedTrial } from '../suites/plan.js';
import type { OpenRun } from './open-run.js';

export function emptyCounts(): Record<TrialStatus, number> {
  return { ok: 0, failed: 0, 'timed-out': 0, unsupported: 0, skipped: 0 };
}

/** The record of a trial that could not run here (reason: what is missing and the fix). */
export function unsupportedRecord(t: PlannedTrial, runId: string, reason: string): TrialRecord {
  return {
    ...noMeasurement(t.msgSizeBytes, reason),
    trialId: t.trialId,
    runId,
    path: t.path,
    pathLabel: t.pathLabel,
    driver: t.driver,
    mode: t.mode,
    offeredPps: t.offeredPps,
    latencyKind: 'rtt',
    cpu: null,
    repetition: t.repetition,
    status: 'unsupported',
    emulated: false,
    raw: [],
    startedAt: new Date().toISOString(),
    durationS: 0,
  };
}

export class RunRecorder {
  readonly records: TrialRecord[] = [];
  readonly counts = emptyCounts();
  /** Planned trials reached so far (search trials do not count: they are not in the plan). */
  position = 0;

  constructor(private readonly run: OpenRun) {}

  /** The next planned trial starts: its position in the plan. */
  advance(): number {
    return ++this.position;
  }

  record(planned: PlannedTrial, measured: TrialRecord): void {
    // Every record, whichever phase or runner made it, says whether it sustained its rate.
    const record: TrialRecord = { ...measured, rateReached: measured.status === 'ok' ? rateReached(measured.offeredPps, measured.achievedPps) : null };
    const t0 = performance.now();
    this.run.folder.appendTrial(record);
    this.run.clock?.add('recordS', (performance.now() - t0) / 1000);
    this.records.push(record);
    this.counts[record.status]++;
    const phase = record.search ? 'search' : 'grid';
    this.run.emit({ type: 'trial:done', trial: planned, record, position: this.position, total: this.run.plan.length, phase });
  }
}
