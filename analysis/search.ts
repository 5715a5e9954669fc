// Throughput search: NDR (no-drop rate), PDR (partial-drop rate) and MRR (maximum receive rate).
//
// One trial at an offered rate R says, for each loss target t, "pass" (loss ≤ t and the generator
// kept up) or "fail". NDR is the highest rate that passes t = 0, PDR the highest that passes
// t = 0.005 (configurable). Both are searched together in the style of FD.io CSIT's MLRsearch
// (draft-ietf-bmwg-mlrsearch): every trial is judged against both targets, so a trial aimed at PDR
// also narrows NDR and vice versa.
//
// Robust on noisy machines, as MLRsearch is:
// - Phases of increasing trial duration (phaseDurationsS, then trialDurationS). Short exploratory
//   trials only guide; the reported bounds are loads judged from full-length trials only.
// - Several trials per load with an exceed ratio (analysis/search-loads.ts): a load is an upper
//   bound only when more than exceedRatio of durationSumS of its full-length trial time lost too
//   much, so a single noisy loss is measured again instead of pinning NDR low for good.
// - Relevant bounds: the lowest upper-bound load, and the highest lower-bound load below it; a
//   lower-bound load above an upper one is recorded as a monotonicity violation.
// - The search ends with full-length trials at both bounds of each target (every bound is one).
// - The generator must reach the offered rate within generatorTolerance ≤ goalWidth, or the trial
//   fails every target: a bound is a rate actually offered.
// Next rates are chosen in analysis/search-rate.ts.
//
// Options, and why their usual values:
// - goalWidth (relative, (upper − lower) / upper): 0.005 = 0.5 %, about the run-to-run noise of
//   software paths on a shared VM; a finer goal would only chase noise.
// - maxTrials: the budget in full-length-equivalent trials (summed durations / trialDurationS).
// - exceedRatio 0.5 over durationSumS = 2 × trialDurationS: one passing full-length trial makes a
//   lower bound; a failing one asks for a second trial, which decides.
// - trialDurationS: a trial at R pps for D s sends R·D packets; a 0.5 % loss needs a few hundred
//   packets to show, and "zero loss" only means fewer than one lost in R·D.
import { UserError } from '../core/errors.js';
import type {
  MonotonicityViolation,
  SearchKind,
  SearchOptions,
  SearchResult,
  SearchTrial,
  StopReason,
  TargetBounds,
  TargetName,
  TargetState,
  TrialVerdict,
} from '../core/search-result.js';
import type { TrialStatus } from '../core/trial.js';
import { bracketOf, phaseLoads, phaseRules, type PhaseRule } from './search-loads.js';
import { newMemo, nextRate, settledState, type PhaseHints, type RateMemo } from './search-rate.js';

// The search's options and result; declared with search.json, which stores them (core/search-result.ts).
export type { SearchOptions, SearchResult } from '../core/search-result.js';

export const DEFAULT_SEARCH_OPTIONS = {
  goalWidth: 0.005,
  maxTrials: 20,
  lossTargets: { ndr: 0, pdr: 0.005 },
  trialDurationS: 2,
  exceedRatio: 0.5,
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
  /** This trial's duration: an exploratory phase's, or the full length. */
  trialDurationS: number;
}

/** Runs one trial at offeredPps; `step` counts trials from 1. */
export type MeasureFn = (offeredPps: number, step: number, context: MeasureContext) => Promise<TrialOutcome>;

/**
 * The share of the budget exploratory phases may spend; the rest is the full-length phase's, which
 * verifies both bounds of both targets and measures once-failing bounds again (about 6 trials).
 */
const EXPLORATION_SHARE = 0.5;

/** Slack for float sums of durations against the budget. */
const BUDGET_EPSILON = 1e-9;

