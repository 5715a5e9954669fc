// Spawning the processes of a trial: inside a namespace, pinned to a CPU, output straight to
// files under raw/ (nothing is lost if we die), every pid in the ledger while it lives.
import { readFileSync } from 'node:fs';
import type { ProcessSpec, ReadyCheck } from '../paths/types.js';
import { readProcessCpu, type ProcessCpu } from './cpu.js';
import { start } from './exec.js';
import { readStartTicks, type Ledger } from './ledger.js';
import { pausePoint } from './test-pause.js';
import { writeFileAtomic } from '../core/safe-write.js';
import { lastLines, printable } from '../core/text.js';

export interface ProcessOutcome {
  role: string;
  driver: string;
  argv: string[];
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAt: string;
  durationS: number;
  stdoutFile: string;
  stderrFile: string;
  /** Last CPU time sample; `complete` is false when the process exited between samples. */
  cpu: (ProcessCpu & { complete: boolean }) | null;
  /** Writing raw/<…>.json after the exit failed (a full disk). */
  rawError?: unknown;
  /** Lab mode: the ssh connection to the process's host was lost (why, in ssh's words). */
  lostConnection?: string;
}

export interface RunningProcess {
  spec: ProcessSpec;
  argv: string[];
  pid: number | null;
  stdoutFile: string;
  stderrFile: string;
  /** Resolves when the process exits, however it exits. */
  done: Promise<ProcessOutcome>;
  /** SIGINT (tools print their final statistics), then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<ProcessOutcome>;
  /** Take a CPU sample now (before stopping a service, for a complete figure). */
  sampleCpu(): void;
  exited(): boolean;
}

/** The full argv: namespace, CPU pinning, then the tool. */
export function wrapArgv(spec: ProcessSpec, netns: string | null): string[] {
  const pinned = spec.cpu === null ? spec.argv : ['taskset', '-c', String(spec.cpu), ...spec.argv];
  return netns ? ['ip', 'netns', 'exec', netns, ...pinned] : pinned;
}

/** raw/<…>.json is replaced whole (a full disk never leaves half a record); errors name the file. */
function writeRaw(file: string, text: string): void {
  writeFileAtomic(file, text);
}

export function spawnTrialProcess(opts: {
  spec: ProcessSpec;
  netns: string | null;
  /** raw/<trialId>-<role>: .stdout, .stderr and .json (argv, exit code, times) are written. */
  rawBase: string;
  ledger: Ledger;
  timeoutMs?: number;
}): RunningProcess {
  const { spec, ledger } = opts;
  const argv = wrapArgv(spec, opts.netns);
  const stdoutFile = `${opts.rawBase}.stdout`;
  const stderrFile = `${opts.rawBase}.stderr`;
  const startedAt = new Date();
  writeRaw(`${opts.rawBase}.json`, JSON.stringify({ role: spec.role, argv, startedAt: startedAt.toISOString() }, null, 2));

  const child = start(argv, {
    stdoutFile,
    stderrFile,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    killSignal: 'SIGINT',
    forceKillAfterMs: 3000,
  });
  const pid = child.pid;
  // Between the spawn and this line only the run's namespace knows of the process (cleanup kills
  // what lives in it); a process outside the run's namespaces is in no ledger for that instant.
  pausePoint('process-spawned');
  if (pid !== null) ledger.addProcess({ pid, pgid: pid, startTicks: readStartTicks(pid), role: spec.role, program: spec.argv[0] ?? '' });

  let lastCpu: ProcessCpu | null = null;
  let exited = false;
  const sampleCpu = () => {
    if (pid === null || exited) return;
    const s = readProcessCpu(pid);
    if (s) lastCpu = s;
  };
  // Self-terminating tools cannot be sampled after they exit (Node reaps them at once), so
  // sample a few times a second; services get a final sample right before they are stopped.
  const sampler = setInterval(sampleCpu, 200);
  sampler.unref();

  let finalSampleTaken = false;
  const done: Promise<ProcessOutcome> = child.done.then((exit) => {
    exited = true;
    clearInterval(sampler);
    if (pid !== null) ledger.removeProcess(pid);
    const outcome: ProcessOutcome = {
      role: spec.role,
      driver: spec.driver,
      argv,
      pid,
      exitCode: exit.exitCode,
      signal: exit.signal,
      timedOut: exit.timedOut,
      startedAt: startedAt.toISOString(),
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      stdoutFile,
      stderrFile,
      cpu: lastCpu ? { ...lastCpu, complete: finalSampleTaken } : null,
    };
    try {
      writeRaw(`${opts.rawBase}.json`, JSON.stringify({ ...outcome, failure: exit.failure !== null && !exit.exitCode ? exit.failure : undefined }, null, 2));
    } catch (err) {
      // The process is gone either way; the outcome says so, and the run stops on the disk error.
      outcome.rawError = err;
    }
    return outcome;
  });

  return {
    spec,
    argv,
    pid,
    stdoutFile,
    stderrFile,
    done,
    exited: () => exited,
    sampleCpu: () => {
      sampleCpu();
      finalSampleTaken = true;
    },
    async stop(graceMs = 3000) {
      if (!exited) {
        child.kill('SIGINT');
        const timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, graceMs);
        try {
          return await done;
        } finally {
          clearTimeout(timer);
        }
      }
      return done;
    },
  };
}

