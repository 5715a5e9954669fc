// Throughput search: NDR (no-drop rate), PDR (partial-drop rate) and MRR (maximum receive rate).
//
// One trial at an offered rate R says, for each loss target t, "pass" (loss ≤ t) or "fail". NDR is
// the highest rate that passes t = 0, PDR the highest that passes t = 0.005 (configurable). Both
// targets are searched together in the style of FD.io's MLRsearch: every trial is classified
// against both targets, so a trial aimed at PDR also narrows NDR and vice versa.
//
// Bounds follow MLRsearch's pessimistic rule, which keeps the answer safe when loss is not
// monotonic in the rate (noisy VMs): the upper bound is the LOWEST rate that ever failed, the
// lower bound is the highest rate that passed BELOW that upper bound. A pass above a failure is
// recorded as a monotonicity violation and otherwise ignored.
//
// Choosing the next rate: the first trial is at maxPps (it gives MRR and a loss figure). After
// that the loss curve is estimated (interpolation inside the bracket, secant from two failing
// rates, or a "fixed capacity" model: loss = 1 − C/R) and the probe lands on the estimate, pulled
// to exactly goalWidth from a known bound when the estimate is that close, so an accurate estimate
// closes the bracket in two trials. The ITP rule (interpolate, truncate, project) pulls probes
// towards the midpoint once estimates waste trials, so the worst case is about bisection + 2
// trials per target. Measured on simulated devices over 10k–1M pps: a hard capacity limit or a linear loss
// ramp converges to 0.5 % width in 5–7 trials; curves with NDR and PDR far apart need ~15–20.
//
// Options, and why their usual values:
// - goalWidth (relative, (upper − lower) / upper): 0.005 = 0.5 %, about the run-to-run noise of
//   software paths on a shared VM; a finer goal would only chase noise.
// - maxTrials: 20 by default, room for curves whose NDR and PDR are far apart; a capacity-limited
//   device needs ≤ 7. At the cap the search stops with reason 'max-trials' and reports its bounds
//   so far (the lower bound is still a rate that was measured to pass).
// - trialDurationS: forwarded to measure(). A trial at R pps for D s sends R·D packets; a 0.5 %
//   loss needs a few hundred packets to show, and a "zero loss" verdict only means fewer than one
//   lost in R·D, so use 1–5 s while searching (the search has no final long verification trial).
import { UserError } from '../core/errors.js';
import type {
  SearchKind,
  SearchOptions,
  SearchResult,
  SearchTrial,
  TargetBounds,
  TargetName,
  TargetState,
  TrialVerdict,
  MonotonicityViolation,
  StopReason,
} from '../core/search-result.js';
import type { TrialStatus } from '../core/trial.js';

// The search's options and result; declared with search.json, which stores them (core/search-result.ts).
export type { SearchOptions, SearchResult } from '../core/search-result.js';

export const DEFAULT_SEARCH_OPTIONS = {
  goalWidth: 0.005,
  maxTrials: 20,
  lossTargets: { ndr: 0, pdr: 0.005 },
  trialDurationS: 2,
  generatorTolerance: 0.05,
} as const;

/** What measure() must report about one trial. */
export interface TrialOutcome {
  /** Packets/s the generator actually sent; null when unknown. */
  achievedPps: number | null;
  /** Lost fraction of sent packets, 0..1; null when unknown. */
  lossRatio: number | null;
  status: TrialStatus;
  error?: string | null;
}

export interface MeasureContext {
  /** Which search the trial serves (to fill TrialRecord.search). */
  kind: SearchKind;
  trialDurationS: number;
}

/** Runs one trial at offeredPps; `step` counts trials from 1. */
export type MeasureFn = (offeredPps: number, step: number, context: MeasureContext) => Promise<TrialOutcome>;

/** Relative slack for comparing widths, so 0.00500000001 counts as 0.5 %. */
const WIDTH_EPSILON = 1e-9;

