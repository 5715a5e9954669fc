// The one way the project spawns a process: argv arrays only (never a shell string), stdin
// closed, C locale so tools print what the parsers expect. `run` is for short commands (ip,
// ethtool, mount …) and throws a CommandError that keeps the argv, the exit code and the end of
// stderr; `start` is for long-running processes (trial tools, QEMU) and reports how they ended.
// Every process leads a process group of its own: a timeout, an abort or our exit kills the whole
// group, so a child the tool left behind (a wrapper's child holding its output open) dies too.
// execa is used here and nowhere else.
import { accessSync, closeSync, constants, openSync } from 'node:fs';
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

/** Process groups (= leader pids) of processes started here that may still have members. */
const liveGroups = new Set<number>();

/** Signals a whole process group (0: only asks whether it exists); false when it no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL every process group started here that may still live (a second Ctrl-C, or our exit). */
export function killAllGroups(): number {
  let killed = 0;
  for (const pgid of liveGroups) if (killGroup(pgid, 'SIGKILL')) killed++;
  return killed;
}

// Detached groups do not die with us on their own: take them down when this process exits.
process.on('exit', () => void killAllGroups());

/** The shared primitive: every process starts here, with the same defaults, in a group of its own. */
function spawnArgv<O extends Options>(argv: readonly string[], options: O) {
  const [program, ...args] = argv;
  if (!program) throw new Error('a command needs a program');
  // detached: setsid(), so the child leads a new process group that we can kill as a whole.
  const child = execa(program, args, { ...options, reject: false, stdin: 'ignore', env: { LC_ALL: 'C' }, detached: true, cleanup: false });
  const pgid = child.pid;
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    // Whatever the leader left running in its group is an orphan of ours: kill it with the leader.
    void child.finally(() => {
      killGroup(pgid, 'SIGKILL');
      liveGroups.delete(pgid);
    });
  }
  return child;
}

/**
 * Kills the group on timeout or abort: `signal` first, SIGKILL after `forceAfterMs`. Returns what
 * happened (read once the process has ended) and a dispose() that cancels the timers.
 */
function guardGroup(pgid: number | undefined, o: { timeoutMs?: number; abort?: AbortSignal; signal: NodeJS.Signals; forceAfterMs: number }) {
  const state = { timedOut: false, canceled: false };
  const timers: NodeJS.Timeout[] = [];
  const stop = () => {
    if (pgid === undefined) return;
    killGroup(pgid, o.signal);
    timers.push(setTimeout(() => killGroup(pgid, 'SIGKILL'), o.forceAfterMs));
  };
  if (o.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        state.timedOut = true;
        stop();
      }, o.timeoutMs),
    );
  }
  const onAbort = () => {
    state.canceled = true;
    stop();
  };
  if (o.abort?.aborted) onAbort();
  else o.abort?.addEventListener('abort', onAbort, { once: true });
  return {
    state,
    dispose: () => {
      for (const t of timers) clearTimeout(t);
      o.abort?.removeEventListener('abort', onAbort);
    },
  };
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
  const child = spawnArgv(argv, { ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  // Our own timeout: it kills the whole group, so a child holding the pipes cannot keep us waiting.
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const guard = guardGroup(child.pid, { timeoutMs, ...(opts.signal ? { abort: opts.signal } : {}), signal: 'SIGTERM', forceAfterMs: 2000 });
  const onLine = opts.onStderrLine;
  if (onLine) {
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) onLine(line);
    });
  }
  const result = await child.finally(guard.dispose);
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !opts.allowFailure) {
    const why = guard.state.timedOut ? `timed out after ${timeoutMs} ms` : guard.state.canceled ? 'stopped (interrupted)' : '';
    throw new CommandError(argv, result.exitCode, [result.stderr || failureOf(result), why].filter(Boolean).join('\n'));
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
  /**
   * Output goes straight to these files (the child writes them itself: no pipe through us, so
   * nothing is lost if we die and a child holding the output open cannot keep us waiting).
   */
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
  /** Also its process group id. */
  pid: number | null;
  /** Resolves when the process has exited, however it exited; never rejects. */
  done: Promise<ProcessExit>;
  kill(signal: NodeJS.Signals): void;
}

/** Start a long-running process; it is killed too if this process exits first. */
export function start(argv: readonly string[], opts: StartOptions = {}): StartedProcess {
  const fds: number[] = [];
  // A raw descriptor goes to spawn() as is (execa's types only list 1–9, its runtime takes any).
  const fdFor = (file: string | undefined): 'ignore' | 1 => {
    if (!file) return 'ignore';
    const fd = openSync(file, 'w');
    fds.push(fd);
    return fd as 1;
  };
  let child;
  try {
    child = spawnArgv(argv, { stdout: fdFor(opts.stdoutFile), stderr: fdFor(opts.stderrFile) });
  } finally {
    // The child has its own copies; ours would only keep the files open.
    for (const fd of fds) closeSync(fd);
  }
  const pgid = child.pid;
  const guard = guardGroup(pgid, {
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { abort: opts.signal } : {}),
    signal: opts.killSignal ?? 'SIGTERM',
    forceAfterMs: opts.forceKillAfterMs ?? 3000,
  });
  const done = child.then((result): ProcessExit => {
    guard.dispose();
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut: guard.state.timedOut,
      canceled: guard.state.canceled,
      failure: result.failed ? (result.shortMessage ?? '') : null,
    };
  });
  return {
    argv,
    pid: pgid ?? null,
    done,
    kill: (signal) => {
      if (pgid !== undefined) killGroup(pgid, signal);
    },
  };
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
