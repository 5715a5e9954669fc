// Attribution of a real, unmodified service (issue 15): the service runs in the server namespace —
// a demo service of services/ (Java under G1, or Node.js), a two-service chain of them, or the
// user's own command — and the project's open-loop client (bb-tsprobe, JSON payloads) loads it.
// Latency is measured at the client as in every trial; a bpftrace side process started right
// after the service (it filters by the service's pid in the kernel) records packets, syscalls and
// scheduler events of the service, and the runtime writes its own pause log (JVM -Xlog, V8's gc
// entries). analysis/service-attribution.ts turns these into per-request components.
import { basename, join } from 'node:path';
import { z } from 'zod';
import { attributeService } from '../analysis/service-attribution.js';
import { UserError } from '../core/errors.js';
import { nativeBinary, projectRoot } from '../core/project.js';
import {
  BPFTRACE_SERVICE_TRACE,
  SERVICE_TRACE_READY,
  bpftraceDriver,
  buildServiceTraceCommand,
  netnsInode,
  serviceTraceMapEntries,
  serviceTraceStopGraceMs,
  type ServiceTrace,
} from '../drivers/bpftrace/index.js';
import { JVM_LOG, JVM_LOG_DOWNSTREAM, NODE_GC_LOG, NODE_GC_LOG_DOWNSTREAM, serviceDriver, type RuntimePauses } from '../drivers/service/index.js';
import { TSPROBE_RECORDS, TSPROBE_THREAD_INFO, tsprobeDriver, type ThreadInfo, type TsprobeRecord } from '../drivers/tsprobe/index.js';
import { buildTsprobeTcpClientCommand } from '../drivers/tsprobe/tcp-command.js';
import { tcpRequestTrace } from '../analysis/service-attribution-tcp.js';
import type { ArtifactSpec, NetnsRecipe, ProcessSpec, ReadArtifact, ReadyCheck, TrialContext, TrialProcesses } from './types.js';

