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
//   4. beyondSpread: the difference is larger than the noise between repetitions (one-sided Welch
//      t on log p99 per repetition, adjusted over the verdict set's cells in decideAll).
// Verdict: all passed → bypass-wins; any failed → no-win (reason = first failure in that
// order); otherwise unknown → insufficient-data. Before that: a missing kernel measurement, no
// usable bypass path, or repetitions that disagree (p99 spread > maxSpreadRel, when no per-repetition test was possible) give
// insufficient-data, because no check computed from such data can be trusted.
import { pathFamily } from '../core/trial.js';
import { benjaminiHochberg } from './significance.js';
import type { TrialGroup } from './stats.js';
import {
  checkBeyondSpread,
  checkGain,
  checkKernelBottleneck,
  checkSteadyLoad,
  compareCpu,
  disagreementReason,
  eligibleBypass,
  pickBest,
  reachedRate,
  shortOfRate,
  type KernelPair,
  type SpreadCorrection,
  repetitionAgreement,
  sustainsRateKernelCannot,
  winReason,
} from './selective-win-checks.js';
import { scenarioSaving, verdictSources } from './selective-win-scenario.js';
import {
  resolveThresholds,
  type DecisionInput,
  type KernelAttribution,
  type PathSummary,
  type RuleChecks,
  type SelectiveWinThresholds,
  type Verdict,
  type VerdictBase,
} from './selective-win-types.js';

export * from './selective-win-types.js';

/** The verdict for one (size, rate). */
export function decide(input: DecisionInput, thresholds: Partial<SelectiveWinThresholds> = {}, correction?: SpreadCorrection): Verdict {
  const t = resolveThresholds(thresholds);
  const { eligible, excluded: bypassExcluded } = eligibleBypass(input.bypass, t, input.offeredPps);
  const excluded = [...bypassExcluded];
  for (const k of [...(input.kernel ? [input.kernel] : []), ...(input.tunedKernels ?? [])]) {
    if (k.p99Us === null) excluded.push({ pathLabel: k.pathLabel, why: 'no p99 measured' });
    else if (!reachedRate(k, input.offeredPps)) excluded.push({ pathLabel: k.pathLabel, why: shortOfRate(k, input.offeredPps) });
  }
  const best = pickBest(eligible, t);
  const pair = kernelPair(input, best, t);
  const { defaultKernel, bestKernel: kernel } = pair;
  const tunedMeasured = (input.tunedKernels ?? []).some((k) => k.p99Us !== null);

  const kernelP99 = kernel?.p99Us ?? null;
  const bypassP99 = best?.p99Us ?? null;
  const bareSavingUs = kernelP99 !== null && bypassP99 !== null ? kernelP99 - bypassP99 : null;
  const bareGainRel = bareSavingUs !== null && kernelP99 !== null && kernelP99 > 0 ? bareSavingUs / kernelP99 : null;
  // Scenario mode: the saving that decides is the scenario's own (one experiment per verdict).
  const scenario = input.scenario !== undefined ? scenarioSaving(input.scenario, input.attribution, bareGainRel, tunedMeasured) : null;
  const savingUs = scenario ? scenario.savingP99Us : bareSavingUs;
  const gainRel = scenario ? (scenario.savingPct === null ? null : scenario.savingPct / 100) : bareGainRel;
  const defaultP99 = defaultKernel?.p99Us ?? null;
  const savingVsDefaultUs = defaultP99 !== null && bypassP99 !== null ? defaultP99 - bypassP99 : null;
  const cpu = compareCpu(kernel, best, defaultKernel);
  const sustains = sustainsRateKernelCannot(kernel, best, input.offeredPps, t);
  const attribution = input.attribution;
  const shareP99 = attribution?.kernelShareP99 ?? null;
  // The kernel's µs from the attribution's own experiment (its RTT); a stored attribution without it falls back to the kernel path's p99.
  const attributedRttP99 = attribution?.rttP99Us ?? input.kernel?.p99Us ?? null;

  const checks: RuleChecks = {
    kernelBottleneck: checkKernelBottleneck(attribution, sustains, kernel, best, input.offeredPps, t, tunedMeasured),
    gain: checkGain(gainRel, savingUs, sustains, best, cpu, t, pair, scenario),
    steadyLoad: checkSteadyLoad(input.loadCv, t),
    beyondSpread: checkBeyondSpread(kernel, best, bareGainRel, sustains, t, correction),
  };
  const repetitions = repetitionAgreement(kernel, best, t);

  const base: Omit<VerdictBase, 'reason' | 'reasons'> = {
    msgSizeBytes: input.msgSizeBytes,
    offeredPps: input.offeredPps,
    bestBypassPath: best?.pathLabel ?? null,
    kernelP99Us: defaultP99,
    bestKernelPath: kernel?.pathLabel ?? null,
    bestKernelP99Us: kernelP99,
    bestKernelTuned: kernel === null ? null : pair.bestIsTuned,
    bypassP99Us: bypassP99,
    expectedP99SavingUs: savingUs,
    expectedP99SavingPct: gainRel === null ? null : gainRel * 100,
    savingVsDefaultUs,
    savingVsDefaultPct: pair.gainVsDefaultRel === null ? null : pair.gainVsDefaultRel * 100,
    kernelAttributableP99Us: scenario ? scenario.kernelP99Us : shareP99 !== null && attributedRttP99 !== null ? shareP99 * attributedRttP99 : null,
    coresDelta: cpu.coresDelta,
    cpu,
    checks,
    repetitions,
    excludedPaths: excluded,
    thresholds: t,
    ...(scenario ? { scenarioSaving: scenario } : {}),
    sources: verdictSources(input, defaultKernel, kernel, best, scenario),
  };
  const insufficient = (reason: string, reasons: string[] = [reason]): Verdict => ({ ...base, verdict: 'insufficient-data', reason, reasons });

  if (kernel === null || kernelP99 === null) {
    const short = excluded.filter((e) => e.pathLabel === input.kernel?.pathLabel || (input.tunedKernels ?? []).some((k) => k.pathLabel === e.pathLabel));
    if (short.length > 0 && input.offeredPps !== null && short.every((e) => /short/.test(e.why))) {
      return insufficient(
        `no kernel configuration sustained ${input.offeredPps} pps at this size, so no kernel p99 at that rate (${short.map((e) => `${e.pathLabel}: ${e.why}`).join('; ')})`,
      );
    }
    return insufficient('no kernel-path p99 at this size and rate');
  }
  if (best === null) {
    const why = bypassExcluded.length > 0 ? ` (left out: ${bypassExcluded.map((e) => `${e.pathLabel}: ${e.why}`).join('; ')})` : '';
    return insufficient(`no bypass path measured at this size and rate${why}`);
  }
  const checkFailures = input.attribution?.checkFailures ?? [];
  if (checkFailures.length > 0)
    return insufficient(
      `attribution check failed: ${checkFailures.join('; ')}`,
      checkFailures.map((f) => `attribution check failed: ${f}`),
    );
  // Wide repetition ranges block the verdict only where no test on the per-repetition values was
  // possible: with one, check 4 judges the difference against that very spread (a wide spread makes
  // it fail as "not beyond noise"), and the range stays in the verdict as a description.
  if (repetitions.agree === false && !checks.beyondSpread.p99?.test) return insufficient(disagreementReason(kernel, best, repetitions));

  const ordered = [checks.kernelBottleneck, checks.gain, checks.steadyLoad, checks.beyondSpread];
  const failed = ordered.filter((c) => c.status === 'failed').map((c) => c.detail);
  const unknown = ordered.filter((c) => c.status === 'unknown').map((c) => c.detail);
  if (failed.length > 0) {
    return { ...base, verdict: 'no-win', reason: failed[0] as string, reasons: [...failed, ...unknown] };
  }
  if (unknown.length > 0) return insufficient(unknown.join('; '), unknown);
  return { ...base, verdict: 'bypass-wins', reason: winReason(best, checks, cpu), reasons: [] };
}

