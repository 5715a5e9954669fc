// From a run's records to its verdicts: group the trials, attach the kernel path's attribution,
// the load steadiness and the throughput-search results to each size × rate, and apply the
// selective-win rule. Pure, so `report` can recompute verdicts from any saved run.
import { median } from 'simple-statistics';
import { pathFamily, type TrialRecord } from '../core/trial.js';
import { toKernelAttribution, type AttributionResult } from './attribution.js';
import { poolKernelAttribution } from './attribution-bands.js';
import { probeKernelReference, receiveModeClause } from './probe-kernel-check.js';
import type { PathSearch } from '../core/search-result.js';
import type { Verdict, VerdictSettings } from '../core/verdict.js';
import { decideAll, inputsFromGroups, resolveThresholds, type KernelAttribution } from './selective-win.js';
import { serviceVerdicts } from './selective-win-service.js';
import { groupTrials } from './stats.js';
import type { WorkloadSteadiness } from './steadiness.js';

/** What the rule needs of a search.json entry. */
export type SearchSummary = Pick<PathSearch, 'pathLabel' | 'msgSizeBytes' | 'ndrPps' | 'pdrPps'>;

/**
 * The probe measures the kernel UDP path too, so its RTT p50 must agree with the kernel path's at
 * the same size and rate: further apart than this (relative to the kernel path's), the two
 * experiments disagree and the attribution cannot explain the kernel path's latency.
 */
export const PROBE_RTT_AGREEMENT_MAX_REL = 0.5;

function sameCell(t: TrialRecord, size: number | null, rate: number | null): boolean {
  return t.msgSizeBytes === size && t.offeredPps === rate;
}

function medianOrNull(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
}

/**
 * The attribution trials' kernel view of one cell: their p99/p50 bands pooled over repetitions
 * (attribution-bands.ts), with the probe's own RTT and trial ids kept beside the shares so µs come
 * from one workload.
 */
export function attributionForCell(trials: readonly TrialRecord[], size: number | null, rate: number | null, label?: string): KernelAttribution | null {
  const ok = trials
    .filter((t) => t.path === 'attribution' && t.status === 'ok' && sameCell(t, size, rate) && (label === undefined || t.pathLabel === label))
    .map((t) => ({ trialId: t.trialId, pathLabel: t.pathLabel, result: t.native['attribution'] as AttributionResult }))
    .filter((r): r is typeof r & { result: Extract<AttributionResult, { status: 'ok' }> } => r.result?.status === 'ok');
  const withViews = ok.map((r) => ({ ...r, view: toKernelAttribution(r.result) })).filter((r): r is typeof r & { view: KernelAttribution } => r.view !== null);
  const pooled = poolKernelAttribution(
    withViews.map((r) => r.result),
    withViews.map((r) => r.view),
  );
  if (pooled === null) return null;
  return {
    ...pooled,
    wakeupShareP50: medianOrNull(withViews.map((v) => v.result.kernelRxSplit?.wokenShare.p50)),
    rttP50Us: medianOrNull(withViews.map((v) => v.result.rttUs.p50)),
    rttP99Us: medianOrNull(withViews.map((v) => v.result.rttUs.p99)),
    source: { pathLabel: withViews[0]!.pathLabel, trialIds: withViews.map((v) => v.trialId) },
  };
}

/** The probe's RTT p50 at a cell: the median over its ok repetitions. */
/** What the probe adds on top of the network path: the application model and its hops. */
const APPLICATION_COMPONENTS = ['serialization', 'application', 'pauses', 'hops'] as const;

/**
 * The probe's network round trip at p50, medians over repetitions: its RTT p50 less the share of
 * the p50 band spent in the application model (serialization, handler, pauses, relay hops). A
 * bare probe (no application) is compared as it is; an application-heavy scenario is compared on
 * the part the kernel path also measures, so the check tests the experiment, not the scenario.
 */
export function probeRttP50ForCell(trials: readonly TrialRecord[], size: number | null, rate: number | null, label?: string): number | null {
  return medianOrNull(
    trials
      .filter((t) => t.path === 'attribution' && t.status === 'ok' && sameCell(t, size, rate) && (label === undefined || t.pathLabel === label))
      .map((t) => {
        const a = t.native['attribution'] as AttributionResult | undefined;
        if (a?.status !== 'ok') return null;
        const applicationShare = APPLICATION_COMPONENTS.reduce((sum, name) => sum + (a.components[name]?.shareP50 ?? 0), 0);
        return a.rttUs.p50 * Math.max(0, 1 - applicationShare);
      }),
  );
}

/** A failure sentence when the probe's RTT and the kernel UDP path's disagree beyond PROBE_RTT_AGREEMENT_MAX_REL; else null. */
export function probeRttDisagreement(probeP50Us: number | null, kernelP50Us: number | null, kernelLabel: string): string | null {
  if (probeP50Us === null || kernelP50Us === null || kernelP50Us <= 0) return null;
  const rel = (probeP50Us - kernelP50Us) / kernelP50Us;
  if (Math.abs(rel) <= PROBE_RTT_AGREEMENT_MAX_REL) return null;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  return (
    `attribution check probe-vs-kernel-rtt failed: the probe's network RTT p50 (its RTT less the application model) ${probeP50Us.toFixed(1)} µs is ${pct(Math.abs(rel))} ` +
    `${rel > 0 ? 'above' : 'below'} ${kernelLabel}'s ${kernelP50Us.toFixed(1)} µs at the same size and rate (at most ${pct(PROBE_RTT_AGREEMENT_MAX_REL)})`
  );
}

