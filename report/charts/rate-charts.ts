// Charts of trial groups against offered rate, one panel per message size: achieved rate and
// loss, and CPU cost. A panel whose values are all missing (or none above 0 on a log axis) is left
// out and the caption says so; with no drawable panel at all the chart becomes a note.
import type { TopLevelSpec } from 'vega-lite';
import type { TrialGroup } from '../../analysis/stats.js';
import { fmtPct, fmtPps, fmtUs } from '../format.js';
import {
  CLOSED_LOOP_NOTE,
  CONFIG,
  PANEL_WIDTH,
  PICK_NOTE,
  PICK_PARAM,
  SCHEMA,
  chartGroups,
  common,
  emulatedNote,
  groupTooltip,
  logScale,
  loopShape,
  pickedOpacity,
  sizeFacet,
  subtitle,
  xRate,
  type ChartOutcome,
} from './common.js';
import { familyDashEncoding, pathColorEncoding, type PathPalette } from './palette.js';

type XEncoding = ReturnType<typeof xRate>;
type VConcatPanels = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'];

/** A line through the open-loop points of each path, and every point (closed loop as diamonds). */
function linesAndPoints(
  x: XEncoding,
  y: { field: string; type: 'quantitative'; title: string; scale?: object; axis?: object },
  palette: PathPalette,
  /** Every row of the chart: the legend (colour and dash domains) must be the same in all its panels. */
  rows: readonly { path: string }[],
  tooltip: ReturnType<typeof groupTooltip>,
  /** Only one panel of a chart defines the legend selection; the others read it. */
  withPick = true,
) {
  const { title: _title, axis: _axis, ...pointY } = y;
  const color = pathColorEncoding(palette, rows);
  return [
    {
      transform: [{ filter: "datum.loop === 'offered rate'" }],
      mark: { type: 'line' as const, strokeWidth: 1.8 },
      encoding: { x, y, color, strokeDash: familyDashEncoding(palette, rows), opacity: pickedOpacity() },
    },
    {
      ...(withPick ? { params: [PICK_PARAM] } : {}),
      mark: { type: 'point' as const, filled: true, size: 45 },
      encoding: { x, y: pointY, color, shape: loopShape, opacity: pickedOpacity(), tooltip },
    },
  ];
}

/** "left out: …" for the caption, or nothing. */
function leftOut(notes: string[]): string {
  return notes.length ? ` Left out: ${notes.join('; ')}.` : '';
}

/** One panel per size present in `values` (a size with nothing to draw gets no empty panel). */
function panelsOf(values: readonly { size: string; msgSizeBytes: number | null }[]) {
  return sizeFacet(values);
}

/** Achieved vs offered rate (the diagonal is "achieved = offered") and loss, per size. */
export function rateChart(allGroups: readonly TrialGroup[], palette: PathPalette): ChartOutcome {
  const groups = chartGroups(allGroups).filter((g) => g.offeredPps !== null);
  if (groups.length === 0) return null;
  const rows = groups.map((g) => ({
    ...common(g, palette),
    msgSizeBytes: g.msgSizeBytes,
    achievedPps: g.achievedPps?.median ?? null,
    lossRatio: g.lossRatio?.median ?? null,
    lossMin: g.lossRatio?.min ?? null,
    lossMax: g.lossRatio?.max ?? null,
    achievedText: fmtPps(g.achievedPps?.median ?? null),
    lossText: `${fmtPct(g.lossRatio?.median ?? null)} (${fmtPct(g.lossRatio?.min ?? null)}–${fmtPct(g.lossRatio?.max ?? null)})`,
  }));
  const title = 'Achieved rate and loss vs offered rate';
  const achieved = rows.filter((r) => r.achievedPps !== null && r.achievedPps > 0 && r.xPps !== null && r.xPps > 0);
  const loss = rows.filter((r) => r.lossRatio !== null && r.xPps !== null && r.xPps > 0);
  const shown = [...achieved, ...loss];
  const notes: string[] = [];
  if (achieved.length === 0) notes.push('achieved rate (no trial with an offered rate recorded one above 0)');
  if (loss.length === 0) notes.push('loss (no trial with an offered rate recorded one: the tool does not report loss)');
  if (achieved.length === 0 && loss.length === 0) return { name: 'rate', title, note: 'no trial with an offered rate recorded its achieved rate or loss' };
  const tooltip = groupTooltip([
    { field: 'achievedText', title: 'achieved pps (median)' },
    { field: 'lossText', title: 'loss (range)' },
  ]);
  const panels: VConcatPanels = [];
  if (achieved.length) {
    const x = xRate(achieved);
    // The diagonal and the points share one log scale over offered and achieved rates.
    const yScale = logScale(achieved.flatMap((r) => [r.achievedPps, r.xPps]))!;
    panels.push({
      data: { values: achieved },
      ...panelsOf(achieved),
      spec: {
        width: PANEL_WIDTH,
        height: 170,
        layer: [
          {
            mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1 },
            encoding: { x, y: { field: 'xPps', type: 'quantitative', scale: yScale } },
          },
          ...linesAndPoints(
            x,
            { field: 'achievedPps', type: 'quantitative', title: 'achieved (packets/s, log)', scale: yScale, axis: { format: '~s' } },
            palette,
            shown,
            tooltip,
          ),
        ],
      },
    });
  }
  if (loss.length) {
    const x = xRate(loss);
    panels.push({
      data: { values: loss },
      ...panelsOf(loss),
      spec: {
        width: PANEL_WIDTH,
        height: 120,
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'lossMin', type: 'quantitative' },
              y2: { field: 'lossMax' },
              color: pathColorEncoding(palette, shown),
              opacity: pickedOpacity(0.35),
            },
          },
          ...linesAndPoints(
            x,
            { field: 'lossRatio', type: 'quantitative', title: 'loss ratio', axis: { format: '.1%' } },
            palette,
            shown,
            tooltip,
            achieved.length === 0,
          ),
        ],
      },
    });
  }
  const parts = [
    achieved.length &&
      'achieved: packets per second the client actually sent (median over repetitions) against the rate it was asked for; the grey dashed line is achieved = offered, so points below it fell short.',
    loss.length && 'loss: share of requests whose reply never came back.',
  ].filter((t): t is string => typeof t === 'string');
  return {
    name: 'rate',
    title,
    caption:
      `${achieved.length && loss.length ? 'Top, ' : ''}${parts.join(achieved.length && loss.length ? ' Bottom, ' : ' ')} ` +
      `Closed-loop trials have no offered rate and are not shown here. In the HTML report, ${PICK_NOTE}.${leftOut(notes)}`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: title,
        subtitle: subtitle([
          achieved.length > 0 && loss.length > 0
            ? 'top: achieved vs offered (dashed: equal); bottom: loss ratio'
            : achieved.length > 0
              ? 'achieved vs offered (dashed: equal)'
              : 'loss ratio',
          emulatedNote(groups),
        ]),
      },
      vconcat: panels,
      config: CONFIG,
    },
  };
}

