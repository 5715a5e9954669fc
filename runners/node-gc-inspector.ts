// Runtime pauses of an already running Node.js service (`bypassbench attribute --pid`): V8's own
// `gc` performance entries, from the same PerformanceObserver the preload (services/node/gc-observer.cjs)
// installs, installed at runtime over the service's inspector. Node documents how to reach a running
// process: SIGUSR1 opens its inspector (127.0.0.1:9229 unless started with --inspect-port), inside the
// service's own network namespace, so the CDP client (services/node/inspector-gc.mjs) runs there too
// (nsenter) and nothing leaves loopback. The observer writes its JSON lines into a file, read after
// each trial like the preload's; after the run it is removed and the inspector closed again when
// bypassbench opened it (left open when it was open before). The undo is written to the state folder
// before the process is signalled, so `bypassbench cleanup` undoes it after a crash (sweepNodeInspectors).
// A process whose inspector cannot be opened (--disable-sigusr1, a non-loopback --inspect-port, the
// port taken) gets "pauses: not observed" with the reason (NodePausesNotObserved).
import { mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot } from '../core/project.js';
import { run, tryRun } from './exec.js';
import { ledgerDir, readStartTicks } from './ledger.js';
import { sweepPendingUndos, type PendingUndo as BasePendingUndo } from './pending-undo.js';
import { listeningTcp, socketRows } from './proc-sockets.js';

/** Node's default inspector port. */
const DEFAULT_PORT = 9229;
const OPEN_TIMEOUT_MS = 5_000;

/** Why the pauses of this Node process cannot be observed (the run goes on: "pauses: not observed (reason)"). */
export class NodePausesNotObserved extends Error {}

interface PendingUndo extends BasePendingUndo {
  port: number;
  file: string;
  /** The helper's argv that removes the observer (and closes the inspector when bypassbench opened it). */
  undo: string[];
}

export interface NodeGcAttached {
  file: string;
  port: number;
  /** opened: bypassbench opened the inspector (SIGUSR1) and closes it after; already-open: left as found. */
  inspector: 'opened' | 'already-open';
  /** Removes the observer (and closes the inspector if bypassbench opened it); says what it did. */
  undo(): Promise<string>;
}

const pendingFile = (pid: number) => join(ledgerDir(), `node-gc-${pid}.json`);
const helperPath = () => join(projectRoot(), 'services', 'node', 'inspector-gc.mjs');

/** The helper's argv, inside the process's network namespace (its inspector listens on that namespace's loopback). */
function helperArgv(pid: number, sameNetns: boolean, args: string[]): string[] {
  // Node 20 has WebSocket behind a flag; 22+ has it always.
  const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
  const node = [process.execPath, ...flags, helperPath(), ...args];
  return sameNetns ? node : ['nsenter', `--net=/proc/${pid}/ns/net`, '--', ...node];
}

/** The process's node options: its argv and NODE_OPTIONS (NUL-separated in /proc). */
function nodeOptions(pid: number): string[] {
  const read = (f: string) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'utf8').split('\0');
    } catch {
      return [];
    }
  };
  const env = read('environ').find((e) => e.startsWith('NODE_OPTIONS='));
  return [...read('cmdline'), ...(env ? env.slice('NODE_OPTIONS='.length).split(/\s+/) : [])];
}

/** The inspector's host and port from --inspect-port / --inspect / --inspect-brk ([HOST:]PORT), if given. */
export function inspectorAddress(opts: readonly string[]): { host: string; port: number } {
  let host = '127.0.0.1';
  let port = DEFAULT_PORT;
  for (const o of opts) {
    // e.g. "--inspect-port=0.0.0.0:9230", "--inspect=9231", "--inspect-brk=localhost:9232"
    const m = /^--inspect(?:-port|-brk)?=(?:(.*):)?(\d+)$/.exec(o);
    if (!m) continue;
    if (m[1] !== undefined) host = m[1];
    port = Number(m[2]);
  }
  return { host, port };
}

