// Charts of trial groups against offered rate, one panel per message size: latency
// percentiles, achieved rate and loss, and CPU cost.
import { tailReliable } from '../../core/tail.js';
import type { MetricSummary, TrialGroup } from '../../analysis/stats.js';
import { fmtPct, fmtPps, fmtUs } from '../format.js';
import {
  CLOSED_LOOP_NOTE,
  CONFIG,
  PANEL_HEIGHT,
  PANEL_WIDTH,
  SCHEMA,
  chartGroups,
  common,
  emulatedNote,
  groupTooltip,
  loopShape,
  opacityByEmulated,
  pathColor,
  sizeFacet,
  subtitle,
  xRate,
  type ChartSpec,
} from './common.js';

/** A line through the open-loop points of each path, and every point (closed loop as diamonds). */
function linesAndPoints(
  y: { field: string; type: 'quantitative'; title: string; scale?: { type: 'log' }; axis?: { format: string } },
  tooltip: ReturnType<typeof groupTooltip>,
) {
  const { title: _title, axis: _axis, ...pointY } = y;
  return [
    {
      transform: [{ filter: "datum.loop === 'offered rate'" }],
      mark: { type: 'line' as const, strokeWidth: 1.8 },
      encoding: { x: xRate, y, color: pathColor, opacity: opacityByEmulated },
    },
    {
      mark: { type: 'point' as const, filled: true, size: 45 },
      encoding: { x: xRate, y: pointY, color: pathColor, shape: loopShape, opacity: opacityByEmulated, tooltip },
    },
  ];
}

/** p50, p99 and p99.9 round-trip latency against offered rate, per message size. */
export function latencyChart(allGroups: readonly TrialGroup[]): ChartSpec | null {
  const groups = chartGroups(allGroups);
  const values: Record<string, unknown>[] = [];
  for (const g of groups) {
    const base = common(g);
    if (base.xPps === null) continue;
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
  if (values.length === 0) return null;
  const x = xRate;
  const y = { field: 'us', type: 'quantitative' as const, title: 'round-trip latency (µs, log)', scale: { type: 'log' as const } };
  const tooltip = groupTooltip([
    { field: 'percentile', title: 'percentile' },
    { field: 'label', title: 'median (range over repetitions)' },
    { field: 'samples', title: 'samples per repetition (fewest)' },
  ]);
  return {
    name: 'latency',
    title: 'Round-trip latency vs offered rate',
    caption:
      "Median over repetitions of each trial's p50 (solid), p99 (dashed) and p99.9 (dotted) round-trip latency; the vertical bars span the lowest to highest repetition's p99. " +
      `Both axes are logarithmic; ${CLOSED_LOOP_NOTE}.`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Round-trip latency vs offered rate',
        subtitle: subtitle(['median over repetitions; bars: p99 range', CLOSED_LOOP_NOTE, emulatedNote(groups)]),
      },
      data: { values },
      ...sizeFacet(groups),
      spec: {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            // One range bar per point would overlap the next percentile's; p99 is the one decisions use.
            transform: [{ filter: "datum.percentile === 'p99'" }],
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: {
              x,
              y: { field: 'minUs', type: 'quantitative', scale: { type: 'log' } },
              y2: { field: 'maxUs' },
              color: pathColor,
              opacity: { value: 0.4 },
            },
          },
          {
            transform: [{ filter: "datum.loop === 'offered rate'" }],
            mark: { type: 'line', strokeWidth: 1.8 },
            encoding: {
              x,
              y,
              color: pathColor,
              strokeDash: {
                field: 'percentile',
                type: 'nominal',
                title: 'percentile',
                scale: {
                  domain: ['p50', 'p99', 'p99.9'],
                  range: [
                    [1, 0],
                    [6, 3],
                    [2, 2],
                  ],
                },
                legend: { orient: 'bottom' },
              },
              opacity: opacityByEmulated,
            },
          },
          {
            mark: { type: 'point', filled: true, size: 45 },
            encoding: { x, y, color: pathColor, shape: loopShape, opacity: opacityByEmulated, tooltip },
          },
        ],
      },
      resolve: { scale: { x: 'shared', y: 'shared' } },
      config: CONFIG,
    },
  };
}

