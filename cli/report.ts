import type { Argv } from 'yargs';
import { EXIT } from '../core/errors.js';
import { writeReport } from '../report/write.js';
import { data, human } from './output.js';

export const command = 'report <run-dir>';
export const describe = 'Regenerate the report (table, trials.csv, summary.json) from a saved run folder';

export function builder(y: Argv) {
  return y
    .positional('run-dir', { type: 'string', demandOption: true, describe: 'a folder under results/' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary rows as JSON' });
}

export async function handler(args: { runDir: string; json: boolean }): Promise<number> {
  const report = writeReport(args.runDir);
  if (args.json) data({ runDir: report.runDir, files: report.files, rows: report.rows });
  else {
    human(report.table);
    human('');
    for (const f of report.files) human(`wrote ${f}`);
  }
  return EXIT.ok;
}