const isLoopback = (host: string | null) => host !== null && (host.startsWith('127.') || host === 'localhost');

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Installs the gc observer in the running Node process `pid` (serving on `servicePort`), writing into `file`. */
export async function attachNodeGc(pid: number, servicePort: number, file: string, sameNetns: boolean): Promise<NodeGcAttached> {
  // SIGUSR1 kills a process that is not Node: make sure first.
  let exe = '';
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    // gone or unreadable: refused below
  }
  if (exe !== 'node' && exe !== 'nodejs') throw new NodePausesNotObserved(`--pid ${pid} runs ${exe || 'an unreadable program'}, not node`);
  const opts = nodeOptions(pid);
  const { host, port } = inspectorAddress(opts);
  if (port === servicePort) throw new NodePausesNotObserved(`its inspector's port ${port} is the service's own port`);
  const listening = () => listeningTcp(pid).find((s) => s.port === port) ?? null;
  const before = listening();
  const alreadyOpen = before !== null;
  if (!alreadyOpen) {
    if (opts.includes('--disable-sigusr1'))
      throw new NodePausesNotObserved('the process was started with --disable-sigusr1, so its inspector cannot be opened from outside');
    if (!isLoopback(host))
      throw new NodePausesNotObserved(`its inspector would listen on ${host}:${port} (--inspect-port), not on loopback; bypassbench opens it only on loopback`);
    if (socketRows(pid, 'tcp', port).some((r) => r.state === '0A'))
      throw new NodePausesNotObserved(`port ${port} in the service's network namespace is taken by another process, so its inspector cannot open`);
  } else if (!isLoopback(before.address)) {
    throw new NodePausesNotObserved(
      `its inspector is open on ${before.address ?? 'an IPv6 address'}:${port}, not on loopback; bypassbench talks to it only there`,
    );
  }
  const pending: PendingUndo = {
    pid,
    startTicks: readStartTicks(pid),
    port,
    file,
    undo: helperArgv(pid, sameNetns, ['remove', String(port), alreadyOpen ? 'keep' : 'close']),
  };
  mkdirSync(ledgerDir(), { recursive: true });
  writeFileSync(pendingFile(pid), JSON.stringify(pending));
  const closedAgain = () => waitFor(() => listening() === null, 3_000);
  const undo = async (): Promise<string> => {
    const r = await tryRun(pending.undo, 30_000);
    rmSync(pendingFile(pid), { force: true });
    if (alreadyOpen) return `observer ${r ? 'removed' : 'NOT removed (the inspector did not answer)'}; inspector left open as found`;
    return (await closedAgain())
      ? `observer removed, inspector on 127.0.0.1:${port} closed again`
      : `inspector on 127.0.0.1:${port} still open after the undo (${r ? 'observer removed' : 'it did not answer'})`;
  };
  if (!alreadyOpen) {
    process.kill(pid, 'SIGUSR1');
    const opened = await waitFor(() => listening() !== null, OPEN_TIMEOUT_MS);
    const now = listening();
    if (!opened || now === null) {
      rmSync(pendingFile(pid), { force: true });
      throw new NodePausesNotObserved(`its inspector did not open on port ${port} within ${OPEN_TIMEOUT_MS / 1000} s of SIGUSR1 (see the service's stderr)`);
    }
    if (!isLoopback(now.address)) {
      await undo();
      throw new NodePausesNotObserved(`its inspector opened on ${now.address ?? 'an IPv6 address'}:${port}, not on loopback: closed again`);
    }
  }
  try {
    let r = await run(helperArgv(pid, sameNetns, ['install', String(port), file]), { timeoutMs: 30_000 });
    // An observer left by an earlier run that did not finish: replaced by this run's.
    if (/"already":true/.test(r.stdout)) {
      await run(helperArgv(pid, sameNetns, ['remove', String(port), 'keep']), { timeoutMs: 30_000 });
      r = await run(helperArgv(pid, sameNetns, ['install', String(port), file]), { timeoutMs: 30_000 });
    }
    if (!/"installed":true/.test(r.stdout)) throw new Error(r.stdout.trim());
  } catch (err) {
    const what = await undo();
    throw new NodePausesNotObserved(`the observer could not be installed over the inspector (${(err as Error).message}); ${what}`);
  }
  return { file, port, inspector: alreadyOpen ? 'already-open' : 'opened', undo };
}

/** cleanup: removes the observer (and closes the inspector) a killed `attribute --pid` left in a Node process that still runs. */
export function sweepNodeInspectors(dryRun: boolean): Promise<string[]> {
  return sweepPendingUndos<PendingUndo>(
    'node-gc',
    dryRun,
    (p) => `remove the gc observer from Node process ${p.pid} (${p.undo.at(-1) === 'close' ? 'and close its inspector' : 'inspector left open'})`,
  );
}
