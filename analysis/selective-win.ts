// The selective-win rule (docs: selective-win.md): for one message size S and offered rate R,
// does kernel bypass pay? It pays when the kernel stack is the delay and the load is steady; it
// does not when serialization, runtime pauses or service hops dominate, when the gain is small,
// or when the difference drowns in the noise between repetitions.
//
// decide() is pure and total: every input gives a verdict, and every verdict carries the numbers
// that decided it, including the CPU cost. Busy-polling bypass keeps a core spinning even when
// idle, so at low rates its extra cores (coresDelta) can outweigh a small latency gain; the
// reason names that cost rather than hiding it.
//
// Four conditions (the "checks"), each passed / failed / unknown:
//   1. kernelBottleneck: kernel share of p99 ≥ kernelShareMin, OR the kernel path exceeds the
//      loss goal at R while the best bypass path holds it.
//   2. gain: the best bypass path cuts the kernel path's p99 by ≥ gainMin, OR sustains R (loss
//      ≤ lossGoal) where the kernel does not.
//   3. steadyLoad: the measured load CV ≤ steadyCvMax.
//   4. beyondSpread: the difference is larger than the spread between repetitions.
// Verdict: all passed → bypass-wins; any failed → no-win (reason = first failure in that
// order); otherwise unknown → insufficient-data. Before that: a missing kernel measurement, no
// usable bypass path, or repetitions that disagree (p99 spread > maxSpreadRel) give
// insufficient-data, because no check computed from such data can be trusted.
import { UserError } from '../core/errors.js';
import type {
  BeyondSpreadCheck,
  CpuComparison,
  GainCheck,
  KernelBottleneckCheck,
  RepetitionAgreement,
  RuleChecks,
  SelectiveWinThresholds,
  SteadyLoadCheck,
  Verdict,
  VerdictBase,
} from '../core/verdict.js';
import { compareRanges, type TrialGroup } from './stats.js';

// The rule's answer; its types are declared with verdicts.json, which stores them (core/verdict.ts).
export type { Verdict } from '../core/verdict.js';

export const DEFAULT_THRESHOLDS: Readonly<SelectiveWinThresholds> = Object.freeze({
  kernelShareMin: 0.5,
  gainMin: 0.25,
  steadyCvMax: 0.25,
  lossGoal: 0.005,
  maxSpreadRel: 0.5,
  minRepetitions: 2,
  includeEmulated: false,
});

/** Defaults filled in and every field range-checked; a bad value names its field. */
export function resolveThresholds(partial: Partial<SelectiveWinThresholds> = {}, field = 'thresholds'): SelectiveWinThresholds {
  // An explicit undefined (an absent YAML key) keeps the default rather than erasing it.
  const given = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<SelectiveWinThresholds>;
  const t: SelectiveWinThresholds = { ...DEFAULT_THRESHOLDS, ...given };
  const ratio = (name: 'kernelShareMin' | 'gainMin' | 'lossGoal', hi: number) => {
    const v = t[name];
    if (!(typeof v === 'number' && v >= 0 && v <= hi)) throw new UserError(`${field}.${name} must be a number in [0, ${hi}], got ${String(v)}`);
  };
  ratio('kernelShareMin', 1);
  ratio('gainMin', 1);
  ratio('lossGoal', 1);
  if (!(typeof t.steadyCvMax === 'number' && t.steadyCvMax >= 0))
    throw new UserError(`${field}.steadyCvMax must be a number ≥ 0, got ${String(t.steadyCvMax)}`);
  if (!(typeof t.maxSpreadRel === 'number' && t.maxSpreadRel > 0))
    throw new UserError(`${field}.maxSpreadRel must be a number > 0, got ${String(t.maxSpreadRel)}`);
  if (!(Number.isInteger(t.minRepetitions) && t.minRepetitions >= 1)) {
    throw new UserError(`${field}.minRepetitions must be an integer ≥ 1, got ${String(t.minRepetitions)}`);
  }
  if (typeof t.includeEmulated !== 'boolean') throw new UserError(`${field}.includeEmulated must be true or false, got ${String(t.includeEmulated)}`);
  return t;
}

/**
 * Where the kernel path's latency goes, at S and R (from the attribution stage). Shares are
 * fractions of end-to-end latency, 0..1. Components whose name starts with "kernel" are the
 * kernel's own (TX/RX); the rest (serialization, application, runtime-pauses, hops, nic-wire …)
 * are the alternatives to blame.
 */
