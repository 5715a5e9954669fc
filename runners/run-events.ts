// What a run tells its caller while it goes: typed events that only cli/ draws.
import type { RunStatus as RecordedRunStatus } from '../core/run-meta.js';
import type { TrialRecord, TrialStatus } from '../core/trial.js';
import type { PlannedTrial } from '../suites/plan.js';

/** How a finished run ended (run.json says "running" until then). */
export type RunStatus = Exclude<RecordedRunStatus, 'running' | 'killed'>;

/** grid: the planned trials (counted in total); search: throughput-search trials, as many as it takes. */
export type TrialPhase = 'grid' | 'search';

export type RunEvent =
  | { type: 'run:start'; runId: string; runDir: string; total: number }
  | { type: 'topology:ready'; description: string }
  | { type: 'trial:start'; trial: PlannedTrial; position: number; total: number; phase: TrialPhase }
  | { type: 'trial:done'; trial: PlannedTrial; record: TrialRecord; position: number; total: number; phase: TrialPhase }
  | { type: 'warning'; message: string }
  | { type: 'run:done'; status: RunStatus; counts: Record<TrialStatus, number> };