export function resolveSearchOptions(opts: SearchOptions): Required<SearchOptions> {
  const resolved: Required<SearchOptions> = {
    ...opts,
    phaseDurationsS: opts.phaseDurationsS ?? [],
    exceedRatio: opts.exceedRatio ?? DEFAULT_SEARCH_OPTIONS.exceedRatio,
    durationSumS: opts.durationSumS ?? 2 * opts.trialDurationS,
    generatorTolerance: opts.generatorTolerance ?? opts.goalWidth,
  };
  const { minPps, maxPps, goalWidth, maxTrials, lossTargets, trialDurationS, phaseDurationsS, exceedRatio, durationSumS, generatorTolerance } = resolved;
  if (!Number.isFinite(minPps) || minPps < 1) throw new UserError(`search.minPps must be ≥ 1, got ${minPps}`);
  if (!Number.isFinite(maxPps) || maxPps <= minPps) {
    throw new UserError(`search.maxPps must be greater than minPps (${minPps}), got ${maxPps}`);
  }
  if (!(goalWidth > 0 && goalWidth < 1)) throw new UserError(`search.goalWidth must be in (0, 1), got ${goalWidth}`, 'use 0.005 for 0.5 %');
  if (!(maxTrials >= 1)) throw new UserError(`search.maxTrials must be ≥ 1 (full-length-equivalent trials), got ${maxTrials}`);
  if (!(lossTargets.ndr >= 0 && lossTargets.ndr < 1)) throw new UserError(`search.lossTargets.ndr must be in [0, 1), got ${lossTargets.ndr}`);
  if (!(lossTargets.pdr >= lossTargets.ndr && lossTargets.pdr < 1)) {
    throw new UserError(`search.lossTargets.pdr must be in [ndr (${lossTargets.ndr}), 1), got ${lossTargets.pdr}`);
  }
  if (!(trialDurationS > 0)) throw new UserError(`search.trialDurationS must be > 0, got ${trialDurationS}`);
  phaseDurationsS.forEach((d, i) => {
    const previous = i === 0 ? 0 : phaseDurationsS[i - 1]!;
    if (!(d > previous && d < trialDurationS)) {
      throw new UserError(
        `search.phaseDurationsS[${i}] must be greater than ${previous} and less than trialDurationS (${trialDurationS}), got ${d}`,
        'exploratory phases are shorter than the full-length trials and increase, e.g. [1] with trialDurationS: 2',
      );
    }
  });
  if (!(exceedRatio >= 0 && exceedRatio < 1))
    throw new UserError(`search.exceedRatio must be in [0, 1), got ${exceedRatio}`, 'use 0.5: a load fails when more than half its trial time lost too much');
  if (!(durationSumS >= trialDurationS)) {
    throw new UserError(
      `search.durationSumS must be at least trialDurationS (${trialDurationS}), got ${durationSumS}`,
      `the default is 2 × trialDurationS = ${2 * trialDurationS}`,
    );
  }
  if (!(generatorTolerance >= 0 && generatorTolerance <= goalWidth)) {
    throw new UserError(
      `search.generatorTolerance must be in [0, goalWidth (${goalWidth})], got ${generatorTolerance}`,
      'a pass whose generator fell further short than the goal width cannot bound the rate to that width',
    );
  }
  return resolved;
}

// PDR first: its failing loads are NDR upper bounds too, so NDR usually starts half-done.
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
  const rules = phaseRules(options);
  const finalRule = rules.at(-1)!;
  let hints: Record<TargetName, PhaseHints> | null = null;

  for (const rule of rules) {
    const memos: Record<TargetName, RateMemo> = { ndr: newMemo(), pdr: newMemo() };
    for (;;) {
      const next = pickNext(trials, rule, options, memos, hints);
      if (next === null) break;
      const used = fullLengthEquivalents(trials, options);
      // Exploration leaves the full-length phase its share of the budget: the bounds are only
      // ever full-length loads (a loaded run spent 10.5 of 12 exploring, leaving one 4 s trial).
      if (!rule.final && used + rule.durationS / options.trialDurationS > options.maxTrials * EXPLORATION_SHARE + BUDGET_EPSILON) break;
      if (used + rule.durationS / options.trialDurationS > options.maxTrials + BUDGET_EPSILON) {
        return finish(trials, options, finalRule, 'budget', `the budget of ${options.maxTrials} full-length-equivalent trials ran out (${round2(used)} used)`);
      }
      const step = trials.length + 1;
      const kind: SearchKind = step === 1 ? 'mrr' : next.target;
      const outcome = await measure(next.rate, step, { kind, trialDurationS: rule.durationS });
      const trial = classify(next.rate, step, kind, rule, outcome, options);
      trials.push(trial);
      if (trial.verdict === null) return finish(trials, options, finalRule, 'measurement-failed', failedDetail(trial));
    }
    hints = { ndr: hintsOf(trials, 'ndr', rule, options), pdr: hintsOf(trials, 'pdr', rule, options) };
  }
  const ndr = targetBounds(trials, 'ndr', finalRule, options);
  const pdr = targetBounds(trials, 'pdr', finalRule, options);
  if (pdr.state === 'min-rate-lossy') return finish(trials, options, finalRule, 'all-rates-lossy', null);
  if (ndr.upperIsGeneratorLimit || pdr.upperIsGeneratorLimit) return finish(trials, options, finalRule, 'generator-limit', null);
  return finish(trials, options, finalRule, ndr.state === 'open' || pdr.state === 'open' ? 'budget' : 'converged', null);
}

