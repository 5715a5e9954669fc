// Verdicts per real service (issue 15): at each size × rate where a `service` path ran, what
// bypass could save *for that service*, judged on the service's own attribution from the same
// trials (one experiment per verdict, as in scenario mode: selective-win-scenario.ts). The kernel
// part is the service's kernel RX work + kernel TX (+ waiting to run, unless a busy-polling kernel
// was measured: busy polling removes that too) of its own RTT; the bare paths' relative p99 cut
// applies to that part. The client's kernel and the wire are a remainder on the service side and
// are not credited. When the kernel part is small, the reason names what dominates in the seed's
// words: GC pauses, the service hop, application time (serialization included), waiting to run.
// Fewer than MIN_P99_REQUESTS matched requests over the repetitions: the tail is too thin to judge.
import { median } from 'simple-statistics';
import type { TrialRecord } from '../core/trial.js';
import type { ServiceVerdictDetail, Verdict } from '../core/verdict.js';
import { MIN_MATCHED_RATIO, type ServiceAttributionResult, type ServiceComponentName } from './service-attribution.js';
import { decideAll, type DecisionInput, type KernelAttribution, type SelectiveWinThresholds } from './selective-win.js';

/** Matched requests (over the cell's repetitions) below which the service's p99 shares are not judged. */
export const MIN_P99_REQUESTS = 1000;

type OkAttribution = Extract<ServiceAttributionResult, { status: 'ok' }>;

/** What each non-kernel component is called in a verdict's reason (the seed's words). */
const DOMINATES: Partial<Record<ServiceComponentName, { name: string; says: string }>> = {
  pauses: { name: 'GC pauses', says: 'GC pauses dominate' },
  hops: { name: 'service hop', says: 'the service hop dominates' },
  application: { name: 'application', says: 'application time (serialization included) dominates' },
  wakeup: { name: 'waiting to run', says: 'waiting to run dominates' },
  queueing: { name: 'queueing', says: 'queueing behind earlier requests dominates' },
};

const SHARE_NAMES = ['kernel', 'wakeup', 'queueing', 'pauses', 'application', 'hops', 'clientAndWire'] as const;