export interface KernelAttribution {
  kernelShareP50: number | null;
  kernelShareP99: number | null;
  components: { name: string; shareP99: number | null }[];
}

/** What the rule needs to know about one path at S and R (medians over ok repetitions). */
export interface PathSummary {
  pathLabel: string;
  p50Us: number | null;
  p99Us: number | null;
  /** p99 over repetitions; null when no repetition had one. */
  p99RangeUs: { min: number; max: number } | null;
  repetitionsOk: number;
  lossRatio: number | null;
  lossRange: { min: number; max: number } | null;
  coresBusy: number | null;
  nsPerPacket: number | null;
  emulated: boolean;
  /** From a throughput search at this size, when one ran. */
  ndrPps?: number | null;
  pdrPps?: number | null;
}

export interface DecisionInput {
  msgSizeBytes: number | null;
  /** null = closed loop. */
  offeredPps: number | null;
  kernel: PathSummary | null;
  attribution: KernelAttribution | null;
  bypass: PathSummary[];
  /** CV of the per-interval arrival rate at the receiver; null = not measured. */
  loadCv: number | null;
}

/** The verdict for one (size, rate). */
export function decide(input: DecisionInput, thresholds: Partial<SelectiveWinThresholds> = {}): Verdict {
  const t = resolveThresholds(thresholds);
  const { kernel } = input;
  const { eligible, excluded } = eligibleBypass(input.bypass, t);
  const best = pickBest(eligible, t);

  const kernelP99 = kernel?.p99Us ?? null;
  const bypassP99 = best?.p99Us ?? null;
  const savingUs = kernelP99 !== null && bypassP99 !== null ? kernelP99 - bypassP99 : null;
  const gainRel = savingUs !== null && kernelP99 !== null && kernelP99 > 0 ? savingUs / kernelP99 : null;
  const cpu = compareCpu(kernel, best);
  const sustains = sustainsRateKernelCannot(kernel, best, input.offeredPps, t);
  const shareP99 = input.attribution?.kernelShareP99 ?? null;

  const checks: RuleChecks = {
    kernelBottleneck: checkKernelBottleneck(input.attribution, sustains, kernel, best, input.offeredPps, t),
    gain: checkGain(gainRel, savingUs, sustains, best, cpu, t),
    steadyLoad: checkSteadyLoad(input.loadCv, t),
    beyondSpread: checkBeyondSpread(kernel, best, gainRel, sustains, t),
  };
  const repetitions = repetitionAgreement(kernel, best, t);

  const base: Omit<VerdictBase, 'reason' | 'reasons'> = {
    msgSizeBytes: input.msgSizeBytes,
    offeredPps: input.offeredPps,
    bestBypassPath: best?.pathLabel ?? null,
    kernelP99Us: kernelP99,
    bypassP99Us: bypassP99,
    expectedP99SavingUs: savingUs,
    expectedP99SavingPct: gainRel === null ? null : gainRel * 100,
    kernelAttributableP99Us: shareP99 !== null && kernelP99 !== null ? shareP99 * kernelP99 : null,
    coresDelta: cpu.coresDelta,
    cpu,
    checks,
    repetitions,
    excludedPaths: excluded,
    thresholds: t,
  };
  const insufficient = (reason: string, reasons: string[] = [reason]): Verdict => ({ ...base, verdict: 'insufficient-data', reason, reasons });

  if (kernel === null || kernelP99 === null) return insufficient('no kernel-path p99 at this size and rate');
  if (best === null) {
    const why = excluded.length > 0 ? ` (left out: ${excluded.map((e) => `${e.pathLabel}: ${e.why}`).join('; ')})` : '';
    return insufficient(`no bypass path measured at this size and rate${why}`);
  }
  if (repetitions.agree === false) return insufficient(disagreementReason(kernel, best, repetitions));

  const ordered = [checks.kernelBottleneck, checks.gain, checks.steadyLoad, checks.beyondSpread];
  const failed = ordered.filter((c) => c.status === 'failed').map((c) => c.detail);
  const unknown = ordered.filter((c) => c.status === 'unknown').map((c) => c.detail);
  if (failed.length > 0) {
    return { ...base, verdict: 'no-win', reason: failed[0] as string, reasons: [...failed, ...unknown] };
  }
  if (unknown.length > 0) return insufficient(unknown.join('; '), unknown);
  return { ...base, verdict: 'bypass-wins', reason: winReason(best, checks, cpu), reasons: [] };
}