export function resolveSearchOptions(opts: SearchOptions): Required<SearchOptions> {
  const resolved: Required<SearchOptions> = {
    ...opts,
    generatorTolerance: opts.generatorTolerance ?? DEFAULT_SEARCH_OPTIONS.generatorTolerance,
  };
  const { minPps, maxPps, goalWidth, maxTrials, lossTargets, trialDurationS, generatorTolerance } = resolved;
  if (!Number.isFinite(minPps) || minPps < 1) throw new UserError(`search.minPps must be ≥ 1, got ${minPps}`);
  if (!Number.isFinite(maxPps) || maxPps <= minPps) {
    throw new UserError(`search.maxPps must be greater than minPps (${minPps}), got ${maxPps}`);
  }
  if (!(goalWidth > 0 && goalWidth < 1)) throw new UserError(`search.goalWidth must be in (0, 1), got ${goalWidth}`, 'use 0.005 for 0.5 %');
  if (!Number.isInteger(maxTrials) || maxTrials < 1) throw new UserError(`search.maxTrials must be an integer ≥ 1, got ${maxTrials}`);
  if (!(lossTargets.ndr >= 0 && lossTargets.ndr < 1)) throw new UserError(`search.lossTargets.ndr must be in [0, 1), got ${lossTargets.ndr}`);
  if (!(lossTargets.pdr >= lossTargets.ndr && lossTargets.pdr < 1)) {
    throw new UserError(`search.lossTargets.pdr must be in [ndr (${lossTargets.ndr}), 1), got ${lossTargets.pdr}`);
  }
  if (!(trialDurationS > 0)) throw new UserError(`search.trialDurationS must be > 0, got ${trialDurationS}`);
  if (!(generatorTolerance >= 0 && generatorTolerance <= 1)) {
    throw new UserError(`search.generatorTolerance must be in [0, 1], got ${generatorTolerance}`);
  }
  return resolved;
}

const TARGETS: readonly TargetName[] = ['pdr', 'ndr'];

/**
 * Finds NDR, PDR and MRR by running trials through `measure`, one at a time. A trial that did not
 * measure (status other than 'ok', or no loss ratio) stops the search with stopReason
 * 'measurement-failed'; measure() should report failures that way rather than throw (a throw
 * propagates, and the trials so far are lost with it).
 */
export async function searchThroughput(opts: SearchOptions, measure: MeasureFn): Promise<SearchResult> {
  const options = resolveSearchOptions(opts);
  const trials: SearchTrial[] = [];
  const progress: Record<TargetName, ProgressMemo> = { ndr: newMemo(), pdr: newMemo() };

  const run = async (offeredPps: number, kind: SearchKind): Promise<SearchTrial> => {
    const step = trials.length + 1;
    const outcome = await measure(offeredPps, step, { kind, trialDurationS: options.trialDurationS });
    const trial = classify(offeredPps, step, kind, outcome, options);
    trials.push(trial);
    return trial;
  };

  const first = await run(options.maxPps, 'mrr');
  if (first.verdict === null) return finish(trials, options, 'measurement-failed', failedDetail(first));

  for (;;) {
    const next = pickNext(trials, options, progress);
    if (next === null) {
      const pdr = targetBounds(trials, 'pdr', options).state;
      return finish(trials, options, pdr === 'min-rate-lossy' ? 'all-rates-lossy' : 'converged', null);
    }
    if (trials.length >= options.maxTrials) {
      return finish(trials, options, 'max-trials', `stopped after ${trials.length} trials (maxTrials) before reaching ${pct(options.goalWidth)} width`);
    }
    const trial = await run(next.rate, next.target);
    if (trial.verdict === null) return finish(trials, options, 'measurement-failed', failedDetail(trial));
  }
}

