// The selective-win rule's four checks, the choice of the best bypass path, and the sentences
// that explain a verdict. Pure functions of one DecisionInput and the thresholds.
import type { P99Comparison, ShiftTest } from '../core/verdict.js';
import { shiftTest } from './significance.js';
import { compareRanges } from './stats.js';
import type {
  BeyondSpreadCheck,
  CpuComparison,
  GainCheck,
  KernelAttribution,
  KernelBottleneckCheck,
  PathSummary,
  RepetitionAgreement,
  RuleChecks,
  ScenarioSaving,
  SelectiveWinThresholds,
  SteadyLoadCheck,
} from './selective-win-types.js';

export function eligibleBypass(paths: readonly PathSummary[], t: SelectiveWinThresholds, offeredPps: number | null = null) {
  const eligible: PathSummary[] = [];
  const excluded: { pathLabel: string; why: string }[] = [];
  for (const p of paths) {
    if (p.emulated && !t.includeEmulated) excluded.push({ pathLabel: p.pathLabel, why: 'emulated (set includeEmulated to use it)' });
    else if (p.p99Us === null) excluded.push({ pathLabel: p.pathLabel, why: 'no p99 measured' });
    else if (!reachedRate(p, offeredPps)) excluded.push({ pathLabel: p.pathLabel, why: shortOfRate(p, offeredPps) });
    else eligible.push(p);
  }
  return { eligible, excluded };
}

/** A trial more than 2 % below the offered rate did not sustain it: its latency is not a latency at R. */
export function reachedRate(p: PathSummary, offeredPps: number | null): boolean {
  return offeredPps === null || p.achievedPps == null || p.achievedPps >= 0.98 * offeredPps;
}

export function shortOfRate(p: PathSummary, offeredPps: number | null): string {
  return `reached ${Math.round(p.achievedPps ?? 0)} of ${offeredPps ?? '?'} pps (> 2 % short)`;
}

/** Lowest p99 among paths that hold the loss goal (or whose loss is unknown); else lowest p99 overall. */
export function pickBest(eligible: readonly PathSummary[], t: SelectiveWinThresholds): PathSummary | null {
  const byP99 = [...eligible].sort((a, b) => (a.p99Us as number) - (b.p99Us as number));
  return byP99.find((p) => !(p.lossRatio !== null && p.lossRatio > t.lossGoal)) ?? byP99[0] ?? null;
}

function holds(p: PathSummary | null, t: SelectiveWinThresholds): boolean | null {
  return p === null || p.lossRatio === null ? null : p.lossRatio <= t.lossGoal;
}

/** Does the best bypass path hold R where the kernel does not? From losses at R, else from PDRs. */
export function sustainsRateKernelCannot(
  kernel: PathSummary | null,
  best: PathSummary | null,
  offeredPps: number | null,
  t: SelectiveWinThresholds,
): boolean | null {
  const kernelHolds = holds(kernel, t);
  const bypassHolds = holds(best, t);
  if (kernelHolds === true) return false;
  if (bypassHolds === false) return false;
  if (kernelHolds === false && bypassHolds === true) return true;
  const kernelPdr = kernel?.pdrPps ?? null;
  const bypassPdr = best?.pdrPps ?? null;
  if (offeredPps !== null && kernelPdr !== null && bypassPdr !== null) return kernelPdr < offeredPps && bypassPdr >= offeredPps;
  // Closed loop offers no rate to sustain: only a latency gain can win there.
  return offeredPps === null ? false : null;
}

