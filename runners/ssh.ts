// The OpenSSH client, as lab mode uses it: one multiplexed connection per host and run (a master
// we start and stop ourselves), BatchMode (never a password prompt), host keys checked against
// known_hosts, a dead host noticed within seconds. A remote command is an argv array turned
// into one string by quoteArgv — the only place a remote command line is ever built.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from '../core/inventory.js';
import { CommandError, run, start, type CommandResult, type StartedProcess } from './exec.js';

export interface SshSettings {
  /** Holds the control sockets: private to the run (0700), short enough for a socket path. */
  controlDir: string;
  /** UserKnownHostsFile for every host (a host's bypassbench_known_hosts_file wins); null: ssh's default. */
  knownHostsFile: string | null;
  /** StrictHostKeyChecking=accept-new instead of yes: first contact records the key, a changed key still fails. */
  acceptNewHostKeys: boolean;
  connectTimeoutS: number;
  /** ServerAliveInterval × ServerAliveCountMax: how soon a dead host or link ends the connection. */
  aliveIntervalS: number;
  aliveCountMax: number;
}

export function defaultSshSettings(controlDir: string): SshSettings {
  return { controlDir, knownHostsFile: null, acceptNewHostKeys: false, connectTimeoutS: 5, aliveIntervalS: 2, aliveCountMax: 3 };
}

/**
 * One argument for a POSIX shell: wrapped in single quotes, each embedded ' written as '\''.
 * Inside single quotes nothing is special ($, `, \, ;, *, newlines), so the remote shell hands the
 * exact bytes to the program. NUL cannot travel in an argv at all and is refused.
 */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error(`an argument for a remote command contains a NUL byte: ${JSON.stringify(arg)}`);
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** The remote command line for an argv: every word quoted, so the remote shell splits nothing and expands nothing. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a remote command needs a program');
  return argv.map(quoteArg).join(' ');
}

/** "user@host" (IPv6 literals need no brackets for ssh, only for scp). */
function destination(host: LabHost): string {
  return host.user ? `${host.user}@${host.address}` : host.address;
}

/** Options shared by ssh and scp (scp takes -P for the port, so the port is added by the caller). */
export function sshOptions(host: LabHost, s: SshSettings): string[] {
  const o = (kv: string) => ['-o', kv];
  const knownHosts = host.knownHostsFile ?? s.knownHostsFile;
  return [
    ...o('BatchMode=yes'),
    ...o(`StrictHostKeyChecking=${s.acceptNewHostKeys ? 'accept-new' : 'yes'}`),
    ...(knownHosts ? o(`UserKnownHostsFile=${knownHosts}`) : []),
    ...o(`ConnectTimeout=${s.connectTimeoutS}`),
    ...o(`ServerAliveInterval=${s.aliveIntervalS}`),
    ...o(`ServerAliveCountMax=${s.aliveCountMax}`),
    // %C: a hash of local host, remote host, port and user, so the path stays under the socket limit.
    ...o(`ControlPath=${join(s.controlDir, '%C')}`),
    ...(host.keyFile ? ['-i', host.keyFile, ...o('IdentitiesOnly=yes')] : []),
    // The lab's hosts are reached as the inventory says, whatever the user's ~/.ssh/config adds.
    ...o('LogLevel=ERROR'),
  ];
}

/** ssh argv running `remote` (an argv) on the host, through the master connection when it is up. */
export function sshArgv(host: LabHost, s: SshSettings, remote: readonly string[]): string[] {
  return ['ssh', ...sshOptions(host, s), ...['-o', 'ControlMaster=no'], '-p', String(host.port), '--', destination(host), quoteArgv(remote)];
}

/** The master connection: runs until stopped (-N: no command), others multiplex over its socket. */
export function sshMasterArgv(host: LabHost, s: SshSettings): string[] {
  return ['ssh', ...sshOptions(host, s), ...['-o', 'ControlMaster=yes', '-o', 'ControlPersist=no'], '-N', '-p', String(host.port), '--', destination(host)];
}

