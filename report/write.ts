// Everything `bypassbench report` produces from a saved run, and what `run` writes at its end:
//   trials.csv (regenerated from trials.jsonl) and summary.json (grouped medians), through the run
//   folder's store (core/run-folder.ts), and the documents it names: report.txt (table),
//   charts/<name>.vl.json (Vega-Lite, data inlined), charts/<name>.svg and .png (rendered headless),
//   charts/summary.pdf (the one-figure summary as vector PDF, report/pdf.ts),
//   report.html (self-contained, offline) and report.md (Markdown with PNG references).
// A chart that fails to render becomes a warning, not a lost report: the run's data is on disk and
// the text documents are still worth writing.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { join } from 'node:path';
import type { Spec } from 'vega';
import { RAW_DIR, REPORT_FILES, RUN_FILES, RunFolder } from '../core/run-folder.js';
import { DiskFullError, writeFileAtomic } from '../core/safe-write.js';
import { renderHtml, type HtmlChart } from './html.js';
import { loadReportInputs } from './inputs.js';
import { renderMarkdown } from './markdown.js';
import { buildModel } from './model.js';
import { compileToVega, renderSvg, svgToPng, vegaLicenseText, vegaRuntimeSource, vegaVersion } from './render.js';
import { svgToPdf } from './pdf.js';
import { renderTable, type SummaryRow } from './table.js';
import { searchSummaryLines } from './search-summary.js';

export const CHARTS_DIR = REPORT_FILES.chartsDir;
/** Charts also written as PDF (for papers and slides). */
export const PDF_CHARTS: readonly string[] = ['summary'];

export interface WriteReportOptions {
  /** Render SVG and PNG files (default true). Vega-Lite specs and the HTML are written regardless. */
  render?: boolean;
  /** PNG scale relative to the SVG size (default 2). */
  pngScale?: number;
  /** Aborting stops the report between documents and charts (SIGINT/SIGTERM); it then throws ReportInterrupted. */
  signal?: AbortSignal;
}

/** The report was stopped by a signal; the files written so far are complete, the rest were not written. */
export class ReportInterrupted extends Error {
  constructor(readonly runDir: string) {
    super(`report interrupted; \`bypassbench report ${runDir}\` writes it again`);
    this.name = 'ReportInterrupted';
  }
}

export interface WrittenReport {
  runDir: string;
  /** Every file written, absolute or relative to the cwd as runDir was given. */
  files: string[];
  rows: SummaryRow[];
  table: string;
  /** Chart names drawn, in report order. */
  charts: string[];
  /** Problems that did not stop the report (a chart that failed to render). */
  warnings: string[];
}

/** Chart files from an earlier report, so a chart whose data is gone does not linger. */
function clearOldCharts(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (/\.(svg|png|pdf|vl\.json)$/.test(f)) rmSync(join(dir, f));
  }
}

export async function writeReport(runDir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const render = options.render ?? true;
  const folder = RunFolder.open(runDir);
  const inputs = loadReportInputs(runDir);
  const model = buildModel(inputs);
  const files: string[] = [];
  const warnings: string[] = [];
  // Each file is replaced whole, so a full disk or a kill never leaves a truncated chart or page.
  const write = (name: string, content: string | Buffer) => {
    const file = join(runDir, name);
    writeFileAtomic(file, content);
    files.push(file);
  };
  // Rendering is CPU-bound: yield to the event loop between steps so a signal is handled at once.
  const checkpoint = async () => {
    await yieldToEvents();
    if (options.signal?.aborted) throw new ReportInterrupted(runDir);
  };
  warnings.push(...inputs.run.warnings);
  await checkpoint();

  const searchLines = searchSummaryLines(model.searches);
  const table = renderTable(model.rows) + (searchLines.length ? `\n\n${searchLines.join('\n')}` : '');
  files.push(folder.writeTrialsCsv(model.trials));
  files.push(folder.writeSummary({ runId: model.meta.runId, status: model.meta.status, rows: model.rows }));
  const header = [
    `bypassbench run ${model.meta.runId ?? '?'} (${model.meta.status ?? '?'})`,
    `suite ${model.meta.suiteFile ?? '?'}; started ${model.meta.startedAt ?? '?'}; ended ${model.meta.endedAt ?? '?'}`,
    'Latency is round-trip time; medians over repetitions that finished ok.',
    '',
  ];
  write(REPORT_FILES.text, `${header.join('\n')}${table}\n`);

  const chartsDir = join(runDir, CHARTS_DIR);
  clearOldCharts(chartsDir);
  if (model.charts.length) mkdirSync(chartsDir, { recursive: true });
  const htmlCharts: HtmlChart[] = [];
  for (const chart of model.charts) {
    await checkpoint();
    const rel = (ext: string) => `${CHARTS_DIR}/${chart.name}.${ext}`;
    write(rel('vl.json'), `${JSON.stringify(chart.spec, null, 2)}\n`);
    const entry: HtmlChart = { chart, vega: null, files: { svg: null, png: null, pdf: null, vl: rel('vl.json') }, error: null };
    htmlCharts.push(entry);
    let vega: Spec;
    const chartWarnings: string[] = [];
    try {
      vega = compileToVega(chart.spec, chartWarnings);
      entry.vega = vega;
    } catch (err) {
      entry.error = `Vega-Lite could not compile it: ${(err as Error).message}`;
      warnings.push(`chart ${chart.name}: ${entry.error}`);
      continue;
    }
    if (!render) continue;
    try {
      const svg = await renderSvg(vega, chartWarnings);
      write(rel('svg'), svg);
      entry.files.svg = rel('svg');
      write(rel('png'), svgToPng(svg, options.pngScale ?? 2));
      entry.files.png = rel('png');
      // The one-figure summary goes into papers: vector PDF from the same SVG.
      if (PDF_CHARTS.includes(chart.name)) {
        write(rel('pdf'), await svgToPdf(svg, { title: chart.title, subject: model.meta.runId ?? '' }));
        entry.files.pdf = rel('pdf');
      }
    } catch (err) {
      if (err instanceof DiskFullError) throw err;
      warnings.push(`chart ${chart.name}: not rendered (${(err as Error).message})`);
    }
    warnings.push(...chartWarnings.map((w) => `chart ${chart.name}: ${w}`));
  }

  const documents: string[] = [
    REPORT_FILES.markdown,
    REPORT_FILES.text,
    RUN_FILES.summary,
    RUN_FILES.trialsCsv,
    RUN_FILES.trials,
    RUN_FILES.meta,
    `${RAW_DIR}/`,
  ];
  if (folder.has('verdicts')) documents.push(RUN_FILES.verdicts);
  if (folder.has('searches')) documents.push(RUN_FILES.searches);
  await checkpoint();
  write(
    REPORT_FILES.html,
    renderHtml(model, { charts: htmlCharts, vegaRuntime: vegaRuntimeSource(), vegaLicense: vegaLicenseText(), vegaVersion: vegaVersion(), documents }),
  );
  write(
    REPORT_FILES.markdown,
    renderMarkdown(
      model,
      htmlCharts.map((c) => ({ title: c.chart.title, caption: c.chart.caption, png: c.files.png })),
    ),
  );
  return { runDir, files, rows: model.rows, table, charts: htmlCharts.map((c) => c.chart.name), warnings };
}