export function checkKernelBottleneck(
  attribution: KernelAttribution | null,
  sustains: boolean | null,
  kernel: PathSummary | null,
  best: PathSummary | null,
  offeredPps: number | null,
  t: SelectiveWinThresholds,
  tunedMeasured = false,
): KernelBottleneckCheck {
  const share = attribution?.kernelShareP99 ?? null;
  const wakeup = attribution?.wakeupShareP99 ?? null;
  // Busy polling removes wake-up without bypass: with a tuned reference measured, bypass gets no credit for it.
  const judged = share !== null && wakeup !== null && tunedMeasured ? Math.max(0, share - wakeup) : share;
  const dominant = dominantNonKernel(attribution);
  const base = {
    kernelShareP99: share,
    wakeupShareP99: wakeup,
    kernelShareJudgedP99: judged,
    kernelShareMin: t.kernelShareMin,
    dominantNonKernel: dominant,
    kernelLosesWhereBypassHolds: sustains,
  };
  const what = judged !== share ? `kernel without wake-up` : 'kernel';
  const wake = wakeup === null ? '' : judged !== share ? ` (wake-up ${pct(wakeup)} left out: busy polling removes it)` : ` (wake-up ${pct(wakeup)} of it)`;
  if (judged !== null && judged >= t.kernelShareMin) {
    return { ...base, status: 'passed', detail: `${what} is ${pct(judged)} of p99 (≥ ${pct(t.kernelShareMin)})${wake}` };
  }
  if (sustains === true) {
    return { ...base, status: 'passed', detail: `${lossSentence(kernel, t, offeredPps)} while ${best?.pathLabel ?? 'bypass'} holds it` };
  }
  if (judged === null) {
    const why = attribution?.shareP99Reason ?? 'no attribution at this size and rate';
    return { ...base, status: 'unknown', detail: `kernel share of p99 unknown (${why})` };
  }
  const shortfall = `${what} only ${pct(judged)} of p99 < ${pct(t.kernelShareMin)}${wake}`;
  const detail =
    dominant !== null && dominant.shareP99 > judged
      ? dominant.says
        ? `${dominant.says} (${pct(dominant.shareP99)} of p99; ${what} only ${pct(judged)} < ${pct(t.kernelShareMin)})${wake}`
        : `${dominant.name} is ${pct(dominant.shareP99)} of p99 (${what} only ${pct(judged)} < ${pct(t.kernelShareMin)})${wake}`
      : shortfall;
  if (sustains === null) return { ...base, status: 'unknown', detail: `${shortfall}, and whether the kernel path holds the rate is unknown` };
  return { ...base, status: 'failed', detail };
}

function dominantNonKernel(attribution: KernelAttribution | null): { name: string; shareP99: number; says?: string } | null {
  let best: { name: string; shareP99: number; says?: string } | null = null;
  for (const c of attribution?.components ?? []) {
    if (/^kernel/i.test(c.name) || c.shareP99 === null) continue;
    if (best === null || c.shareP99 > best.shareP99) best = { name: c.name, shareP99: c.shareP99, ...(c.says ? { says: c.says } : {}) };
  }
  return best;
}

/** The default kernel and the best kernel configuration, for the gain check's sentences. */
export interface KernelPair {
  defaultKernel: PathSummary | null;
  bestKernel: PathSummary | null;
  bestIsTuned: boolean;
  gainVsDefaultRel: number | null;
  tunedClosesGapRel: number | null;
}

export function checkGain(
  gainRel: number | null,
  savingUs: number | null,
  sustains: boolean | null,
  best: PathSummary | null,
  cpu: CpuComparison,
  t: SelectiveWinThresholds,
  pair?: KernelPair,
  scenario?: ScenarioSaving | null,
): GainCheck {
  const base = {
    gainRel,
    gainMin: t.gainMin,
    sustainsRateKernelCannot: sustains,
    gainVsDefaultRel: pair?.gainVsDefaultRel ?? null,
    tunedClosesGapRel: pair?.tunedClosesGapRel ?? null,
  };
  const name = best?.pathLabel ?? 'bypass';
  const against = pair?.bestIsTuned ? ` against ${pair.bestKernel?.pathLabel ?? 'the tuned kernel'}` : '';
  const vsDefault =
    pair?.bestIsTuned && pair.gainVsDefaultRel !== null
      ? `, ${pct(pair.gainVsDefaultRel)} against ${pair.defaultKernel?.pathLabel ?? 'the default kernel'}`
      : '';
  if (best !== null && holds(best, t) === false && sustains !== true) {
    return { ...base, status: 'failed', detail: `no bypass path holds the ${lossPct(t.lossGoal)} loss goal (${name} loses ${lossPct(best.lossRatio ?? 0)})` };
  }
  // In a scenario the gain is a share of the scenario's own RTT p99 (selective-win-scenario.ts).
  const subject = scenario?.subject ?? `scenario ${scenario?.scenario ?? ''}`;
  const ofWhat = scenario ? `${subject}'s RTT p99 (${us(scenario.rttP99Us ?? 0)})` : 'p99';
  if (scenario && gainRel === null) {
    return {
      ...base,
      status: 'unknown',
      detail: `the saving in ${subject} is unknown (its RTT, kernel share or the bypass cut was not measured)`,
    };
  }
  if (gainRel !== null && gainRel >= t.gainMin) {
    const cut = scenario ? `saves ${pct(gainRel)} of ${ofWhat}: ${us(savingUs ?? 0)}` : `cuts p99 by ${pct(gainRel)} (${us(savingUs ?? 0)})`;
    return { ...base, status: 'passed', detail: `${name} ${cut}${against}${vsDefault}${costClause(cpu)}` };
  }
  if (sustains === true) return { ...base, status: 'passed', detail: `${name} sustains the rate no kernel configuration can${costClause(cpu)}` };
  if (gainRel === null) return { ...base, status: 'unknown', detail: 'p99 gain unknown' };
  const detail =
    busyPollingSentence(pair, best, t) ??
    (scenario
      ? gainRel < 0
        ? // A slower bypass path adds to the scenario's p99 instead of saving: say it that way round.
          `${name} would add ${pct(-gainRel)} to ${ofWhat} (+${us(-(savingUs ?? 0))} on the ${theKind(scenario)}'s ${us(scenario.creditedKernelP99Us ?? 0)} kernel part)`
        : `${name} would save ${pct(gainRel)} of ${ofWhat} (${us(savingUs ?? 0)} of the ${theKind(scenario)}'s ${us(scenario.creditedKernelP99Us ?? 0)} kernel part) < ${pct(t.gainMin)}`
      : gainShortfall(gainRel, name, cpu, t));
  if (sustains === null) return { ...base, status: 'unknown', detail: `${detail}, and whether it sustains a rate the kernel cannot is unknown` };
  return { ...base, status: 'failed', detail };
}