/** Verdicts for every (size, rate), in input order. */
export function decideAll(inputs: readonly DecisionInput[], thresholds: Partial<SelectiveWinThresholds> = {}): Verdict[] {
  const t = resolveThresholds(thresholds);
  return inputs.map((input) => decide(input, t));
}

/** A PathSummary from a stats group; NDR/PDR come from a throughput search when one ran. */
export function summaryFromGroup(group: TrialGroup, throughput?: { ndrPps: number | null; pdrPps: number | null } | null): PathSummary {
  const p99 = group.latencyUs.p99;
  const loss = group.lossRatio;
  return {
    pathLabel: group.pathLabel,
    p50Us: group.latencyUs.p50?.median ?? null,
    p99Us: p99?.median ?? null,
    p99RangeUs: p99 ? { min: p99.min, max: p99.max } : null,
    repetitionsOk: group.repetitions.ok,
    lossRatio: loss?.median ?? null,
    lossRange: loss ? { min: loss.min, max: loss.max } : null,
    coresBusy: group.coresBusy?.median ?? null,
    nsPerPacket: group.nsPerPacket?.median ?? null,
    emulated: group.emulated,
    ndrPps: throughput?.ndrPps ?? null,
    pdrPps: throughput?.pdrPps ?? null,
  };
}

export interface AssembleOptions {
  /** The kernel reference path's label, e.g. "kernel-udp". */
  kernelPathLabel: string;
  /** Labels to compare against it; default: every group whose path is not a kernel-* or attribution path. */
  bypassPathLabels?: readonly string[];
  attributionFor?: (msgSizeBytes: number | null, offeredPps: number | null) => KernelAttribution | null;
  loadCvFor?: (msgSizeBytes: number | null, offeredPps: number | null) => number | null;
  throughputFor?: (pathLabel: string, msgSizeBytes: number | null) => { ndrPps: number | null; pdrPps: number | null } | null;
}

/** One DecisionInput per (size, rate) seen in the groups, sorted by size then rate. */
export function inputsFromGroups(groups: readonly TrialGroup[], options: AssembleOptions): DecisionInput[] {
  const isBypass = (g: TrialGroup) =>
    options.bypassPathLabels ? options.bypassPathLabels.includes(g.pathLabel) : !g.path.startsWith('kernel') && g.path !== 'attribution';
  const cells = new Map<string, { msgSizeBytes: number | null; offeredPps: number | null; kernel: TrialGroup | null; bypass: TrialGroup[] }>();
  for (const g of groups) {
    const isKernel = g.pathLabel === options.kernelPathLabel;
    if (!isKernel && !isBypass(g)) continue;
    const key = JSON.stringify([g.msgSizeBytes, g.offeredPps]);
    const cell = cells.get(key) ?? { msgSizeBytes: g.msgSizeBytes, offeredPps: g.offeredPps, kernel: null, bypass: [] };
    if (isKernel) cell.kernel = g;
    else cell.bypass.push(g);
    cells.set(key, cell);
  }
  return [...cells.values()]
    .sort((a, b) => (a.msgSizeBytes ?? -1) - (b.msgSizeBytes ?? -1) || (a.offeredPps ?? -1) - (b.offeredPps ?? -1))
    .map((cell) => ({
      msgSizeBytes: cell.msgSizeBytes,
      offeredPps: cell.offeredPps,
      kernel: cell.kernel ? summaryFromGroup(cell.kernel, options.throughputFor?.(cell.kernel.pathLabel, cell.msgSizeBytes)) : null,
      attribution: options.attributionFor?.(cell.msgSizeBytes, cell.offeredPps) ?? null,
      bypass: cell.bypass.map((g) => summaryFromGroup(g, options.throughputFor?.(g.pathLabel, cell.msgSizeBytes))),
      loadCv: options.loadCvFor?.(cell.msgSizeBytes, cell.offeredPps) ?? null,
    }));
}

function eligibleBypass(paths: readonly PathSummary[], t: SelectiveWinThresholds) {
  const eligible: PathSummary[] = [];
  const excluded: { pathLabel: string; why: string }[] = [];
  for (const p of paths) {
    if (p.emulated && !t.includeEmulated) excluded.push({ pathLabel: p.pathLabel, why: 'emulated (set includeEmulated to use it)' });
    else if (p.p99Us === null) excluded.push({ pathLabel: p.pathLabel, why: 'no p99 measured' });
    else eligible.push(p);
  }
  return { eligible, excluded };
}

