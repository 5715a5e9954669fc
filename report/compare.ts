// What `bypassbench compare` shows and writes: a text table of the per-group changes, and a chart
// of the relative change of p50 and p99 from run A to run B with its bootstrap interval, coloured
// by what the comparison concluded (the shaded band is ± the minimum relative change: a point
// inside it is never flagged). Files go to one folder: compare.json, compare.vl.json, .svg, .png,
// and compare.html / compare.md (compare-documents.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { ChangeFlag, CompareResult, MetricChange } from '../analysis/compare.js';
import { fmtRel, fmtUs, pathDisplay, rateLabel, sizeLabel } from './format.js';
import { compileToVega, renderSvg, svgToPng, vegaLicenseText, vegaRuntimeSource } from './render.js';
import { renderCompareHtml, renderCompareMarkdown, type CompareChartFiles, type CompareSides } from './compare-documents.js';

export const FLAG_COLORS: Record<ChangeFlag, string> = {
  regression: '#c62828',
  improvement: '#2e7d32',
  unchanged: '#757575',
  'insufficient-data': '#f2c14e',
};

export function groupLabel(g: { pathLabel: string; emulated: boolean; msgSizeBytes: number | null; offeredPps: number | null }): string {
  return `${pathDisplay(g.pathLabel, g.emulated)} · ${sizeLabel(g.msgSizeBytes)} · ${rateLabel(g.offeredPps)}`;
}