export const serviceOptionsSchema = z
  .strictObject({
    /** java / node: the demo service of services/; command: the user's own (argv in `command`). */
    service: z.enum(['java', 'node', 'command'], { error: 'must be java, node or command' }).default('java'),
    /** The user's service: argv; "{ip}" and "{port}" inside an element become the address it must listen on. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** A fixed port for a command that cannot take "{port}". */
    port: z.number().int().min(1).max(65535).optional(),
    /** Demo services: run two, the first forwarding every request to the second (a hop). */
    chain: z.boolean().default(false),
    /** Demo services: garbage allocated per request, KiB (so the collector runs). */
    allocKb: z.number().int().min(0).max(65536).default(16),
    /** Demo services: force a full collection every this many ms (System.gc(), V8 gc()); 0 = never. */
    gcEveryMs: z.number().int().min(0).max(600_000).default(0),
    /** Demo services: exit after this many requests (tests a service dying mid-trial); 0 = never. */
    crashAfter: z.number().int().min(0).default(0),
    /** JSON object fields in each request. */
    fields: z.number().int().min(1).max(99).default(8),
    arrivals: z.enum(['fixed', 'poisson']).default('fixed'),
    /** The client sleeps between sends (a spinning client competes with the service on a small VM). */
    pacing: z.enum(['busy', 'sleep']).default('sleep'),
    /** The service's protocol: udp (datagrams) or tcp (persistent connections; bb-tsprobe tcp-client). */
    protocol: z.enum(['udp', 'tcp'], { error: 'must be udp or tcp' }).default('udp'),
    /** tcp: persistent connections the client spreads its requests over (round robin). */
    connections: z.number().int().min(1).max(64).optional(),
    /** tcp: header = bb-tsprobe's 24-byte header (length-prefixed) + JSON body; ndjson = one JSON object per line with an "id". */
    framing: z.enum(['header', 'ndjson'], { error: 'must be header or ndjson' }).optional(),
    /**
     * An already running service (bypassbench attribute --pid): no service is started; the client
     * loads `address`:port from inside the pid's network namespace (over its loopback) and the
     * tracer follows the pid.
     */
    pid: z.number().int().min(1).optional(),
    /** --pid: the address the service listens on, as its namespace sees it (loopback or a private test address). */
    address: z.ipv4({ error: 'must be an IPv4 address' }).optional(),
    /** --pid of a JVM: the file its gc/safepoint logging was switched on into (jcmd VM.log; runners/jvm-log.ts). */
    jvmLog: z.string().startsWith('/', { error: 'must be an absolute path' }).optional(),
    /** --pid of a Node.js process: the file its gc observer, installed over the inspector, writes into (runners/node-gc-inspector.ts). */
    nodeGcLog: z.string().startsWith('/', { error: 'must be an absolute path' }).optional(),
    /** --pid: the service shares this host's network namespace (own), or has its own (pid: the client enters it). */
    netns: z.enum(['own', 'pid'], { error: 'must be own or pid' }).optional(),
    /** on: bpftrace follows the service; off: no tracer (the overhead bench's baseline). */
    trace: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
    /**
     * Seconds the started service is left alone after it listens, before the load starts. The
     * tracing-overhead pairs give the untraced side the time attaching the tracer takes the traced
     * one (2–3 s): a JVM's start-up work (JIT compiler threads on its CPU) settles meanwhile, and
     * without it the untraced side met a busier JVM (quiet Java bench: untraced p99 35–61 ms vs
     * traced 7–25 ms, "tracing" 0.3× p99).
     */
    settleS: z.number().min(0).max(60).default(0),
  })
  .refine((o) => o.pid === undefined || (o.port !== undefined && o.command === undefined && !o.chain), {
    error: 'pid goes with port, and without command or chain',
    path: ['pid'],
  })
  .refine((o) => o.pid !== undefined || (o.service === 'command') === (o.command !== undefined), {
    error: 'command goes with service: command (and only with it)',
    path: ['command'],
  })
  .refine((o) => !(o.service === 'command' && o.chain), { error: 'chain is for the demo services', path: ['chain'] })
  .refine((o) => o.protocol === 'tcp' || (o.connections === undefined && o.framing === undefined), {
    error: 'connections and framing go with protocol: tcp',
    path: ['protocol'],
  })
  .refine((o) => o.pid !== undefined || (o.address === undefined && o.netns === undefined && o.jvmLog === undefined && o.nodeGcLog === undefined), {
    error: 'address, netns, jvmLog and nodeGcLog go with pid',
    path: ['address'],
  });
export type ServiceOptions = z.infer<typeof serviceOptionsSchema>;

/** The downstream service of a chain listens on the same address, this far above the trial's port (trial ports are 20000–29999). */
const DOWNSTREAM_PORT_OFFSET = 10000;

type Runtime = 'jvm' | 'node' | null;

/** The runtime of a user's command, by its program name: its pause log can then be asked for. */
export function commandRuntime(argv: readonly string[]): Runtime {
  const prog = basename(argv[0] ?? '');
  if (prog === 'java') return 'jvm';
  if (prog === 'node' || prog === 'nodejs') return 'node';
  return null;
}

/** The runtime's own pause log, asked for on its command line (the service's code is not touched). */
function withPauseLog(argv: readonly string[], runtime: Runtime, log: string): string[] {
  if (runtime === 'jvm') return [argv[0]!, `-Xlog:gc*,safepoint:file=${log}:timenanos,uptimenanos,level,tags`, ...argv.slice(1)];
  if (runtime === 'node')
    return ['env', `BYPASSBENCH_GC_LOG=${log}`, argv[0]!, '--require', join(projectRoot(), 'services', 'node', 'gc-observer.cjs'), ...argv.slice(1)];
  return [...argv];
}