function portBound(pid: number, table: 'udp' | 'tcp', port: number, listenOnly: boolean): boolean {
  let text: string;
  try {
    // /proc/<pid>/net/* shows the sockets of that process's network namespace.
    text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
  } catch {
    return false;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // "  0: 0200000A:2B67 00000000:0000 07 …": local address:port (hex), remote, state (0A = LISTEN)
  return text.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1]?.endsWith(`:${hexPort}`) === true && (!listenOnly || cols[3] === '0A');
  });
}

const READY_POLL_MS = 5;

/** Wait until a service is ready, or fail fast when it exits first. */
export async function waitReady(proc: RunningProcess, check: ReadyCheck | undefined, defaultTimeoutMs = 5000): Promise<void> {
  if (!check) return;
  await pollReady(proc, check, defaultTimeoutMs);
  await settle(proc, check);
}

/** Waits check.settleMs after readiness; the process dying meanwhile fails like dying before it. */
export async function settle(proc: RunningProcess, check: ReadyCheck): Promise<void> {
  if (!check.settleMs) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([proc.done, new Promise<void>((r) => (timer = setTimeout(r, check.settleMs)))]);
  clearTimeout(timer);
  if (proc.exited()) throw new Error(`${proc.spec.role} exited (code ${(await proc.done).exitCode}) while it settled after it was ready`);
}

async function pollReady(proc: RunningProcess, check: ReadyCheck, defaultTimeoutMs: number): Promise<void> {
  const timeoutMs = check.timeoutMs ?? defaultTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited()) {
      const outcome = await proc.done;
      const stderr = safeRead(outcome.stderrFile).trim().split('\n').slice(-3).join(' | ');
      // The tool's own words, made printable and short: the raw bytes are in raw/.
      const said = printable(stderr || safeRead(outcome.stdoutFile).slice(-300), 300);
      throw new Error(`${proc.spec.role} exited (code ${outcome.exitCode}) before it was ready: ${said}`);
    }
    if (proc.pid !== null) {
      if (check.udpPort !== undefined && portBound(proc.pid, 'udp', check.udpPort, false)) return;
      if (check.tcpListenPort !== undefined && portBound(proc.pid, 'tcp', check.tcpListenPort, true)) return;
    }
    if (check.outputIncludes !== undefined && (safeRead(proc.stdoutFile) + safeRead(proc.stderrFile)).includes(check.outputIncludes)) return;
    // Every 5 ms: a service is ready 30–80 ms after its spawn here, and every trial waits for it
    // (a 20 ms poll lost 10 ms per service on average); a read of a small /proc file costs µs.
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`${proc.spec.role} was not ready after ${timeoutMs} ms (${JSON.stringify(check)})`);
}

/** Why a service that ended on its own (before it was told to stop) ended: its exit and last words. */
export async function earlyExitReason(proc: RunningProcess): Promise<string> {
  const outcome = await proc.done;
  const said = printable(lastLines(safeRead(outcome.stderrFile), 3) || lastLines(safeRead(outcome.stdoutFile), 3), 300);
  const how = outcome.signal ? `signal ${outcome.signal}` : `code ${outcome.exitCode}`;
  return `${proc.spec.role} (${proc.spec.argv.find((a) => !a.startsWith('-') && a !== 'stdbuf') ?? proc.spec.argv[0]}) exited (${how}) during the trial${said ? `: ${said}` : ''}`;
}

export function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