/** "scenario" or "service": what the saving's experiment is, for sentences. */
function theKind(s: ScenarioSaving): string {
  return s.subject?.split(' ')[0] ?? 'scenario';
}

/**
 * The fairness reason: bypass would win against the default kernel, but a busy-polling kernel
 * socket closes (most of) the gap without bypass.
 */
function busyPollingSentence(pair: KernelPair | undefined, best: PathSummary | null, t: SelectiveWinThresholds): string | null {
  if (!pair?.bestIsTuned || pair.gainVsDefaultRel === null || pair.gainVsDefaultRel < t.gainMin || pair.tunedClosesGapRel === null) return null;
  const tuned = pair.bestKernel;
  const numbers = `p99 ${pair.defaultKernel?.pathLabel ?? 'default'} ${us(pair.defaultKernel?.p99Us ?? 0)}, ${tuned?.pathLabel ?? 'tuned'} ${us(tuned?.p99Us ?? 0)}, ${best?.pathLabel ?? 'bypass'} ${us(best?.p99Us ?? 0)}`;
  if (pair.tunedClosesGapRel >= 1)
    return `busy-polling the kernel socket (${tuned?.pathLabel ?? 'tuned'}) beats ${best?.pathLabel ?? 'bypass'} without bypass (${numbers})`;
  return `busy-polling the kernel socket (${tuned?.pathLabel ?? 'tuned'}) gets ${pct(pair.tunedClosesGapRel)} of the gain without bypass (${numbers})`;
}

function gainShortfall(gainRel: number, name: string, cpu: CpuComparison, t: SelectiveWinThresholds): string {
  if (gainRel < 0) return `${name} p99 is ${pct(-gainRel)} worse than the kernel path's${costClause(cpu)}`;
  if (cpu.coresDelta !== null && cpu.coresDelta >= 0.05)
    return `bypass costs ${cores(cpu.coresDelta)} extra ${plural(cpu.coresDelta)} for ${pct(gainRel)} gain (< ${pct(t.gainMin)})`;
  return `gain ${pct(gainRel)} < ${pct(t.gainMin)}`;
}

export function checkSteadyLoad(cv: number | null, t: SelectiveWinThresholds): SteadyLoadCheck {
  const base = { cv, steadyCvMax: t.steadyCvMax };
  if (cv === null) return { ...base, status: 'unknown', detail: 'load steadiness not measured (no arrival-rate CV)' };
  if (cv <= t.steadyCvMax) return { ...base, status: 'passed', detail: `load steady (CV ${cv.toFixed(2)} ≤ ${t.steadyCvMax.toFixed(2)})` };
  return { ...base, status: 'failed', detail: `load unsteady (CV ${cv.toFixed(2)} > ${t.steadyCvMax.toFixed(2)})` };
}

/** Check 4's correction: the adjusted p-value of this cell's test over the verdict set (decideAll). */
export interface SpreadCorrection {
  qValue: number;
  comparisons: number;
}

/**
 * The difference must exceed the noise between repetitions. For a latency win: a one-sided Welch
 * t-test on log p99 per repetition (significance.ts, shiftTest), at false-discovery rate α over
 * every cell of the verdict set when decideAll passes the correction; without per-repetition
 * values, the p99 ranges must not overlap (a description only). For a sustained-rate win: every
 * kernel repetition must miss the loss goal and every bypass repetition hold it.
 */
