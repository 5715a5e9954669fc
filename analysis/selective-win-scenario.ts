// One experiment per verdict. In a scenario (verdict.scenarios: the probe with an application
// model, e.g. JSON + relay hops + pauses), what bypass would save is judged against that
// scenario's own end-to-end latency: the kernel part is the scenario's kernel share × the
// scenario's RTT (both from the scenario's probe trials), and bypass removes of that part the
// fraction it removes of the best kernel's network round trip at the same size × rate. Not the
// bare paths' p99s multiplied by an app-heavy share: that mixes two workloads. Every verdict also
// lists where each of its numbers came from (sources).
import type { DecisionInput, ExperimentRef, KernelAttribution, PathSummary, ScenarioSaving, VerdictSource } from './selective-win-types.js';

const product = (a: number | null | undefined, b: number | null | undefined): number | null => (a == null || b == null ? null : a * b);

/**
 * The scenario's saving. bypassCutRel: (best kernel p99 − bypass p99) / best kernel p99 of the bare
 * paths. With a busy-polling kernel measured, wake-up is not credited to bypass (busy polling
 * removes it too), just as in the kernel-bottleneck check.
 */
export function scenarioSaving(scenario: string, a: KernelAttribution | null, bypassCutRel: number | null, tunedMeasured: boolean): ScenarioSaving {
  const rttP99Us = a?.rttP99Us ?? null;
  const kernelP99Us = product(a?.kernelShareP99, rttP99Us);
  const wakeupP99Us = tunedMeasured ? product(a?.wakeupShareP99, rttP99Us) : 0;
  const creditedKernelP99Us = kernelP99Us === null ? null : Math.max(0, kernelP99Us - (wakeupP99Us ?? 0));
  const savingP99Us = product(bypassCutRel, creditedKernelP99Us);
  return {
    scenario,
    ...(a?.subject ? { subject: a.subject } : {}),
    rttP50Us: a?.rttP50Us ?? null,
    rttP99Us,
    kernelP50Us: product(a?.kernelShareP50, a?.rttP50Us),
    kernelP99Us,
    creditedKernelP99Us,
    bypassCutRel,
    savingP99Us,
    savingPct: savingP99Us !== null && rttP99Us !== null && rttP99Us > 0 ? (savingP99Us / rttP99Us) * 100 : null,
  };
}

const ref = (p: PathSummary | null | undefined): ExperimentRef[] => (p ? [{ pathLabel: p.pathLabel, trialIds: p.trialIds ?? [] }] : []);
const fmt = (x: number | null | undefined) => (x == null ? '?' : String(Number(x.toPrecision(3))));

/** Where each number of a verdict came from, and how it was computed. */
export function verdictSources(
  input: DecisionInput,
  defaultKernel: PathSummary | null,
  bestKernel: PathSummary | null,
  best: PathSummary | null,
  scenario: ScenarioSaving | null,
): VerdictSource[] {
  const a = input.attribution;
  const probe: ExperimentRef[] = a?.source ? [a.source] : [];
  const sources: VerdictSource[] = [
    { field: 'kernelP99Us', from: ref(defaultKernel), how: 'median p99 over the default kernel path’s ok repetitions' },
    { field: 'bestKernelP99Us', from: ref(bestKernel), how: 'median p99 of the best kernel configuration that reached the rate' },
    { field: 'bypassP99Us', from: ref(best), how: 'median p99 of the best bypass path' },
    { field: 'checks.kernelBottleneck.kernelShareP99', from: probe, how: 'kernel TX + RX share of the probe’s tail (≥ p99) RTT, median over repetitions' },
  ];
  if (scenario?.subject) {
    // A service's own attribution (analysis/selective-win-service.ts): shares of its RTT, measured service-side.
    const s = scenario.subject;
    sources[3] = {
      field: 'checks.kernelBottleneck.kernelShareP99',
      from: probe,
      how: `${s}’s kernel RX work + TX + waiting to run, share of its tail (≥ p99) RTT, median over repetitions (the client’s kernel and the wire are a remainder, not credited)`,
    };
    sources.push(
      { field: 'scenarioSaving.rttP99Us', from: probe, how: `${s}’s RTT p99 at the client, median over repetitions` },
      { field: 'kernelAttributableP99Us', from: probe, how: `${s}’s kernel share ${fmt(a?.kernelShareP99)} × its RTT p99 ${fmt(scenario.rttP99Us)} µs` },
      {
        field: 'expectedP99SavingUs',
        from: [...ref(bestKernel), ...ref(best), ...probe],
        how: `bypass cut ${fmt(scenario.bypassCutRel)} of ${bestKernel?.pathLabel ?? '?'}’s p99 (bare paths) × ${s}’s credited kernel part ${fmt(scenario.creditedKernelP99Us)} µs; % of its RTT p99`,
      },
    );
  } else if (scenario) {
    sources.push(
      { field: 'scenarioSaving.rttP99Us', from: probe, how: `the probe’s RTT p99 in scenario ${scenario.scenario}, median over repetitions` },
      {
        field: 'kernelAttributableP99Us',
        from: probe,
        how: `scenario kernel share ${fmt(a?.kernelShareP99)} × scenario RTT p99 ${fmt(scenario.rttP99Us)} µs`,
      },
      {
        field: 'expectedP99SavingUs',
        from: [...ref(bestKernel), ...ref(best), ...probe],
        how: `bypass cut ${fmt(scenario.bypassCutRel)} of ${bestKernel?.pathLabel ?? '?'}’s p99 (bare paths) × the scenario’s credited kernel part ${fmt(scenario.creditedKernelP99Us)} µs; % of the scenario’s RTT p99`,
      },
    );
  } else {
    sources.push(
      {
        field: 'kernelAttributableP99Us',
        from: a?.rttP99Us != null ? probe : [...probe, ...ref(defaultKernel)],
        how:
          a?.rttP99Us != null
            ? `kernel share ${fmt(a.kernelShareP99)} × the probe’s own RTT p99 ${fmt(a.rttP99Us)} µs (one experiment)`
            : `kernel share ${fmt(a?.kernelShareP99)} (probe) × ${defaultKernel?.pathLabel ?? 'kernel'} p99: the probe’s RTT was not available, two experiments`,
      },
      { field: 'expectedP99SavingUs', from: [...ref(bestKernel), ...ref(best)], how: 'best kernel p99 − best bypass p99, both measured at this size × rate' },
    );
  }
  return sources;
}
