// Round-trip latency against offered rate as small multiples: one row per percentile (p50, p99,
// p99.9), one column per message size. One percentile per panel keeps a run with eight or more
// paths readable (three percentiles of eight paths in one panel were 24 crossing lines); colour is
// the path (palette.ts), the dash its family, and in the HTML a click on the legend isolates paths.
import type { TopLevelSpec } from 'vega-lite';
import { tailReliable } from '../../core/tail.js';
import type { MetricSummary, TrialGroup } from '../../analysis/stats.js';
import { fmtUs } from '../format.js';
import {
  CLOSED_LOOP_NOTE,
  CONFIG,
  PANEL_WIDTH,
  PICK_NOTE,
  PICK_PARAM,
  SCHEMA,
  bySize,
  chartGroups,
  common,
  emulatedNote,
  groupTooltip,
  logScale,
  panelColumns,
  loopShape,
  pickedOpacity,
  subtitle,
  xRate,
  type ChartOutcome,
} from './common.js';
import { familyDashEncoding, pathColorEncoding as pathColor, type PathPalette } from './palette.js';

const PERCENTILES = ['p50', 'p99', 'p99.9'] as const;
const PANEL_HEIGHT = 150;
type VConcatPanels = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'];

/** p50, p99 and p99.9 round-trip latency against offered rate, per message size. */
export function latencyChart(allGroups: readonly TrialGroup[], palette: PathPalette): ChartOutcome {
  const groups = chartGroups(allGroups);
  if (groups.length === 0) return null;
  const values: Record<string, unknown>[] = [];
  for (const g of groups) {
    const base = common(g, palette);
    if (!(base.xPps !== null && base.xPps > 0)) continue;
    const pcts: [string, MetricSummary | null, number][] = [
      ['p50', g.latencyUs.p50, 50],
      ['p99', g.latencyUs.p99, 99],
      ['p99.9', g.latencyUs.p999, 99.9],
    ];
    for (const [percentile, m, q] of pcts) {
      if (!m || !(m.median > 0)) continue;
      // Too few samples for this percentile: the tooltip says so instead of giving the number.
      const thin = tailReliable(g.tail?.minSamples, q) === false;
      const label = thin ? `n/a (${g.tail?.minSamples} samples)` : `${fmtUs(m.median)} µs (${fmtUs(m.min)}–${fmtUs(m.max)})`;
      values.push({ ...base, percentile, us: m.median, minUs: m.min, maxUs: m.max, label, samples: g.tail?.minSamples ?? null });
    }
  }
  const title = 'Round-trip latency vs offered rate';
  if (values.length === 0) return { name: 'latency', title, note: 'no measured group has a latency percentile above 0 µs' };
  const x = xRate(values as { xPps: number }[]);
  const tooltip = groupTooltip([
    { field: 'percentile', title: 'percentile' },
    { field: 'label', title: 'median (range over repetitions)' },
    { field: 'samples', title: 'samples per repetition (fewest)' },
  ]);
  const sizes = bySize(groups);
  const rows: VConcatPanels = [];
  for (const percentile of PERCENTILES) {
    const mine = values.filter((v) => v.percentile === percentile);
    if (mine.length === 0) continue;
    // Each percentile's row gets its own log domain (p50 and p99.9 are decades apart); the sizes of one row share it.
    const yScale = logScale(mine.flatMap((v) => [v.us as number, v.minUs as number, v.maxUs as number]))!;
    const y = { field: 'us', type: 'quantitative' as const, title: `${percentile} RTT (µs, log)`, scale: yScale, axis: { format: '~s' } };
    const color = pathColor(palette, values);
    rows.push({
      data: { values: mine },
      facet: {
        field: 'size',
        type: 'ordinal',
        title: rows.length === 0 ? 'message size' : null,
        sort: sizes,
        header: rows.length === 0 ? {} : { labels: false },
      },
      columns: panelColumns(sizes),
      spec: {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: { x, y: { field: 'minUs', type: 'quantitative', scale: yScale }, y2: { field: 'maxUs' }, color, opacity: pickedOpacity(0.35) },
          },
          {
            transform: [{ filter: "datum.loop === 'offered rate'" }],
            mark: { type: 'line', strokeWidth: 1.8 },
            encoding: { x, y, color, strokeDash: familyDashEncoding(palette, values), opacity: pickedOpacity() },
          },
          {
            // The first row holds the legend selection; the other rows' opacity reads the same one.
            ...(rows.length === 0 ? { params: [PICK_PARAM] } : {}),
            mark: { type: 'point', filled: true, size: 40 },
            encoding: { x, y, color, shape: loopShape, opacity: pickedOpacity(), tooltip },
          },
        ],
      },
    });
  }
  return {
    name: 'latency',
    title,
    caption:
      "Median over repetitions of each trial's p50 (top row), p99 (middle) and p99.9 (bottom) round-trip latency, one panel per message size; " +
      "the vertical bars span the lowest to highest repetition's value. Colour is the path, the same in every chart; dashed lines are kernel paths, dotted the tuned kernel references, solid the bypass paths. " +
      `Both axes are logarithmic and span the data (each row its own latency range); ${CLOSED_LOOP_NOTE}. In the HTML report, ${PICK_NOTE}.`,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: subtitle(['rows: p50, p99, p99.9; bars: range over repetitions', CLOSED_LOOP_NOTE, emulatedNote(groups)]) },
      vconcat: rows,
      resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared' } },
      config: CONFIG,
    },
  };
}
