import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { EXIT, UserError } from '../core/errors.js';
import { getDriver } from '../drivers/registry.js';
import { data, human } from './output.js';

export const command = 'parse <tool> <file>';
export const describe = 'Parse a saved raw output of a tool into normalized records (re-run parsers without the hardware)';

export function builder(y: Argv) {
  return y
    .positional('tool', { type: 'string', demandOption: true, describe: 'driver name (sockperf, testpmd, afxdp, perftest, tsprobe …)' })
    .positional('file', { type: 'string', demandOption: true, describe: "the tool's captured stdout" })
    .option('stderr', { type: 'string', describe: "the tool's captured stderr, if kept separately" })
    .option('exit-code', { type: 'number', describe: 'the exit code the tool returned', default: 0 })
    .option('json', { type: 'boolean', default: false, describe: 'print the records as a JSON array' })
    .example('$0 parse sockperf results/<run>/raw/t0001-client.stdout --json', '');
}

function readInput(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function handler(args: { tool: string; file: string; stderr?: string; exitCode: number; json: boolean }): Promise<number> {
  if (!Number.isInteger(args.exitCode) || args.exitCode < 0 || args.exitCode > 255) {
    throw new UserError(`--exit-code must be a whole number from 0 to 255 (the exit code the tool returned), got ${String(args.exitCode)}`);
  }
  const driver = getDriver(args.tool);
  const records = driver.parse({
    stdout: readInput(args.file, 'capture'),
    stderr: args.stderr ? readInput(args.stderr, 'stderr capture') : '',
    exitCode: args.exitCode,
  });
  if (args.json) data(records);
  else {
    for (const r of records) {
      const l = r.latencyUs;
      human(
        `${r.status}${r.error ? ` (${r.error})` : ''}: size ${r.msgSizeBytes ?? '—'} B, achieved ${r.achievedPps ?? '—'} pps, loss ${r.lossRatio ?? '—'}, RTT p50 ${l?.p50 ?? '—'} µs p99 ${l?.p99 ?? '—'} µs p99.9 ${l?.p999 ?? '—'} µs`,
      );
    }
  }
  return records.some((r) => r.status !== 'ok') ? EXIT.trialsFailed : EXIT.ok;
}