/**
 * The default kernel path and the best kernel configuration at this cell: the lowest p99 among
 * the default path and the tuned references that hold the loss goal (pickBest's choice), and how
 * much of the default → bypass gap the best tuned reference closes on its own.
 */
export function kernelPair(input: DecisionInput, best: PathSummary | null, t: SelectiveWinThresholds): KernelPair {
  // A kernel path that fell short of R (median achieved rate > 2 % below it: most repetitions
  // short) measured its latency at a lower rate: it is not compared as if measured at R.
  const defaultKernel = input.kernel?.p99Us != null && reachedRate(input.kernel, input.offeredPps) ? input.kernel : null;
  const tuned = (input.tunedKernels ?? []).filter((k) => k.p99Us !== null && reachedRate(k, input.offeredPps));
  const bestKernel = pickBest([...(defaultKernel ? [defaultKernel] : []), ...tuned], t);
  const bestIsTuned = bestKernel !== null && bestKernel !== input.kernel;
  const defaultP99 = defaultKernel?.p99Us ?? null;
  const bypassP99 = best?.p99Us ?? null;
  const gainVsDefaultRel = defaultP99 !== null && bypassP99 !== null && defaultP99 > 0 ? (defaultP99 - bypassP99) / defaultP99 : null;
  const bestTuned = pickBest(tuned, t);
  const gap = defaultP99 !== null && bypassP99 !== null ? defaultP99 - bypassP99 : null;
  const tunedClosesGapRel = bestTuned?.p99Us != null && defaultP99 !== null && gap !== null && gap > 0 ? (defaultP99 - bestTuned.p99Us) / gap : null;
  return { defaultKernel, bestKernel, bestIsTuned, gainVsDefaultRel, tunedClosesGapRel };
}