export function compareChartSpec(result: CompareResult): TopLevelSpec | null {
  const values: Record<string, unknown>[] = [];
  for (const g of result.groups) {
    for (const m of g.metrics) {
      if (m.deltaRel === null) continue;
      values.push({
        group: groupLabel(g),
        metric: m.metric,
        deltaRel: m.deltaRel,
        lowRel: m.ci?.lowRel ?? null,
        highRel: m.ci?.highRel ?? null,
        flag: m.flag,
        change: `${fmtUs(m.aMedianUs)} → ${fmtUs(m.bMedianUs)} µs (${fmtRel(m.deltaRel)})`,
        interval: m.ci ? `${fmtRel(m.ci.lowRel)} … ${fmtRel(m.ci.highRel)}` : 'none',
        reps: `A ${m.aN}, B ${m.bN}`,
        reason: m.reason,
      });
    }
  }
  if (values.length === 0) return null;
  const order = result.groups.map(groupLabel);
  const minRel = result.options.minRelChange;
  const y = { field: 'group', type: 'nominal' as const, title: null, sort: order, axis: { labelLimit: 320 } };
  // Symmetric log around 0, linear within ±10 %: a +5 % change and a +900 % one both stay readable.
  const relScale = { type: 'symlog' as const, constant: 0.1 };
  const onePerPanel = [{ aggregate: [{ op: 'count' as const, as: 'rows' }], groupby: ['metric'] }];
  const flagColor = {
    field: 'flag',
    type: 'nominal' as const,
    title: 'flag',
    scale: { domain: Object.keys(FLAG_COLORS), range: Object.values(FLAG_COLORS) },
    legend: { orient: 'bottom' as const },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Latency change from run A to run B',
      subtitle: [
        `A = ${result.runA.runId ?? result.runA.dir}`,
        `B = ${result.runB.runId ?? result.runB.dir}`,
        `(median B − median A) / median A; bars: ${Math.round(result.options.ciLevel * 100)} % bootstrap range over repetitions (descriptive; flags come from permutation tests)`,
        `shaded: ± ${Math.round(minRel * 100)} % minimum change; right of 0 = slower in B`,
      ],
      anchor: 'start',
    },
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['p50', 'p99'] } },
    spec: {
      width: 300,
      height: { step: 18 },
      layer: [
        // One band and one zero line per panel, not one per row (overlapping copies would darken).
        {
          transform: onePerPanel,
          mark: { type: 'rect', color: '#9e9e9e', opacity: 0.2 },
          encoding: { x: { datum: -minRel, scale: relScale }, x2: { datum: minRel } },
        },
        { transform: onePerPanel, mark: { type: 'rule', color: '#616161' }, encoding: { x: { datum: 0, scale: relScale } } },
        {
          transform: [{ filter: 'datum.lowRel !== null' }],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y, x: { field: 'lowRel', type: 'quantitative', scale: relScale }, x2: { field: 'highRel' }, color: flagColor },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            y,
            x: { field: 'deltaRel', type: 'quantitative', title: 'relative change (symmetric log)', scale: relScale, axis: { format: '+.0%', tickCount: 7 } },
            color: flagColor,
            tooltip: [
              { field: 'group', type: 'nominal' },
              { field: 'metric', type: 'nominal' },
              { field: 'change', type: 'nominal' },
              { field: 'interval', type: 'nominal', title: 'interval (relative)' },
              { field: 'reps', type: 'nominal', title: 'repetitions' },
              { field: 'flag', type: 'nominal' },
              { field: 'reason', type: 'nominal' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    config: {
      font: 'DejaVu Sans, Verdana, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 12 },
      header: { labelFontSize: 13, labelFontWeight: 'bold' },
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555' },
      view: { stroke: '#ccc' },
    },
  };
}

function metricCell(m: MetricChange | undefined): string {
  if (!m) return '—';
  const interval = m.ci ? ` [${fmtRel(m.ci.lowRel)}, ${fmtRel(m.ci.highRel)}]` : '';
  return `${fmtUs(m.aMedianUs)} → ${fmtUs(m.bMedianUs)} (${fmtRel(m.deltaRel)})${interval}`;
}

const FLAG_TEXT: Record<ChangeFlag, string> = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  unchanged: 'unchanged',
  'insufficient-data': 'insufficient data',
};

/** One line per group: p50 and p99 medians A → B (µs), relative change and interval, flag. */
export function renderCompareTable(result: CompareResult): string {
  const header = ['path · size · rate', 'p50 µs A → B (Δ) [CI]', 'p99 µs A → B (Δ) [CI]', 'flag'];
  const body = result.groups.map((g) => [
    groupLabel(g),
    metricCell(g.metrics.find((m) => m.metric === 'p50')),
    metricCell(g.metrics.find((m) => m.metric === 'p99')),
    FLAG_TEXT[g.flag],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  const flagged = result.groups.filter((g) => g.flag === 'regression' || g.flag === 'improvement');
  if (flagged.length) {
    out.push('');
    for (const g of flagged) out.push(`${FLAG_TEXT[g.flag]}: ${groupLabel(g)}: ${g.reason}`);
  }
  // Too few repetitions to decide is said once, with the reason, not left to a column of "insufficient data".
  const undecided = result.groups.filter((g) => g.flag === 'insufficient-data');
  if (undecided.length) out.push('', `${undecided.length} group(s) undecided, e.g. ${groupLabel(undecided[0]!)}: ${undecided[0]!.reason}`);
  if (result.onlyInA.length) out.push('', `only in A (not compared): ${result.onlyInA.join(', ')}`);
  if (result.onlyInB.length) out.push('', `only in B (not compared): ${result.onlyInB.join(', ')}`);
  return out.join('\n');
}

export interface WrittenCompare {
  outDir: string;
  files: string[];
  warnings: string[];
}

/**
 * Writes compare.json, the chart (Vega-Lite spec, SVG, PNG), and with the runs' environments
 * compare.html and compare.md into outDir, creating it.
 */
export async function writeCompare(result: CompareResult, outDir: string, render = true, sides: CompareSides | null = null): Promise<WrittenCompare> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const warnings: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    const file = join(outDir, name);
    writeFileSync(file, content);
    files.push(file);
  };
  write('compare.json', `${JSON.stringify(result, null, 2)}\n`);
  const spec = compareChartSpec(result);
  const chart: CompareChartFiles = { vega: null, svg: null, png: null, vl: null };
  if (spec) {
    write('compare.vl.json', `${JSON.stringify(spec, null, 2)}\n`);
    chart.vl = 'compare.vl.json';
    const chartWarnings: string[] = [];
    try {
      chart.vega = compileToVega(spec, chartWarnings);
      if (render) {
        const svg = await renderSvg(chart.vega, chartWarnings);
        write('compare.svg', svg);
        chart.svg = 'compare.svg';
        write('compare.png', svgToPng(svg));
        chart.png = 'compare.png';
      }
    } catch (err) {
      warnings.push(`compare chart not rendered: ${(err as Error).message}`);
    }
    warnings.push(...chartWarnings.map((w) => `compare chart: ${w}`));
  }
  if (sides) {
    write('compare.html', renderCompareHtml(result, sides, chart, { source: vegaRuntimeSource(), license: vegaLicenseText() }));
    write('compare.md', renderCompareMarkdown(result, sides, chart.png));
  }
  return { outDir, files, warnings };
}