/** Lowest p99 among paths that hold the loss goal (or whose loss is unknown); else lowest p99 overall. */
function pickBest(eligible: readonly PathSummary[], t: SelectiveWinThresholds): PathSummary | null {
  const byP99 = [...eligible].sort((a, b) => (a.p99Us as number) - (b.p99Us as number));
  return byP99.find((p) => !(p.lossRatio !== null && p.lossRatio > t.lossGoal)) ?? byP99[0] ?? null;
}

function holds(p: PathSummary | null, t: SelectiveWinThresholds): boolean | null {
  return p === null || p.lossRatio === null ? null : p.lossRatio <= t.lossGoal;
}

/** Does the best bypass path hold R where the kernel does not? From losses at R, else from PDRs. */
function sustainsRateKernelCannot(kernel: PathSummary | null, best: PathSummary | null, offeredPps: number | null, t: SelectiveWinThresholds): boolean | null {
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

function checkKernelBottleneck(
  attribution: KernelAttribution | null,
  sustains: boolean | null,
  kernel: PathSummary | null,
  best: PathSummary | null,
  offeredPps: number | null,
  t: SelectiveWinThresholds,
): KernelBottleneckCheck {
  const share = attribution?.kernelShareP99 ?? null;
  const dominant = dominantNonKernel(attribution);
  const base = { kernelShareP99: share, kernelShareMin: t.kernelShareMin, dominantNonKernel: dominant, kernelLosesWhereBypassHolds: sustains };
  if (share !== null && share >= t.kernelShareMin) {
    return { ...base, status: 'passed', detail: `kernel is ${pct(share)} of p99 (≥ ${pct(t.kernelShareMin)})` };
  }
  if (sustains === true) {
    return { ...base, status: 'passed', detail: `${lossSentence(kernel, t, offeredPps)} while ${best?.pathLabel ?? 'bypass'} holds it` };
  }
  if (share === null) {
    return { ...base, status: 'unknown', detail: 'kernel share of p99 unknown (no attribution at this size and rate)' };
  }
  const shortfall = `kernel only ${pct(share)} of p99 < ${pct(t.kernelShareMin)}`;
  const detail =
    dominant !== null && dominant.shareP99 > share
      ? `${dominant.name} is ${pct(dominant.shareP99)} of p99 (kernel only ${pct(share)} < ${pct(t.kernelShareMin)})`
      : shortfall;
  if (sustains === null) return { ...base, status: 'unknown', detail: `${shortfall}, and whether the kernel path holds the rate is unknown` };
  return { ...base, status: 'failed', detail };
}

function dominantNonKernel(attribution: KernelAttribution | null): { name: string; shareP99: number } | null {
  let best: { name: string; shareP99: number } | null = null;
  for (const c of attribution?.components ?? []) {
    if (/^kernel/i.test(c.name) || c.shareP99 === null) continue;
    if (best === null || c.shareP99 > best.shareP99) best = { name: c.name, shareP99: c.shareP99 };
  }
  return best;
}

function checkGain(
  gainRel: number | null,
  savingUs: number | null,
  sustains: boolean | null,
  best: PathSummary | null,
  cpu: CpuComparison,
  t: SelectiveWinThresholds,
): GainCheck {
  const base = { gainRel, gainMin: t.gainMin, sustainsRateKernelCannot: sustains };
  const name = best?.pathLabel ?? 'bypass';
  if (best !== null && holds(best, t) === false && sustains !== true) {
    return { ...base, status: 'failed', detail: `no bypass path holds the ${lossPct(t.lossGoal)} loss goal (${name} loses ${lossPct(best.lossRatio ?? 0)})` };
  }
  if (gainRel !== null && gainRel >= t.gainMin) {
    return { ...base, status: 'passed', detail: `${name} cuts p99 by ${pct(gainRel)} (${us(savingUs ?? 0)})${costClause(cpu)}` };
  }
  if (sustains === true) return { ...base, status: 'passed', detail: `${name} sustains the rate the kernel path cannot${costClause(cpu)}` };
  if (gainRel === null) return { ...base, status: 'unknown', detail: 'p99 gain unknown' };
  const detail =
    gainRel < 0
      ? `${name} p99 is ${pct(-gainRel)} worse than the kernel path's${costClause(cpu)}`
      : cpu.coresDelta !== null && cpu.coresDelta >= 0.05
        ? `bypass costs ${cores(cpu.coresDelta)} extra ${plural(cpu.coresDelta)} for ${pct(gainRel)} gain (< ${pct(t.gainMin)})`
        : `gain ${pct(gainRel)} < ${pct(t.gainMin)}`;
  if (sustains === null) return { ...base, status: 'unknown', detail: `${detail}, and whether it sustains a rate the kernel cannot is unknown` };
  return { ...base, status: 'failed', detail };
}

function checkSteadyLoad(cv: number | null, t: SelectiveWinThresholds): SteadyLoadCheck {
  const base = { cv, steadyCvMax: t.steadyCvMax };
  if (cv === null) return { ...base, status: 'unknown', detail: 'load steadiness not measured (no arrival-rate CV)' };
  if (cv <= t.steadyCvMax) return { ...base, status: 'passed', detail: `load steady (CV ${cv.toFixed(2)} ≤ ${t.steadyCvMax.toFixed(2)})` };
  return { ...base, status: 'failed', detail: `load unsteady (CV ${cv.toFixed(2)} > ${t.steadyCvMax.toFixed(2)})` };
}

/**
 * The difference must exceed the repetition spread: for a latency win, the p99 ranges over
 * repetitions must not overlap; for a sustained-rate win, every kernel repetition must miss the
 * loss goal and every bypass repetition hold it.
 */
function checkBeyondSpread(
  kernel: PathSummary | null,
  best: PathSummary | null,
  gainRel: number | null,
  sustains: boolean | null,
  t: SelectiveWinThresholds,
): BeyondSpreadCheck {
  const range = (p: PathSummary | null) =>
    p && p.p99Us !== null && p.p99RangeUs ? { median: p.p99Us, min: p.p99RangeUs.min, max: p.p99RangeUs.max, n: p.repetitionsOk } : null;
  const p99 = compareRanges(range(kernel), range(best), t.minRepetitions);
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

function repetitionAgreement(kernel: PathSummary | null, best: PathSummary | null, t: SelectiveWinThresholds): RepetitionAgreement {
  const spread = (p: PathSummary | null) =>
    p && p.p99Us !== null && p.p99Us > 0 && p.p99RangeUs && p.repetitionsOk >= t.minRepetitions ? (p.p99RangeUs.max - p.p99RangeUs.min) / p.p99Us : null;
  const kernelSpreadRel = spread(kernel);
  const bypassSpreadRel = spread(best);
  let agree: boolean | null = null;
  if ((kernelSpreadRel ?? 0) > t.maxSpreadRel || (bypassSpreadRel ?? 0) > t.maxSpreadRel) agree = false;
  else if (kernelSpreadRel !== null && bypassSpreadRel !== null) agree = true;
  return { agree, kernelSpreadRel, bypassSpreadRel, maxSpreadRel: t.maxSpreadRel };
}

function disagreementReason(kernel: PathSummary, best: PathSummary, r: RepetitionAgreement): string {
  const worst =
    (r.kernelSpreadRel ?? 0) >= (r.bypassSpreadRel ?? 0)
      ? { label: kernel.pathLabel, spread: r.kernelSpreadRel ?? 0, n: kernel.repetitionsOk }
      : { label: best.pathLabel, spread: r.bypassSpreadRel ?? 0, n: best.repetitionsOk };
  return `repetitions disagree: ${worst.label} p99 varies ${pct(worst.spread)} across ${worst.n} repetitions (> ${pct(r.maxSpreadRel)})`;
}

function compareCpu(kernel: PathSummary | null, best: PathSummary | null): CpuComparison {
  const kernelCoresBusy = kernel?.coresBusy ?? null;
  const bypassCoresBusy = best?.coresBusy ?? null;
  return {
    kernelCoresBusy,
    bypassCoresBusy,
    coresDelta: kernelCoresBusy !== null && bypassCoresBusy !== null ? bypassCoresBusy - kernelCoresBusy : null,
    kernelNsPerPacket: kernel?.nsPerPacket ?? null,
    bypassNsPerPacket: best?.nsPerPacket ?? null,
  };
}

function winReason(best: PathSummary, checks: RuleChecks, cpu: CpuComparison): string {
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
  if (loss !== null) return `kernel path loses ${lossPct(loss)} > ${lossPct(t.lossGoal)}${at}`;
  return `kernel path's PDR ${kernel?.pdrPps ?? '?'} pps is below the offered rate${at}`;
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
