// Where the throughput search (analysis/search.ts) measures next, for one target in one phase.
//
// In order: the previous phase's bounds are verified at this phase's duration (short trials guide,
// only full-length ones bound); an open side is found (maxPps first, expanding upwards from a
// lower bound, or stepping down from an upper bound near the knee); the bracket is narrowed at the loss-curve estimate, kept honest by the ITP rule;
// and once it is narrow enough, a bound it rests on that is still undecided (one failing trial,
// say) is measured again, so noisy single losses are judged by the exceed ratio. A once-failing
// upper bound below a load that passed is measured again at once, before any narrowing.
//
// Narrowing works on ln(rate), where the goal "(U − L) / U ≤ goal" is a constant width
// −ln(1 − goal) however high the rates are, and bisection means the geometric mean. The probe is
// the loss-curve estimate (interpolation inside the bracket, a secant through two failing loads,
// or the fixed-capacity model loss = 1 − C/R), pulled to exactly one goal width from a bound when
// it is that close, so an accurate estimate closes the bracket on the next trial; the ITP rule
// (Oliveira & Takahashi 2020, interpolate-truncate-project) projects it towards the midpoint once
// estimates waste trials, so a target needs at most bisection's trial count + ITP_SLACK_STEPS.
import type { SearchOptions, TargetState } from '../core/search-result.js';
import type { Bracket, Load, PhaseRule } from './search-loads.js';

/** Relative slack for comparing widths, so 0.00500000001 counts as 0.5 %. */
const WIDTH_EPSILON = 1e-9;

/**
 * How many trials per target the estimates may waste compared with plain bisection. 2 keeps the
 * worst case at bisection + 2 and still lets an estimate that is right but far from the (log-space)
 * midpoint be tried; 1 forced needless bisections on linear ramps.
 */
const ITP_SLACK_STEPS = 2;

/** Relative agreement between measured and capacity-model loss above U that counts as "capacity-limited". */
const CAPACITY_FIT = 0.25;

/**
 * With no lower bound and no loss-curve estimate, an upper bound that lost less than this is near
 * the knee (a noisy loss, a flat tail): step down from it instead of bisecting towards minPps. A
 * heavier loss (total loss at maxPps, say) says nothing about how far below the knee is: bisect.
 */
const DOWN_STEP_MAX_LOSS = 0.5;

/** A load that lost this many times more than a higher one is taken for a spike and measured again. */
const SPIKE_FACTOR = 1.5;

/** Per target and phase: the ITP budget and how far the upward expansion has gone. */
export interface RateMemo {
  /** Narrowing trials this target may still take; the bracket is guaranteed to converge within them. */
  itpBudget: number | null;
  /** Upward expansions from a lower bound with no upper bound above it. */
  expansions: number;
  /** Downward steps from an upper bound with no lower bound below it. */
  downSteps: number;
  /** The rate of the last trial an estimate at or below the lower bound pulled one goal width above it. */
  pulledUpTo: number | null;
}

export function newMemo(): RateMemo {
  return { itpBudget: null, expansions: 0, downSteps: 0, pulledUpTo: null };
}

/** The state the bracket would have if its tentative bounds held; null while it needs narrowing. */
function geometricState(bracket: Bracket, rule: PhaseRule, options: Required<SearchOptions>): TargetState | null {
  const { lower, upper } = bracket;
  if (upper === null) return lower !== null && lower.offeredPps >= options.maxPps ? 'max-rate-passes' : null;
  if (lower === null) return upper.offeredPps <= options.minPps ? 'min-rate-lossy' : null;
  if ((upper.offeredPps - lower.offeredPps) / upper.offeredPps <= rule.widthGoal * (1 + WIDTH_EPSILON)) return 'converged';
  if (Math.ceil(lower.offeredPps + 1) >= upper.offeredPps) return 'resolution-limit';
  return null;
}

/** A bound the settled bracket rests on that is still undecided, upper first: it needs another trial. */
function undecidedBound(bracket: Bracket): Load | null {
  if (bracket.upper?.cls === 'undecided') return bracket.upper;
  if (bracket.lower?.cls === 'undecided') return bracket.lower;
  return null;
}

/** The final state of a target in a phase, or null while it still needs trials. */
export function settledState(bracket: Bracket, rule: PhaseRule, options: Required<SearchOptions>): TargetState | null {
  return undecidedBound(bracket) === null ? geometricState(bracket, rule, options) : null;
}

/** What the previous phase found for this target: its bounds, and every load it judged. */
export interface PhaseHints {
  lowerPps: number | null;
  upperPps: number | null;
  /** Rates the previous phase judged as upper / lower, ascending. */
  uppersPps: number[];
  lowersPps: number[];
}

