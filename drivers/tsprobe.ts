// bb-tsprobe (native/tsprobe): the project's own UDP request/response probe with SO_TIMESTAMPING.
// Three roles: server (application model: codec, handler time, stop-the-world pauses), relay (a
// service hop, chained with --next) and client (open-loop load; per-request records + a JSON
// summary). Facts from real runs (fixtures in test/fixtures/tsprobe/):
// - Each role prints exactly one JSON object on one stdout line when it ends; progress and
//   usage go to stderr. Bad arguments exit 2 with a "bb-tsprobe: …" line on stderr.
// - The client's rttUs is the full round trip (send call → receive returned), in µs.
// - Server and relays run until SIGINT/SIGTERM (or --duration) and print their summary then.
// - msgSizeBytes in the summary is the request's UDP payload; replies are larger (they carry
//   every hop's timestamps), see replyBytesMax.
import { UserError } from '../core/errors.js';
import { lastLines } from '../core/text.js';
import { assertIfName, assertIPv4, requireIntInRange } from '../core/validate.js';
import { emptyLatency, failedMeasurement } from '../core/trial.js';
import type { LatencyUs, Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';
import { detectNativeProgram, lastJsonObject } from './native-program.js';
import type { Availability, Driver, ToolOutput } from './types.js';

export type TsprobeCodec = 'raw' | 'json';
export type TsprobeArrivals = 'fixed' | 'poisson';

interface TsprobeCommon {
  /** Path of the bb-tsprobe binary (argv[0]); the runner knows where native/build is. */
  binary: string;
  /** Ask for NIC hardware timestamps; the summary says whether they were obtained. */
  hwTimestamps?: boolean;
  /** Interface whose hardware timestamping to enable (needed with hwTimestamps). */
  iface?: string;
  /** Stop after this many seconds (server/relay; they otherwise run until SIGINT/SIGTERM). */
  durationS?: number;
  /** Also take TX_SCHED stamps (client/server): about 1 µs more kernel work per datagram. */
  txSched?: boolean;
  /** How TX stamps are matched to datagrams: the kernel's counter (default) or SCM_TS_OPT_ID (Linux 6.13+, exact, slower). */
  txId?: 'counter' | 'cmsg';
}

export interface TsprobeServerParams extends TsprobeCommon {
  role: 'server';
  bindIp: string;
  port: number;
  codec?: TsprobeCodec;
  /** Busy-work the handler does per request, µs. */
  serviceUs?: number;
  /** Stop-the-world pause length, µs (with pauseEveryMs). */
  pauseUs?: number;
  pauseEveryMs?: number;
}

export interface TsprobeRelayParams extends Omit<TsprobeCommon, 'txSched'> {
  role: 'relay';
  bindIp: string;
  port: number;
  /** The next hop: another relay or the server. */
  nextIp: string;
  nextPort: number;
}

export interface TsprobeClientParams extends Omit<TsprobeCommon, 'durationS'> {
  role: 'client';
  /** The first hop: a relay or the server. */
  serverIp: string;
  port: number;
  /** Request UDP payload, bytes (24-byte header included), 24..4096. */
  msgSizeBytes: number;
  offeredPps: number;
  /** Measured seconds, after the warm-up. */
  durationS: number;
  warmupS?: number;
  arrivals?: TsprobeArrivals;
  codec?: TsprobeCodec;
  /** JSON object fields (json codec), 1..99. */
  fields?: number;
  seed?: number;
  /** How long to wait for stragglers after the last send, ms. */
  drainMs?: number;
  /** Where to write the per-request CSV (analysis/attribution.ts reads it). */
  recordsPath?: string;
  /** busy (default): spin until the next send once the latest reply is in, like sockperf; sleep: sleep instead. */
  pacing?: 'busy' | 'sleep';
}

export type TsprobeParams = TsprobeServerParams | TsprobeRelayParams | TsprobeClientParams;

export interface TsprobeSocketStamps {
  flagsRequested: string[];
  flagsObtained: string[];
  /** "scm_ts_opt_id": each datagram named its own id (Linux 6.13+); "counter": the kernel's. */
  txIdMode: 'scm_ts_opt_id' | 'counter';
  rxSoftware: number;
  rxHardware: number;
  rxMissing: number;
  txSoftware: number;
  txSched: number;
  txHardware: number;
  txUnmatched: number;
  /** TX stamps dropped because they were older than their datagram's send call (id mismatch). */
  txMismatched: number;
  hardware: { requested: boolean; iface?: string; status: 'enabled' | 'unsupported'; reason?: string } | null;
}

export interface TsprobeClientSummary {
  tool: 'bb-tsprobe';
  version: string;
  role: 'client';
  server: string;
  codec: TsprobeCodec;
  fields: number;
  msgSizeBytes: number;
  replyBytesMax: number;
  offeredPps: number;
  arrivals: TsprobeArrivals;
  seed: number;
  durationS: number;
  warmupS: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  lossRatio: number | null;
  achievedPps: number | null;
  measuredS: number | null;
  rttUs: Omit<LatencyUs, 'samples'> & { samples: number };
  /** CV of the gaps between consecutive send calls (sender side). */
  interArrivalCv: number | null;
  /** How late sends were against their schedule, µs. */
  sendLagUs: { p50: number; p99: number; max: number } | null;
  /** Relays between client and server. */
  hops: number;
  recordsFile?: string;
  /** Requests whose record has client TX/RX and server RX/TX stamps. */
  recordsComplete: number;
  /** CLOCK_REALTIME ns that record timestamps are relative to (a string: it exceeds 2^53). */
  t0Ns: string;
  timestamping: { client: TsprobeSocketStamps; serverTxStamps: number; flushes: number; flushFollowups: number };
  pacing: 'busy' | 'sleep';
  txSched: boolean;
  errors: { message: string; count: number }[];
}

export interface TsprobeServerSummary {
  tool: 'bb-tsprobe';
  role: 'server';
  requests: number;
  pause: { pauseUs: number; everyMs: number; count: number; totalUs: number; delayedRequests: number; maxDelayUs: number };
  timestamping: TsprobeSocketStamps;
  errors: { message: string; count: number }[];
  [key: string]: unknown;
}

export interface TsprobeRelaySummary {
  tool: 'bb-tsprobe';
  role: 'relay';
  forwarded: number;
  returned: number;
  timestamping: { front: TsprobeSocketStamps; back: TsprobeSocketStamps };
  errors: { message: string; count: number }[];
  [key: string]: unknown;
}

export type TsprobeSummary = TsprobeClientSummary | TsprobeServerSummary | TsprobeRelaySummary;

// ---------------------------------------------------------------------------------------------
// buildCommand

const MIN_MSG_SIZE_BYTES = 24;
const MAX_MSG_SIZE_BYTES = 4096;

/** "10.235.0.2:7000": the address becomes part of an argv element, so only a dotted quad passes. */
function hostPort(field: string, ip: string, port: number): string {
  assertIPv4(ip, `tsprobe: ${field}`);
  requireInt(`${field} port`, port, 1, 65535);
  return `${ip}:${port}`;
}

const requireInt = (field: string, value: number, min: number, max: number): string => requireIntInRange(`tsprobe: ${field}`, value, min, max);

function requireNumber(field: string, value: number, min: number, exclusiveMin = false): string {
  if (!Number.isFinite(value) || value < min || (exclusiveMin && value === min)) {
    throw new UserError(`tsprobe: ${field} must be a number ${exclusiveMin ? '>' : '≥'} ${min}, got ${value}`);
  }
  return String(value);
}

function commonArgs(params: TsprobeParams): string[] {
  const argv: string[] = [];
  if (params.role !== 'client' && params.durationS !== undefined) {
    argv.push('--duration', requireNumber('durationS', params.durationS, 0, true));
  }
  if (params.role !== 'relay' && params.txSched) argv.push('--tx-sched');
  if (params.txId !== undefined) argv.push('--tx-id', params.txId);
  if (params.hwTimestamps) {
    if (params.iface === undefined) throw new UserError('tsprobe: hwTimestamps needs iface (the NIC to configure)');
    argv.push('--hw-timestamps');
  }
  if (params.iface !== undefined) {
    argv.push('--iface', assertIfName(params.iface, 'tsprobe: iface'));
  }
  return argv;
}

function serverArgs(p: TsprobeServerParams): string[] {
  const argv = ['server', '--bind', hostPort('bindIp', p.bindIp, p.port)];
  if (p.codec !== undefined) argv.push('--codec', p.codec);
  if (p.serviceUs !== undefined) argv.push('--service-us', requireNumber('serviceUs', p.serviceUs, 0));
  if ((p.pauseUs === undefined) !== (p.pauseEveryMs === undefined)) {
    throw new UserError('tsprobe: pauseUs and pauseEveryMs go together');
  }
  if (p.pauseUs !== undefined && p.pauseEveryMs !== undefined) {
    requireNumber('pauseUs', p.pauseUs, 0, true);
    requireNumber('pauseEveryMs', p.pauseEveryMs, 0, true);
    if (p.pauseUs >= p.pauseEveryMs * 1000) throw new UserError(`tsprobe: pauseUs (${p.pauseUs}) must be shorter than pauseEveryMs (${p.pauseEveryMs} ms)`);
    argv.push('--pause-us', String(p.pauseUs), '--pause-every-ms', String(p.pauseEveryMs));
  }
  return argv;
}

function relayArgs(p: TsprobeRelayParams): string[] {
  return ['relay', '--bind', hostPort('bindIp', p.bindIp, p.port), '--next', hostPort('nextIp', p.nextIp, p.nextPort)];
}

function clientArgs(p: TsprobeClientParams): string[] {
  const argv = [
    'client',
    '--server',
    hostPort('serverIp', p.serverIp, p.port),
    '--size',
    requireInt('msgSizeBytes', p.msgSizeBytes, MIN_MSG_SIZE_BYTES, MAX_MSG_SIZE_BYTES),
  ];
  if (p.codec !== undefined) argv.push('--codec', p.codec);
  if (p.fields !== undefined) argv.push('--fields', requireInt('fields', p.fields, 1, 99));
  argv.push('--rate', requireNumber('offeredPps', p.offeredPps, 0, true));
  if (p.arrivals !== undefined) argv.push('--arrivals', p.arrivals);
  if (p.seed !== undefined) argv.push('--seed', requireInt('seed', p.seed, 0, Number.MAX_SAFE_INTEGER));
  argv.push('--duration', requireNumber('durationS', p.durationS, 0, true));
  if (p.warmupS !== undefined) argv.push('--warmup', requireNumber('warmupS', p.warmupS, 0));
  if (p.drainMs !== undefined) argv.push('--drain-ms', requireNumber('drainMs', p.drainMs, 0));
  if (p.recordsPath !== undefined) {
    if (p.recordsPath === '' || p.recordsPath.startsWith('-')) {
      throw new UserError(`tsprobe: recordsPath must be a file path, got ${JSON.stringify(p.recordsPath)}`);
    }
    argv.push('--records', p.recordsPath);
  }
  if (p.pacing !== undefined) argv.push('--pacing', p.pacing);
  return argv;
}

function buildCommand(params: TsprobeParams): string[] {
  if (params.binary === '') throw new UserError('tsprobe: binary (path of bb-tsprobe) is required');
  const roleArgs = params.role === 'server' ? serverArgs(params) : params.role === 'relay' ? relayArgs(params) : clientArgs(params);
  return [params.binary, ...roleArgs, ...commonArgs(params)];
}

// ---------------------------------------------------------------------------------------------
// parse

/** The role's JSON summary: the last stdout line that is a bb-tsprobe JSON object. */
export function parseTsprobeSummary(stdout: string): TsprobeSummary | null {
  const summary = lastJsonObject(stdout, (value) => value['tool'] === 'bb-tsprobe' && typeof value['role'] === 'string');
  return summary as unknown as TsprobeSummary | null;
}

function latencyFromSummary(rtt: TsprobeClientSummary['rttUs']): LatencyUs | null {
  if (!rtt || rtt.samples === 0) return null;
  return { ...emptyLatency(), ...rtt };
}

function parse(output: ToolOutput): Measurement[] {
  const summary = parseTsprobeSummary(output.stdout);
  if (summary === null) {
    const why = lastLines(output.stderr, 3) || 'no output';
    return [failedMeasurement(`bb-tsprobe printed no summary (exit code ${output.exitCode}): ${why}`)];
  }
  // Server and relay summaries describe their side only; the client's summary is the measurement.
  if (summary.role !== 'client') return [];
  const s = summary;
  const native = s as unknown as Record<string, unknown>;
  if (output.exitCode !== 0) {
    return [failedMeasurement(`bb-tsprobe client exited with code ${output.exitCode}: ${lastLines(output.stderr, 3)}`, native)];
  }
  const base: Measurement = {
    status: 'ok',
    error: null,
    msgSizeBytes: s.msgSizeBytes,
    achievedPps: s.achievedPps,
    sentPackets: s.sent,
    receivedPackets: s.received,
    lossRatio: s.lossRatio,
    latencyUs: latencyFromSummary(s.rttUs),
    throughputGbps: null,
    msgRateMpps: s.achievedPps === null ? null : s.achievedPps / 1e6,
    measuredS: s.measuredS,
    native,
  };
  if (s.received === 0) return [{ ...base, status: 'failed', error: `no replies: ${s.sent} requests sent to ${s.server}, none answered` }];
  return [base];
}

// ---------------------------------------------------------------------------------------------
// detect

function detect(host: HostFacts): Availability {
  return detectNativeProgram(host, {
    binary: 'bb-tsprobe',
    kernel: {
      present: host.features.soTimestamping,
      reason: 'the kernel does not support SO_TIMESTAMPING',
      fix: 'use a kernel built with network timestamping (any stock distribution kernel)',
    },
    buildFix: 'apt-get install libjansson-dev && make -C native build/bb-tsprobe',
    note: 'software timestamps; hardware ones only on a NIC that supports them',
  });
}

export const tsprobeDriver: Driver<TsprobeParams> = {
  name: 'tsprobe',
  description: 'bb-tsprobe: UDP request/response with SO_TIMESTAMPING, relays and an application model, for latency attribution',
  binaries: ['bb-tsprobe'],
  detect,
  buildCommand,
  parse,
};
