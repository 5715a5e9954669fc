// The flow `run` and `attribute` share: start the run (SIGINT/SIGTERM stop it cleanly), draw its
// progress, analyse it and write its report, let the command present the result, say why a run
// failed, and turn how it ended into the exit code.
import { EXIT } from '../core/errors.js';
import type { LoadedSuite } from '../suites/load.js';
import { executeRun, type RunSummary } from '../runners/run.js';
import { analyzeRun } from '../report/analyze.js';
import { writeReport, type WrittenReport } from '../report/write.js';
import { progressReporter } from './progress.js';
import { human } from './output.js';

export interface RunFlowOptions {
  loaded: LoadedSuite;
  outDir?: string;
  resultsRoot?: string;
  /** Data goes to stdout (--json): the command prints its document, and no progress is drawn. */
  json: boolean;
  /** No progress output. */
  quiet?: boolean;
}

export interface FinishedRun {
  summary: RunSummary;
  report: WrittenReport;
}

/** On the first signal the run stops and cleans up; later ones only say that it still is. */
function stopOnSignals(controller: AbortController): () => void {
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      human(`\n${sig}: stopping the current trial and cleaning up (finished trials are saved)…`);
      controller.abort();
    } else human(`${sig}: still cleaning up; \`bypassbench cleanup\` finishes the job if you kill -9 now`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
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
  const controller = new AbortController();
  const restoreSignals = stopOnSignals(controller);
  const progress = progressReporter(opts.quiet === true || opts.json);
  try {
    const summary = await executeRun({
      loaded: opts.loaded,
      outDir: opts.outDir,
      resultsRoot: opts.resultsRoot,
      signal: controller.signal,
      onEvent: progress.onEvent,
      argv: process.argv.slice(1),
    });
    analyzeRun(summary.runDir);
    const report = await writeReport(summary.runDir);
    for (const w of report.warnings) human(`warning: ${w}`);
    present({ summary, report });
    if (!opts.json) {
      if (summary.error) human(`run failed: ${summary.error}`);
      human(`run folder: ${summary.runDir}`);
      human(`report:     ${report.files.find((f) => f.endsWith('report.html'))}`);
    }
    return exitCodeOf(summary);
  } finally {
    progress.stop();
    restoreSignals();
  }
}
