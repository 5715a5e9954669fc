// The one way the project spawns a process: argv arrays only (never a shell string), stdin
// closed, C locale so tools print what the parsers expect. `run` is for short commands (ip,
// ethtool, mount …) and throws a CommandError that keeps the argv, the exit code and the end of
// stderr; `start` is for long-running processes (trial tools, QEMU) and reports how they ended.
// execa is used here and nowhere else.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa, type Options, type Result } from 'execa';

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

/** The shared primitive: every process starts here, with the same defaults. */
function spawnArgv<O extends Options>(argv: readonly string[], options: O) {
  const [program, ...args] = argv;
  if (!program) throw new Error('a command needs a program');
  return execa(program, args, { ...options, reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
}

/** What execa says when the process never produced an exit code (not found, killed, timed out). */
function failureOf(result: Result): string {
  return result.failed ? (result.message ?? '') : '';
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  timeoutMs?: number;
  allowFailure?: boolean;
  cwd?: string;
  /** Aborting stops the command (SIGTERM) and makes it fail like a non-zero exit. */
  signal?: AbortSignal;
  /** Each non-empty stderr line as it arrives (progress of a long build). */
  onStderrLine?: (line: string) => void;
}

/** Run a short command to completion; throws CommandError on a non-zero exit. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const child = spawnArgv(argv, {
    timeout: opts.timeoutMs ?? 30_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  const onLine = opts.onStderrLine;
  if (onLine) {
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) onLine(line);
    });
  }
  const result = await child;
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !opts.allowFailure) {
    throw new CommandError(argv, result.exitCode, result.stderr || failureOf(result));
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

export interface StartOptions {
  /** Output goes straight to these files (nothing is lost if we die); without one it is dropped. */
  stdoutFile?: string;
  stderrFile?: string;
  /** Killed with `killSignal` when it runs longer. */
  timeoutMs?: number;
  /** Aborting kills it with `killSignal`; the exit then says `canceled`. */
  signal?: AbortSignal;
  /** Sent on timeout or abort (default SIGTERM). */
  killSignal?: NodeJS.Signals;
  /** SIGKILL this long after `killSignal` if it is still alive. */
  forceKillAfterMs?: number;
}

export interface ProcessExit {
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal: string | null;
  timedOut: boolean;
  canceled: boolean;
  /** execa's one-line account when the process failed (non-zero exit, not found, killed). */
  failure: string | null;
}

export interface StartedProcess {
  argv: readonly string[];
  pid: number | null;
  /** Resolves when the process has exited, however it exited; never rejects. */
  done: Promise<ProcessExit>;
  kill(signal: NodeJS.Signals): void;
}

/** Start a long-running process; it is killed too if this process exits first. */
export function start(argv: readonly string[], opts: StartOptions = {}): StartedProcess {
  const child = spawnArgv(argv, {
    stdout: opts.stdoutFile ? { file: opts.stdoutFile } : 'ignore',
    stderr: opts.stderrFile ? { file: opts.stderrFile } : 'ignore',
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    killSignal: opts.killSignal ?? 'SIGTERM',
    ...(opts.forceKillAfterMs !== undefined ? { forceKillAfterDelay: opts.forceKillAfterMs } : {}),
    cleanup: true,
  });
  const done = child.then((result): ProcessExit => ({
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    failure: result.failed ? (result.shortMessage ?? '') : null,
  }));
  return { argv, pid: child.pid ?? null, done, kill: (signal) => void child.kill(signal) };
}

/** The full path of `program` on PATH, or null when it is not installed. */
export function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