/**
 * Load steadiness of a cell, measured on the workload: the steadiness statistic of the arrivals at
 * the tsprobe server (analysis/steadiness.ts, native.steadiness of attribution trials); null
 * (the check is unknown) without an attribution trial at the cell.
 */
export function loadCvForCell(
  trials: readonly TrialRecord[],
  size: number | null,
  rate: number | null,
  // The kernel path's own send times are its generator's schedule, not the workload at a receiver: not used.
  _kernelLabel: string,
  attributionLabel?: string,
): number | null {
  return medianOrNull(
    trials
      .filter(
        (t) => t.path === 'attribution' && t.status === 'ok' && sameCell(t, size, rate) && (attributionLabel === undefined || t.pathLabel === attributionLabel),
      )
      .map((t) => (t.native['steadiness'] as WorkloadSteadiness | undefined)?.cv ?? null),
  );
}

export function defaultKernelPath(trials: readonly TrialRecord[]): string | null {
  return trials.find((t) => t.path === 'kernel-udp')?.pathLabel ?? trials.find((t) => t.path === 'kernel-tcp')?.pathLabel ?? null;
}

/** scenario: set for one of settings.scenarios (the saving is then judged against that scenario's RTT). */
export function computeVerdicts(
  trials: readonly TrialRecord[],
  searches: readonly SearchSummary[],
  settings: VerdictSettings = {},
  scenario?: string,
): Verdict[] {
  if (settings.scenarios?.length) {
    const perScenario = settings.scenarios.flatMap((sc) =>
      computeVerdicts(trials, searches, { ...settings, scenarios: undefined, attributionPath: sc.attributionPath }, sc.name).map((v) => ({
        ...v,
        scenario: sc.name,
      })),
    );
    // Service verdicts do not depend on the scenario's probe: once, after the scenarios.
    return [...perScenario, ...computeVerdicts(trials, searches, { ...settings, scenarios: undefined }).filter((v) => v.service)];
  }
  const attributionLabel = settings.attributionPath ?? trials.find((t) => t.path === 'attribution')?.pathLabel;
  const thresholds = resolveThresholds(settings.thresholds ?? {}, 'verdict.thresholds');
  const kernelPathLabel = settings.kernelPath ?? defaultKernelPath(trials);
  // Without any kernel path, a service can still be judged on its own attribution (selective-win-service.ts's bound).
  if (!kernelPathLabel) return scenario === undefined ? serviceVerdicts(trials, [], thresholds) : [];
  const grid = trials.filter((t) => !t.search && t.path !== 'attribution');
  // Candidates: every path that measured latency (the net_null ceiling, say, measures none).
  const measuresLatency = (label: string) => grid.some((t) => t.pathLabel === label && t.latencyUs?.p99 != null);
  const labelsOf = (family: string) =>
    [...new Set(grid.filter((t) => pathFamily(t.path) === family && t.pathLabel !== kernelPathLabel).map((t) => t.pathLabel))].filter(measuresLatency);
  const bypassPathLabels = settings.bypassPaths ?? labelsOf('bypass');
  // Tuned references of the kernel path's own protocol family count; all of them by default.
  const tunedKernelPathLabels = settings.tunedKernelPaths ?? labelsOf('kernel-tuned');
  const kernelIsUdp = grid.some((t) => t.pathLabel === kernelPathLabel && t.path === 'kernel-udp');
  const inputs = inputsFromGroups(groupTrials(grid), {
    kernelPathLabel,
    tunedKernelPathLabels,
    bypassPathLabels,
    attributionFor: (size, rate) => attributionForCell(trials, size, rate, attributionLabel),
    loadCvFor: (size, rate) => loadCvForCell(trials, size, rate, kernelPathLabel, attributionLabel),
    throughputFor: (label, size) => {
      const s = searches.find((x) => x.pathLabel === label && x.msgSizeBytes === size);
      return s ? { ndrPps: s.ndrPps, pdrPps: s.pdrPps } : null;
    },
  });
  // Cross-check the two experiments: the probe's RTT against the kernel UDP path's at the same cell.
  const checked = inputs.map((withoutScenario) => {
    const input = scenario === undefined ? withoutScenario : { ...withoutScenario, scenario };
    if (!input.attribution || !kernelIsUdp) return input;
    // Like with like: a kernel UDP path that waits for replies as the probe does (probe-kernel-check.ts).
    const ref = probeKernelReference(trials, input.msgSizeBytes, input.offeredPps, attributionLabel, kernelPathLabel, input.kernel?.p50Us ?? null);
    const disagreement = probeRttDisagreement(probeRttP50ForCell(trials, input.msgSizeBytes, input.offeredPps, attributionLabel), ref.p50Us, ref.label);
    const failure = disagreement === null ? null : disagreement + receiveModeClause(ref);
    if (!failure) return input;
    return { ...input, attribution: { ...input.attribution, checkFailures: [...(input.attribution.checkFailures ?? []), failure] } };
  });
  const bare = decideAll(checked, thresholds);
  // Each real service (a `service` path) gets its own verdicts from its own attribution, at the same cells.
  return scenario === undefined ? [...bare, ...serviceVerdicts(trials, inputs, thresholds)] : bare;
}
