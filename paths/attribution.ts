// Latency attribution of the kernel UDP path: bb-tsprobe (native/tsprobe) timestamps every step of
// each request with SO_TIMESTAMPING, runs an application model on the server (codec, handler
// time, GC-like pauses) and, optionally, relay hops in namespaces of their own. The per-request
// records become native.attribution of the trial (analysis/attribution.ts), which the
// selective-win rule reads at the same size and rate. With `wakeup: tracepoints` (the default) a
// bpftrace side process records when each probe thread waited to run (sched_wakeup →
// sched_switch), so kernel RX splits into protocol work and waiting, measured (analysis/wakeup.ts).
import { timestampSource } from '../drivers/tsprobe/timestamp-source.js';
import type { TsprobeSocketStamps } from '../drivers/tsprobe/parse.js';
import { z } from 'zod';
import { attribute } from '../analysis/attribution.js';
import { workloadSteadiness } from '../analysis/steadiness.js';
import { wakeupsOnRecordClock } from '../analysis/wakeup.js';
import { UserError } from '../core/errors.js';
import { BPFTRACE_WAKEUPS, bpftraceDriver, wakeupMapEntries, type WakeupEvent } from '../drivers/bpftrace/index.js';
import { nativeBinary } from '../core/project.js';
import { TSPROBE_RECORDS, TSPROBE_THREAD_INFO, tsprobeDriver, type ThreadInfo, type TsprobeRecord } from '../drivers/tsprobe/index.js';
import { extraSubnet } from './addresses.js';
import type { LinkRequest, NetnsRecipe, PreparedPath, ProcessSpec, ReadArtifact, TopologyInfo, TrialContext } from './types.js';

export const attributionOptionsSchema = z
  .strictObject({
    /** Serialization of the message: raw bytes, or a JSON object through libjansson. */
    codec: z.enum(['raw', 'json'], { error: 'must be raw or json' }).default('raw'),
    /** JSON object fields (json codec). */
    fields: z.number().int().min(1).max(99).default(8),
    /** The handler's own work per request, µs. */
    serviceUs: z.number().min(0).max(1_000_000).default(0),
    /** A stop-the-world pause of pauseUs every pauseEveryMs (GC-like); 0 = none. */
    pauseUs: z.number().min(0).max(10_000_000).default(0),
    pauseEveryMs: z.number().min(0).max(600_000).default(0),
    /** Service hops between client and server: relays in namespaces of their own. */
    hops: z.number().int().min(0).max(4).default(0),
    /**
     * Open-loop arrivals: fixed gaps, a Poisson process, or on/off bursts (onMs of sending at the
     * rate that keeps the offered mean, then offMs of silence; both needed with onoff, and only then).
     */
    arrivals: z.enum(['fixed', 'poisson', 'onoff'], { error: 'must be fixed, poisson or onoff' }).default('fixed'),
    onMs: z.number().positive().max(60_000).optional(),
    offMs: z.number().min(0).max(60_000).optional(),
    /**
     * Seconds the probe client sends and discards before it measures, in the measured process
     * itself; absent = the suite's warmupS, which every other client uses too.
     */
    warmupS: z.number().min(0).max(600).optional(),
    /**
     * busy: the client spins until its next send (like sockperf); sleep: it sleeps. On a small VM
     * with relays, a spinning client gets penalised by the scheduler and its replies wait to be
     * read, which then shows up as client kernel RX: use sleep with hops there.
     */
    pacing: z.enum(['busy', 'sleep']).default('busy'),
    /**
     * block: client and server receive with blocking calls (each datagram wakes its receiver);
     * spin: both poll and never sleep, the server on the poller CPU, the client on its own.
     */
    rxMode: z.enum(['block', 'spin'], { error: 'must be block or spin' }).default('block'),
    /** tracepoints: bpftrace measures waiting to run (needs bpftrace; tracefs is mounted for the trial); off: not measured. */
    wakeup: z.enum(['tracepoints', 'off'], { error: 'must be tracepoints or off' }).default('tracepoints'),
    /** Ask both NICs for hardware timestamps (SIOCSHWTSTAMP on the test interfaces); the record says what each side got. */
    hwTimestamps: z.boolean().default(false),
  })
  .refine((o) => !o.hwTimestamps || o.hops === 0, {
    error: 'hwTimestamps needs hops: 0 (the relays run on veths, which have no NIC stamps)',
    path: ['hwTimestamps'],
  })
  .refine((o) => o.pauseUs > 0 === o.pauseEveryMs > 0, { error: 'pauseUs and pauseEveryMs go together (both > 0, or both 0)', path: ['pauseUs'] })
  .refine(
    (o) =>
      (o.arrivals === 'onoff') === (o.onMs !== undefined && o.offMs !== undefined) &&
      (o.arrivals === 'onoff' || (o.onMs === undefined && o.offMs === undefined)),
    {
      error: 'onMs and offMs go with arrivals: onoff (both, and only then)',
      path: ['arrivals'],
    },
  );
