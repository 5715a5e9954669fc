// Short set-up commands (ip, ethtool, sysctl …): argv arrays only, and a failure keeps the argv,
// the exit code and the end of stderr so the user sees exactly what the system refused.
import { execa } from 'execa';

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`command failed (exit ${exitCode ?? 'none'}): ${argv.join(' ')}${tail ? `\n${tail}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run a short command to completion; throws CommandError on a non-zero exit. */
export async function run(argv: readonly string[], opts: { timeoutMs?: number; allowFailure?: boolean; cwd?: string } = {}): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (!program) throw new Error('run() needs a program');
  const result = await execa(program, args, {
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 30_000,
    cwd: opts.cwd,
    env: { LC_ALL: 'C' },
  });
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !opts.allowFailure) {
    throw new CommandError(argv, result.exitCode, result.stderr || (result.failed ? (result.message ?? '') : ''));
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode };
}

/** Like run(), but a missing program or failure returns null instead of throwing. */
export async function tryRun(argv: readonly string[], timeoutMs = 10_000): Promise<CommandResult | null> {
  try {
    const r = await run(argv, { timeoutMs, allowFailure: true });
    return r.exitCode === 0 ? r : null;
  } catch {
    return null;
  }
}
