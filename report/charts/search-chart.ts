// Throughput search results: NDR, PDR and MRR per path and size.
import type { SearchEntry } from '../inputs.js';
import { fmtPct, fmtPps, pathDisplay, sizeLabel } from '../format.js';
import { CONFIG, PANEL_HEIGHT, SCHEMA, emulatedNote, panelColumns, sizeLabels, subtitle, type ChartSpec } from './common.js';
import { pathColorEncoding, type PathPalette } from './palette.js';

const SEARCH_METRICS = ['NDR', 'PDR', 'MRR'] as const;
/** Colour is the path (as in every chart); the metric is the fill's strength, NDR strongest. */
const METRIC_OPACITY = [1, 0.6, 0.3];

/** NDR, PDR and MRR per path and size, from search.json. */
export function searchChart(searches: readonly SearchEntry[] | null, palette: PathPalette): ChartSpec | null {
  if (!searches || searches.length === 0) return null;
  const values: Record<string, unknown>[] = [];
  for (const s of searches) {
    const r = s.result;
    const bounds = { NDR: r.ndr, PDR: r.pdr, MRR: null } as const;
    const pps = { NDR: r.ndrPps, PDR: r.pdrPps, MRR: r.mrrPps } as const;
    for (const metric of SEARCH_METRICS) {
      const value = pps[metric];
      if (value === null || !(value > 0)) continue;
      const b = bounds[metric];
      values.push({
        path: pathDisplay(s.pathLabel, s.emulated),
        size: sizeLabel(s.msgSizeBytes),
        metric,
        pps: value,
        emulated: s.emulated,
        ppsText: fmtPps(value),
        bounds: b
          ? `${fmtPps(b.lowerPps)} – ${b.upperPps === null ? 'none failed' : fmtPps(b.upperPps)} (${b.state}, loss ≤ ${fmtPct(b.lossTarget)})`
          : 'received rate at max offered',
        stop: `${r.stopReason}: ${r.stopDetail}`,
        trials: r.trialCount,
      });
    }
  }
  if (values.length === 0) return null;
  const sizes = sizeLabels(searches);
  return {
    name: 'search',
    title: 'Throughput: NDR, PDR and MRR per path',
    caption:
      'From the throughput search (search.json): NDR is the highest offered rate measured with no loss, PDR the highest with loss within the partial-drop target, MRR the rate received at the maximum offered rate. ' +
      'Bars are coloured by path as in every chart; solid = NDR, lighter = PDR, palest = MRR. Missing bars mean the search found no passing rate.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Throughput: NDR, PDR and MRR per path',
        subtitle: subtitle(['solid: NDR, lighter: PDR, palest: MRR; tooltips: search bracket and stop reason', emulatedNote(searches)]),
      },
      data: { values },
      facet: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
      columns: panelColumns(sizes),
      spec: {
        width: { step: 22 },
        height: PANEL_HEIGHT,
        layer: [
          {
            mark: { type: 'bar', stroke: '#555', strokeWidth: 0.5 },
            encoding: {
              x: { field: 'path', type: 'nominal', title: null, axis: { labelAngle: -30, labelLimit: 140 } },
              xOffset: { field: 'metric', type: 'nominal', sort: [...SEARCH_METRICS] },
              y: { field: 'pps', type: 'quantitative', title: 'packets/s', axis: { format: '~s' } },
              color: { ...pathColorEncoding(palette, values), legend: null },
              // Emulated results are marked in their name and the subtitle; the fill strength is the metric.
              opacity: {
                field: 'metric',
                type: 'nominal',
                title: 'rate',
                sort: [...SEARCH_METRICS],
                scale: { domain: [...SEARCH_METRICS], range: METRIC_OPACITY },
                legend: { orient: 'bottom' },
              },
              tooltip: [
                { field: 'path', type: 'nominal' },
                { field: 'size', type: 'nominal' },
                { field: 'metric', type: 'nominal' },
                { field: 'ppsText', type: 'nominal', title: 'packets/s' },
                { field: 'bounds', type: 'nominal', title: 'bracket' },
                { field: 'trials', type: 'quantitative', title: 'search trials' },
                { field: 'stop', type: 'nominal', title: 'stopped' },
              ],
            },
          },
        ],
      },
      config: CONFIG,
    },
  };
}