export type AttributionOptions = z.infer<typeof attributionOptionsSchema>;

const hopName = (i: number) => `hop${i + 1}`;
/** Lab mode: the client host's wake-up tracer (the server host's is "tracer"). */
const CLIENT_TRACER = 'tracer-client';

/** client → hop1 → … → hopN → server: link k joins place k and place k+1. */
function chain(hops: number): string[] {
  return ['client', ...Array.from({ length: hops }, (_, i) => hopName(i)), 'server'];
}

function links(o: AttributionOptions, topology: TopologyInfo): LinkRequest[] {
  if (o.hops === 0) return [];
  const places = chain(o.hops);
  return places.slice(0, -1).map((a, k) => {
    const subnet = extraSubnet(topology, k);
    return { id: `leg${k}`, a, b: places[k + 1]!, aIp: `${subnet}.1`, bIp: `${subnet}.2` };
  });
}

/** Where hop k (or the server, k = hops) listens: the b end of the leg that reaches it. */
function listenIp(prepared: PreparedPath, topology: TopologyInfo, o: AttributionOptions, k: number): string {
  if (o.hops === 0) return topology.server.ip;
  const leg = prepared.links[`leg${k}`];
  if (!leg?.b.ip) throw new Error(`attribution: leg${k} was not prepared`);
  return leg.b.ip;
}

