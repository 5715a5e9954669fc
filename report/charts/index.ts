// Vega-Lite specs for the report's charts. Each spec is plain Vega-Lite with its data inlined, so a
// charts/<name>.vl.json file opens as-is in the Vega editor or any Vega-Lite renderer.
// Builders are pure: inputs in, spec out; a chart whose data the run lacks is simply not built.
import type { TrialGroup } from '../../analysis/stats.js';
import type { Verdict } from '../../analysis/selective-win.js';
import type { AttributionPoint, SearchEntry } from '../inputs.js';
import type { ChartSpec } from './common.js';
import { cpuChart, latencyChart, rateChart } from './rate-charts.js';
import { searchChart } from './search-chart.js';
import { attributionChart } from './attribution-chart.js';
import { verdictChart } from './verdict-chart.js';

export type { ChartSpec } from './common.js';
export { VERDICT_COLORS } from './verdict-chart.js';
export { attributionChart, cpuChart, latencyChart, rateChart, searchChart, verdictChart };

export interface ChartInputs {
  groups: readonly TrialGroup[];
  verdicts: readonly Verdict[] | null;
  searches: readonly SearchEntry[] | null;
  attribution: readonly AttributionPoint[];
}

/** Every chart the run has data for, in report order. */
export function buildCharts(inputs: ChartInputs): ChartSpec[] {
  return [
    verdictChart(inputs.verdicts),
    latencyChart(inputs.groups),
    rateChart(inputs.groups),
    cpuChart(inputs.groups),
    searchChart(inputs.searches),
    attributionChart(inputs.attribution),
  ].filter((c): c is ChartSpec => c !== null);
}
