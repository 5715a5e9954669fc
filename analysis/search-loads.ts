// Load classification for the throughput search (analysis/search.ts), after FD.io CSIT's
// MLRsearch: a load (one offered rate) is judged over all trials run at it in the current phase,
// not by its latest trial, so one noisy loss does not pin a bound.
//
// Final (full-length) phase, for a loss target t: "bad" time is the summed duration of trials that
// lost more than t (or whose generator fell short); "good" time the rest. With goal sum S and
// exceed ratio e, a load is
// - an upper bound when bad / max(good + bad, S) > e, i.e. it exceeds e even if every trial not
//   yet run passed;
// - a lower bound when (bad + missing) / max(good + bad, S) ≤ e with missing = max(0, S − good −
//   bad), i.e. it cannot exceed e even if every trial not yet run failed;
// - undecided otherwise: the search measures it again.
// With S = 2 × trial duration and e = 0.5 one passing trial makes a lower bound, one failing trial
// asks for a second, and the second decides. The second trial is only run when the bracket rests
// on that load (bracketOf), so failing loads far above the knee cost one trial. Exploratory phases
// judge their shorter trials the same way; their bounds only guide the full-length phase.
import type { SearchOptions, SearchTrial, TargetName } from '../core/search-result.js';

export type LoadClass = 'upper' | 'lower' | 'undecided';

/** How loads are judged in one phase. */
export interface PhaseRule {
  index: number;
  durationS: number;
  /** The full-length phase: only its loads bound NDR/PDR. */
  final: boolean;
  /** Trial time the exceed ratio is judged over, s. */
  durationSumS: number;
  exceedRatio: number;
  /** Bracket width at which this phase is done (goalWidth in the final phase). */
  widthGoal: number;
}

export interface Load {
  offeredPps: number;
  goodS: number;
  badS: number;
  /** The trials counted for this load in this phase. */
  trials: SearchTrial[];
  cls: LoadClass;
  /** Mean loss against the offered rate (generator shortfall counted as loss), for the loss-curve estimates. */
  effectiveLoss: number;
  /** Every failing trial failed only because the generator fell short (its loss was within the target). */
  generatorLimited: boolean;
}

/** Relative slack for comparing ratios, so rounding does not flip a classification. */
const EPSILON = 1e-9;

export function phaseRules(options: Required<SearchOptions>): PhaseRule[] {
  const exploratory = options.phaseDurationsS;
  const rules = exploratory.map((durationS, index) => ({
    index,
    durationS,
    final: false,
    // The same exceed ratio over the same number of trials, at this phase's duration.
    durationSumS: (durationS * options.durationSumS) / options.trialDurationS,
    exceedRatio: options.exceedRatio,
    // Earlier phases may stop wider: each halves the width the next one starts from.
    widthGoal: Math.min(0.5, options.goalWidth * 2 ** (exploratory.length - 1 - index)),
  }));
  rules.push({
    index: exploratory.length,
    durationS: options.trialDurationS,
    final: true,
    durationSumS: options.durationSumS,
    exceedRatio: options.exceedRatio,
    widthGoal: options.goalWidth,
  });
  return rules;
}

export function classifyTime(goodS: number, badS: number, rule: PhaseRule): LoadClass {
  const total = goodS + badS;
  const denominator = Math.max(total, rule.durationSumS);
  if (badS / denominator > rule.exceedRatio * (1 + EPSILON) + EPSILON) return 'upper';
  const missingS = Math.max(0, rule.durationSumS - total);
  if ((badS + missingS) / denominator <= rule.exceedRatio * (1 + EPSILON) + EPSILON) return 'lower';
  return 'undecided';
}

/** Loss as seen against the offered rate: what did not come back of what was asked for. */
export function effectiveLoss(trial: SearchTrial): number {
  const loss = trial.lossRatio ?? 1;
  if (trial.achievedPps === null) return loss;
  return Math.min(1, Math.max(loss, 1 - (trial.achievedPps * (1 - loss)) / trial.offeredPps));
}

/** The loads of one phase for one target, by ascending rate. A phase counts its own and longer trials. */
export function phaseLoads(trials: readonly SearchTrial[], target: TargetName, lossTarget: number, rule: PhaseRule): Load[] {
  const byRate = new Map<number, SearchTrial[]>();
  for (const t of trials) {
    if (t.verdict === null || t.durationS < rule.durationS * (1 - EPSILON)) continue;
    const list = byRate.get(t.offeredPps) ?? [];
    list.push(t);
    byRate.set(t.offeredPps, list);
  }
  const loads: Load[] = [];
  for (const [offeredPps, list] of byRate) {
    let goodS = 0;
    let badS = 0;
    let generatorLimited = true;
    for (const t of list) {
      if (t.verdict?.[target] === 'pass') goodS += t.durationS;
      else {
        badS += t.durationS;
        if (!t.generatorShort || (t.lossRatio ?? 1) > lossTarget) generatorLimited = false;
      }
    }
    const effective = list.reduce((sum, t) => sum + effectiveLoss(t), 0) / list.length;
    loads.push({
      offeredPps,
      goodS,
      badS,
      trials: list,
      cls: classifyTime(goodS, badS, rule),
      effectiveLoss: effective,
      generatorLimited: badS > 0 && generatorLimited,
    });
  }
  return loads.sort((a, b) => a.offeredPps - b.offeredPps);
}

export interface Bracket {
  /** Highest lower-bound load below `upper` (tentative: undecided with no failing trial). */
  lower: Load | null;
  /** Lowest upper-bound load (tentative: undecided with a failing trial). */
  upper: Load | null;
  /** The next upper-bound load above `upper`, for a secant estimate. */
  aboveUpper: Load | null;
}

/** Whether a load counts as an upper bound while narrowing: decided, or undecided with a failing trial. */
function failsSoFar(l: Load): boolean {
  return l.cls === 'upper' || (l.cls === 'undecided' && l.badS > 0);
}

/**
 * MLRsearch's relevant bounds: the lowest upper-bound load, and the highest lower-bound load below
 * it. Undecided loads take part tentatively (failing so far: upper; else lower), so narrowing goes
 * on without waiting for them; only a bound the final bracket rests on is measured again.
 */
export function bracketOf(loads: readonly Load[]): Bracket {
  const uppers = loads.filter(failsSoFar);
  const upper = uppers[0] ?? null;
  const aboveUpper = uppers[1] ?? null;
  let lower: Load | null = null;
  for (const l of loads) if (!failsSoFar(l) && (upper === null || l.offeredPps < upper.offeredPps)) lower = l;
  return { lower, upper, aboveUpper };
}
