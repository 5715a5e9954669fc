#!/usr/bin/env node
// bypassbench: is kernel bypass worth it here? Measure the kernel path and the bypass paths at the
// same sizes and packet rates, attribute latency, and decide per size × rate.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, UserError } from '../core/errors.js';
import { diskError } from '../core/safe-write.js';
import { CommandError } from '../runners/exec.js';
import * as runCmd from './run.js';
import * as doctorCmd from './doctor.js';
import * as parseCmd from './parse.js';
import * as reportCmd from './report.js';
import * as cleanupCmd from './cleanup.js';
import * as attributeCmd from './attribute.js';
import * as compareCmd from './compare.js';

interface CommandModule {
  command: string;
  describe: string;
  // Each command declares its own argument type; the table only needs the common shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (y: Argv) => Argv<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: (args: any) => Promise<number>;
}

const COMMANDS: CommandModule[] = [runCmd, doctorCmd, parseCmd, attributeCmd, reportCmd, compareCmd, cleanupCmd];

function reportError(caught: unknown): number {
  // A full or read-only disk anywhere (raw/ files, the report) is said plainly, never as a bug.
  const err = diskError(caught, (caught as NodeJS.ErrnoException | null)?.path ?? 'a file');
  if (err instanceof UserError) {
    process.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    return EXIT.usage;
  }
  if (err instanceof CommandError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.crash;
  }
  process.stderr.write(`unexpected error (a bug in bypassbench, please report it):\n${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.crash;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  let parser = yargs(argv)
    .scriptName('bypassbench')
    .usage('$0 <command> [options]\n\nMeasures kernel sockets vs kernel bypass (DPDK, AF_XDP, RDMA) per message size and packet rate.')
    .strict()
    .demandCommand(1, 'give a command; see the list above')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .epilog('Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 some trials failed or timed out, 130 interrupted.')
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`error: ${msg}\nhint: bypassbench --help lists the commands and options\n`);
      exitCode = EXIT.usage;
    });
  for (const c of COMMANDS) {
    parser = parser.command(c.command, c.describe, c.builder, async (args) => {
      exitCode = await c.handler(args);
    });
  }
  try {
    await parser.parseAsync();
  } catch (err) {
    return reportError(err);
  }
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