/** The next offered rate for one target in one phase; null when the target is settled in it. */
export function nextRate(
  bracket: Bracket,
  loads: readonly Load[],
  rule: PhaseRule,
  options: Required<SearchOptions>,
  lossTarget: number,
  memo: RateMemo,
  hints: PhaseHints | null,
): number | null {
  const { lower, upper } = bracket;
  if (geometricState(bracket, rule, options) !== null) return undecidedBound(bracket)?.offeredPps ?? null;
  const judged = (pps: number) => loads.some((l) => l.offeredPps === pps);
  const inside = (pps: number) => (lower === null || pps > lower.offeredPps) && (upper === null || pps < upper.offeredPps) && !judged(pps);

  if (hints !== null) {
    // Verify the previous phase's bounds first, as MLRsearch does: when they hold, this phase is
    // done in two loads. Also when the other target's trials already bound this side more loosely
    // (NDR's upper bound from PDR's failing loads): the hint is the better guess than narrowing.
    if (hints.lowerPps !== null && inside(hints.lowerPps)) return hints.lowerPps;
    if (hints.upperPps !== null && inside(hints.upperPps)) return hints.upperPps;
  }
  if (upper === null) return rateAbove(lower, options, memo, hints, inside);
  // The bracket rests on a load that failed once where the evidence says it passes: a load above
  // it passed in this phase, or the previous phase found it a lower bound. Most likely a noise
  // spike: judge it again by the exceed ratio before narrowing towards it (narrowing first spent
  // the budget re-bracketing below a spike, in seeded runs of test/analysis/search-noise.test.ts).
  if (upper.cls === 'undecided' && (loads.some((l) => l.cls === 'lower' && l.offeredPps > upper.offeredPps) || hints?.lowersPps.includes(upper.offeredPps)))
    return upper.offeredPps;
  // Nothing passed below a load that failed once, and it lost more than a higher load did (a
  // spike, most likely): judge that load again before bisecting down to minPps.
  if (lower === null && upper.cls === 'undecided' && bracket.aboveUpper !== null && upper.effectiveLoss > SPIKE_FACTOR * bracket.aboveUpper.effectiveLoss)
    return upper.offeredPps;
  // Likewise when it failed only because the generator fell short once (a stall, not a limit).
  if (lower === null && upper.cls === 'undecided' && upper.generatorLimited) return upper.offeredPps;
  if (lower === null && hints !== null) {
    // The hinted lower bound failed at full length: try the previous phase's next lower load.
    const candidate = [...hints.lowersPps].reverse().find(inside);
    if (candidate !== undefined) return candidate;
  }
  return narrow(bracket, rule, options, lossTarget, memo);
}

/** No upper bound yet: maxPps, or (above a lower bound) the previous phase's next failing load or a doubling step up. */
function rateAbove(
  lower: Load | null,
  options: Required<SearchOptions>,
  memo: RateMemo,
  hints: PhaseHints | null,
  inside: (pps: number) => boolean,
): number | null {
  if (lower === null) return inside(options.maxPps) ? options.maxPps : null;
  // Expand upwards from the lower bound, doubling the step (in log space) each time, as MLRsearch
  // does; the previous phase's next failing load instead when it is closer.
  memo.expansions += 1;
  const stepLog = -Math.log(1 - options.goalWidth) * 2 ** memo.expansions;
  const expanded = Math.min(options.maxPps, roundedRate(Math.log(lower.offeredPps) + stepLog, lower.offeredPps, null, options.goalWidth));
  const hinted = hints?.uppersPps.find(inside);
  const rate = hinted !== undefined && hinted < expanded ? hinted : expanded;
  return inside(rate) ? rate : null;
}

