// Vega-Lite specs for the report's charts. Each spec is plain Vega-Lite with its data inlined, so a
// charts/<name>.vl.json file opens as-is in the Vega editor or any Vega-Lite renderer.
// Builders are pure: inputs in, spec out; a chart whose data the run lacks is simply not built.
import type { TrialGroup } from '../../analysis/stats.js';
import type { Verdict } from '../../analysis/selective-win.js';
import type { AttributionPoint, SearchEntry } from '../inputs.js';
import { isChartNote, type ChartNote, type ChartOutcome, type ChartSpec } from './common.js';
import { latencyChart } from './latency-chart.js';
import { pathPalette, type PathEntry, type PathPalette } from './palette.js';
import { cpuChart, rateChart } from './rate-charts.js';
import { searchChart } from './search-chart.js';
import { attributionChart } from './attribution-chart.js';
import { verdictChart } from './verdict-chart.js';
import { summaryChart } from './summary-chart.js';

export type { ChartNote, ChartSpec } from './common.js';
export { pathPalette, type PathPalette } from './palette.js';
export { VERDICT_COLORS } from './verdict-chart.js';
export { attributionChart, cpuChart, isChartNote, latencyChart, rateChart, searchChart, summaryChart, verdictChart };

export interface ChartInputs {
  groups: readonly TrialGroup[];
  verdicts: readonly Verdict[] | null;
  searches: readonly SearchEntry[] | null;
  attribution: readonly AttributionPoint[];
  /** Which run and machine, printed on the one-figure summary (it travels alone, into slides). */
  runLabel?: string | null;
}

/** Every path the run's charts show, with its recorded path where the trials say it. */
export function runPaths(inputs: ChartInputs): PathEntry[] {
  const pathOfLabel = new Map(inputs.groups.map((g) => [g.pathLabel, g.path]));
  return [
    ...inputs.groups.map((g) => ({ pathLabel: g.pathLabel, path: g.path, emulated: g.emulated })),
    ...(inputs.searches ?? []).map((s) => ({ pathLabel: s.pathLabel, path: pathOfLabel.get(s.pathLabel) ?? null, emulated: s.emulated })),
  ];
}

export interface BuiltCharts {
  charts: ChartSpec[];
  /** Charts left out because nothing in them could be drawn, with why. */
  notes: ChartNote[];
  palette: PathPalette;
}

/** Every chart the run has data for, in report order; one palette colours the paths in all of them. */
export function buildCharts(inputs: ChartInputs): BuiltCharts {
  const palette = pathPalette(runPaths(inputs));
  const outcomes: ChartOutcome[] = [
    verdictChart(inputs.verdicts),
    summaryChart(inputs.verdicts, inputs.runLabel ?? null),
    latencyChart(inputs.groups, palette),
    rateChart(inputs.groups, palette),
    cpuChart(inputs.groups, palette),
    searchChart(inputs.searches, palette),
    attributionChart(inputs.attribution),
  ];
  return {
    charts: outcomes.filter((c): c is ChartSpec => c !== null && !isChartNote(c)),
    notes: outcomes.filter((c): c is ChartNote => isChartNote(c)),
    palette,
  };
}