function medianOrNull(xs: readonly (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
}

/** One service's trials at one cell: their attributions pooled (medians over repetitions) and the matched share. */
export function serviceCell(trials: readonly TrialRecord[], label: string, size: number | null, rate: number | null) {
  const here = trials.filter((t) => t.path === 'service' && !t.search && t.pathLabel === label && t.msgSizeBytes === size && t.offeredPps === rate);
  const results = here
    .filter((t) => t.status === 'ok')
    .map((t) => ({ trialId: t.trialId, a: (t.native['serviceAttribution'] ?? null) as ServiceAttributionResult | null }))
    .filter((r): r is { trialId: string; a: ServiceAttributionResult } => r.a !== null);
  const requests = results.reduce((n, r) => n + r.a.requests, 0);
  const matched = results.reduce((n, r) => n + r.a.matched, 0);
  const ok = results.filter((r): r is { trialId: string; a: OkAttribution } => r.a.status === 'ok');
  return { trials: here.length, results, ok, requests, matched, matchedRatio: requests > 0 ? matched / requests : null };
}

type Cell = ReturnType<typeof serviceCell>;

/** A component's share (p50 or p99 band), median over repetitions; "kernel" = RX work + TX; null = not observed. */
function shareOf(ok: Cell['ok'], name: (typeof SHARE_NAMES)[number], k: 'shareP50' | 'shareP99'): number | null {
  if (name === 'kernel') return medianOrNull(ok.map((r) => r.a.components.kernelRx![k] + r.a.components.kernelTx![k]));
  return medianOrNull(ok.map((r) => r.a.components[name]?.[k]));
}

export function serviceDetail(label: string, cell: Cell): ServiceVerdictDetail {
  const shares = (k: 'shareP50' | 'shareP99') =>
    Object.fromEntries(SHARE_NAMES.map((n) => [n, shareOf(cell.ok, n, k)])) as unknown as ServiceVerdictDetail['sharesP50'];
  const pauses = cell.ok.map((r) => r.a.pauses).filter((p) => p != null);
  return {
    label,
    trials: cell.trials,
    attributed: cell.ok.length,
    requests: cell.requests,
    matchedRatio: cell.matchedRatio,
    minMatchedRatio: MIN_MATCHED_RATIO,
    rttP50Us: medianOrNull(cell.ok.map((r) => r.a.rttUs.p50)),
    rttP99Us: medianOrNull(cell.ok.map((r) => r.a.rttUs.p99)),
    sharesP50: shares('shareP50'),
    sharesP99: shares('shareP99'),
    downstreamPausesShareP99: medianOrNull(cell.ok.map((r) => r.a.hopSplit?.downstreamPauses.shareP99)),
    pausesObserved: pauses.length > 0 ? `${pauses[0]!.source}` : null,
    serialization: cell.ok[0]?.a.serialization ?? null,
  };
}

/**
 * The service's attribution in the shape the rule reads. Wake-up sits inside the kernel share as
 * in the probe's; with a busy-polling kernel measured it is not credited to bypass, and then it
 * competes as "waiting to run" for what dominates.
 */
export function serviceKernelAttribution(label: string, cell: Cell, tunedMeasured: boolean): KernelAttribution | null {
  if (cell.ok.length === 0) return null;
  // A tail share from a handful of requests decides nothing: the same bar as a p99 anywhere in the project.
  const matched = cell.ok.reduce((n, r) => n + r.a.matched, 0);
  const thin =
    matched < MIN_P99_REQUESTS
      ? `service ${label}: ${matched} matched requests over ${cell.ok.length} repetition(s); a p99 needs ≥ ${MIN_P99_REQUESTS}: run longer trials, a higher rate or more repetitions`
      : null;
  const withWakeup = (k: 'shareP50' | 'shareP99') =>
    medianOrNull(cell.ok.map((r) => r.a.components.kernelRx![k] + r.a.components.kernelTx![k] + r.a.components.wakeup![k]));
  const components = (Object.keys(DOMINATES) as ServiceComponentName[])
    .filter((n) => n !== 'wakeup' || tunedMeasured)
    .map((n) => ({ name: DOMINATES[n]!.name, says: DOMINATES[n]!.says, shareP99: medianOrNull(cell.ok.map((r) => r.a.components[n]?.shareP99)) }))
    .filter((c) => c.shareP99 !== null);
  return {
    kernelShareP50: withWakeup('shareP50'),
    kernelShareP99: thin ? null : withWakeup('shareP99'),
    ...(thin ? { shareP99Reason: thin } : {}),
    components: thin ? [] : components,
    wakeupShareP99: shareOf(cell.ok, 'wakeup', 'shareP99'),
    wakeupShareP50: shareOf(cell.ok, 'wakeup', 'shareP50'),
    rttP50Us: medianOrNull(cell.ok.map((r) => r.a.rttUs.p50)),
    rttP99Us: medianOrNull(cell.ok.map((r) => r.a.rttUs.p99)),
    source: { pathLabel: label, trialIds: cell.ok.map((r) => r.trialId) },
    subject: `service ${label}`,
  };
}

/** Why a service cannot be judged at a cell (too few matched requests, no attribution), or null. */
export function serviceInsufficient(label: string, cell: Cell): string | null {
  if (cell.results.length === 0)
    return cell.trials === 0
      ? `service ${label} did not run at this size and rate`
      : `service ${label} has no attribution at this size and rate (${cell.trials - cell.results.length} of ${cell.trials} trials failed or ran without tracing)`;
  if (cell.matchedRatio === null || cell.matchedRatio < MIN_MATCHED_RATIO) {
    const unmatched: Record<string, number> = {};
    for (const r of cell.results) for (const [k, n] of Object.entries(r.a.unmatched)) unmatched[k] = (unmatched[k] ?? 0) + n;
    const steps = Object.entries(unmatched)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    return (
      `service ${label}: only ${((cell.matchedRatio ?? 0) * 100).toFixed(1)} % of ${cell.requests} answered requests matched the service's events ` +
      `(at least ${(MIN_MATCHED_RATIO * 100).toFixed(0)} % needed)${steps ? `; unmatched by step: ${steps}` : ''}`
    );
  }
  if (cell.ok.length === 0) return `service ${label}: ${cell.results.map((r) => (r.a.status === 'insufficient-data' ? r.a.reason : '')).join('; ')}`;
  return null;
}

/**
 * Every service's verdicts: for each service label and each cell of the bare verdicts' inputs
 * (same kernel, tuned and bypass paths), the rule applied to the service's own attribution.
 */
export function serviceVerdicts(trials: readonly TrialRecord[], cells: readonly DecisionInput[], thresholds: SelectiveWinThresholds): Verdict[] {
  const services = trials.filter((t) => t.path === 'service' && !t.search);
  const labels = [...new Set(services.map((t) => t.pathLabel))];
  // Cells where a service ran without any bare path get an input with none (the bound may still decide).
  const all = [...cells];
  for (const t of services) {
    if (!all.some((c) => c.msgSizeBytes === t.msgSizeBytes && c.offeredPps === t.offeredPps))
      all.push({ msgSizeBytes: t.msgSizeBytes, offeredPps: t.offeredPps, kernel: null, tunedKernels: [], attribution: null, bypass: [], loadCv: null });
  }
  return labels.flatMap((label) => {
    const judged = all.map((input) => ({ input, cell: serviceCell(trials, label, input.msgSizeBytes, input.offeredPps) })).filter((x) => x.cell.trials > 0);
    const inputs = judged.map(({ input, cell }) => {
      const tunedMeasured = (input.tunedKernels ?? []).some((k) => k.p99Us !== null);
      return { ...input, scenario: `service ${label}`, attribution: serviceKernelAttribution(label, cell, tunedMeasured) };
    });
    // The service's cells form one verdict set: check 4's correction runs over them.
    return decideAll(inputs, thresholds).map((v, i): Verdict => {
      const { cell } = judged[i]!;
      const service = serviceDetail(label, cell);
      const why = serviceInsufficient(label, cell);
      const sourced = { ...v, scenario: `service ${label}`, service };
      if (why) return { ...sourced, verdict: 'insufficient-data', reason: why, reasons: [why, ...v.reasons.filter((r) => r !== v.reason)] };
      const bound = v.verdict === 'insufficient-data' ? kernelBound(label, inputs[i]!, thresholds) : null;
      const decided = bound ? { ...sourced, verdict: 'no-win' as const, reason: bound, reasons: [bound, ...v.reasons] } : sourced;
      return withDownstreamPauses(decided, service.downstreamPausesShareP99);
    });
  });
}

// One decimal below 10 % (a service's kernel part is often well under 1 %).
const pct = (x: number) => `${(x * 100).toFixed(x * 100 < 9.95 ? 1 : 0)} %`;

/**
 * No bypass can save more than the service's credited kernel part: when that is below gainMin of
 * its RTT p99, the verdict is no-win whatever the bare paths measured (or failed to measure), and
 * the reason names what dominates instead.
 */
export function kernelBound(label: string, input: DecisionInput, t: SelectiveWinThresholds): string | null {
  const a = input.attribution;
  const share = a?.kernelShareP99 ?? null;
  if (a == null || share === null) return null;
  const tunedMeasured = (input.tunedKernels ?? []).some((k) => k.p99Us !== null);
  const credited = tunedMeasured ? Math.max(0, share - (a.wakeupShareP99 ?? 0)) : share;
  if (credited >= t.gainMin) return null;
  const top = a.components.filter((c) => c.shareP99 !== null).sort((x, y) => (y.shareP99 ?? 0) - (x.shareP99 ?? 0))[0];
  const dominates = top && (top.shareP99 ?? 0) > credited ? `${top.says ?? `${top.name} dominates`} (${pct(top.shareP99 ?? 0)} of p99); ` : '';
  const what = tunedMeasured ? 'kernel part without wake-up (busy polling removes that)' : 'kernel part';
  return `${dominates}even removing service ${label}'s whole ${what}, ${pct(credited)} of its RTT p99, would save less than ${pct(t.gainMin)}`;
}

/** "the service hop dominates (98 % of p99" gains ", the downstream's GC pauses 85 % inside it" when they were measured. */
function withDownstreamPauses(v: Verdict, shareP99: number | null): Verdict {
  if (shareP99 === null) return v;
  const add = (r: string) => r.replace(/^(the service hop dominates \([\d.]+ % of p99)/, `$1, the downstream's GC pauses ${pct(shareP99)} inside it`);
  return { ...v, reason: add(v.reason), reasons: v.reasons.map(add) };
}
