// What every chart shares: the spec shape, the page style, and the encodings for paths, sizes
// and rates. Conventions across charts: rates and latencies on log axes (they span decades);
// colour = path; one panel per message size; closed-loop trials have no offered rate, so they are
// plotted at their achieved rate as diamonds (open-loop points are circles); emulated paths carry
// "(emulated)" in their name everywhere, and their marks are drawn faded.
import type { TopLevelSpec } from 'vega-lite';
import type { TrialGroup } from '../../analysis/stats.js';
import { pathDisplay, rateLabel, sizeLabel } from '../format.js';
import type { PathPalette } from './palette.js';

export interface ChartSpec {
  /** File stem: charts/<name>.vl.json, .svg, .png. */
  name: string;
  title: string;
  /** What the chart shows and how to read it, shown under it in HTML and Markdown. */
  caption: string;
  spec: TopLevelSpec;
}

/** A chart the run has rows for but nothing drawable in (all values missing, or none > 0 on a log axis): left out, and the documents say why. */
export interface ChartNote {
  name: string;
  title: string;
  note: string;
}

/** What a chart builder returns: a chart, a note saying why it is left out, or null when the run has no data of its kind at all. */
export type ChartOutcome = ChartSpec | ChartNote | null;

export function isChartNote(c: ChartOutcome): c is ChartNote {
  return c !== null && 'note' in c;
}

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const PANEL_WIDTH = 280;
export const PANEL_HEIGHT = 210;
const LOOP_DOMAIN = ['offered rate', 'closed loop'];
export const CLOSED_LOOP_NOTE = 'closed loop (diamonds) sits at its achieved rate';

