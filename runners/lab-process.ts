// A trial process on a lab host: started through ssh in a session (and process group) of its
// own, its pid written to a file on the host first so it can be signalled there — killing the
// local ssh would not stop it. Output streams back over ssh straight into raw/<host>/ files; the
// record (argv, host, pid, exit code, times) matches a local process's.
import { join } from 'node:path';
import type { ProcessSpec, ReadyCheck } from '../paths/types.js';
import { writeFileAtomic } from '../core/safe-write.js';
import { start } from './exec.js';
import type { LabLedger } from './lab-ledger.js';
import type { ProcessOutcome, RunningProcess } from './process.js';
import { safeRead, settle } from './process.js';
import { sshArgv, SSH_CONNECTION_FAILED, type SshHost } from './ssh.js';

/**
 * The remote argv: setsid makes the tool lead a new session and process group (--wait keeps its
 * exit code for us); the constant sh script writes that group's id to the pid file ($0) and
 * execs the tool with its arguments untouched ("$@").
 */
export function remoteProcessArgv(pidFile: string, argv: readonly string[]): string[] {
  return ['setsid', '--wait', 'sh', '-c', 'echo $$ > "$0" && exec "$@"', pidFile, ...argv];
}

/** Signals the process group named by a pid file (a constant script; the file and signal are arguments). */
export function remoteKillArgv(pidFile: string, signal: 'INT' | 'TERM' | 'KILL'): string[] {
  return ['sh', '-c', 'pid=$(cat "$0" 2>/dev/null) && [ -n "$pid" ] && kill -s "$1" -- "-$pid" 2>/dev/null', pidFile, signal];
}

/** The tool's argv as the host runs it: pinned with taskset when the recipe gives a CPU. */
export function pinnedArgv(spec: ProcessSpec): string[] {
  return spec.cpu === null ? spec.argv : ['taskset', '-c', String(spec.cpu), ...spec.argv];
}