function demoArgv(o: ServiceOptions, ip: string, port: number, forward: string | null): string[] {
  const tcp = o.protocol === 'tcp';
  const args = ['--bind', ip, '--port', String(port), '--alloc-kb', String(o.allocKb), '--gc-every-ms', String(o.gcEveryMs)];
  if (o.crashAfter > 0 && !forward) args.push('--crash-after', String(o.crashAfter));
  if (forward) args.push('--forward', forward);
  if (o.service === 'java') {
    // IPv4 sockets: the runner's readiness check reads /proc/<pid>/net/udp (a dual-stack socket is in udp6).
    return [
      'java',
      '-Djava.net.preferIPv4Stack=true',
      '-XX:+UseG1GC',
      '-Xms64m',
      '-Xmx64m',
      '-cp',
      join(projectRoot(), 'services', 'build', 'java'),
      tcp ? 'JsonTcpService' : 'JsonUdpService',
      ...args,
    ];
  }
  return [
    process.execPath,
    ...(o.gcEveryMs > 0 ? ['--expose-gc'] : []),
    join(projectRoot(), 'services', 'node', tcp ? 'json-tcp-service.mjs' : 'json-udp-service.mjs'),
    ...args,
  ];
}

function runtimeOf(o: ServiceOptions): Runtime {
  if (o.service === 'java') return 'jvm';
  if (o.service === 'node') return 'node';
  return commandRuntime(o.command!);
}

export const serviceRecipe: NetnsRecipe<ServiceOptions> = {
  path: 'service',
  runner: 'netns',
  drivers: ['tsprobe', 'service', 'bpftrace'],
  description:
    'a real service (Java/G1, Node.js, a chain, or your command) under open-loop JSON load, attributed from eBPF tracepoints and the runtime pause log',
  optionsSchema: serviceOptionsSchema,
  acceptsOfferedRate: () => true,
  acceptsClosedLoop: () => false,
  plan(ctx: TrialContext, o: ServiceOptions) {
    if (o.pid !== undefined) return planRunning(ctx, o, o.pid, o.port!);
    const ip = ctx.topology.server.ip;
    const port = o.port ?? ctx.port;
    const runtime = runtimeOf(o);
    const pauseLog = runtime ? ctx.artifactPath(runtime === 'jvm' ? 'jvm.log' : 'node-gc.jsonl') : null;
    const processes: ProcessSpec[] = [];
    let forward: string | null = null;
    // A chain's downstream service logs its own pauses the same way; they are charged inside the hop.
    const downstreamLog = o.chain && runtime ? ctx.artifactPath(runtime === 'jvm' ? 'jvm-downstream.log' : 'node-gc-downstream.jsonl') : null;
    if (o.chain) {
      const downPort = port + DOWNSTREAM_PORT_OFFSET;
      forward = `${ip}:${downPort}`;
      const downArgv = demoArgv({ ...o, crashAfter: 0 }, ip, downPort, null);
      processes.push({
        role: 'downstream',
        place: 'server',
        driver: serviceDriver.name,
        kind: 'service',
        cpu: ctx.cpu.server,
        argv: downstreamLog ? withPauseLog(downArgv, runtime, downstreamLog) : downArgv,
        ready: readyOn(o, downPort),
      });
    }
    const base = o.service === 'command' ? o.command!.map((a) => a.replaceAll('{ip}', ip).replaceAll('{port}', String(port))) : demoArgv(o, ip, port, forward);
    processes.push({
      role: 'service',
      place: 'server',
      driver: serviceDriver.name,
      kind: 'service',
      cpu: ctx.cpu.server,
      argv: pauseLog ? withPauseLog(base, runtime, pauseLog) : base,
      ready: { ...readyOn(o, port), ...(o.settleS > 0 ? { settleMs: o.settleS * 1000 } : {}) },
    });
    if (o.trace === 'on') {
      const mapEntries = serviceTraceMapEntries(ctx.offeredPps ?? 1000, ctx.durationS, o.chain);
      processes.push({
        role: 'tracer',
        place: 'host',
        driver: bpftraceDriver.name,
        kind: 'service',
        cpu: null,
        stopGraceMs: serviceTraceStopGraceMs(mapEntries),
        argv: ['bpftrace', '(argv built once the service runs: it filters by its pid)'],
        argvFromPids: (pids) => {
          const pid = pids['service'];
          if (pid === undefined) throw new Error('service: the tracer was planned before the service started');
          return buildServiceTraceCommand({
            pid,
            ...(pids['downstream'] !== undefined ? { downstreamPid: pids['downstream'] } : {}),
            ifname: ctx.topology.server.ifname,
            tcp: o.protocol === 'tcp',
            netnsInode: netnsInode(pid),
            mapEntries,
          });
        },
        ready: { outputIncludes: `${SERVICE_TRACE_READY}\n`, timeoutMs: 30_000 },
        tracefs: true,
      });
    }
    const { client, artifacts } = clientSpec(ctx, o, 'client', ip, port);
    processes.push(client);
    if (o.trace === 'on') artifacts.push({ driver: bpftraceDriver.name, kind: BPFTRACE_SERVICE_TRACE, path: ctx.artifactPath('tracer.stdout') });
    if (pauseLog) artifacts.push({ driver: serviceDriver.name, kind: runtime === 'jvm' ? JVM_LOG : NODE_GC_LOG, path: pauseLog });
    if (downstreamLog)
      artifacts.push({ driver: serviceDriver.name, kind: runtime === 'jvm' ? JVM_LOG_DOWNSTREAM : NODE_GC_LOG_DOWNSTREAM, path: downstreamLog });
    return { processes, artifacts };
  },
  nativeFromArtifacts: (artifacts: ReadArtifact[]) => serviceNative(artifacts),
};