export const CONFIG = {
  font: 'DejaVu Sans, Verdana, sans-serif',
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 280 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  title: { fontSize: 17, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start' as const },
  view: { stroke: '#ccc' },
};

/** Panels per row: up to 3, never more than there are sizes (empty columns would still take room). */
export function panelColumns(sizes: readonly unknown[]): number {
  return Math.max(1, Math.min(3, sizes.length));
}

export function bySize(groups: readonly { msgSizeBytes: number | null }[]): string[] {
  return [...new Set(groups.map((g) => g.msgSizeBytes))].sort((a, b) => (a ?? -1) - (b ?? -1)).map(sizeLabel);
}

/** Groups that belong on the path-vs-rate charts: measured, and not attribution probes. */
export function chartGroups(groups: readonly TrialGroup[]): TrialGroup[] {
  return groups.filter((g) => g.path !== 'attribution' && g.repetitions.ok > 0);
}

export function subtitle(lines: (string | false | null)[]): string[] {
  return lines.filter((l): l is string => typeof l === 'string' && l.length > 0);
}

export const emulatedNote = (groups: readonly { emulated: boolean }[]) =>
  groups.some((g) => g.emulated) && 'faded "(emulated)" paths: QEMU TCG, not real hardware';

/** x position of a group: its offered rate, or for closed loop its achieved rate. */
export function xPps(g: TrialGroup): number | null {
  return g.offeredPps ?? g.achievedPps?.median ?? null;
}

/** The fields every per-group chart row carries. */
export function common(g: TrialGroup, palette: PathPalette) {
  const path = pathDisplay(g.pathLabel, g.emulated);
  return {
    path,
    family: palette.familyOf(path) ?? 'bypass',
    size: sizeLabel(g.msgSizeBytes),
    loop: g.offeredPps === null ? 'closed loop' : 'offered rate',
    rate: rateLabel(g.offeredPps),
    xPps: xPps(g),
    emulated: g.emulated,
    reps: `${g.repetitions.ok}/${g.repetitions.total} ok`,
  };
}

export const opacityByEmulated = {
  condition: { test: 'datum.emulated', value: 0.4 },
  value: 0.9,
};

/** Legend selection: clicking a path in the legend (HTML) keeps it and fades the rest; shift-click adds more. */
export const PICK_PARAM = { name: 'pick', select: { type: 'point' as const, fields: ['path'] }, bind: 'legend' as const };
export const PICK_NOTE = 'click a path in the legend to show it alone (shift-click adds more)';

/** Opacity of a mark that follows the legend selection; emulated paths stay faded. */
export function pickedOpacity(full = 0.9) {
  return {
    condition: [
      { test: { and: [{ param: 'pick' }, 'datum.emulated'] }, value: full * 0.45 },
      { param: 'pick', value: full },
    ],
    value: 0.07,
  };
}

export const loopShape = {
  field: 'loop',
  type: 'nominal' as const,
  title: null,
  scale: { domain: LOOP_DOMAIN, range: ['circle', 'diamond'] },
  legend: { orient: 'bottom' as const },
};
/** The nearest 1-2-5 step (…, 2, 5, 10, 20, …) at or beyond v, downwards or upwards. */
export function step125(v: number, up: boolean): number {
  const decade = 10 ** Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map((m) => m * decade);
  return up ? steps.find((s) => s >= v * (1 - 1e-9))! : [...steps].reverse().find((s) => s <= v * (1 + 1e-9))!;
}

/**
 * A log scale whose domain is the data's own range widened a little, out to the nearest 1-2-5 step
 * so both ends carry a label, but no further: no empty decade is drawn (Vega's "nice" log domains
 * round out to whole powers of ten). Null without a positive value: a log axis cannot show zero,
 * so such a panel is left out instead of drawn empty.
 */
export function logScale(values: readonly (number | null | undefined)[], pad = 1.08) {
  const positive = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  if (positive.length === 0) return null;
  const lo = step125(Math.min(...positive) / pad, false);
  const hi = step125(Math.max(...positive) * pad, true);
  return { type: 'log' as const, domain: [lo, hi], nice: false };
}

/** x = offered rate (closed loop: achieved), log, over the rates present. */
export function xRate(values: readonly { xPps: number | null; loop?: string }[]) {
  // Ticks at the rates the suite offered (when there are few): a log axis over 2k–20k otherwise
  // labels every 1k step and crowds them at the top of each decade.
  const offered = [...new Set(values.filter((v) => v.loop !== 'closed loop').map((v) => v.xPps))]
    .filter((v): v is number => v !== null && v > 0)
    .sort((a, b) => a - b);
  return {
    field: 'xPps',
    type: 'quantitative' as const,
    title: 'offered rate (packets/s, log)',
    scale: logScale(values.map((v) => v.xPps)) ?? { type: 'log' as const },
    axis: offered.length >= 2 && offered.length <= 8 ? { format: '~s', values: offered } : { format: '~s' },
  };
}

/** One panel per message size, up to three to a row. */
export function sizeFacet(groups: readonly { msgSizeBytes: number | null }[]) {
  const sizes = bySize(groups);
  return { facet: { field: 'size', type: 'ordinal' as const, title: 'message size', sort: sizes }, columns: panelColumns(sizes) };
}

/** Tooltip rows of a per-group chart: which group, the chart's own figures, then how many repetitions. */
export function groupTooltip(figures: { field: string; title: string }[]) {
  return [
    { field: 'path', type: 'nominal' as const },
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    ...figures.map((f) => ({ ...f, type: 'nominal' as const })),
    { field: 'reps', type: 'nominal' as const, title: 'repetitions' },
  ];
}

/** Sorted, de-duplicated labels of the sizes in a list. */
export function sizeLabels(items: readonly { msgSizeBytes: number | null }[]): string[] {
  return [...new Set(items.map((s) => s.msgSizeBytes))].sort((a, b) => (a ?? -1) - (b ?? -1)).map(sizeLabel);
}

/** Sorted, de-duplicated labels of offered rates (closed loop last). */
export function rateLabels(items: readonly { offeredPps: number | null }[]): string[] {
  return [...new Set(items.map((v) => v.offeredPps))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity)).map(rateLabel);
}