/**
 * Verdicts for every (size, rate), in input order. Check 4's tests are many (one per cell), so
 * their p-values are adjusted together (Benjamini–Hochberg, false-discovery rate α) and each
 * cell is decided again with its adjusted value.
 */
export function decideAll(inputs: readonly DecisionInput[], thresholds: Partial<SelectiveWinThresholds> = {}): Verdict[] {
  const t = resolveThresholds(thresholds);
  const first = inputs.map((input) => decide(input, t));
  const tested = first.flatMap((v, i) => {
    const test = v.checks.beyondSpread.p99?.test;
    return test ? [{ i, p: test.pValue }] : [];
  });
  if (tested.length === 0) return first;
  const q = benjaminiHochberg(tested.map((x) => x.p));
  const qByIndex = new Map(tested.map((x, j) => [x.i, q[j] as number]));
  return inputs.map((input, i) => {
    const qValue = qByIndex.get(i);
    return qValue === undefined ? (first[i] as Verdict) : decide(input, t, { qValue, comparisons: tested.length });
  });
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
    ...(p99?.values ? { p99ValuesUs: p99.values } : {}),
    repetitionsOk: group.repetitions.ok,
    lossRatio: loss?.median ?? null,
    lossRange: loss ? { min: loss.min, max: loss.max } : null,
    coresBusy: group.coresBusy?.median ?? null,
    nsPerPacket: group.nsPerPacket?.median ?? null,
    achievedPps: group.achievedPps?.median ?? null,
    trialIds: group.trialIds,
    emulated: group.emulated,
    ndrPps: throughput?.ndrPps ?? null,
    pdrPps: throughput?.pdrPps ?? null,
  };
}

export interface AssembleOptions {
  /** The kernel reference path's label, e.g. "kernel-udp". */
  kernelPathLabel: string;
  /** Labels of the tuned kernel references (busy polling); default none. */
  tunedKernelPathLabels?: readonly string[];
  /** Labels to compare against it; default: every group whose path is of the bypass family. */
  bypassPathLabels?: readonly string[];
  attributionFor?: (msgSizeBytes: number | null, offeredPps: number | null) => KernelAttribution | null;
  loadCvFor?: (msgSizeBytes: number | null, offeredPps: number | null) => number | null;
  throughputFor?: (pathLabel: string, msgSizeBytes: number | null) => { ndrPps: number | null; pdrPps: number | null } | null;
}

interface Cell {
  msgSizeBytes: number | null;
  offeredPps: number | null;
  kernel: TrialGroup | null;
  tuned: TrialGroup[];
  bypass: TrialGroup[];
}

/** One DecisionInput per (size, rate) seen in the groups, sorted by size then rate. */
export function inputsFromGroups(groups: readonly TrialGroup[], options: AssembleOptions): DecisionInput[] {
  const isBypass = (g: TrialGroup) => (options.bypassPathLabels ? options.bypassPathLabels.includes(g.pathLabel) : pathFamily(g.path) === 'bypass');
  const isTuned = (g: TrialGroup) => options.tunedKernelPathLabels?.includes(g.pathLabel) ?? false;
  const cells = new Map<string, Cell>();
  for (const g of groups) {
    const isKernel = g.pathLabel === options.kernelPathLabel;
    if (!isKernel && !isTuned(g) && !isBypass(g)) continue;
    const key = JSON.stringify([g.msgSizeBytes, g.offeredPps]);
    const cell = cells.get(key) ?? { msgSizeBytes: g.msgSizeBytes, offeredPps: g.offeredPps, kernel: null, tuned: [], bypass: [] };
    if (isKernel) cell.kernel = g;
    else if (isTuned(g)) cell.tuned.push(g);
    else cell.bypass.push(g);
    cells.set(key, cell);
  }
  const summary = (g: TrialGroup, size: number | null) => summaryFromGroup(g, options.throughputFor?.(g.pathLabel, size));
  return [...cells.values()]
    .sort((a, b) => (a.msgSizeBytes ?? -1) - (b.msgSizeBytes ?? -1) || (a.offeredPps ?? -1) - (b.offeredPps ?? -1))
    .map((cell) => ({
      msgSizeBytes: cell.msgSizeBytes,
      offeredPps: cell.offeredPps,
      kernel: cell.kernel ? summary(cell.kernel, cell.msgSizeBytes) : null,
      tunedKernels: cell.tuned.map((g) => summary(g, cell.msgSizeBytes)),
      attribution: options.attributionFor?.(cell.msgSizeBytes, cell.offeredPps) ?? null,
      bypass: cell.bypass.map((g) => summary(g, cell.msgSizeBytes)),
      loadCv: options.loadCvFor?.(cell.msgSizeBytes, cell.offeredPps) ?? null,
    }));
}