export function checkBeyondSpread(
  kernel: PathSummary | null,
  best: PathSummary | null,
  gainRel: number | null,
  sustains: boolean | null,
  t: SelectiveWinThresholds,
  correction?: SpreadCorrection,
): BeyondSpreadCheck {
  const range = (p: PathSummary | null) =>
    p && p.p99Us !== null && p.p99RangeUs ? { median: p.p99Us, min: p.p99RangeUs.min, max: p.p99RangeUs.max, n: p.repetitionsOk } : null;
  const p99 = testP99(compareRanges(range(kernel), range(best), t.minRepetitions), kernel, best, t, correction);
  const latencyWin = gainRel !== null && gainRel >= t.gainMin;
  if (!latencyWin && sustains === true && kernel !== null && best !== null) {
    const reps = Math.min(kernel.repetitionsOk, best.repetitionsOk);
    if (kernel.lossRange === null || best.lossRange === null || reps < t.minRepetitions) {
      return { status: 'unknown', detail: `loss spread unknown: ${reps} repetition(s), need ${t.minRepetitions}`, basis: 'loss', p99 };
    }
    const clear = kernel.lossRange.min > t.lossGoal && best.lossRange.max <= t.lossGoal;
    const ranges = `kernel ${lossPct(kernel.lossRange.min)}–${lossPct(kernel.lossRange.max)}, ${best.pathLabel} ${lossPct(best.lossRange.min)}–${lossPct(best.lossRange.max)}`;
    return clear
      ? { status: 'passed', detail: `every repetition agrees on loss (${ranges})`, basis: 'loss', p99 }
      : { status: 'failed', detail: `loss difference within the repetition spread (${ranges}; goal ${lossPct(t.lossGoal)})`, basis: 'loss', p99 };
  }
  if (p99.differs === null) return { status: 'unknown', detail: p99.reason, basis: 'p99', p99 };
  const bypassFaster = (p99.deltaUs ?? 0) < 0;
  if (p99.differs && bypassFaster) return { status: 'passed', detail: `p99 ${p99.reason}`, basis: 'p99', p99 };
  if (p99.differs) return { status: 'failed', detail: `bypass p99 is higher beyond the spread (${p99.reason})`, basis: 'p99', p99 };
  return { status: 'failed', detail: `p99 ${p99.reason}`, basis: 'p99', p99 };
}

/** The range comparison, replaced by the test when both sides give per-repetition p99s. */
function testP99(
  byRange: P99Comparison,
  kernel: PathSummary | null,
  best: PathSummary | null,
  t: SelectiveWinThresholds,
  correction: SpreadCorrection | undefined,
): P99Comparison {
  const kv = kernel?.p99ValuesUs;
  const bv = best?.p99ValuesUs;
  if (!kv || !bv || byRange.differs === null) return byRange;
  if (kv.length < t.minRepetitions || bv.length < t.minRepetitions) {
    return { ...byRange, differs: null, reason: `spread unknown: ${Math.min(kv.length, bv.length)} repetition(s), need ${t.minRepetitions}` };
  }
  const alpha = t.alpha ?? 0.05;
  const raw = shiftTest(kv, bv, alpha);
  if (raw === null) return byRange;
  const test: ShiftTest = correction ? { ...raw, qValue: correction.qValue, comparisons: correction.comparisons } : raw;
  const decisive = test.qValue ?? test.pValue;
  const significant = decisive <= alpha;
  const stat = `one-sided Welch t on log p99, ${test.kernelN} vs ${test.bypassN} repetitions: p = ${pFmt(test.pValue)}${
    test.qValue === null ? '' : `, q = ${pFmt(test.qValue)} over ${test.comparisons} cells`
  } ${significant ? '≤' : '>'} α ${alpha}; bypass/kernel ${test.ratio.toFixed(2)}, ${Math.round(test.ci.level * 100)} % CI ${test.ci.low.toFixed(2)}–${test.ci.high.toFixed(2)}`;
  const reason = significant
    ? `lower beyond the repetition noise (${stat})`
    : test.ratio >= 1
      ? `of bypass is not lower (${stat})`
      : `difference ${us(Math.abs(byRange.deltaUs ?? 0))} is within the repetition noise (${stat})`;
  // The test is one-sided: "differs" means bypass is lower; a slower bypass fails the gain check anyway.
  return { ...byRange, differs: significant, reason, test };
}