/** Achieved vs offered rate (the diagonal is "achieved = offered") and loss, per size. */
export function rateChart(allGroups: readonly TrialGroup[]): ChartSpec | null {
  const groups = chartGroups(allGroups).filter((g) => g.offeredPps !== null);
  const values = groups
    .filter((g) => g.achievedPps !== null || g.lossRatio !== null)
    .map((g) => ({
      ...common(g),
      achievedPps: g.achievedPps?.median ?? null,
      achievedMin: g.achievedPps?.min ?? null,
      achievedMax: g.achievedPps?.max ?? null,
      lossRatio: g.lossRatio?.median ?? null,
      lossMin: g.lossRatio?.min ?? null,
      lossMax: g.lossRatio?.max ?? null,
      achievedText: fmtPps(g.achievedPps?.median ?? null),
      lossText: `${fmtPct(g.lossRatio?.median ?? null)} (${fmtPct(g.lossRatio?.min ?? null)}–${fmtPct(g.lossRatio?.max ?? null)})`,
    }));
  if (values.length === 0) return null;
  const tooltip = groupTooltip([
    { field: 'achievedText', title: 'achieved pps (median)' },
    { field: 'lossText', title: 'loss (range)' },
  ]);
  const panels = sizeFacet(groups);
  return {
    name: 'rate',
    title: 'Achieved rate and loss vs offered rate',
    caption:
      'Top: packets per second the client actually sent (median over repetitions) against the rate it was asked for; the grey dashed line is achieved = offered, so points below it fell short. ' +
      'Bottom: share of requests whose reply never came back. Closed-loop trials have no offered rate and are not shown here.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Achieved rate and loss vs offered rate',
        subtitle: subtitle(['top: achieved vs offered (dashed: equal)', 'bottom: loss ratio', emulatedNote(groups)]),
      },
      data: { values },
      vconcat: [
        {
          ...panels,
          spec: {
            width: PANEL_WIDTH,
            height: 170,
            layer: [
              {
                mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1 },
                encoding: { x: xRate, y: { field: 'xPps', type: 'quantitative', scale: { type: 'log' } } },
              },
              {
                transform: [{ filter: 'datum.achievedPps !== null' }],
                mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 1.8 },
                encoding: {
                  x: xRate,
                  y: { field: 'achievedPps', type: 'quantitative', title: 'achieved (packets/s, log)', scale: { type: 'log' }, axis: { format: '~s' } },
                  color: pathColor,
                  opacity: opacityByEmulated,
                  tooltip,
                },
              },
            ],
          },
        },
        {
          ...panels,
          spec: {
            width: PANEL_WIDTH,
            height: 120,
            transform: [{ filter: 'datum.lossRatio !== null' }],
            layer: [
              {
                mark: { type: 'rule', strokeWidth: 1.5 },
                encoding: { x: xRate, y: { field: 'lossMin', type: 'quantitative' }, y2: { field: 'lossMax' }, color: pathColor, opacity: { value: 0.35 } },
              },
              {
                mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 1.8 },
                encoding: {
                  x: xRate,
                  y: { field: 'lossRatio', type: 'quantitative', title: 'loss ratio', axis: { format: '.1%' } },
                  color: pathColor,
                  opacity: opacityByEmulated,
                  tooltip,
                },
              },
            ],
          },
        },
      ],
      config: CONFIG,
    },
  };
}

/** CPU time per packet and cores kept busy, against rate. */
export function cpuChart(allGroups: readonly TrialGroup[]): ChartSpec | null {
  const groups = chartGroups(allGroups);
  const values = groups
    .map((g) => ({
      ...common(g),
      nsPerPacket: g.nsPerPacket?.median ?? null,
      coresBusy: g.coresBusy?.median ?? null,
      nsText: g.nsPerPacket ? `${fmtUs(g.nsPerPacket.median)} ns (${fmtUs(g.nsPerPacket.min)}–${fmtUs(g.nsPerPacket.max)})` : '—',
      coresText: g.coresBusy ? `${g.coresBusy.median.toFixed(2)} (${g.coresBusy.min.toFixed(2)}–${g.coresBusy.max.toFixed(2)})` : '—',
    }))
    .filter((v) => v.xPps !== null && ((v.nsPerPacket !== null && v.nsPerPacket > 0) || v.coresBusy !== null));
  if (values.length === 0) return null;
  const tooltip = groupTooltip([
    { field: 'nsText', title: 'CPU ns per packet (range)' },
    { field: 'coresText', title: 'cores busy (range)' },
  ]);
  const panels = sizeFacet(groups);
  return {
    name: 'cpu',
    title: 'CPU cost vs rate',
    caption:
      'Top: CPU time per packet handled (requests and replies), from machine-wide /proc/stat deltas over the trial, so it includes softirq work for the path and anything else that ran on the machine. ' +
      `Bottom: cores kept busy (1.0 = one core for the whole trial); busy-polling paths hold a core even when idle. Medians over repetitions; ${CLOSED_LOOP_NOTE}.`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'CPU cost vs rate',
        subtitle: subtitle(['top: machine-wide CPU ns per packet; bottom: cores busy', CLOSED_LOOP_NOTE, emulatedNote(groups)]),
      },
      data: { values },
      vconcat: [
        {
          ...panels,
          spec: {
            width: PANEL_WIDTH,
            height: 170,
            transform: [{ filter: 'datum.nsPerPacket !== null && datum.nsPerPacket > 0' }],
            layer: linesAndPoints(
              { field: 'nsPerPacket', type: 'quantitative', title: 'CPU ns / packet (log)', scale: { type: 'log' }, axis: { format: '~s' } },
              tooltip,
            ),
          },
        },
        {
          ...panels,
          spec: {
            width: PANEL_WIDTH,
            height: 120,
            transform: [{ filter: 'datum.coresBusy !== null' }],
            layer: linesAndPoints({ field: 'coresBusy', type: 'quantitative', title: 'cores busy' }, tooltip),
          },
        },
      ],
      config: CONFIG,
    },
  };
}