function classify(offeredPps: number, step: number, kind: SearchKind, outcome: TrialOutcome, options: Required<SearchOptions>): SearchTrial {
  const base = {
    step,
    kind,
    offeredPps,
    achievedPps: outcome.achievedPps,
    lossRatio: outcome.lossRatio,
    status: outcome.status,
    error: outcome.error ?? null,
  };
  const loss = outcome.lossRatio;
  if (outcome.status !== 'ok' || loss === null || !Number.isFinite(loss) || loss < 0 || loss > 1) {
    const why = outcome.status !== 'ok' ? null : `loss ratio ${loss === null ? 'missing' : `${loss} out of [0, 1]`}`;
    return { ...base, verdict: null, generatorShort: false, error: base.error ?? why };
  }
  const generatorShort = outcome.achievedPps !== null && outcome.achievedPps < offeredPps * (1 - options.generatorTolerance);
  const judge = (target: number): TrialVerdict => (!generatorShort && loss <= target ? 'pass' : 'fail');
  return { ...base, verdict: { ndr: judge(options.lossTargets.ndr), pdr: judge(options.lossTargets.pdr) }, generatorShort };
}

function failedDetail(trial: SearchTrial): string {
  return `trial ${trial.step} at ${Math.round(trial.offeredPps)} pps did not measure (status ${trial.status}${trial.error ? `: ${trial.error}` : ''})`;
}

/** Loss as seen against the offered rate: what did not come back of what was asked for. */
function effectiveLoss(trial: SearchTrial): number {
  const loss = trial.lossRatio ?? 1;
  if (trial.achievedPps === null) return loss;
  return Math.min(1, Math.max(loss, 1 - (trial.achievedPps * (1 - loss)) / trial.offeredPps));
}

interface RelevantBounds {
  lower: SearchTrial | null;
  upper: SearchTrial | null;
  /** The lowest failing trial above `upper`, for a secant estimate. */
  aboveUpper: SearchTrial | null;
}

function relevantBounds(trials: readonly SearchTrial[], target: TargetName): RelevantBounds {
  let upper: SearchTrial | null = null;
  let aboveUpper: SearchTrial | null = null;
  for (const t of trials) {
    if (t.verdict?.[target] !== 'fail') continue;
    if (upper === null || t.offeredPps < upper.offeredPps) {
      if (upper !== null) aboveUpper = pickLower(aboveUpper, upper);
      upper = t;
    } else if (t.offeredPps > upper.offeredPps) {
      aboveUpper = pickLower(aboveUpper, t);
    }
  }
  let lower: SearchTrial | null = null;
  for (const t of trials) {
    if (t.verdict?.[target] !== 'pass') continue;
    if (upper !== null && t.offeredPps >= upper.offeredPps) continue;
    if (lower === null || t.offeredPps > lower.offeredPps) lower = t;
  }
  return { lower, upper, aboveUpper };
}

function pickLower(a: SearchTrial | null, b: SearchTrial): SearchTrial {
  return a === null || b.offeredPps < a.offeredPps ? b : a;
}

function targetBounds(trials: readonly SearchTrial[], target: TargetName, options: Required<SearchOptions>): TargetBounds {
  const lossTarget = options.lossTargets[target];
  const { lower, upper } = relevantBounds(trials, target);
  const lowerPps = lower?.offeredPps ?? null;
  const upperPps = upper?.offeredPps ?? null;
  let widthRel: number | null = null;
  if (upperPps === null) widthRel = lowerPps === null ? null : 0;
  else if (lowerPps !== null) widthRel = (upperPps - lowerPps) / upperPps;
  return { lossTarget, lowerPps, upperPps, widthRel, state: settledState(lower, upper, options) ?? 'open' };
}

/** The final state of a target, or null while it still needs trials. */
function settledState(lower: SearchTrial | null, upper: SearchTrial | null, options: Required<SearchOptions>): TargetState | null {
  if (upper === null) return lower === null ? null : 'max-rate-passes';
  if (lower === null) return upper.offeredPps <= options.minPps ? 'min-rate-lossy' : null;
  if ((upper.offeredPps - lower.offeredPps) / upper.offeredPps <= options.goalWidth * (1 + WIDTH_EPSILON)) return 'converged';
  if (Math.ceil(lower.offeredPps + 1) >= upper.offeredPps) return 'resolution-limit';
  return null;
}