function narrow(bracket: Bracket, rule: PhaseRule, options: Required<SearchOptions>, lossTarget: number, memo: RateMemo): number | null {
  const { lower, upper } = bracket;
  if (upper === null) return null;
  const goalLog = -Math.log(1 - rule.widthGoal);
  const lowPps = lower?.offeredPps ?? options.minPps;
  const a = Math.log(lowPps);
  const b = Math.log(upper.offeredPps);
  const widthLog = b - a;
  // Nothing passed and the bracket has closed onto minPps: only minPps itself is left to try.
  if (lower === null && widthLog <= goalLog * (1 + WIDTH_EPSILON)) return options.minPps;

  const estimate = estimateRate(lossTarget, bracket);
  // Nothing has passed yet, but the upper bound's loss says the knee is near: step down from it
  // (to the estimate, and at least one goal width, doubling each time), as MLRsearch's external
  // search does. On a noisy machine the estimate lands just above the knee again and again; bisecting
  // [minPps, U] then would spend four trials climbing back up from far below (11 kpps after
  // failing at 131 kpps, seen on AF_XDP under load).
  if (lower === null && ((estimate !== null && estimate > lowPps) || upper.effectiveLoss < DOWN_STEP_MAX_LOSS)) {
    memo.downSteps += 1;
    const stepped = Math.log(upper.offeredPps) - goalLog * 2 ** (memo.downSteps - 1);
    const rate = roundedRate(estimate !== null && estimate > lowPps ? Math.min(Math.log(estimate), stepped) : stepped, null, upper.offeredPps, rule.widthGoal);
    if (rate > lowPps && rate < upper.offeredPps) return rate;
    return options.minPps;
  }

  const halvingsNeeded = Math.max(0, Math.ceil(Math.log2(widthLog / goalLog)));
  // A non-monotonic result can widen the bracket past what the budget covers: start afresh.
  if (memo.itpBudget === null || widthLog > goalLog * 2 ** memo.itpBudget) memo.itpBudget = halvingsNeeded + ITP_SLACK_STEPS;
  const mid = (a + b) / 2;
  const radius = goalLog * 2 ** (memo.itpBudget - 1) - widthLog / 2;
  memo.itpBudget -= 1;

  // An estimate more than one goal width outside the bracket contradicts the measurements (total
  // loss at U gives "capacity 0", for example); so does one that already sent a trial to a goal
  // width above the lower bound and passed there (on a noisy machine a loss spike at U puts the
  // capacity below rates that pass, and the search crawled up 0.5 % per passing trial): bisect.
  const estimateLog = estimate !== null && estimate > 0 ? Math.log(estimate) : null;
  const crawling = memo.pulledUpTo !== null && lower !== null && lower.offeredPps === memo.pulledUpTo && estimateLog !== null && estimateLog <= a;
  let x = !crawling && estimateLog !== null && estimateLog > a - goalLog && estimateLog < b + goalLog ? estimateLog : mid;
  x = widthLog > 2 * goalLog ? Math.min(Math.max(x, a + goalLog), b - goalLog) : mid;
  if (Math.abs(x - mid) > radius) x = mid + Math.sign(x - mid) * Math.max(radius, 0);

  const rate = roundedRate(x, lower?.offeredPps ?? null, upper.offeredPps, rule.widthGoal);
  // Remember a trial sent to one goal width above the lower bound by an estimate at or below it.
  memo.pulledUpTo = estimateLog !== null && estimateLog <= a && x === a + goalLog ? rate : null;
  if (rate > lowPps && rate < upper.offeredPps) return rate;
  if (lower === null) return options.minPps;
  return null;
}

/**
 * exp(logRate) in whole pps, rounded towards a bound it lies one goal width (or less) from: plain
 * rounding put probes a hair past it, and brackets ended 0.5009 % wide, "open" at a 0.5 % goal
 * (4 of 10 searches of a real bench). (U − L) / U ≤ goal ⇔ U ≤ L / (1 − goal) ⇔ L ≥ U · (1 − goal).
 */
export function roundedRate(logRate: number, lowerPps: number | null, upperPps: number | null, goal: number): number {
  const raw = Math.exp(logRate);
  const rate = Math.round(raw);
  const highest = lowerPps === null ? Infinity : lowerPps / (1 - goal);
  if (rate > highest && raw <= highest * (1 + WIDTH_EPSILON)) return Math.floor(highest);
  const lowest = upperPps === null ? -Infinity : upperPps * (1 - goal);
  if (rate < lowest && raw >= lowest * (1 - WIDTH_EPSILON)) return Math.ceil(lowest);
  return rate;
}

/**
 * The offered rate where loss would equal `lossTarget`, from the loads around the bracket: linear
 * interpolation between a lower and an upper bound when the lower one had some loss; otherwise a
 * secant through the two lowest upper bounds; otherwise the fixed-capacity model (a device that
 * forwards C pps loses 1 − C/R at R > C, so loss t happens at C / (1 − t)).
 */
function estimateRate(lossTarget: number, bracket: Bracket): number | null {
  const { lower, upper, aboveUpper } = bracket;
  if (upper === null) return null;
  const U = upper.offeredPps;
  const lossU = upper.effectiveLoss;
  if (lossU <= lossTarget) return null;
  // A lossless lower bound says nothing about where loss starts; only a lossy one is on the curve.
  if (lower !== null) {
    const lossL = lower.effectiveLoss;
    if (lossL > 0 && lossL < lossTarget) return lower.offeredPps + ((lossTarget - lossL) * (U - lower.offeredPps)) / (lossU - lossL);
  }
  const capacity = (U * (1 - lossU)) / (1 - lossTarget);
  if (aboveUpper !== null) {
    const lossA = aboveUpper.effectiveLoss;
    // Loss flat above U (a low-level "tail" loss, not a capacity limit): no model fits; bisect.
    if (!(lossA > lossU)) return null;
    // When the loss above U is what a fixed capacity predicts, the device looks capacity-limited: a
    // secant across that concave curve would land far too low. Otherwise (a ramp) the secant.
    const predictedA = 1 - (U * (1 - lossU)) / aboveUpper.offeredPps;
    if (Math.abs(predictedA - lossA) <= CAPACITY_FIT * Math.max(predictedA, lossA)) return capacity;
    const x = U - ((lossU - lossTarget) * (aboveUpper.offeredPps - U)) / (lossA - lossU);
    if (Number.isFinite(x) && x > 0) return x;
  }
  return capacity;
}
