// Everything `bypassbench report` produces from a saved run, and what `run` writes at its end:
// trials.csv regenerated from trials.jsonl, summary.json (grouped medians) and report.txt.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRun, trialsToCsv } from '../core/run-store.js';
import { renderTable, summarizeTrials, type SummaryRow } from './table.js';

export interface WrittenReport {
  runDir: string;
  files: string[];
  rows: SummaryRow[];
  table: string;
}

export function writeReport(runDir: string): WrittenReport {
  const run = loadRun(runDir);
  const rows = summarizeTrials(run.trials);
  const table = renderTable(rows);
  const csvFile = join(runDir, 'trials.csv');
  const summaryFile = join(runDir, 'summary.json');
  const textFile = join(runDir, 'report.txt');
  writeFileSync(csvFile, trialsToCsv(run.trials));
  writeFileSync(summaryFile, `${JSON.stringify({ runId: run.meta.runId, status: run.meta.status, rows }, null, 2)}\n`);
  const header = [
    `bypassbench run ${String(run.meta.runId)} (${String(run.meta.status)})`,
    `suite ${String(run.meta.suiteFile)}; started ${String(run.meta.startedAt)}; ended ${String(run.meta.endedAt)}`,
    'Latency is round-trip time; medians over repetitions that finished ok.',
    '',
  ];
  writeFileSync(textFile, `${header.join('\n')}${table}\n`);
  return { runDir, files: [csvFile, summaryFile, textFile], rows, table };
}
