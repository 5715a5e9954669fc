import type { Argv } from 'yargs';
import { EXIT } from '../core/errors.js';
import { ReportInterrupted, writeReport } from '../report/write.js';
import { handleSignals } from './signals.js';
import { analyzeRun } from '../report/analyze.js';
import { data, human } from './output.js';

export const command = 'report <run-dir>';
export const describe =
  'Regenerate the report from a saved run folder: report.html (self-contained), report.md, report.txt, charts/ (Vega-Lite, SVG, PNG), summary.json, trials.csv';

export function builder(y: Argv) {
  return y
    .positional('run-dir', { type: 'string', demandOption: true, describe: 'a folder under results/' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary rows and written files as JSON' })
    .option('render', { type: 'boolean', default: true, describe: 'render charts to SVG and PNG (--no-render writes only the specs, HTML and text)' })
    .example('$0 report results/20261125T143421Z-quick-6751e4', 'rewrite every report file of a saved run');
}

export async function handler(args: { runDir: string; json: boolean; render: boolean }): Promise<number> {
  // Verdicts are recomputed from the saved trials, so an old run gets the current rule.
  const signals = handleSignals();
  signals.reporting();
  let report;
  try {
    analyzeRun(args.runDir);
    report = await writeReport(args.runDir, { render: args.render, signal: signals.report });
  } catch (err) {
    if (!(err instanceof ReportInterrupted)) throw err;
    human(err.message);
    return EXIT.interrupted;
  } finally {
    signals.dispose();
  }
  if (signals.report.aborted) return EXIT.interrupted;
  for (const w of report.warnings) human(`warning: ${w}`);
  if (args.json) data({ runDir: report.runDir, files: report.files, charts: report.charts, warnings: report.warnings, rows: report.rows });
  else {
    human(report.table);
    human('');
    for (const f of report.files) human(`wrote ${f}`);
  }
  return EXIT.ok;
}