export const attributionRecipe: NetnsRecipe<AttributionOptions> = {
  path: 'attribution',
  runner: 'netns',
  drivers: ['tsprobe', 'bpftrace'],
  description: 'latency attribution of kernel UDP request/response (bb-tsprobe, SO_TIMESTAMPING), with codec, handler, pauses and hops',
  optionsSchema: attributionOptionsSchema,
  acceptsOfferedRate: () => true,
  // The probe is open loop: it needs an offered rate.
  acceptsClosedLoop: () => false,
  setup: (o, topology) => ({ namespaces: Array.from({ length: o.hops }, (_, i) => hopName(i)), links: links(o, topology) }),
  plan(ctx: TrialContext, o: AttributionOptions) {
    const binary = nativeBinary('bb-tsprobe');
    const { topology, prepared } = ctx;
    const serverIp = listenIp(prepared, topology, o, o.hops);
    const spin = o.rxMode === 'spin';
    // A spinning receiver needs a CPU of its own (the bypass pollers' layout); sharing one, the two spinners starve each other.
    if (spin && ctx.cpu.poller === ctx.cpu.client) {
      throw new UserError(`attribution: rxMode spin needs the poller CPU (${ctx.cpu.poller}) to differ from the client CPU (${ctx.cpu.client})`);
    }
    const threadInfo = (role: string) => ctx.artifactPath(`${role}-thread.json`);
    const measured = o.wakeup === 'tracepoints';
    const processes: ProcessSpec[] = [];
    // Lab hosts are separate kernels: each host's tracer sees only its own threads.
    const lab = topology.kind === 'lab';
    if (measured) {
      // Started first and stopped last, so it sees every request; its stdout is the event log.
      const tracer = (role: string, place: ProcessSpec['place']): ProcessSpec => ({
        role,
        place,
        driver: 'bpftrace',
        kind: 'service',
        cpu: null,
        argv: bpftraceDriver.buildCommand({ mapEntries: wakeupMapEntries(ctx.offeredPps ?? 1000, ctx.durationS, o.hops) }),
        ready: { outputIncludes: 'Attaching' },
        tracefs: true,
      });
      processes.push(tracer('tracer', lab ? 'server' : 'host'));
      if (lab) processes.push(tracer(CLIENT_TRACER, 'client'));
    }
    processes.push({
      role: 'server',
      place: 'server',
      driver: 'tsprobe',
      kind: 'service',
      cpu: spin ? ctx.cpu.poller : ctx.cpu.server,
      argv: tsprobeDriver.buildCommand({
        role: 'server',
        binary,
        bindIp: serverIp,
        port: ctx.port,
        codec: o.codec,
        rxMode: o.rxMode,
        ...(o.hwTimestamps ? { hwTimestamps: true, iface: topology.server.ifname } : {}),
        ...(measured ? { threadInfoPath: threadInfo('server') } : {}),
        ...(o.serviceUs > 0 ? { serviceUs: o.serviceUs } : {}),
        ...(o.pauseUs > 0 ? { pauseUs: o.pauseUs, pauseEveryMs: o.pauseEveryMs } : {}),
      }),
      ready: { udpPort: ctx.port },
    });
    // Relays start from the server end, so each one's next hop is already listening.
    for (let i = o.hops - 1; i >= 0; i--) {
      processes.push({
        role: hopName(i),
        place: hopName(i),
        driver: 'tsprobe',
        kind: 'service',
        cpu: ctx.cpu.server,
        argv: tsprobeDriver.buildCommand({
          role: 'relay',
          binary,
          bindIp: listenIp(prepared, topology, o, i),
          port: ctx.port,
          nextIp: listenIp(prepared, topology, o, i + 1),
          nextPort: ctx.port,
        }),
        ready: { udpPort: ctx.port },
      });
    }
    const recordsPath = ctx.artifactPath('tsprobe-records.csv');
    processes.push({
      role: 'client',
      place: 'client',
      driver: 'tsprobe',
      kind: 'measure',
      cpu: ctx.cpu.client,
      argv: tsprobeDriver.buildCommand({
        role: 'client',
        binary,
        serverIp: listenIp(prepared, topology, o, 0),
        port: ctx.port,
        msgSizeBytes: ctx.msgSizeBytes,
        offeredPps: ctx.offeredPps ?? 1000,
        durationS: ctx.durationS,
        codec: o.codec,
        ...(o.codec === 'json' ? { fields: o.fields } : {}),
        arrivals: o.arrivals,
        ...(o.onMs !== undefined && o.offMs !== undefined ? { onMs: o.onMs, offMs: o.offMs } : {}),
        warmupS: o.warmupS ?? ctx.warmupS,
        pacing: o.pacing,
        recordsPath,
        rxMode: o.rxMode,
        ...(o.hwTimestamps ? { hwTimestamps: true, iface: topology.client.ifname } : {}),
        ...(measured ? { threadInfoPath: threadInfo('client') } : {}),
      }),
    });
    const artifacts = [{ driver: tsprobeDriver.name, kind: TSPROBE_RECORDS, path: recordsPath }];
    if (measured) {
      artifacts.push(
        { driver: tsprobeDriver.name, kind: TSPROBE_THREAD_INFO, path: threadInfo('server') },
        { driver: tsprobeDriver.name, kind: TSPROBE_THREAD_INFO, path: threadInfo('client') },
        // The tracer's stdout file (the runner names it raw/<trial>-<role>.stdout).
        { driver: bpftraceDriver.name, kind: BPFTRACE_WAKEUPS, path: ctx.artifactPath('tracer.stdout') },
      );
      if (lab) artifacts.push({ driver: bpftraceDriver.name, kind: BPFTRACE_WAKEUPS, path: ctx.artifactPath(`${CLIENT_TRACER}.stdout`) });
    }
    return { processes, artifacts };
  },
  // Which stamps each side got (hardware or software) and why, from the two probes' summaries.
  combine: (m, services) => {
    const client = (m.native as { timestamping?: { client?: TsprobeSocketStamps } }).timestamping?.client;
    const server = (services.server?.native as { timestamping?: TsprobeSocketStamps } | undefined)?.timestamping;
    // The server's summary is no measurement (the tsprobe driver parses only the client's), so it
    // reaches the record only where a build passes it on; otherwise raw/<trial>-server.stdout has it.
    const serverSource = server
      ? timestampSource(server)
      : { source: 'unknown' as const, reason: "the server's summary is not passed to the record; its timestamping.hardware is in raw/<trial>-server.stdout" };
    return { ...m, native: { ...m.native, timestampSource: { client: timestampSource(client), server: serverSource } } };
  },
  nativeFromArtifacts: (artifacts: ReadArtifact[]) => {
    const records = artifacts.find((a) => a.kind === TSPROBE_RECORDS)?.content as TsprobeRecord[] | undefined;
    const infos = artifacts.filter((a) => a.kind === TSPROBE_THREAD_INFO).map((a) => a.content as ThreadInfo);
    const traces = artifacts.filter((a) => a.kind === BPFTRACE_WAKEUPS);
    // Lab mode: the client host's own tracer, else the one tracer that saw both threads.
    const clientTrace = traces.find((a) => a.path.endsWith(`${CLIENT_TRACER}.stdout`));
    const events = traces.find((a) => a !== clientTrace)?.content as WakeupEvent[] | undefined;
    const clientEvents = (clientTrace?.content ?? events) as WakeupEvent[] | undefined;
    const client = infos.find((i) => i.role === 'client');
    const server = infos.find((i) => i.role === 'server');
    const wakeups =
      events && clientEvents && client && server
        ? {
            source: 'bpftrace sched_wakeup/sched_switch',
            server: wakeupsOnRecordClock(events, server, client),
            client: wakeupsOnRecordClock(clientEvents, client, client),
          }
        : undefined;
    // The record keeps the attribution, not the raw events (they stay in raw/).
    return {
      ...(records ? { attribution: attribute(records, wakeups ? { wakeups } : {}) } : {}),
      // The load's steadiness, measured on the workload at the receiver (analysis/steadiness.ts).
      ...(records
        ? {
            steadiness: workloadSteadiness(
              records.map((r) => r.sRxNs),
              'server RX timestamps (bb-tsprobe records)',
            ),
          }
        : {}),
      // Which threads the tracer's events were joined by.
      ...(client && server ? { threadIds: { client: client.tid, server: server.tid } } : {}),
    };
  },
};
