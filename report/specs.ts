// Vega-Lite specs for the report's charts. Each spec is plain Vega-Lite with its data inlined, so a
// charts/<name>.vl.json file opens as-is in the Vega editor or any Vega-Lite renderer.
// Builders are pure: inputs in, spec out; a chart whose data the run lacks is simply not built.
//
// Conventions across charts: rates and latencies on log axes (they span decades); colour = path;
// one panel per message size; closed-loop trials have no offered rate, so they are plotted at
// their achieved rate as diamonds (open-loop points are circles); emulated paths carry
// "(emulated)" in their name everywhere, and their marks are drawn faded.
import type { TopLevelSpec } from 'vega-lite';
import type { MetricSummary, TrialGroup } from '../analysis/stats.js';
import { COMPONENT_NAMES, KERNEL_COMPONENTS, type ComponentName } from '../analysis/attribution.js';
import type { Verdict } from '../analysis/selective-win.js';
import type { AttributionPoint, SearchEntry } from './inputs.js';
import { fmtPct, fmtPps, fmtUs, pathDisplay, rateLabel, sizeLabel, sortVerdicts, verdictRowLabel } from './format.js';

export interface ChartSpec {
  /** File stem: charts/<name>.vl.json, .svg, .png. */
  name: string;
  title: string;
  /** What the chart shows and how to read it, shown under it in HTML and Markdown. */
  caption: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PANEL_WIDTH = 280;
const PANEL_HEIGHT = 210;
const LOOP_DOMAIN = ['offered rate', 'closed loop'];
const CLOSED_LOOP_NOTE = 'closed loop (diamonds) sits at its achieved rate';

const CONFIG = {
  font: 'DejaVu Sans, Verdana, sans-serif',
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 280 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  title: { fontSize: 17, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start' as const },
  view: { stroke: '#ccc' },
};

/** Panels per row: up to 3, never more than there are sizes (empty columns would still take room). */
function panelColumns(sizes: readonly unknown[]): number {
  return Math.max(1, Math.min(3, sizes.length));
}

function bySize(groups: readonly TrialGroup[]): string[] {
  return [...new Set(groups.map((g) => g.msgSizeBytes))].sort((a, b) => (a ?? -1) - (b ?? -1)).map(sizeLabel);
}

/** Groups that belong on the path-vs-rate charts: measured, and not attribution probes. */
function chartGroups(groups: readonly TrialGroup[]): TrialGroup[] {
  return groups.filter((g) => g.path !== 'attribution' && g.repetitions.ok > 0);
}

function subtitle(lines: (string | false | null)[]): string[] {
  return lines.filter((l): l is string => typeof l === 'string' && l.length > 0);
}

const emulatedNote = (groups: readonly { emulated: boolean }[]) => groups.some((g) => g.emulated) && 'faded "(emulated)" paths: QEMU TCG, not real hardware';

/** x position of a group: its offered rate, or for closed loop its achieved rate. */
function xPps(g: TrialGroup): number | null {
  return g.offeredPps ?? g.achievedPps?.median ?? null;
}

function common(g: TrialGroup) {
  return {
    path: pathDisplay(g.pathLabel, g.emulated),
    size: sizeLabel(g.msgSizeBytes),
    loop: g.offeredPps === null ? 'closed loop' : 'offered rate',
    rate: rateLabel(g.offeredPps),
    xPps: xPps(g),
    emulated: g.emulated,
    reps: `${g.repetitions.ok}/${g.repetitions.total} ok`,
  };
}

const opacityByEmulated = {
  condition: { test: 'datum.emulated', value: 0.4 },
  value: 0.9,
};

const pathColor = { field: 'path', type: 'nominal' as const, title: 'path', legend: { orient: 'bottom' as const, columns: 4, symbolOpacity: 1 } };
const loopShape = {
  field: 'loop',
  type: 'nominal' as const,
  title: null,
  scale: { domain: LOOP_DOMAIN, range: ['circle', 'diamond'] },
  legend: { orient: 'bottom' as const },
};
const xRate = { field: 'xPps', type: 'quantitative' as const, title: 'offered rate (packets/s, log)', scale: { type: 'log' as const }, axis: { format: '~s' } };

/** p50, p99 and p99.9 round-trip latency against offered rate, per message size. */
export function latencyChart(allGroups: readonly TrialGroup[]): ChartSpec | null {
  const groups = chartGroups(allGroups);
  const values: Record<string, unknown>[] = [];
  for (const g of groups) {
    const base = common(g);
    if (base.xPps === null) continue;
    const pcts: [string, MetricSummary | null][] = [
      ['p50', g.latencyUs.p50],
      ['p99', g.latencyUs.p99],
      ['p99.9', g.latencyUs.p999],
    ];
    for (const [percentile, m] of pcts) {
      if (!m || !(m.median > 0)) continue;
      values.push({ ...base, percentile, us: m.median, minUs: m.min, maxUs: m.max, label: `${fmtUs(m.median)} µs (${fmtUs(m.min)}–${fmtUs(m.max)})` });
    }
  }
  if (values.length === 0) return null;
  const x = xRate;
  const y = { field: 'us', type: 'quantitative' as const, title: 'round-trip latency (µs, log)', scale: { type: 'log' as const } };
  const tooltip = [
    { field: 'path', type: 'nominal' as const },
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    { field: 'percentile', type: 'nominal' as const },
    { field: 'label', type: 'nominal' as const, title: 'median (range over repetitions)' },
    { field: 'reps', type: 'nominal' as const, title: 'repetitions' },
  ];
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
      facet: { field: 'size', type: 'ordinal', title: 'message size', sort: bySize(groups) },
      columns: panelColumns(bySize(groups)),
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
  const tooltip = [
    { field: 'path', type: 'nominal' as const },
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    { field: 'achievedText', type: 'nominal' as const, title: 'achieved pps (median)' },
    { field: 'lossText', type: 'nominal' as const, title: 'loss (range)' },
    { field: 'reps', type: 'nominal' as const, title: 'repetitions' },
  ];
  const facet = { field: 'size', type: 'ordinal' as const, title: 'message size', sort: bySize(groups) };
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
          facet,
          columns: panelColumns(bySize(groups)),
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
          facet,
          columns: panelColumns(bySize(groups)),
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
  const tooltip = [
    { field: 'path', type: 'nominal' as const },
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    { field: 'nsText', type: 'nominal' as const, title: 'CPU ns per packet (range)' },
    { field: 'coresText', type: 'nominal' as const, title: 'cores busy (range)' },
    { field: 'reps', type: 'nominal' as const, title: 'repetitions' },
  ];
  const facet = { field: 'size', type: 'ordinal' as const, title: 'message size', sort: bySize(groups) };
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
          facet,
          columns: panelColumns(bySize(groups)),
          spec: {
            width: PANEL_WIDTH,
            height: 170,
            transform: [{ filter: 'datum.nsPerPacket !== null && datum.nsPerPacket > 0' }],
            layer: [
              {
                transform: [{ filter: "datum.loop === 'offered rate'" }],
                mark: { type: 'line', strokeWidth: 1.8 },
                encoding: {
                  x: xRate,
                  y: { field: 'nsPerPacket', type: 'quantitative', title: 'CPU ns / packet (log)', scale: { type: 'log' }, axis: { format: '~s' } },
                  color: pathColor,
                  opacity: opacityByEmulated,
                },
              },
              {
                mark: { type: 'point', filled: true, size: 45 },
                encoding: {
                  x: xRate,
                  y: { field: 'nsPerPacket', type: 'quantitative', scale: { type: 'log' } },
                  color: pathColor,
                  shape: loopShape,
                  opacity: opacityByEmulated,
                  tooltip,
                },
              },
            ],
          },
        },
        {
          facet,
          columns: panelColumns(bySize(groups)),
          spec: {
            width: PANEL_WIDTH,
            height: 120,
            transform: [{ filter: 'datum.coresBusy !== null' }],
            layer: [
              {
                transform: [{ filter: "datum.loop === 'offered rate'" }],
                mark: { type: 'line', strokeWidth: 1.8 },
                encoding: { x: xRate, y: { field: 'coresBusy', type: 'quantitative', title: 'cores busy' }, color: pathColor, opacity: opacityByEmulated },
              },
              {
                mark: { type: 'point', filled: true, size: 45 },
                encoding: {
                  x: xRate,
                  y: { field: 'coresBusy', type: 'quantitative' },
                  color: pathColor,
                  shape: loopShape,
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

const SEARCH_METRICS = ['NDR', 'PDR', 'MRR'] as const;

/** NDR, PDR and MRR per path and size, from search.json. */
export function searchChart(searches: readonly SearchEntry[] | null): ChartSpec | null {
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
  const sizes = [...new Set(searches.map((s) => s.msgSizeBytes))].sort((a, b) => (a ?? -1) - (b ?? -1)).map(sizeLabel);
  return {
    name: 'search',
    title: 'Throughput: NDR, PDR and MRR per path',
    caption:
      'From the throughput search (search.json): NDR is the highest offered rate measured with no loss, PDR the highest with loss within the partial-drop target, MRR the rate received at the maximum offered rate. ' +
      'Missing bars mean the search found no passing rate.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Throughput: NDR, PDR and MRR per path',
        subtitle: subtitle(['tooltips: search bracket and stop reason', emulatedNote(searches)]),
      },
      data: { values },
      facet: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
      columns: panelColumns(sizes),
      spec: {
        width: { step: 22 },
        height: PANEL_HEIGHT,
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              x: { field: 'path', type: 'nominal', title: null, axis: { labelAngle: -30, labelLimit: 140 } },
              xOffset: { field: 'metric', type: 'nominal', sort: [...SEARCH_METRICS] },
              y: { field: 'pps', type: 'quantitative', title: 'packets/s', axis: { format: '~s' } },
              color: {
                field: 'metric',
                type: 'nominal',
                title: 'rate',
                sort: [...SEARCH_METRICS],
                scale: { domain: [...SEARCH_METRICS], range: ['#1b7837', '#5aae61', '#762a83'] },
              },
              opacity: opacityByEmulated,
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

/** A component's colour: kernel TX/RX in blues (what bypass can remove), the rest in other hues. */
const COMPONENT_COLORS: Record<ComponentName, string> = {
  kernelTxClient: '#08519c',
  kernelRxClient: '#3182bd',
  kernelTxServer: '#6baed6',
  kernelRxServer: '#9ecae1',
  nicWire: '#fd8d3c',
  hops: '#fdd0a2',
  queueing: '#d62728',
  pauses: '#e377c2',
  serialization: '#31a354',
  application: '#a1d99b',
  other: '#bdbdbd',
};

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Where the time goes at each rate: stacked component shares of the p50 band and the p99 tail. */
export function attributionChart(points: readonly AttributionPoint[]): ChartSpec | null {
  if (points.length === 0) return null;
  const cells = new Map<string, AttributionPoint[]>();
  for (const p of points) {
    const key = JSON.stringify([p.pathLabel, p.msgSizeBytes, p.offeredPps]);
    const list = cells.get(key) ?? [];
    list.push(p);
    cells.set(key, list);
  }
  const rates = [...new Set(points.map((p) => p.offeredPps))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity)).map(rateLabel);
  const values: Record<string, unknown>[] = [];
  for (const list of cells.values()) {
    const first = list[0] as AttributionPoint;
    const emulated = list.some((p) => p.emulated);
    for (const [band, shareKey, rttKey] of [
      ['p50 band', 'shareP50', 'p50'],
      ['p99 tail', 'shareP99', 'p99'],
    ] as const) {
      const rttUs = medianOf(list.map((p) => p.result.rttUs[rttKey]));
      COMPONENT_NAMES.forEach((component, order) => {
        const share = medianOf(list.map((p) => p.result.components[component][shareKey]));
        values.push({
          path: pathDisplay(first.pathLabel, emulated),
          size: sizeLabel(first.msgSizeBytes),
          rate: rateLabel(first.offeredPps),
          band,
          component,
          order,
          kernel: KERNEL_COMPONENTS.includes(component),
          share,
          emulated,
          shareText: fmtPct(share),
          usText: `≈ ${fmtUs(share * rttUs)} µs of ${fmtUs(rttUs)} µs RTT ${rttKey}`,
          trials: list.length,
        });
      });
    }
  }
  const sizes = [...new Set(points.map((p) => p.msgSizeBytes))].sort((a, b) => (a ?? -1) - (b ?? -1)).map(sizeLabel);
  return {
    name: 'attribution',
    title: 'Latency attribution per offered rate',
    caption:
      'Share of round-trip time spent in each component (bb-tsprobe timestamps; median over repetitions): left, requests around the median RTT; right, the slowest 1 %. ' +
      'Blue components are the kernel\'s own TX/RX work, the part a bypass path could remove. "other" is what no named component covers; a negative share means timestamps disagreed.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Latency attribution per offered rate',
        subtitle: subtitle(['share of round-trip time per component', 'blue = kernel TX/RX (what bypass can remove)', emulatedNote(points)]),
      },
      data: { values },
      facet: {
        column: { field: 'band', type: 'nominal', title: null, sort: ['p50 band', 'p99 tail'] },
        row: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
      },
      spec: {
        width: { step: 38 },
        height: PANEL_HEIGHT,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'rate', type: 'ordinal', title: 'offered rate', sort: rates, axis: { labelAngle: -30 } },
          y: { field: 'share', type: 'quantitative', title: 'share of RTT', stack: 'zero', axis: { format: '.0%' } },
          color: {
            field: 'component',
            type: 'nominal',
            title: 'component',
            scale: { domain: [...COMPONENT_NAMES], range: COMPONENT_NAMES.map((c) => COMPONENT_COLORS[c]) },
            legend: { orient: 'right' },
          },
          order: { field: 'order', type: 'quantitative' },
          opacity: opacityByEmulated,
          tooltip: [
            { field: 'path', type: 'nominal' },
            { field: 'size', type: 'nominal' },
            { field: 'rate', type: 'nominal', title: 'offered' },
            { field: 'band', type: 'nominal' },
            { field: 'component', type: 'nominal' },
            { field: 'shareText', type: 'nominal', title: 'share' },
            { field: 'usText', type: 'nominal', title: 'time' },
            { field: 'trials', type: 'quantitative', title: 'repetitions' },
          ],
        },
      },
      config: CONFIG,
    },
  };
}

export const VERDICT_COLORS = { 'bypass-wins': '#2e9e4f', 'no-win': '#9e9e9e', 'insufficient-data': '#f2c14e' } as const;

/** The selective-win verdict per size × rate, with the reason in the tooltip. */
export function verdictChart(verdicts: readonly Verdict[] | null): ChartSpec | null {
  if (!verdicts || verdicts.length === 0) return null;
  const rates = [...new Set(verdicts.map((v) => v.offeredPps))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity)).map(rateLabel);
  const sizes = [...new Set(sortVerdicts(verdicts).map(verdictRowLabel))];
  const values = verdicts.map((v) => ({
    size: verdictRowLabel(v),
    rate: rateLabel(v.offeredPps),
    verdict: v.verdict,
    reason: v.reason,
    otherReasons: v.reasons.filter((r) => r !== v.reason).join('; ') || '—',
    best: v.bestBypassPath ?? '—',
    kernelP99: v.kernelP99Us === null ? '—' : `${fmtUs(v.kernelP99Us)} µs`,
    bypassP99: v.bypassP99Us === null ? '—' : `${fmtUs(v.bypassP99Us)} µs`,
    saving:
      v.expectedP99SavingUs === null
        ? '—'
        : `${fmtUs(v.expectedP99SavingUs)} µs${v.expectedP99SavingPct === null ? '' : ` (${v.expectedP99SavingPct.toFixed(0)} %)`}`,
    coresDelta: v.coresDelta === null ? '—' : `${v.coresDelta >= 0 ? '+' : ''}${v.coresDelta.toFixed(2)}`,
    excluded: v.excludedPaths.map((e) => `${e.pathLabel}: ${e.why}`).join('; ') || '—',
    cellText: v.verdict === 'bypass-wins' ? 'wins' : v.verdict === 'no-win' ? 'no win' : '?',
  }));
  const verdictTooltip = [
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    { field: 'verdict', type: 'nominal' as const },
    { field: 'reason', type: 'nominal' as const },
    { field: 'otherReasons', type: 'nominal' as const, title: 'also' },
    { field: 'best', type: 'nominal' as const, title: 'best bypass path' },
    { field: 'kernelP99', type: 'nominal' as const, title: 'kernel p99' },
    { field: 'bypassP99', type: 'nominal' as const, title: 'bypass p99' },
    { field: 'saving', type: 'nominal' as const, title: 'p99 saving' },
    { field: 'coresDelta', type: 'nominal' as const, title: 'extra cores' },
    { field: 'excluded', type: 'nominal' as const, title: 'left out' },
  ];
  return {
    name: 'verdicts',
    title: 'Does bypass pay? Verdict per size × rate',
    caption:
      'The selective-win rule per message size and offered rate: green = bypass wins, grey = no win, amber = insufficient data. ' +
      'Hover a cell for the reason and the numbers that decided it; the verdict table lists the same.',
    spec: {
      $schema: SCHEMA,
      title: { text: 'Does bypass pay? Verdict per size × rate', subtitle: ['hover a cell: reason, p99 of both paths, CPU cost'] },
      data: { values },
      width: { step: 90 },
      height: { step: 34 },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
          encoding: {
            x: { field: 'rate', type: 'ordinal', title: 'offered rate', sort: rates, axis: { orient: 'top', labelAngle: 0 } },
            y: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
            color: {
              field: 'verdict',
              type: 'nominal',
              title: 'verdict',
              scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) },
              legend: { orient: 'bottom' },
            },
            tooltip: verdictTooltip,
          },
        },
        {
          mark: { type: 'text', fontSize: 11, color: 'white', fontWeight: 'bold' },
          encoding: {
            x: { field: 'rate', type: 'ordinal', sort: rates },
            y: { field: 'size', type: 'ordinal', sort: sizes },
            text: { field: 'cellText' },
            // The label sits over the cell, so it carries the same tooltip.
            tooltip: verdictTooltip,
          },
        },
      ],
      config: CONFIG,
    },
  };
}

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
