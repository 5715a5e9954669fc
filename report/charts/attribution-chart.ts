// Latency attribution: where the round-trip time goes at each offered rate.
import { DISPLAY_COMPONENT_NAMES, displayComponents, type DisplayComponent, type DisplayComponentName } from '../../analysis/attribution-display.js';
import type { AttributionPoint } from '../inputs.js';
import { fmtPct, fmtUs, pathDisplay, rateLabel, sizeLabel } from '../format.js';
import { CONFIG, PANEL_HEIGHT, SCHEMA, emulatedNote, opacityByEmulated, rateLabels, sizeLabels, subtitle, type ChartSpec } from './common.js';

/** A component's colour: kernel TX/RX in blues (what bypass can remove), the rest in other hues. */
const COMPONENT_COLORS: Record<DisplayComponentName, string> = {
  kernelTxClient: '#08519c',
  kernelRxClient: '#3182bd',
  // Kernel RX split by a wake-up trace: the work stays blue, waiting to run does not (busy polling removes it too).
  kernelRxClientWork: '#3182bd',
  wakeupClient: '#9467bd',
  kernelRxServerWork: '#9ecae1',
  wakeupServer: '#c5b0d5',
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

/** Median of the values present; null when none is (a share over too thin a band is null). */
function medianOf(values: (number | null)[]): number | null {
  const s = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Where the time goes at each rate: stacked component shares of the p50 band and the p99 band. */
export function attributionChart(points: readonly AttributionPoint[]): ChartSpec | null {
  if (points.length === 0) return null;
  const cells = new Map<string, AttributionPoint[]>();
  for (const p of points) {
    const key = JSON.stringify([p.pathLabel, p.msgSizeBytes, p.offeredPps]);
    const list = cells.get(key) ?? [];
    list.push(p);
    cells.set(key, list);
  }
  const rates = rateLabels(points);
  const values: Record<string, unknown>[] = [];
  const labels = new Map<DisplayComponentName, string>();
  for (const list of cells.values()) {
    const first = list[0] as AttributionPoint;
    const emulated = list.some((p) => p.emulated);
    for (const [band, shareKey, rttKey] of [
      ['p50 band', 'shareP50', 'p50'],
      ['p99 band', 'shareP99', 'p99'],
    ] as const) {
      const rttUs = medianOf(list.map((p) => p.result.rttUs[rttKey]));
      // Kernel RX shows as work + wake-up where a wake-up trace split it; remainders say so in their label.
      const shown = list.map((p) => displayComponents(p.result));
      DISPLAY_COMPONENT_NAMES.forEach((name, order) => {
        const found = shown.map((d) => d.find((c) => c.name === name)).filter((c): c is DisplayComponent => c !== undefined);
        const c = found[0];
        if (c === undefined) return;
        labels.set(name, c.label);
        const share = medianOf(found.map((x) => x[shareKey]));
        values.push({
          path: pathDisplay(first.pathLabel, emulated),
          size: sizeLabel(first.msgSizeBytes),
          rate: rateLabel(first.offeredPps),
          band,
          component: c.label,
          order,
          kernel: c.kernel,
          share,
          emulated,
          shareText: fmtPct(share),
          usText:
            share === null || rttUs === null ? `n/a (too few requests in the ${band})` : `≈ ${fmtUs(share * rttUs)} µs of ${fmtUs(rttUs)} µs RTT ${rttKey}`,
          trials: found.length,
        });
      });
    }
  }
  const legend = DISPLAY_COMPONENT_NAMES.filter((n) => labels.has(n));
  const sizes = sizeLabels(points);
  return {
    name: 'attribution',
    title: 'Latency attribution per offered rate',
    caption:
      'Share of round-trip time spent in each component (bb-tsprobe timestamps; median over repetitions): left, requests around the median RTT; right, the slowest 1 %. ' +
      'Blue components are the kernel\'s own TX/RX work, the part a bypass path could remove. Where bpftrace measured waiting to run, kernel RX shows as its work (RX interval less the measured wait) and "wake-up (waiting to run)" (purple, measured: busy polling removes it too). "other (remainder)" is what no named component covers; a negative share means timestamps disagreed.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Latency attribution per offered rate',
        subtitle: subtitle(['share of round-trip time per component', 'blue = kernel TX/RX (what bypass can remove)', emulatedNote(points)]),
      },
      data: { values },
      facet: {
        column: { field: 'band', type: 'nominal', title: null, sort: ['p50 band', 'p99 band'] },
        row: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
      },
      spec: {
        width: { step: 64 },
        height: PANEL_HEIGHT,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'rate', type: 'ordinal', title: 'offered rate', sort: rates, axis: { labelAngle: 0 } },
          y: { field: 'share', type: 'quantitative', title: 'share of RTT', stack: 'zero', axis: { format: '.0%' } },
          color: {
            field: 'component',
            type: 'nominal',
            title: 'component',
            scale: { domain: legend.map((n) => labels.get(n) ?? n), range: legend.map((n) => COMPONENT_COLORS[n]) },
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