function pFmt(p: number): string {
  return p < 0.001 ? p.toExponential(1) : Number(p.toPrecision(2)).toString();
}

export function repetitionAgreement(kernel: PathSummary | null, best: PathSummary | null, t: SelectiveWinThresholds): RepetitionAgreement {
  const spread = (p: PathSummary | null) =>
    p && p.p99Us !== null && p.p99Us > 0 && p.p99RangeUs && p.repetitionsOk >= t.minRepetitions ? (p.p99RangeUs.max - p.p99RangeUs.min) / p.p99Us : null;
  const kernelSpreadRel = spread(kernel);
  const bypassSpreadRel = spread(best);
  let agree: boolean | null = null;
  if ((kernelSpreadRel ?? 0) > t.maxSpreadRel || (bypassSpreadRel ?? 0) > t.maxSpreadRel) agree = false;
  else if (kernelSpreadRel !== null && bypassSpreadRel !== null) agree = true;
  return { agree, kernelSpreadRel, bypassSpreadRel, maxSpreadRel: t.maxSpreadRel };
}

export function disagreementReason(kernel: PathSummary, best: PathSummary, r: RepetitionAgreement): string {
  const worst =
    (r.kernelSpreadRel ?? 0) >= (r.bypassSpreadRel ?? 0)
      ? { label: kernel.pathLabel, spread: r.kernelSpreadRel ?? 0, n: kernel.repetitionsOk }
      : { label: best.pathLabel, spread: r.bypassSpreadRel ?? 0, n: best.repetitionsOk };
  return `repetitions disagree: ${worst.label} p99 varies ${pct(worst.spread)} across ${worst.n} repetitions (> ${pct(r.maxSpreadRel)})`;
}

export function compareCpu(kernel: PathSummary | null, best: PathSummary | null, defaultKernel: PathSummary | null = kernel): CpuComparison {
  const kernelCoresBusy = kernel?.coresBusy ?? null;
  const bypassCoresBusy = best?.coresBusy ?? null;
  const defaultKernelCoresBusy = defaultKernel?.coresBusy ?? null;
  return {
    kernelCoresBusy,
    bypassCoresBusy,
    coresDelta: kernelCoresBusy !== null && bypassCoresBusy !== null ? bypassCoresBusy - kernelCoresBusy : null,
    defaultKernelCoresBusy,
    coresDeltaVsDefault: defaultKernelCoresBusy !== null && bypassCoresBusy !== null ? bypassCoresBusy - defaultKernelCoresBusy : null,
    kernelNsPerPacket: kernel?.nsPerPacket ?? null,
    bypassNsPerPacket: best?.nsPerPacket ?? null,
  };
}

export function winReason(best: PathSummary, checks: RuleChecks, cpu: CpuComparison): string {
  const parts = [checks.kernelBottleneck.detail, checks.gain.detail];
  if (cpu.coresDelta === null) parts.push('CPU cost not measured');
  return `${best.pathLabel} wins: ${parts.join('; ')}`;
}

function costClause(cpu: CpuComparison): string {
  if (cpu.coresDelta === null) return '';
  if (cpu.coresDelta >= 0.05) return ` for ${cores(cpu.coresDelta)} extra ${plural(cpu.coresDelta)}`;
  if (cpu.coresDelta <= -0.05) return ` and saves ${cores(-cpu.coresDelta)} ${plural(-cpu.coresDelta)}`;
  return ' at about the same CPU cost';
}

function lossSentence(kernel: PathSummary | null, t: SelectiveWinThresholds, offeredPps: number | null): string {
  const at = offeredPps === null ? '' : ` at ${offeredPps} pps`;
  const loss = kernel?.lossRatio ?? null;
  if (loss !== null) return `best kernel path (${kernel?.pathLabel ?? '?'}) loses ${lossPct(loss)} > ${lossPct(t.lossGoal)}${at}`;
  return `best kernel path's PDR ${kernel?.pdrPps ?? '?'} pps is below the offered rate${at}`;
}

/** Shares and gains: whole per cent ("62 %"). */
function pct(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}

/** Loss ratios need decimals: 0.005 → "0.5 %", 0.0213 → "2.1 %". */
function lossPct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(2))} %`;
}

function us(value: number): string {
  return `${Number(value.toPrecision(3))} µs`;
}

function cores(value: number): string {
  return value.toFixed(1);
}

function plural(value: number): string {
  return value.toFixed(1) === '1.0' ? 'core' : 'cores';
}