/** Ready once it listens (TCP) or has bound the port (UDP). */
function readyOn(o: ServiceOptions, port: number): ReadyCheck {
  return o.protocol === 'tcp' ? { tcpListenPort: port, timeoutMs: 30_000 } : { udpPort: port, timeoutMs: 30_000 };
}

/**
 * An already running service: the tracer (pid known now) and the client on the service's own
 * loopback — in this host's namespace, or entering the pid's (nsenter --net=/proc/PID/ns/net: the
 * client's traffic stays inside that namespace). Either way requests go over lo there.
 */
function planRunning(ctx: TrialContext, o: ServiceOptions, pid: number, port: number): TrialProcesses {
  const processes: ProcessSpec[] = [];
  if (o.trace === 'on') {
    const mapEntries = serviceTraceMapEntries(ctx.offeredPps ?? 1000, ctx.durationS);
    processes.push({
      role: 'tracer',
      place: 'host',
      driver: bpftraceDriver.name,
      kind: 'service',
      cpu: null,
      stopGraceMs: serviceTraceStopGraceMs(mapEntries),
      argv: buildServiceTraceCommand({
        pid,
        ifname: 'lo',
        tcp: o.protocol === 'tcp',
        netnsInode: netnsInode(pid),
        mapEntries,
      }),
      ready: { outputIncludes: `${SERVICE_TRACE_READY}\n`, timeoutMs: 30_000 },
      tracefs: true,
    });
  }
  const { client, artifacts } = clientSpec(ctx, o, 'host', o.address ?? '127.0.0.1', port);
  if (o.netns === 'pid') client.argv = ['nsenter', `--net=/proc/${pid}/ns/net`, '--', ...client.argv];
  if (o.trace === 'on') artifacts.push({ driver: bpftraceDriver.name, kind: BPFTRACE_SERVICE_TRACE, path: ctx.artifactPath('tracer.stdout') });
  // The running JVM's log since it was switched on (it spans the run's trials; only overlapping pauses are charged).
  if (o.jvmLog) artifacts.push({ driver: serviceDriver.name, kind: JVM_LOG, path: o.jvmLog });
  if (o.nodeGcLog) artifacts.push({ driver: serviceDriver.name, kind: NODE_GC_LOG, path: o.nodeGcLog });
  return { processes: [...processes, client], artifacts };
}

