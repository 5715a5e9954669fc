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
  /**
   * Budget in full-length-equivalent trials: the sum of all trial durations (exploratory ones
   * included) divided by trialDurationS, the MRR trial included.
   */
  maxTrials: number;
  lossTargets: LossTargets;
  /** Full-length trial duration, s: only trials this long bound NDR/PDR (forwarded to measure()). */
  trialDurationS: number;
  /**
   * Durations of the exploratory phases before the full-length one, s, increasing and each shorter
   * than trialDurationS; their trials only guide the search. Default [] (every trial full length).
   */
  phaseDurationsS?: number[];
  /**
   * A load is an upper bound only when more than this fraction of durationSumS of its full-length
   * trial time exceeded the loss target (counting trials not yet run as passing), and a lower bound
   * when it cannot exceed it any more (counting them as failing). Default 0.5.
   */
  exceedRatio?: number;
  /** Full-length trial time, s, the exceed ratio is judged over. Default 2 × trialDurationS. */
  durationSumS?: number;
  /**
   * A trial whose generator sent less than offeredPps × (1 − generatorTolerance) fails every
   * target: the offered rate was never sustained, so it cannot be claimed. Default goalWidth; never
   * wider than goalWidth (a pass 5 % short of the offered rate cannot bound a rate to 0.5 %).
   */
  generatorTolerance?: number;
}

export type SearchKind = 'mrr' | 'ndr' | 'pdr';

export type TrialVerdict = 'pass' | 'fail';

export type TargetName = keyof LossTargets;

export interface SearchTrial {
  step: number;
  kind: SearchKind;
  /** The trial's requested duration, s. */
  durationS: number;
  /** 0-based index into the phases (phaseDurationsS, then trialDurationS); only the last bounds. */
  phase: number;
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
 * Bounds are loads classified from full-length trials only (exceedRatio over durationSumS).
 */
export type TargetState = 'converged' | 'max-rate-passes' | 'min-rate-lossy' | 'resolution-limit' | 'open';

export interface TargetBounds {
  lossTarget: number;
  /** Highest load classified as a lower bound below upperPps: the reported NDR/PDR. null = none. */
  lowerPps: number | null;
  /** Lowest load classified as an upper bound; null = none. */
  upperPps: number | null;
  /** (upper − lower) / upper; 0 when maxPps passed; null when there is no lower bound. */
  widthRel: number | null;
  state: TargetState;
  /** Full-length trials run at lowerPps / upperPps (0 when there is no such bound). */
  lowerTrials: number;
  upperTrials: number;
  /** The upper bound failed because the generator fell short, not because of loss: the device's limit lies above. */
  upperIsGeneratorLimit: boolean;
}

/**
 * - converged: both targets settled (bracket ≤ goalWidth, or max rate passes, or min rate lossy).
 * - budget: the full-length-equivalent trial budget (maxTrials) ran out first.
 * - measurement-failed: a trial did not measure (not "loss").
 * - generator-limit: settled, but an upper bound is where the generator could not keep up.
 * - all-rates-lossy: even minPps missed the PDR target.
 * - interrupted: SIGINT/SIGTERM stopped the search (the runner sets it; the search itself never does).
 */
export type StopReason = 'converged' | 'budget' | 'measurement-failed' | 'generator-limit' | 'all-rates-lossy' | 'interrupted';

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
  /** Sum of trial durations / trialDurationS: what the budget (maxTrials) counts. */
  fullLengthEquivalentTrials: number;
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
  return (searches as unknown as PathSearch[]).map(upgradeSearch);
}

/** search.json written before phased searches: same meaning under the current names. */
function upgradeSearch(s: PathSearch): PathSearch {
  const legacy = s as Omit<PathSearch, 'stopReason'> & { stopReason: StopReason | 'max-trials' };
  const stopReason: StopReason = legacy.stopReason === 'max-trials' ? 'budget' : legacy.stopReason;
  return { ...s, stopReason, fullLengthEquivalentTrials: s.fullLengthEquivalentTrials ?? s.trialCount };
}
