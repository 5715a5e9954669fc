// summary.json: the report's closing table as data, one row per path × size × offered rate with
// the medians over the repetitions that finished ok (report/table.ts computes the rows).
import type { TrialStatus } from './trial.js';

export interface SummaryRow {
  pathLabel: string;
  path: string;
  msgSizeBytes: number | null;
  offeredPps: number | null;
  repetitions: number;
  ok: number;
  statuses: TrialStatus[];
  achievedPps: number | null;
  /** Repetitions whose client fell more than 2 % short of the offered rate (rateReached false): their latency was not measured at it. */
  rateShortRepetitions?: number;
  lossRatio: number | null;
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  /** The fewest latency samples behind a repetition's percentiles (null: unknown). */
  latencySamples?: number | null;
  /** false: too few samples for the percentile to be shown as a number (core/tail.ts); null: unknown. */
  p99Reliable?: boolean | null;
  p999Reliable?: boolean | null;
  /** p99 over the ok repetitions: lowest and highest. */
  p99RangeUs: { min: number; max: number } | null;
  coresBusy: number | null;
  nsPerPacket: number | null;
  emulated: boolean;
  /** The first non-ok repetition's error. */
  error: string | null;
  trialIds: string[];
}

export interface RunSummaryFile {
  runId: string | null;
  status: string | null;
  rows: SummaryRow[];
}
