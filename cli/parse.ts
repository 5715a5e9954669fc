import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import type { Measurement } from '../core/trial.js';
import { EXIT, UserError } from '../core/errors.js';
import { getDriver } from '../drivers/registry.js';
import type { ToolOutput } from '../drivers/types.js';
import { data, human } from './output.js';

export const command = 'parse <tool> <file>';
export const describe = 'Parse saved raw outputs of a tool into normalized records (re-run parsers without the hardware)';

export function builder(y: Argv) {
  return y
    .positional('tool', { type: 'string', demandOption: true, describe: 'driver name (sockperf, testpmd, afxdp, perftest, tsprobe …)' })
    .positional('file', {
      type: 'string',
      demandOption: true,
      describe: "the tool's captured stdout; - reads it from stdin; a folder parses every capture in it, one result per file",
    })
    .option('stderr', { type: 'string', describe: "the tool's captured stderr, if kept separately (single file only)" })
    .option('exit-code', { type: 'number', describe: 'the exit code the tool returned', default: 0 })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print JSON: the records of one capture, or one {file, toolVersion, outputForms, records} per file of a folder',
    })
    .example('$0 parse sockperf results/<run>/raw/t0001-client.stdout --json', '')
    .example('ssh lab-host "sockperf pp -i 10.0.0.2 -t 10" | $0 parse sockperf -', '')
    .example('$0 parse perftest captures/', '');
}

function readInput(file: string, what: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file === '-' ? 'stdin' : file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** One file's result: what the parser recognised and the records it made. */
export interface ParsedCapture {
  file: string;
  /** The version the output states (null when it states none), from the records' native.toolVersion. */
  toolVersion: string | null;
  /** The output forms the parser recognised, one per distinct form in the capture (native.outputForm). */
  outputForms: string[];
  records: Measurement[];
}

// Files in a capture folder that are not captures: the argv/exit-code record of the project's own
// fixtures (.json), a capture's provenance note (.md), a separately kept stderr (read with its
// .stdout), files the tool wrote besides stdout (.outjson, a --full-log .csv), scripts.
const NOT_A_CAPTURE = /\.(json|md|stderr|outjson|csv|py|sh)$/;

/** A folder's captures: every file but notes and metadata; "X.stdout" takes "X.stderr" and the exit code and argv of "X.json". */
function folderCaptures(folder: string, exitCode: number): { file: string; output: ToolOutput }[] {
  const names = readdirSync(folder).sort();
  const siblings = new Set(names);
  return names
    .filter((name) => !NOT_A_CAPTURE.test(name) && statSync(join(folder, name)).isFile())
    .map((name) => {
      const stem = name.replace(/\.stdout$/, '');
      const stderrName = `${stem}.stderr`;
      const output: ToolOutput = {
        stdout: readInput(join(folder, name), 'capture'),
        stderr: name.endsWith('.stdout') && siblings.has(stderrName) ? readInput(join(folder, stderrName), 'stderr capture') : '',
        exitCode,
      };
      const metaName = `${stem}.json`;
      if (name.endsWith('.stdout') && siblings.has(metaName)) {
        const meta = JSON.parse(readInput(join(folder, metaName), 'capture metadata')) as { exitCode?: number | null; toolArgv?: string[] };
        if (meta.exitCode !== undefined) output.exitCode = meta.exitCode;
        if (Array.isArray(meta.toolArgv)) output.argv = meta.toolArgv;
      }
      return { file: join(folder, name), output };
    });
}

function summarize(file: string, records: Measurement[]): ParsedCapture {
  const first = records.map((r) => r.native['toolVersion'] ?? r.native['version']).find((v) => typeof v === 'string' && v !== '');
  const forms = [...new Set(records.map((r) => r.native['outputForm']).filter((f): f is string => typeof f === 'string' && f !== ''))];
  return { file, toolVersion: typeof first === 'string' ? first : null, outputForms: forms, records };
}

function printHuman(result: ParsedCapture, withHeading: boolean): void {
  if (withHeading) human(`${result.file}:`);
  human(`  tool version: ${result.toolVersion ?? 'not stated in the output'}; output form: ${result.outputForms.join(' | ') || 'not recognised'}`);
  for (const r of result.records) {
    const l = r.latencyUs;
    human(
      `  ${r.status}${r.error ? ` (${r.error})` : ''}: size ${r.msgSizeBytes ?? '—'} B, achieved ${r.achievedPps ?? '—'} pps, loss ${r.lossRatio ?? '—'}, RTT p50 ${l?.p50 ?? '—'} µs p99 ${l?.p99 ?? '—'} µs p99.9 ${l?.p999 ?? '—'} µs`,
    );
  }
}

export async function handler(args: { tool: string; file: string; stderr?: string; exitCode: number; json: boolean }): Promise<number> {
  if (!Number.isInteger(args.exitCode) || args.exitCode < 0 || args.exitCode > 255) {
    throw new UserError(`--exit-code must be a whole number from 0 to 255 (the exit code the tool returned), got ${String(args.exitCode)}`);
  }
  const driver = getDriver(args.tool);
  // yargs hands a lone "-" positional over as ''.
  if (args.file === '') args = { ...args, file: '-' };
  const isFolder =
    args.file !== '-' &&
    (() => {
      try {
        return statSync(args.file).isDirectory();
      } catch {
        return false;
      }
    })();
  if (isFolder && args.stderr) throw new UserError(`--stderr ${args.stderr}: only for a single capture; in a folder, X.stderr is read with X.stdout`);

  const inputs = isFolder
    ? folderCaptures(args.file, args.exitCode)
    : [
        {
          file: args.file === '-' ? 'stdin' : args.file,
          output: { stdout: readInput(args.file, 'capture'), stderr: args.stderr ? readInput(args.stderr, 'stderr capture') : '', exitCode: args.exitCode },
        },
      ];
  if (isFolder && inputs.length === 0)
    throw new UserError(`${args.file}: no capture in the folder (files ending .json, .md, .stderr, .outjson, .csv, .py and .sh are not captures)`);

  const results = inputs.map(({ file, output }) => summarize(isFolder ? basename(file) : file, driver.parse(output)));
  if (args.json) data(isFolder ? results : results[0]!.records);
  else for (const result of results) printHuman(result, isFolder);
  return results.some((r) => r.records.some((m) => m.status !== 'ok')) ? EXIT.trialsFailed : EXIT.ok;
}
