// A throughput search's result (analysis/search.ts finds it) and search.json, the run folder's
// list of them: one per searched path label × size. Declared here because search.json stores it
// and every stage reads it from there (core/run-folder.ts).
import { UserError } from './errors.js';
import { isNumberOrNull } from './json-access.js';
import type { PathName, TrialStatus } from './trial.js';
import { checkRecordArray } from './validate.js';

export interface LossTargets {
  /** Loss ratio NDR must not exceed, usually 0. */
  ndr: number;
  /** Loss ratio PDR must not exceed, usually 0.005 (0.5 %). */
  pdr: number;
}

export interface SearchOptions {
  /** Lowest offered rate the search may try, packets/s (≥ 1). */
  minPps: number;
  /** Highest offered rate; the first trial runs here and gives MRR. */
  maxPps: number;
  /** Stop when (upper − lower) / upper ≤ goalWidth for both targets; 0.005 = 0.5 %. */
  goalWidth: number;
  /** Hard cap on trials, the MRR trial included. */
  maxTrials: number;
  lossTargets: LossTargets;
  /** Forwarded to measure(); the search does no timing itself. */
  trialDurationS: number;
  /**
   * A trial whose generator sent less than offeredPps × (1 − generatorTolerance) fails every
   * target: the offered rate was never sustained, so it cannot be claimed. Default 0.05. Set to 1
   * to ignore achievedPps.
   */
  generatorTolerance?: number;
}

export type SearchKind = 'mrr' | 'ndr' | 'pdr';

export type TrialVerdict = 'pass' | 'fail';

export type TargetName = keyof LossTargets;

export interface SearchTrial {
  step: number;
  kind: SearchKind;
  offeredPps: number;
  achievedPps: number | null;
  lossRatio: number | null;
  status: TrialStatus;
  /** Per target; null when the measurement failed (a failure is not "lossy"). */
  verdict: Record<TargetName, TrialVerdict> | null;
  /** The generator fell short of the offered rate by more than generatorTolerance. */
  generatorShort: boolean;
  error: string | null;
}

/**
 * - converged: bracket width ≤ goalWidth.
 * - max-rate-passes: maxPps met the target; lowerPps = maxPps, no upper bound.
 * - min-rate-lossy: even minPps missed the target; lowerPps = null.
 * - resolution-limit: no whole packets/s value lies strictly between the bounds.
 * - open: the search stopped before this target was settled.
 */
export type TargetState = 'converged' | 'max-rate-passes' | 'min-rate-lossy' | 'resolution-limit' | 'open';

export interface TargetBounds {
  lossTarget: number;
  /** Highest rate that passed below upperPps: the reported NDR/PDR. null = none passed. */
  lowerPps: number | null;
  /** Lowest rate that failed; null = none failed. */
  upperPps: number | null;
  /** (upper − lower) / upper; 0 when maxPps passed; null when there is no lower bound. */
  widthRel: number | null;
  state: TargetState;
}

/** interrupted: SIGINT/SIGTERM stopped the search (the runner sets it; the search itself never does). */
export type StopReason = 'converged' | 'max-trials' | 'measurement-failed' | 'all-rates-lossy' | 'interrupted';

export interface MonotonicityViolation {
  target: TargetName;
  /** A rate that passed although a lower rate failed. */
  passedPps: number;
  failedPps: number;
}

export interface SearchResult {
  ndrPps: number | null;
  pdrPps: number | null;
  /** Received packets/s at maxPps: achievedPps × (1 − lossRatio); null if either is unknown. */
  mrrPps: number | null;
  ndr: TargetBounds;
  pdr: TargetBounds;
  trials: SearchTrial[];
  trialCount: number;
  stopReason: StopReason;
  /** One sentence on why the search stopped. */
  stopDetail: string;
  monotonicityViolations: MonotonicityViolation[];
  options: Required<SearchOptions>;
}

/** One entry of search.json: a search's result and which path and size it searched. */
export interface PathSearch extends SearchResult {
  pathLabel: string;
  path: PathName;
  msgSizeBytes: number;
}

/** search.json validated at the edge: a malformed entry is named with the field that is wrong. */
export function parseSearches(value: unknown, file: string): PathSearch[] {
  const searches = checkRecordArray(value, file, 'searches', (rec, where) => {
    if (typeof rec.pathLabel !== 'string') throw new UserError(`${where}.pathLabel must be a string`);
    if (typeof rec.msgSizeBytes !== 'number') throw new UserError(`${where}.msgSizeBytes must be a number`);
    for (const field of ['ndrPps', 'pdrPps', 'mrrPps'] as const) {
      if (!isNumberOrNull(rec[field] ?? null)) throw new UserError(`${where}.${field} must be a number or null`);
    }
    if (!Array.isArray(rec.trials)) throw new UserError(`${where}.trials must be an array`);
  });
  return searches as unknown as PathSearch[];
}