/** `ssh -O check|exit`: asks the master over its socket. */
export function sshControlArgv(host: LabHost, s: SshSettings, op: 'check' | 'exit'): string[] {
  return ['ssh', ...sshOptions(host, s), '-O', op, '-p', String(host.port), '--', destination(host)];
}

/** scp argv copying a local file to the host or back (SFTP protocol: the remote path is not given to a shell). */
export function scpArgv(host: LabHost, s: SshSettings, from: string, to: string, direction: 'to-host' | 'from-host'): string[] {
  const remote = (path: string) => `${host.user ? `${host.user}@` : ''}${host.address.includes(':') ? `[${host.address}]` : host.address}:${path}`;
  const [src, dst] = direction === 'to-host' ? [from, remote(to)] : [remote(from), to];
  return ['scp', '-q', '-p', ...sshOptions(host, s), '-P', String(host.port), '--', src, dst];
}

/** ssh exits 255 when the connection itself failed (refused, host key, timeout, lost). */
export const SSH_CONNECTION_FAILED = 255;

export class SshError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(`${host}: ${message}`);
    this.name = 'SshError';
  }
}

/** One lab host as the runner talks to it. */
export class SshHost {
  private master: StartedProcess | null = null;

  constructor(
    readonly host: LabHost,
    readonly settings: SshSettings,
  ) {}

  get name(): string {
    return this.host.name;
  }

  /** Starts the master connection and waits until it answers (or fails with ssh's own words). */
  async connect(timeoutMs = 15_000): Promise<void> {
    mkdirSync(this.settings.controlDir, { recursive: true, mode: 0o700 });
    if (this.master) return;
    const master = start(sshMasterArgv(this.host, this.settings), { killSignal: 'SIGTERM', forceKillAfterMs: 1000 });
    this.master = master;
    let exited = false;
    void master.done.then(() => (exited = true));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await run(sshControlArgv(this.host, this.settings, 'check'), { allowFailure: true, timeoutMs: 5000 });
      if (r.exitCode === 0) return;
      if (exited) {
        // Ask once without the master to get ssh's reason (host key, refused, auth) in stderr.
        const why = await run(sshArgv(this.host, this.settings, ['true']), { allowFailure: true, timeoutMs: (this.settings.connectTimeoutS + 5) * 1000 });
        this.master = null;
        throw new SshError(this.name, `cannot connect over ssh to ${this.host.address}:${this.host.port}: ${why.stderr.trim() || `ssh exit ${why.exitCode}`}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.close();
    throw new SshError(this.name, `no ssh connection to ${this.host.address}:${this.host.port} after ${timeoutMs} ms`);
  }

  /** Ends the master connection (and with it any session still multiplexed over it). */
  async close(): Promise<void> {
    const m = this.master;
    this.master = null;
    if (!m) return;
    await run(sshControlArgv(this.host, this.settings, 'exit'), { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
    m.kill('SIGTERM');
    await m.done;
  }

  /** Runs a short remote command; throws a CommandError (argv, exit, stderr) on failure. */
  async run(argv: readonly string[], opts: { timeoutMs?: number; allowFailure?: boolean } = {}): Promise<CommandResult> {
    const r = await run(sshArgv(this.host, this.settings, argv), { allowFailure: true, timeoutMs: opts.timeoutMs ?? 30_000 });
    if (r.exitCode === SSH_CONNECTION_FAILED) {
      throw new SshError(this.name, `lost the ssh connection running ${argv.join(' ')}: ${r.stderr.trim() || 'ssh exit 255'}`);
    }
    // The remote argv (not the ssh wrapper) names the failure: that is what the user recognises.
    if (r.exitCode !== 0 && !opts.allowFailure) throw new CommandError([`${this.name}:`, ...argv], r.exitCode, r.stderr);
    return r;
  }

  async copyTo(localFile: string, remotePath: string): Promise<void> {
    await run(scpArgv(this.host, this.settings, localFile, remotePath, 'to-host'), { timeoutMs: 60_000 });
  }

  async copyFrom(remotePath: string, localFile: string): Promise<void> {
    await run(scpArgv(this.host, this.settings, remotePath, localFile, 'from-host'), { timeoutMs: 60_000 });
  }
}