/**
 * Slack of the ITP rule: how many trials per target the estimates may waste compared with plain
 * bisection. 2 keeps the worst case at bisection + 2 and still lets an estimate that is right
 * but far from the (log-space) midpoint be tried; 1 forced needless bisections on linear ramps.
 */
const ITP_SLACK_STEPS = 2;

/** Per-target state of the ITP rule (Oliveira & Takahashi 2020, interpolate-truncate-project). */
interface ProgressMemo {
  /** Trials this target may still take; the bracket is guaranteed to converge within them. */
  budget: number | null;
}

function newMemo(): ProgressMemo {
  return { budget: null };
}

interface NextProbe {
  target: TargetName;
  rate: number;
}

function pickNext(trials: readonly SearchTrial[], options: Required<SearchOptions>, progress: Record<TargetName, ProgressMemo>): NextProbe | null {
  // PDR first: its failing trials are NDR upper bounds too, so NDR usually starts half-done.
  for (const target of TARGETS) {
    const bounds = relevantBounds(trials, target);
    if (settledState(bounds.lower, bounds.upper, options) !== null) continue;
    const rate = nextRate(target, bounds, options, progress[target]);
    if (rate !== null) return { target, rate };
  }
  return null;
}

/**
 * The next offered rate for one target. Works on ln(rate), where the goal "(U − L) / U ≤ goal" is
 * a constant width −ln(1 − goal) however high the rates are, and bisection means the geometric
 * mean. Before anything passed, minPps stands in as an untested lower bound.
 *
 * The probe is the loss-curve estimate, pulled to exactly one goal width from a bound when it is
 * that close (a good estimate then closes the bracket on the next trial), and projected towards
 * the midpoint by the ITP rule so that wasted estimates are paid back: the target converges within
 * bisection's trial count + ITP_SLACK_STEPS whatever the loss curve looks like.
 */
function nextRate(target: TargetName, bounds: RelevantBounds, options: Required<SearchOptions>, memo: ProgressMemo): number | null {
  const { lower, upper } = bounds;
  if (upper === null) return null;
  const goalLog = -Math.log(1 - options.goalWidth);
  const lowPps = lower?.offeredPps ?? options.minPps;
  const a = Math.log(lowPps);
  const b = Math.log(upper.offeredPps);
  const widthLog = b - a;
  // Nothing passed and the bracket has closed onto minPps: only minPps itself is left to try.
  if (lower === null && widthLog <= goalLog * (1 + WIDTH_EPSILON)) return options.minPps;

  const halvingsNeeded = Math.max(0, Math.ceil(Math.log2(widthLog / goalLog)));
  // A monotonicity violation can widen the bracket past what the budget covers: start afresh.
  if (memo.budget === null || widthLog > goalLog * 2 ** memo.budget) memo.budget = halvingsNeeded + ITP_SLACK_STEPS;
  const mid = (a + b) / 2;
  const radius = goalLog * 2 ** (memo.budget - 1) - widthLog / 2;
  memo.budget -= 1;

  const estimate = estimateRate(options.lossTargets[target], bounds);
  // An estimate more than one goal width outside the bracket contradicts the measurements (total
  // loss at U gives "capacity 0", for example): bisect instead of crawling along a bound.
  const estimateLog = estimate !== null && estimate > 0 ? Math.log(estimate) : null;
  let x = estimateLog !== null && estimateLog > a - goalLog && estimateLog < b + goalLog ? estimateLog : mid;
  x = widthLog > 2 * goalLog ? Math.min(Math.max(x, a + goalLog), b - goalLog) : mid;
  if (Math.abs(x - mid) > radius) x = mid + Math.sign(x - mid) * Math.max(radius, 0);

  const rate = Math.round(Math.exp(x));
  if (rate > lowPps && rate < upper.offeredPps) return rate;
  if (lower === null) return options.minPps;
  return null;
}

