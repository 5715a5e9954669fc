// Everything the documents (HTML, Markdown, text) say about one run, computed once: repetition
// statistics (analysis/stats.ts), summary rows, chart specs and the run's metadata. Pure.
import { groupTrials, type TrialGroup } from '../analysis/stats.js';
import type { Verdict } from '../analysis/selective-win.js';
import type { SelectiveWinThresholds } from '../core/verdict.js';
import type { RunMeta } from '../core/run-meta.js';
import type { TrialRecord } from '../core/trial.js';
import type { AttributionGap, ReportInputs, SearchEntry } from './inputs.js';
import { metadataOf, type RunMetadata } from './metadata.js';
import { buildCharts, type ChartNote, type ChartSpec } from './charts/index.js';
import { rowsInRunOrder, type SummaryRow } from './table.js';

export interface ReportModel {
  runDir: string;
  meta: RunMetadata;
  trials: TrialRecord[];
  groups: TrialGroup[];
  /** In the order the suite ran them. */
  rows: SummaryRow[];
  verdicts: Verdict[] | null;
  searches: SearchEntry[] | null;
  attributionGaps: AttributionGap[];
  charts: ChartSpec[];
  /** Charts left out because nothing in them could be drawn, with why (shown as notes, not empty charts). */
  chartNotes: ChartNote[];
  /** Selective-win thresholds the verdicts were decided with; null without verdicts. */
  thresholds: SelectiveWinThresholds | null;
  anyEmulated: boolean;
  /** What tracing cost each traced service (run.json traceOverhead); null: not measured. */
  traceOverhead: RunMeta['traceOverhead'] | null;
}

export function buildModel(inputs: ReportInputs): ReportModel {
  const { run } = inputs;
  // The p99 interval per group is not shown anywhere; a small bootstrap keeps 500-trial runs fast.
  const groups = groupTrials(run.trials, { bootstrapResamples: 200 });
  const rows = rowsInRunOrder(groups, run.trials);
  const meta = metadataOf(run.meta);
  const runLabel = [
    meta.runId,
    meta.env.cpuModel && `${meta.env.cpuModel} × ${meta.env.cpuCount ?? '?'}`,
    meta.env.kernelRelease && `kernel ${meta.env.kernelRelease}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const built = buildCharts({ groups, verdicts: inputs.verdicts, searches: inputs.searches, attribution: inputs.attribution, runLabel });
  return {
    runDir: run.dir,
    meta,
    trials: run.trials,
    groups,
    rows,
    verdicts: inputs.verdicts,
    searches: inputs.searches,
    attributionGaps: inputs.attributionGaps,
    charts: built.charts,
    chartNotes: built.notes,
    thresholds: inputs.verdicts?.[0]?.thresholds ?? null,
    traceOverhead: run.meta.traceOverhead ?? null,
    anyEmulated: run.trials.some((t) => t.emulated) || (inputs.searches ?? []).some((s) => s.emulated) || inputs.attribution.some((p) => p.emulated),
  };
}
