// `bypassbench attribute` on a real service: `-- COMMAND ARGS…` (started in the server namespace)
// or `--pid PID --port PORT` (already running on this host). Builds a one-path suite of the
// service path and prints, per trial, where the service's requests spent their time.
import { existsSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import type { ServiceAttributionResult } from '../analysis/service-attribution.js';
import { SERVICE_COMPONENT_NAMES } from '../analysis/service-attribution.js';
import { UserError } from '../core/errors.js';
import type { TrialRecord } from '../core/trial.js';
import { parseSuite } from '../suites/load.js';
import { data, human } from './output.js';
import { runToReport } from './run-flow.js';

export interface ServiceAttributeArgs {
  size: number[];
  rate: number[];
  duration: number;
  repetitions: number;
  fields: number;
  arrivals: 'fixed' | 'poisson';
  out?: string;
  json: boolean;
  pid?: number;
  port?: number;
  protocol: 'udp' | 'tcp';
  /** The service's argv (after `--`). */
  command: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Sockets of a /proc/<pid>/net/{udp,tcp} table bound to this port (hex local port), by inode. */
function socketInodes(pid: number, table: 'udp' | 'tcp', port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  // A table row, e.g. "  12: 0100007F:4E20 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 ...":
  // local address:port, remote, state, …, inode (10th field).
  for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1]?.endsWith(`:${hexPort}`)) inodes.add(f[9]!);
  }
  return inodes;
}

/** The PID exists, shares this host's network namespace and has a socket of its own on the port; else a clear error. */
export function checkRunningService(pid: number, port: number, protocol: 'udp' | 'tcp'): void {
  if (!existsSync(`/proc/${pid}`)) throw new UserError(`--pid ${pid}: no such process (nothing in /proc/${pid})`);
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${pid}/ns/net`);
  } catch (err) {
    throw new UserError(`--pid ${pid}: cannot read its network namespace (${(err as Error).message})`);
  }
  if (ns !== readlinkSync('/proc/self/ns/net')) {
    throw new UserError(`--pid ${pid}: the process runs in another network namespace (${ns}); the load client reaches only services on this host's loopback`);
  }
  const inodes = new Set([...socketInodes(pid, protocol, port)]);
  let owned = false;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1]!)) owned = true;
  }
  if (!owned)
    throw new UserError(
      `--pid ${pid}: the process has no ${protocol.toUpperCase()} socket on port ${port} (checked /proc/${pid}/net/${protocol} and its open files)`,
    );
}

export async function serviceHandler(args: ServiceAttributeArgs): Promise<number> {
  if (args.protocol === 'tcp') {
    throw new UserError('--protocol tcp: not supported yet: the open-loop client (bb-tsprobe) speaks UDP; attribute a UDP service, or use --protocol udp');
  }
  let options: Record<string, unknown>;
  if (args.pid !== undefined) {
    if (args.command.length > 0) throw new UserError('give either --pid PID --port PORT or -- COMMAND ARGS…, not both');
    if (args.port === undefined) throw new UserError('--pid needs --port: the UDP port the service listens on');
    checkRunningService(args.pid, args.port, args.protocol);
    options = { pid: args.pid, port: args.port, fields: args.fields, arrivals: args.arrivals };
  } else {
    if (args.port === undefined && !args.command.some((a) => a.includes('{port}'))) {
      throw new UserError('-- COMMAND: give --port PORT (where the service listens), or write {port} in its arguments for bypassbench to fill in');
    }
    options = {
      service: 'command',
      command: args.command,
      ...(args.port !== undefined ? { port: args.port } : {}),
      fields: args.fields,
      arrivals: args.arrivals,
    };
  }
  const suiteText = JSON.stringify({
    name: 'attribute-service',
    description: 'bypassbench attribute on a real service (command line)',
    sizes: args.size,
    rates: args.rate,
    durationS: args.duration,
    warmupS: 0,
    repetitions: args.repetitions,
    paths: [{ path: 'service', options }],
  });
  const loaded = parseSuite('bypassbench attribute', suiteText);
  return runToReport({ loaded, outDir: args.out, json: args.json }, ({ summary }) => {
    const rows = summary.records.map((t: TrialRecord) => ({
      msgSizeBytes: t.msgSizeBytes,
      offeredPps: t.offeredPps,
      status: t.status,
      error: t.error,
      serviceAttribution: (t.native['serviceAttribution'] ?? null) as ServiceAttributionResult | null,
    }));
    if (args.json) data({ runDir: summary.runDir, status: summary.status, error: summary.error ?? null, trials: rows });
    else for (const r of rows) printServiceAttribution(r);
  });
}

function printServiceAttribution(r: {
  msgSizeBytes: number | null;
  offeredPps: number | null;
  status: string;
  error: string | null;
  serviceAttribution: ServiceAttributionResult | null;
}): void {
  human('');
  human(`${r.msgSizeBytes} B @ ${r.offeredPps} req/s: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  const a = r.serviceAttribution;
  if (!a) return;
  if (a.status !== 'ok') {
    human(`  attribution: insufficient data: ${a.reason}`);
    return;
  }
  human(
    `  RTT p50 ${a.rttUs.p50.toFixed(1)} µs, p99 ${a.rttUs.p99.toFixed(1)} µs; ${pct(a.matchedRatio)} of ${a.requests} requests matched; dominant: ${a.dominant.p50} (p50), ${a.dominant.p99} (p99)`,
  );
  human(`  ${'component'.padEnd(14)} ${'p50 µs'.padStart(10)} ${'p99 µs'.padStart(10)} ${'share p50'.padStart(10)} ${'share p99'.padStart(10)}`);
  for (const name of SERVICE_COMPONENT_NAMES) {
    const c = a.components[name];
    if (!c) {
      human(`  ${name.padEnd(14)} ${'not observed'.padStart(10)}`);
      continue;
    }
    human(
      `  ${name.padEnd(14)} ${c.p50Us.toFixed(1).padStart(10)} ${c.p99Us.toFixed(1).padStart(10)} ${pct(c.shareP50).padStart(10)} ${pct(c.shareP99).padStart(10)}`,
    );
  }
  if (a.pauses)
    human(`  pauses (${a.pauses.source}): ${a.pauses.count}, longest ${a.pauses.maxUs.toFixed(0)} µs, ${a.pauses.delayedRequests} requests delayed`);
  else human('  pauses: not observed (no known runtime log for this service)');
  human(`  serialization: ${a.serialization}`);
}