/**
 * The offered rate where loss would equal `lossTarget`, from the trials around the bracket:
 * linear interpolation between a passing and a failing rate when the passing one had some loss;
 * otherwise a secant through the two lowest failing rates; otherwise the fixed-capacity model
 * (a device that forwards C pps loses 1 − C/R at R > C, so loss t happens at C / (1 − t)).
 */
function estimateRate(lossTarget: number, bounds: RelevantBounds): number | null {
  const { lower, upper, aboveUpper } = bounds;
  if (upper === null) return null;
  const U = upper.offeredPps;
  const lossU = effectiveLoss(upper);
  if (lossU <= lossTarget) return null;
  // A lossless lower bound says nothing about where loss starts; only a lossy one is on the curve.
  if (lower !== null) {
    const lossL = lower.lossRatio ?? 0;
    if (lossL > 0 && lossL < lossTarget) return lower.offeredPps + ((lossTarget - lossL) * (U - lower.offeredPps)) / (lossU - lossL);
  }
  if (aboveUpper !== null) {
    const lossA = effectiveLoss(aboveUpper);
    // Loss flat above U (a low-level "tail" loss, not a capacity limit): no model fits; bisect.
    if (!(lossA > lossU)) return null;
    const x = U - ((lossU - lossTarget) * (aboveUpper.offeredPps - U)) / (lossA - lossU);
    if (Number.isFinite(x) && x > 0) return x;
  }
  return (U * (1 - lossU)) / (1 - lossTarget);
}

function finish(trials: SearchTrial[], options: Required<SearchOptions>, stopReason: StopReason, detail: string | null): SearchResult {
  const ndr = targetBounds(trials, 'ndr', options);
  const pdr = targetBounds(trials, 'pdr', options);
  const first = trials[0];
  const mrrPps =
    first !== undefined && first.verdict !== null && first.achievedPps !== null && first.lossRatio !== null ? first.achievedPps * (1 - first.lossRatio) : null;
  return {
    ndrPps: ndr.lowerPps,
    pdrPps: pdr.lowerPps,
    mrrPps,
    ndr,
    pdr,
    trials,
    trialCount: trials.length,
    stopReason,
    stopDetail: detail ?? describeStop(stopReason, ndr, pdr, trials.length, options),
    monotonicityViolations: findViolations(trials),
    options,
  };
}

function describeStop(reason: StopReason, ndr: TargetBounds, pdr: TargetBounds, count: number, options: Required<SearchOptions>): string {
  if (reason === 'all-rates-lossy') {
    return `even the minimum rate ${options.minPps} pps lost more than ${pct(pdr.lossTarget)}`;
  }
  const parts = [`${count} trials`];
  for (const [name, b] of [
    ['NDR', ndr],
    ['PDR', pdr],
  ] as const) {
    if (b.state === 'max-rate-passes') parts.push(`${name} at max rate ${options.maxPps} pps`);
    else if (b.state === 'min-rate-lossy') parts.push(`${name}: even ${options.minPps} pps lost more than ${pct(b.lossTarget)}`);
    else parts.push(`${name} in [${b.lowerPps}, ${b.upperPps}] pps (width ${pct(b.widthRel ?? 1)})`);
  }
  return parts.join('; ');
}

function findViolations(trials: readonly SearchTrial[]): MonotonicityViolation[] {
  const out: MonotonicityViolation[] = [];
  for (const target of ['ndr', 'pdr'] as const) {
    const { upper } = relevantBounds(trials, target);
    if (upper === null) continue;
    for (const t of trials) {
      if (t.verdict?.[target] === 'pass' && t.offeredPps > upper.offeredPps) {
        out.push({ target, passedPps: t.offeredPps, failedPps: upper.offeredPps });
      }
    }
  }
  return out;
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))} %`;
}