/** CPU time per packet and cores kept busy, against rate. */
export function cpuChart(allGroups: readonly TrialGroup[], palette: PathPalette): ChartOutcome {
  const groups = chartGroups(allGroups);
  if (groups.length === 0) return null;
  const rows = groups
    .map((g) => ({
      ...common(g, palette),
      msgSizeBytes: g.msgSizeBytes,
      nsPerPacket: g.nsPerPacket?.median ?? null,
      coresBusy: g.coresBusy?.median ?? null,
      nsText: g.nsPerPacket ? `${fmtUs(g.nsPerPacket.median)} ns (${fmtUs(g.nsPerPacket.min)}–${fmtUs(g.nsPerPacket.max)})` : '—',
      coresText: g.coresBusy ? `${g.coresBusy.median.toFixed(2)} (${g.coresBusy.min.toFixed(2)}–${g.coresBusy.max.toFixed(2)})` : '—',
    }))
    .filter((v) => v.xPps !== null && v.xPps > 0);
  const title = 'CPU cost vs rate';
  const perPacket = rows.filter((r) => r.nsPerPacket !== null && r.nsPerPacket > 0);
  const cores = rows.filter((r) => r.coresBusy !== null);
  if (perPacket.length === 0 && cores.length === 0)
    return { name: 'cpu', title, note: 'no trial recorded its CPU cost (the path runs where /proc/stat cannot see it, or CPU accounting was off)' };
  const shown = [...perPacket, ...cores];
  const notes: string[] = [];
  if (perPacket.length === 0) notes.push('CPU ns per packet (no trial recorded a value above 0)');
  if (cores.length === 0) notes.push('cores busy (no trial recorded it)');
  const tooltip = groupTooltip([
    { field: 'nsText', title: 'CPU ns per packet (range)' },
    { field: 'coresText', title: 'cores busy (range)' },
  ]);
  const panels: VConcatPanels = [];
  if (perPacket.length) {
    const yScale = logScale(perPacket.map((r) => r.nsPerPacket))!;
    panels.push({
      data: { values: perPacket },
      ...panelsOf(perPacket),
      spec: {
        width: PANEL_WIDTH,
        height: 170,
        layer: linesAndPoints(
          xRate(perPacket),
          { field: 'nsPerPacket', type: 'quantitative', title: 'CPU ns / packet (log)', scale: yScale, axis: { format: '~s' } },
          palette,
          shown,
          tooltip,
        ),
      },
    });
  }
  if (cores.length) {
    panels.push({
      data: { values: cores },
      ...panelsOf(cores),
      spec: {
        width: PANEL_WIDTH,
        height: 120,
        layer: linesAndPoints(xRate(cores), { field: 'coresBusy', type: 'quantitative', title: 'cores busy' }, palette, shown, tooltip, perPacket.length === 0),
      },
    });
  }
  const both = perPacket.length > 0 && cores.length > 0;
  return {
    name: 'cpu',
    title,
    caption:
      (perPacket.length
        ? `${both ? 'Top: ' : ''}CPU time per packet handled (requests and replies), from machine-wide /proc/stat deltas over the trial, so it includes softirq work for the path and anything else that ran on the machine. `
        : '') +
      (cores.length ? `${both ? 'Bottom: ' : ''}cores kept busy (1.0 = one core for the whole trial); busy-polling paths hold a core even when idle. ` : '') +
      `Medians over repetitions; ${CLOSED_LOOP_NOTE}. In the HTML report, ${PICK_NOTE}.${leftOut(notes)}`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: title,
        subtitle: subtitle([
          both ? 'top: machine-wide CPU ns per packet; bottom: cores busy' : perPacket.length ? 'machine-wide CPU ns per packet' : 'cores busy',
          CLOSED_LOOP_NOTE,
          emulatedNote(groups),
        ]),
      },
      vconcat: panels,
      config: CONFIG,
    },
  };
}