export function spawnRemoteProcess(opts: {
  ssh: SshHost;
  spec: ProcessSpec;
  rawBase: string;
  ledger: LabLedger;
  remoteRunDir: string;
  timeoutMs?: number;
}): RunningProcess & { remotePid: Promise<number | null> } {
  const { ssh, spec, ledger } = opts;
  const argv = pinnedArgv(spec);
  const base = opts.rawBase.split('/').at(-1)!;
  const pidFile = join(opts.remoteRunDir, 'pids', `${base}.pid`);
  const stdoutFile = `${opts.rawBase}.stdout`;
  const stderrFile = `${opts.rawBase}.stderr`;
  const startedAt = new Date();
  const record = { role: spec.role, host: ssh.name, address: ssh.host.address, argv, startedAt: startedAt.toISOString() };
  writeFileAtomic(`${opts.rawBase}.json`, JSON.stringify(record, null, 2));
  // In the ledger before it exists: cleanup kills whatever group the pid file names.
  ledger.update((d) => d.processes.push({ role: spec.role, program: spec.argv[0] ?? '', pidFile, pid: null }));
  const child = start(sshArgv(ssh.host, ssh.settings, remoteProcessArgv(pidFile, argv)), {
    stdoutFile,
    stderrFile,
    killSignal: 'SIGTERM',
    forceKillAfterMs: 1000,
  });
  let exited = false;
  let timedOut = false;
  const signalRemote = (signal: 'INT' | 'TERM' | 'KILL') =>
    ssh.run(remoteKillArgv(pidFile, signal), { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);

  // The pid file appears a few ms after the start; read it back (for the record and the ledger).
  const remotePid = (async () => {
    for (let i = 0; i < 100 && !exited; i++) {
      const r = await ssh.run(['cat', pidFile], { allowFailure: true, timeoutMs: 5000 }).catch(() => null);
      const pid = r && r.exitCode === 0 ? Number(r.stdout.trim()) : NaN;
      if (Number.isInteger(pid) && pid > 0) {
        ledger.update((d) => d.processes.filter((p) => p.pidFile === pidFile).forEach((p) => (p.pid = pid)));
        return pid;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  })();

  const timer =
    opts.timeoutMs === undefined
      ? null
      : setTimeout(() => {
          timedOut = true;
          void stop(3000);
        }, opts.timeoutMs);

  const done: Promise<ProcessOutcome> = child.done.then(async (exit) => {
    exited = true;
    if (timer) clearTimeout(timer);
    const lost = exit.exitCode === SSH_CONNECTION_FAILED;
    if (!lost) ledger.update((d) => (d.processes = d.processes.filter((p) => p.pidFile !== pidFile)));
    const pid = await Promise.race([remotePid, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    const outcome: ProcessOutcome = {
      role: spec.role,
      driver: spec.driver,
      argv,
      pid,
      // 255 is ssh's own failure, not the tool's: no exit code is known then.
      exitCode: lost ? null : exit.exitCode,
      signal: exit.signal,
      timedOut,
      startedAt: startedAt.toISOString(),
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      stdoutFile,
      stderrFile,
      // CPU time of a remote process is not sampled (it would cost an ssh round trip each time).
      cpu: null,
    };
    const lostReason = lost
      ? `lost the ssh connection to ${ssh.name} (${ssh.host.address}): ${safeRead(stderrFile).trim().split('\n').at(-1) ?? ''}`
      : undefined;
    try {
      writeFileAtomic(`${opts.rawBase}.json`, JSON.stringify({ ...record, ...outcome, host: ssh.name, remotePid: pid, lostConnection: lostReason }, null, 2));
    } catch (err) {
      outcome.rawError = err;
    }
    if (lostReason) outcome.lostConnection = lostReason;
    return outcome;
  });

  async function stop(graceMs = 3000): Promise<ProcessOutcome> {
    if (!exited) {
      await remotePid;
      await signalRemote('INT');
      const t = setTimeout(() => {
        if (!exited) void signalRemote('KILL').then(() => setTimeout(() => !exited && child.kill('SIGKILL'), 2000));
      }, graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(t);
      }
    }
    return done;
  }

  return {
    spec,
    argv,
    pid: null,
    stdoutFile,
    stderrFile,
    done,
    remotePid,
    exited: () => exited,
    sampleCpu: () => undefined,
    stop,
  };
}

/** The remote counterpart of waitReady: the port check reads /proc/<pid>/net/* on the host. */
export async function waitRemoteReady(
  ssh: SshHost,
  proc: RunningProcess & { remotePid: Promise<number | null> },
  check: ReadyCheck | undefined,
): Promise<void> {
  if (!check) return;
  await pollRemoteReady(ssh, proc, check);
  await settle(proc, check);
}

async function pollRemoteReady(ssh: SshHost, proc: RunningProcess & { remotePid: Promise<number | null> }, check: ReadyCheck): Promise<void> {
  const timeoutMs = (check.timeoutMs ?? 5000) + 2000;
  const deadline = Date.now() + timeoutMs;
  const pid = await proc.remotePid;
  while (Date.now() < deadline) {
    if (proc.exited()) {
      const o = await proc.done;
      const said = safeRead(o.stderrFile).trim().split('\n').slice(-3).join(' | ').slice(0, 300);
      throw new Error(`${proc.spec.role} on ${ssh.name} exited (code ${o.exitCode}) before it was ready: ${said}`);
    }
    if (check.outputIncludes !== undefined && (safeRead(proc.stdoutFile) + safeRead(proc.stderrFile)).includes(check.outputIncludes)) return;
    if (pid !== null && (check.udpPort !== undefined || check.tcpListenPort !== undefined)) {
      const table = check.udpPort !== undefined ? 'udp' : 'tcp';
      const port = (check.udpPort ?? check.tcpListenPort)!;
      const r = await ssh.run(['cat', `/proc/${pid}/net/${table}`], { allowFailure: true, timeoutMs: 5000 }).catch(() => null);
      if (r && r.exitCode === 0 && portInTable(r.stdout, port, check.tcpListenPort !== undefined)) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${proc.spec.role} on ${ssh.name} was not ready after ${timeoutMs} ms (${JSON.stringify(check)})`);
}

/** Whether /proc/net/{udp,tcp} text lists the local port (LISTEN state 0A when asked). */
export function portInTable(text: string, port: number, listenOnly: boolean): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // "  0: 0200000A:2B67 00000000:0000 07 …": local address:port (hex), remote, state (0A = LISTEN)
  return text.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1]?.endsWith(`:${hexPort}`) === true && (!listenOnly || cols[3] === '0A');
  });
}
