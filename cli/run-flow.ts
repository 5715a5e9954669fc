// The flow `run` and `attribute` share: start the run (SIGINT/SIGTERM stop it cleanly), draw its
// progress, analyse it and write its report, let the command present the result, say why a run
// failed, and turn how it ended into the exit code.
import { EXIT } from '../core/errors.js';
import { RunFolder } from '../core/run-folder.js';
import { formatRunTiming, formatTimingDetail } from '../core/run-timing.js';
import type { LoadedSuite } from '../suites/load.js';
import { executeRun, type RunSummary } from '../runners/run.js';
import { executeLabRun, type LabOptions } from '../runners/lab-run.js';
import { analyzeRun } from '../report/analyze.js';
import { ReportInterrupted, writeReport, type WrittenReport } from '../report/write.js';
import { progressReporter } from './progress.js';
import { human } from './output.js';
import { handleSignals } from './signals.js';

export interface RunFlowOptions {
  loaded: LoadedSuite;
  outDir?: string;
  resultsRoot?: string;
  /** Data goes to stdout (--json): the command prints its document, and no progress is drawn. */
  json: boolean;
  /** No progress output. */
  quiet?: boolean;
  /** The closing summary adds where the wall time went (the largest fixed costs, each path's trials). */
  verbose?: boolean;
  /** Lab mode: the trials run on this pair of hosts over SSH. */
  lab?: LabOptions;
}

export interface FinishedRun {
  summary: RunSummary;
  report: WrittenReport;
}

function exitCodeOf(summary: RunSummary): number {
  if (summary.status === 'interrupted') return EXIT.interrupted;
  if (summary.status === 'failed') return EXIT.crash;
  return summary.counts.failed + summary.counts['timed-out'] > 0 ? EXIT.trialsFailed : EXIT.ok;
}

/**
 * Runs the suite to its report. `present` prints the command's own result: the JSON document
 * with --json, else the human summary; the flow then names the run folder and the report.
 */
export async function runToReport(opts: RunFlowOptions, present: (run: FinishedRun) => void): Promise<number> {
  const signals = handleSignals();
  const progress = progressReporter(opts.quiet === true || opts.json);
  try {
    const runOpts = {
      loaded: opts.loaded,
      outDir: opts.outDir,
      resultsRoot: opts.resultsRoot,
      signal: signals.run,
      onEvent: progress.onEvent,
      argv: process.argv.slice(1),
    };
    const summary = opts.lab ? await executeLabRun(runOpts, opts.lab) : await executeRun(runOpts);
    progress.stop();
    signals.reporting();
    const reportStartMs = performance.now();
    analyzeRun(summary.runDir);
    let report: WrittenReport;
    try {
      report = await writeReport(summary.runDir, { signal: signals.report });
    } catch (err) {
      if (!(err instanceof ReportInterrupted)) throw err;
      human(`${err.message}; run folder: ${summary.runDir}`);
      return EXIT.interrupted;
    }
    const reportS = (performance.now() - reportStartMs) / 1000;
    if (summary.timing) {
      // run.json was written when the run closed; the report's own time joins it now.
      summary.timing.reportS = Math.round(reportS * 100) / 100;
      const folder = RunFolder.open(summary.runDir);
      const meta = folder.readMeta();
      if (meta.timing) folder.writeMeta({ ...meta, timing: { ...meta.timing, reportS: summary.timing.reportS } });
    }
    for (const w of report.warnings) human(`warning: ${w}`);
    present({ summary, report });
    if (!opts.json) {
      if (summary.error) human(`run failed: ${summary.error}`);
      if (summary.timing) human(`${formatRunTiming(summary.timing)}; report ${reportS.toFixed(0)} s`);
      if (summary.timing && opts.verbose) for (const line of formatTimingDetail(summary.timing)) human(line);
      human(`run folder: ${summary.runDir}`);
      human(`report:     ${report.files.find((f) => f.endsWith('report.html'))}`);
    }
    // A signal that came after the last step of the report still ends the command as interrupted.
    return signals.report.aborted ? EXIT.interrupted : exitCodeOf(summary);
  } finally {
    progress.stop();
    signals.dispose();
  }
}
