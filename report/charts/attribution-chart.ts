// Latency attribution: where the round-trip time goes at each offered rate.
import { COMPONENT_NAMES, KERNEL_COMPONENTS, type ComponentName } from '../../analysis/attribution.js';
import type { AttributionPoint } from '../inputs.js';
import { fmtPct, fmtUs, pathDisplay, rateLabel, sizeLabel } from '../format.js';
import { CONFIG, PANEL_HEIGHT, SCHEMA, emulatedNote, opacityByEmulated, rateLabels, sizeLabels, subtitle, type ChartSpec } from './common.js';

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
  const rates = rateLabels(points);
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
  const sizes = sizeLabels(points);
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