function clientSpec(
  ctx: TrialContext,
  o: ServiceOptions,
  place: 'client' | 'host',
  ip: string,
  port: number,
): { client: ProcessSpec; artifacts: ArtifactSpec[] } {
  const recordsPath = ctx.artifactPath('tsprobe-records.csv');
  const clientInfo = ctx.artifactPath('client-thread.json');
  const common = {
    binary: nativeBinary('bb-tsprobe'),
    serverIp: ip,
    port,
    msgSizeBytes: ctx.msgSizeBytes,
    offeredPps: ctx.offeredPps ?? 1000,
    durationS: ctx.durationS,
    fields: o.fields,
    arrivals: o.arrivals,
    recordsPath,
    threadInfoPath: clientInfo,
  };
  const tcpArgv = () =>
    buildTsprobeTcpClientCommand({
      ...common,
      ...(o.connections !== undefined ? { connections: o.connections } : {}),
      ...(o.framing !== undefined ? { framing: o.framing } : {}),
    });
  const client: ProcessSpec = {
    role: 'client',
    place,
    driver: tsprobeDriver.name,
    kind: 'measure',
    cpu: ctx.cpu.client,
    argv: o.protocol === 'tcp' ? tcpArgv() : tsprobeDriver.buildCommand({ role: 'client', ...common, codec: 'json', pacing: o.pacing }),
  };
  const artifacts: ArtifactSpec[] = [
    { driver: tsprobeDriver.name, kind: TSPROBE_RECORDS, path: recordsPath },
    { driver: tsprobeDriver.name, kind: TSPROBE_THREAD_INFO, path: clientInfo },
  ];
  return { client, artifacts };
}

/** What the record keeps: the attribution (or why there is none) and the tracing set-up. */
export function serviceNative(artifacts: readonly ReadArtifact[]): Record<string, unknown> {
  const records = artifacts.find((a) => a.kind === TSPROBE_RECORDS)?.content as TsprobeRecord[] | undefined;
  const client = artifacts.find((a) => a.kind === TSPROBE_THREAD_INFO)?.content as ThreadInfo | undefined;
  const trace = artifacts.find((a) => a.kind === BPFTRACE_SERVICE_TRACE)?.content as ServiceTrace | undefined;
  const pauses = (artifacts.find((a) => a.kind === JVM_LOG || a.kind === NODE_GC_LOG)?.content as RuntimePauses | undefined) ?? null;
  const downstreamPauses =
    (artifacts.find((a) => a.kind === JVM_LOG_DOWNSTREAM || a.kind === NODE_GC_LOG_DOWNSTREAM)?.content as RuntimePauses | undefined) ?? null;
  const tracing = trace ? 'bpftrace drivers/bpftrace/service.bt (tracepoints)' : 'off';
  if (!records || !client || !trace) return { serviceTracing: tracing, serviceAttribution: null };
  if (trace.pid === null) throw new UserError('service tracer output has no "pids" line: the tracer did not start');
  // A TCP service's byte stream becomes one event per request first (analysis/service-attribution-tcp.ts).
  const tcp = trace.tcp ? tcpRequestTrace(trace, trace.pid) : null;
  const serviceAttribution = attributeService({
    records,
    client,
    trace: tcp ? tcp.trace : trace,
    pid: trace.pid,
    ...(trace.downstreamPid !== null ? { downstreamPid: trace.downstreamPid } : {}),
    pauses,
    downstreamPauses,
    ...(tcp?.matching.matchedBy === 'connection' ? { connectionFds: tcp.matching.connectionFds } : {}),
  });
  return {
    serviceTracing: tracing,
    serviceAttribution,
    ...(tcp ? { serviceTcpMatching: tcp.matching } : {}),
    // The tracer's maps: entries written, kept, lost (a full map: the requests after it are unmatched).
    ...(trace.events ? { serviceTraceEvents: trace.events } : {}),
  };
}
