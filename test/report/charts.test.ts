// Every chart spec compiles with Vega-Lite and renders with Vega in Node, on a real fixture run
// (test/fixtures/runs/quick-a) plus the derived extras described in fixture-runs.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupTrials } from '../../analysis/stats.js';
import { loadReportInputs } from '../../report/inputs.js';
import { compileToVega, renderSvg } from '../../report/render.js';
import { attributionChart, buildCharts, latencyChart, pathPalette, searchChart, verdictChart, type ChartSpec } from '../../report/charts/index.js';
import { copyFixtureRun, removeTempDirs } from './fixture-runs.js';

type Row = Record<string, unknown>;
type Panel = { data?: { values: Row[] }; vconcat?: Panel[] };
/** Every data row of a chart, from its top-level data or its stacked panels' (a row shown in two panels counts once). */
const rowsOf = (chart: ChartSpec): Row[] => {
  const out = new Map<string, Row>();
  const visit = (p: Panel) => {
    for (const r of p.data?.values ?? []) out.set(JSON.stringify(r), r);
    for (const q of p.vconcat ?? []) visit(q);
  };
  visit(chart.spec as Panel);
  return [...out.values()];
};

afterAll(removeTempDirs);

describe('chart specs', () => {
  let charts: ChartSpec[];
  /** quick-a: a real run of kernel UDP and TCP with closed-loop trials and nothing emulated. */
  let quickCharts: ChartSpec[];

  beforeAll(async () => {
    // A real run with verdicts, a search, attribution trials and an emulated path (FIXTURE.md).
    const dir = copyFixtureRun('full-a');
    const inputs = loadReportInputs(dir);
    charts = buildCharts({
      groups: groupTrials(inputs.run.trials),
      verdicts: inputs.verdicts,
      searches: inputs.searches,
      attribution: inputs.attribution,
    }).charts;

    const quick = loadReportInputs(copyFixtureRun('quick-a'));
    quickCharts = buildCharts({ groups: groupTrials(quick.run.trials), verdicts: null, searches: null, attribution: [] }).charts;
  });

  it('builds one chart per kind of data the run has', () => {
    expect(charts.map((c) => c.name)).toEqual(['verdicts', 'summary', 'latency', 'rate', 'cpu', 'search', 'attribution']);
  });

  it('every spec is plain Vega-Lite v6 with its data inlined', () => {
    for (const c of charts) {
      expect(c.spec.$schema).toMatch(/vega-lite\/v6/);
      expect(rowsOf(c).length, c.name).toBeGreaterThan(0);
      expect(c.caption.length).toBeGreaterThan(20);
    }
  });

  it('every spec compiles without warnings and renders to an SVG with marks', async () => {
    for (const c of charts) {
      const warnings: string[] = [];
      const vega = compileToVega(c.spec, warnings);
      const svg = await renderSvg(vega, warnings);
      expect(warnings, c.name).toEqual([]);
      expect(svg.startsWith('<svg'), c.name).toBe(true);
      // Vega names each mark group by type: a chart with data draws at least one of these.
      expect(svg, c.name).toMatch(/class="mark-(symbol|line|rect|rule|text)/);
      expect(svg, c.name).toContain(c.title.split(':')[0]!.slice(0, 20));
    }
  });

  it('latency points are round-trip percentiles with p99 ≥ p50 > 0, and closed loop is marked', () => {
    const rows = [...rowsOf(charts.find((c) => c.name === 'latency')!), ...rowsOf(quickCharts.find((c) => c.name === 'latency')!)];
    const byKey = new Map<string, Row[]>();
    for (const r of rows) {
      const key = `${r.path}|${r.size}|${r.rate}`;
      byKey.set(key, [...(byKey.get(key) ?? []), r]);
    }
    for (const [key, list] of byKey) {
      const p50 = list.find((r) => r.percentile === 'p50')!.us as number;
      const p99 = list.find((r) => r.percentile === 'p99')!.us as number;
      expect(p50, key).toBeGreaterThan(0);
      expect(p99, key).toBeGreaterThanOrEqual(p50);
    }
    const closed = rows.filter((r) => r.loop === 'closed loop');
    expect(closed.length).toBeGreaterThan(0);
    for (const r of closed) expect(r.rate).toBe('closed loop');
  });

  it('marks emulated paths in names, opacity and subtitle', () => {
    // full-a's rdma-rxe (Soft-RoCE bandwidth) is emulated; it has a rate, not a latency.
    const rate = charts.find((c) => c.name === 'rate')!;
    const paths = new Set(rowsOf(rate).map((r) => r.path));
    expect(paths).toEqual(new Set(['kernel-udp', 'afxdp', 'rdma-rxe (emulated)']));
    expect(JSON.stringify(rate.spec)).toContain('datum.emulated');
    expect(JSON.stringify((rate.spec as { title: unknown }).title)).toMatch(/emulat/);
    const notEmulated = quickCharts.find((c) => c.name === 'latency')!;
    expect(JSON.stringify((notEmulated.spec as { title: unknown }).title)).not.toMatch(/emulat/);
  });

  it('the verdict strip has one cell per size × rate with the reason in the tooltip', () => {
    const chart = charts.find((c) => c.name === 'verdicts')!;
    const rows = rowsOf(chart);
    expect(new Set(rows.map((r) => `${r.size}|${r.rate}`)).size).toBe(rows.length);
    for (const r of rows) {
      expect(['bypass-wins', 'no-win', 'insufficient-data']).toContain(r.verdict);
      expect(String(r.reason).length).toBeGreaterThan(0);
    }
    expect(JSON.stringify(chart.spec)).toContain('"field":"reason"');
  });

  it('the one-figure summary carries verdict, p99 saving and extra cores in every size × rate cell', () => {
    const chart = charts.find((c) => c.name === 'summary')!;
    const rows = rowsOf(chart);
    expect(rows.length).toBe(rowsOf(charts.find((c) => c.name === 'verdicts')!).length);
    for (const r of rows) {
      expect(['bypass wins', 'no win', 'insufficient data']).toContain(r.verdictText);
      // e.g. "p99 −14 µs (49 %)\n+0.95 cores" (or "—" where the verdict had no such figure).
      expect(String(r.figures)).toMatch(/^p99 (−[\d.]+ µs( \(\d+ %\))?|\+[\d.]+ µs \(slower\)|saving —)\n([+−][\d.]+ cores|cores —)$/);
    }
  });

  it('colours a path the same in every chart that shows paths', () => {
    const colours = new Map<string, string>();
    for (const c of charts) {
      const json = JSON.stringify(c.spec);
      for (const m of json.matchAll(/"field":"path","type":"nominal","title":"path","scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/g)) {
        const domain = JSON.parse(m[1]!) as string[];
        const range = JSON.parse(m[2]!) as string[];
        domain.forEach((d, i) => {
          expect(colours.get(d) ?? range[i], `${c.name}: ${d}`).toBe(range[i]);
          colours.set(d, range[i]!);
        });
      }
    }
    expect(colours.get('kernel-udp')).toBe('#0072B2');
    expect(colours.size).toBeGreaterThanOrEqual(3);
  });

  it('log axes span the data, not whole decades around it', () => {
    const latency = charts.find((c) => c.name === 'latency')!;
    const json = JSON.stringify(latency.spec);
    const domains = [...json.matchAll(/"type":"log","domain":\[([\d.e+-]+),([\d.e+-]+)\],"nice":false/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(domains.length).toBeGreaterThan(0);
    const us = rowsOf(latency).flatMap((r) => [r.us as number, r.minUs as number, r.maxUs as number]);
    const [lo, hi] = [Math.min(...us), Math.max(...us)];
    for (const [a, b] of domains) {
      expect(a!).toBeGreaterThan(0);
      // Padded by at most 25 % beyond the values of its row (the x domains pad the rates the same way).
      expect(b! / a!).toBeLessThanOrEqual((hi / lo) * 1.6);
    }
  });

  it('attribution stacks component shares of the p50 band and p99 band per rate', () => {
    const rows = rowsOf(charts.find((c) => c.name === 'attribution')!);
    expect(new Set(rows.map((r) => r.rate))).toEqual(new Set(['2000 pps', '10k pps']));
    for (const band of ['p50 band', 'p99 band']) {
      for (const rate of ['2000 pps', '10k pps']) {
        const total = rows.filter((r) => r.band === band && r.rate === rate).reduce((a, r) => a + (r.share as number), 0);
        // The components add up to the whole RTT (attribution's sum check), so the stack reaches ~100 %.
        expect(total, `${band} ${rate}`).toBeGreaterThan(0.95);
        expect(total, `${band} ${rate}`).toBeLessThan(1.05);
      }
    }
  });

  it('leaves out charts whose data the run lacks', () => {
    expect(verdictChart(null)).toBeNull();
    expect(verdictChart([])).toBeNull();
    const palette = pathPalette([]);
    expect(searchChart(null, palette)).toBeNull();
    expect(attributionChart([])).toBeNull();
    expect(latencyChart([], palette)).toBeNull();
  });
});
