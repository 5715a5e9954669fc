// `bypassbench attribute` on a real service: `-- COMMAND ARGS…` (started in the server namespace)
// or `--pid PID --port PORT` (already running on this host). Builds a one-path suite of the
// service path and prints, per trial, where the service's requests spent their time.
import type { ServiceAttributionResult } from '../analysis/service-attribution.js';
import { SERVICE_COMPONENT_NAMES } from '../analysis/service-attribution.js';
import { UserError } from '../core/errors.js';
import type { TrialRecord } from '../core/trial.js';
import { parseSuite } from '../suites/load.js';
import { data, human } from './output.js';
import { runToReport, type FinishedRun } from './run-flow.js';
import { checkRunningService } from './attribute-pid.js';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { switchOnJvmLog } from '../runners/jvm-log.js';
import { attachNodeGc, NodePausesNotObserved, type NodeGcAttached } from '../runners/node-gc-inspector.js';

export { checkRunningService } from './attribute-pid.js';

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
  /** TCP: persistent connections and framing of the load client. */
  connections?: number;
  framing?: 'header' | 'ndjson';
  /** The service's argv (after `--`). */
  command: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export async function serviceHandler(args: ServiceAttributeArgs): Promise<number> {
  if (args.protocol !== 'tcp' && (args.connections !== undefined || args.framing !== undefined)) {
    throw new UserError('--connections and --framing go with --protocol tcp');
  }
  const tcp = args.protocol === 'tcp' ? { connections: args.connections, framing: args.framing } : {};
  let options: Record<string, unknown>;
  let jvmLog: string | null = null;
  let undoJvmLog: (() => Promise<void>) | null = null;
  let pausesNote: string | null = null;
  let nodeGc: NodeGcAttached | null = null;
  if (args.pid !== undefined) {
    if (args.command.length > 0) throw new UserError('give either --pid PID --port PORT or -- COMMAND ARGS…, not both');
    if (args.port === undefined) throw new UserError(`--pid needs --port: the ${args.protocol.toUpperCase()} port the service listens on`);
    const target = checkRunningService(args.pid, args.port, args.protocol);
    if (target.netns === 'pid')
      human(
        `--pid ${args.pid}: in network namespace ${target.netnsName ?? `/proc/${args.pid}/ns/net`}; the client runs there and sends to ${target.address}:${args.port}`,
      );
    if (target.runtime === 'jvm') {
      // Its gc/safepoint logging, switched on now and off when the run ends (runners/jvm-log.ts).
      jvmLog = join(tmpdir(), `bypassbench-jvm-${args.pid}-${process.pid}.log`);
      undoJvmLog = await switchOnJvmLog(args.pid, jvmLog);
    }
    if (target.runtime === 'node') {
      // Its V8 gc entries, from an observer installed over its inspector (SIGUSR1), removed after the run.
      try {
        nodeGc = await attachNodeGc(args.pid, args.port, join(tmpdir(), `bypassbench-node-gc-${args.pid}-${process.pid}.jsonl`), target.netns === 'own');
        human(
          `--pid ${args.pid}: V8 gc entries from an observer installed over its inspector (127.0.0.1:${nodeGc.port} in its namespace, ${nodeGc.inspector === 'opened' ? 'opened with SIGUSR1; closed again after the run' : 'already open; left open'})`,
        );
      } catch (err) {
        if (!(err instanceof NodePausesNotObserved)) throw err;
        pausesNote = `pauses: not observed (${err.message})`;
      }
    }
    if (target.runtime === null) pausesNote = 'pauses: not observed (no known runtime: the process is neither java nor node)';
    options = {
      pid: args.pid,
      port: args.port,
      address: target.address,
      netns: target.netns,
      protocol: args.protocol,
      ...tcp,
      ...(jvmLog ? { jvmLog } : {}),
      ...(nodeGc ? { nodeGcLog: nodeGc.file } : {}),
      fields: args.fields,
      arrivals: args.arrivals,
    };
  } else {
    if (args.port === undefined && !args.command.some((a) => a.includes('{port}'))) {
      throw new UserError('-- COMMAND: give --port PORT (where the service listens), or write {port} in its arguments for bypassbench to fill in');
    }
    options = {
      service: 'command',
      command: args.command,
      ...(args.port !== undefined ? { port: args.port } : {}),
      protocol: args.protocol,
      ...tcp,
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
  let runDir: string | null = null;
  try {
    const loaded = parseSuite('bypassbench attribute', suiteText);
    return await runToReport({ loaded, outDir: args.out, json: args.json }, ({ summary }) => {
      runDir = summary.runDir;
      report(summary, args.json, pausesNote);
    });
  } finally {
    if (undoJvmLog) await undoJvmLog();
    if (nodeGc) {
      human(`--pid ${args.pid}: ${await nodeGc.undo()}`);
      // The observer's lines go with the run (raw/), as the JVM's log does.
      if (existsSync(nodeGc.file)) {
        if (runDir) copyFileSync(nodeGc.file, join(runDir, 'raw', `node-gc-${args.pid}.jsonl`));
        rmSync(nodeGc.file, { force: true });
      }
    }
    // The JVM's log goes with the run (raw/), not left in the temporary folder.
    if (jvmLog && existsSync(jvmLog)) {
      if (runDir) copyFileSync(jvmLog, join(runDir, 'raw', `jvm-${args.pid}.log`));
      rmSync(jvmLog, { force: true });
    }
  }
}

function report(summary: FinishedRun['summary'], json: boolean, pausesNote: string | null): void {
  const rows = summary.records.map((t: TrialRecord) => ({
    msgSizeBytes: t.msgSizeBytes,
    offeredPps: t.offeredPps,
    status: t.status,
    error: t.error,
    serviceAttribution: (t.native['serviceAttribution'] ?? null) as ServiceAttributionResult | null,
  }));
  if (json) data({ runDir: summary.runDir, status: summary.status, error: summary.error ?? null, trials: rows });
  else for (const r of rows) printServiceAttribution(r, pausesNote);
}

function printServiceAttribution(
  r: {
    msgSizeBytes: number | null;
    offeredPps: number | null;
    status: string;
    error: string | null;
    serviceAttribution: ServiceAttributionResult | null;
  },
  pausesNote: string | null,
): void {
  human('');
  human(`${r.msgSizeBytes} B @ ${r.offeredPps} req/s: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  const a = r.serviceAttribution;
  if (!a) return;
  // Several TCP connections: each one's matched requests (a stalled connection shows here).
  const perConnection = a.byConnection?.map((c) => `#${c.index} (fd ${c.fd}) ${c.matched}/${c.requests}`).join(', ');
  if (a.status !== 'ok') {
    human(`  attribution: insufficient data: ${a.reason}`);
    if (perConnection) human(`  matched per connection: ${perConnection}`);
    return;
  }
  human(
    `  RTT p50 ${a.rttUs.p50.toFixed(1)} µs, p99 ${a.rttUs.p99.toFixed(1)} µs; ${pct(a.matchedRatio)} of ${a.requests} requests matched; dominant: ${a.dominant.p50} (p50), ${a.dominant.p99} (p99)`,
  );
  if (perConnection) human(`  matched per connection: ${perConnection}`);
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
  else human(`  ${pausesNote ?? 'pauses: not observed (no known runtime log for this service)'}`);
  human(`  serialization: ${a.serialization}`);
}