function pickNext(
  trials: readonly SearchTrial[],
  rule: PhaseRule,
  options: Required<SearchOptions>,
  memos: Record<TargetName, RateMemo>,
  hints: Record<TargetName, PhaseHints> | null,
): { target: TargetName; rate: number } | null {
  for (const target of TARGETS) {
    const loads = phaseLoads(trials, target, options.lossTargets[target], rule);
    const rate = nextRate(bracketOf(loads), loads, rule, options, options.lossTargets[target], memos[target], hints?.[target] ?? null);
    if (rate !== null) return { target, rate };
  }
  return null;
}

function hintsOf(trials: readonly SearchTrial[], target: TargetName, rule: PhaseRule, options: Required<SearchOptions>): PhaseHints {
  const loads = phaseLoads(trials, target, options.lossTargets[target], rule);
  const { lower, upper } = bracketOf(loads);
  return {
    lowerPps: lower?.offeredPps ?? null,
    upperPps: upper?.offeredPps ?? null,
    uppersPps: loads.filter((l) => l.cls !== 'lower' && l.badS > 0).map((l) => l.offeredPps),
    lowersPps: loads.filter((l) => l.cls === 'lower').map((l) => l.offeredPps),
  };
}

function classify(offeredPps: number, step: number, kind: SearchKind, rule: PhaseRule, outcome: TrialOutcome, options: Required<SearchOptions>): SearchTrial {
  const base = {
    step,
    kind,
    durationS: rule.durationS,
    phase: rule.index,
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

function fullLengthEquivalents(trials: readonly SearchTrial[], options: Required<SearchOptions>): number {
  return trials.reduce((sum, t) => sum + t.durationS, 0) / options.trialDurationS;
}

/** A target's bounds from the full-length loads only. */
function targetBounds(trials: readonly SearchTrial[], target: TargetName, rule: PhaseRule, options: Required<SearchOptions>): TargetBounds {
  const lossTarget = options.lossTargets[target];
  const loads = phaseLoads(trials, target, lossTarget, rule);
  const bracket = bracketOf(loads);
  const { lower, upper } = bracket;
  const lowerPps = lower?.offeredPps ?? null;
  const upperPps = upper?.offeredPps ?? null;
  let widthRel: number | null = null;
  if (upperPps === null) widthRel = lowerPps === null ? null : 0;
  else if (lowerPps !== null) widthRel = (upperPps - lowerPps) / upperPps;
  const state: TargetState = settledState(bracket, rule, options) ?? 'open';
  return {
    lossTarget,
    lowerPps,
    upperPps,
    widthRel,
    state,
    lowerTrials: lower?.trials.length ?? 0,
    upperTrials: upper?.trials.length ?? 0,
    upperIsGeneratorLimit: upper?.generatorLimited ?? false,
  };
}

function finish(trials: SearchTrial[], options: Required<SearchOptions>, rule: PhaseRule, stopReason: StopReason, detail: string | null): SearchResult {
  const ndr = targetBounds(trials, 'ndr', rule, options);
  const pdr = targetBounds(trials, 'pdr', rule, options);
  const first = trials[0];
  const mrrPps =
    first !== undefined && first.verdict !== null && first.achievedPps !== null && first.lossRatio !== null ? first.achievedPps * (1 - first.lossRatio) : null;
  const fle = round2(fullLengthEquivalents(trials, options));
  return {
    ndrPps: ndr.lowerPps,
    pdrPps: pdr.lowerPps,
    mrrPps,
    ndr,
    pdr,
    trials,
    trialCount: trials.length,
    fullLengthEquivalentTrials: fle,
    stopReason,
    stopDetail: [detail, describeBounds(ndr, pdr, trials.length, fle, options), stopReason === 'converged' ? null : flatLoss(trials, mrrPps, options)]
      .filter((p) => p !== null)
      .join('; '),
    monotonicityViolations: findViolations(trials, rule, options),
    options,
  };
}

/**
 * Why a search did not settle, when its trials show it: full-length trials that lost more than the
 * PDR target at rates below half of what the device forwarded at maxPps (MRR). A device with a
 * capacity knee does not lose there; loss that follows other processes' use of the CPUs does (on
 * a loaded 2-vCPU VM, AF_XDP and kernel paths lost 2–16 % at every rate from 5 to 30 kpps).
 */
function flatLoss(trials: readonly SearchTrial[], mrrPps: number | null, options: Required<SearchOptions>): string | null {
  if (mrrPps === null) return null;
  const lossyBelow = trials.filter(
    (t) =>
      t.durationS === options.trialDurationS && t.step > 1 && !t.generatorShort && (t.lossRatio ?? 0) > options.lossTargets.pdr && t.offeredPps < mrrPps / 2,
  );
  if (lossyBelow.length === 0) return null;
  const lowest = lossyBelow.reduce((a, b) => (b.offeredPps < a.offeredPps ? b : a));
  return `loss did not follow the offered rate: ${lossyBelow.length} trial(s) below half the MRR (${Math.round(mrrPps)} pps) lost more than ${pct(options.lossTargets.pdr)}, down to ${Math.round(lowest.offeredPps)} pps (${pct(lowest.lossRatio ?? 0)} lost), which a capacity knee does not explain (on a shared machine: other processes on the CPUs)`;
}

/** The brackets, honestly: state, bounds and width of each target, and what the search spent. */
function describeBounds(ndr: TargetBounds, pdr: TargetBounds, count: number, fle: number, options: Required<SearchOptions>): string {
  const parts = [`${count} trials (${fle} full-length-equivalent)`];
  for (const [name, b] of [
    ['NDR', ndr],
    ['PDR', pdr],
  ] as const) {
    if (b.state === 'max-rate-passes') parts.push(`${name} at max rate ${options.maxPps} pps`);
    else if (b.state === 'min-rate-lossy') parts.push(`${name}: even ${options.minPps} pps lost more than ${pct(b.lossTarget)}`);
    else if (b.lowerPps === null && b.upperPps === null) parts.push(`${name} not bounded by any full-length trial`);
    else {
      const bracket = `[${b.lowerPps ?? 'none'}, ${b.upperPps ?? 'none'}] pps`;
      // No upper bound: nothing full-length failed above the lower one yet, which is no width of 0.
      const width = b.lowerPps === null ? 'no lower bound' : b.upperPps === null ? 'no upper bound' : `width ${pct(b.widthRel ?? 0)}`;
      const generator = b.upperIsGeneratorLimit ? ', upper bound is where the generator fell short: the device may do more' : '';
      // Narrow enough, yet open: a bound it rests on had one failing trial and needed a second.
      const undecided =
        b.state === 'open' && b.upperPps !== null && b.widthRel !== null && b.widthRel <= options.goalWidth * (1 + 1e-9)
          ? ', narrow enough but a bound is still undecided: it needed another trial'
          : '';
      parts.push(`${name} ${b.state} in ${bracket} (${width}${generator}${undecided})`);
    }
  }
  return parts.join('; ');
}

function findViolations(trials: readonly SearchTrial[], rule: PhaseRule, options: Required<SearchOptions>): MonotonicityViolation[] {
  const out: MonotonicityViolation[] = [];
  for (const target of ['ndr', 'pdr'] as const) {
    const loads = phaseLoads(trials, target, options.lossTargets[target], rule);
    const { upper } = bracketOf(loads);
    if (upper === null) continue;
    for (const l of loads) {
      if (l.cls === 'lower' && l.offeredPps > upper.offeredPps) out.push({ target, passedPps: l.offeredPps, failedPps: upper.offeredPps });
    }
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))} %`;
}
