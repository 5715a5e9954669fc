// bb-afxdp (native/afxdp): the project's own AF_XDP reflector and UDP clients, plus kernel-socket
// clients with the same payload and clock. Facts from real runs (fixtures in test/fixtures/afxdp/):
// - Every command prints exactly one JSON object on one stdout line at exit (with --json, which
//   buildCommand always passes); human messages go to stderr. Bad arguments exit 2 with
//   {"ok":false,"errorKind":"usage"}; runtime failures (no such interface, bind failed) exit 1
//   with {"ok":false,"error":…}.
// - Latency is the full round trip in µs (reply taken off the ring − stamp written before send).
// - The reflector runs until SIGINT/SIGTERM (exit 0, "interrupted": true) or --duration, and
//   prints "bb-afxdp: ready: …" on stderr once it answers (AFXDP_READY_LINE).
// - On veth the bind is always copy mode; the JSON says which XDP mode and bind mode were obtained.
import { UserError } from '../core/errors.js';
import { isRecord } from '../core/json-access.js';
import { lastLines } from '../core/text.js';
import { isIfName, isIPv4, isMac, requireIntInRange } from '../core/validate.js';
import { emptyLatency, failedMeasurement } from '../core/trial.js';
import type { LatencyUs, Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';
import { detectNativeProgram, lastJsonObject } from './native-program.js';
import type { Availability, Driver, ToolOutput } from './types.js';

/** Where `make -C native` puts the binary, relative to the project root (the caller resolves it). */
export const AFXDP_DEFAULT_BINARY = 'native/build/bb-afxdp';

/** Matches the reflector's readiness line on stderr, e.g.
 * "bb-afxdp: ready: reflect on h3b0 queue 0, xdp=native bind=copy busy-poll". */
export const AFXDP_READY_LINE = /^bb-afxdp: ready: /m;

export type AfxdpXdpMode = 'native' | 'generic' | 'auto';
export type AfxdpBindMode = 'copy' | 'zero-copy' | 'auto';
/** afxdp: the client owns an AF_XDP socket on ifname; socket: a plain kernel UDP socket. */
export type AfxdpClientTransport = 'afxdp' | 'socket';

interface AfxdpCommon {
  /** argv[0]; default AFXDP_DEFAULT_BINARY, which the caller resolves against the project root. */
  binaryPath?: string;
  /** Spin on the rings/socket instead of sleeping in poll(); give the process a CPU of its own. */
  busyPoll?: boolean;
  /** RX/TX batch, 1..256 (tool default 64). */
  batch?: number;
  /** Pin the process to this CPU (the tool calls sched_setaffinity). */
  cpu?: number;
}

interface AfxdpSocketSide {
  ifname: string;
  /** Default 0. */
  queue?: number;
  xdpMode?: AfxdpXdpMode;
  bindMode?: AfxdpBindMode;
  /** How long to retry a bind that fails with EBUSY (queue released ~1 s after its last user exits). */
  bindTimeoutMs?: number;
  /** Entries per AF_XDP ring, a power of two 64..16384 (tool default 2048); the UMEM holds twice as
   * many 4 KiB frames. Larger rings ride out longer scheduling stalls at the cost of memory. */
  ringSize?: number;
}

export interface AfxdpReflectorParams extends AfxdpCommon, AfxdpSocketSide {
  role: 'reflector';
  /** Recompute IPv4/UDP checksums; only needed when the client's veth has TX checksum offload on. */
  fixChecksums?: boolean;
  /** Stop after this many seconds; otherwise it runs until SIGINT/SIGTERM. */
  durationS?: number;
}

export interface AfxdpClientParams extends AfxdpCommon, Partial<AfxdpSocketSide> {
  role: 'ping' | 'load';
  /** Default 'afxdp'. 'socket' runs sock-ping / sock-load and ignores the AF_XDP fields. */
  transport?: AfxdpClientTransport;
  /** afxdp: the tool reads it from ifname when omitted. */
  srcMac?: string;
  /** afxdp: required (an AF_XDP queue sees no ARP). */
  dstMac?: string;
  /** afxdp: the tool reads it from ifname when omitted. */
  srcIp?: string;
  /** socket: local address to bind. */
  bindIp?: string;
  dstIp: string;
  /** Default 9001 (afxdp) or kernel-chosen (socket). */
  srcPort?: number;
  /** Default 9000. */
  dstPort?: number;
  /** UDP payload bytes (frame = payload + 42), >= 16. */
  msgSizeBytes: number;
  /** load: required offered rate. ping: optional pacing (omitted = next request as soon as the reply is in). */
  offeredPps?: number;
  /** Measured seconds after the warm-up (tool default 5). */
  durationS?: number;
  /** ping: stop after this many measured requests. */
  count?: number;
  warmupS?: number;
  /** Replies later than this count as late (and lost); also the drain time of a load. Tool default 500. */
  timeoutMs?: number;
  /** socket: SO_RCVBUF(FORCE) bytes. */
  rcvbufBytes?: number;
}

export type AfxdpParams = AfxdpReflectorParams | AfxdpClientParams;

/** bb-afxdp's JSON, as far as the driver reads it; everything else stays available under native. */
export interface AfxdpXskInfo {
  ifname: string;
  queue: number;
  xdpMode: 'native' | 'generic' | 'offload' | 'unknown';
  bindMode: 'copy' | 'zero-copy' | 'unknown';
  zeroCopyFallback: boolean;
  nativeFallback: boolean;
  bindRetries: number;
  progId: number;
  progOwned: boolean;
  progDetached: boolean;
  notes: string | null;
  kernelStats: Record<string, number> | null;
  [key: string]: unknown;
}

export interface AfxdpLatencyUs {
  samples: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  mean: number;
  stddev: number;
}

interface AfxdpOutputBase {
  tool: 'bb-afxdp';
  version: string;
  command: 'reflect' | 'ping' | 'load' | 'sock-ping' | 'sock-load' | null;
  ok: boolean;
  error: string | null;
  errorKind?: 'usage';
  interrupted?: boolean;
  transport?: 'afxdp' | 'socket';
  config?: Record<string, unknown>;
  xsk?: AfxdpXskInfo | null;
  socket?: Record<string, unknown> | null;
}

export interface AfxdpClientOutput extends AfxdpOutputBase {
  command: 'ping' | 'load' | 'sock-ping' | 'sock-load';
  config: Record<string, unknown> & { payloadBytes: number };
  counts: {
    sent: number;
    received: number;
    lost: number;
    late: number;
    duplicates: number;
    reordered: number;
    unexpected: number;
    timeouts?: number;
    unsent?: number;
    txRingFull: number;
    sendErrors: number;
    lastSendError?: string;
    warmupSent: number;
    warmupReceived: number;
  };
  lossRatio: number | null;
  rates: { offeredPps: number | null; achievedPps: number | null; receivedPps: number | null };
  durations: { warmupS: number; measuredS: number | null; drainS: number | null; totalS: number | null };
  sendLagUs?: { mean: number | null; max: number | null };
  latencyKind: 'rtt';
  latencyUs: AfxdpLatencyUs | null;
}

export interface AfxdpReflectorOutput extends AfxdpOutputBase {
  command: 'reflect';
  counts: {
    rx: number;
    rxBytes: number;
    txSubmitted: number;
    tx: number;
    dropped: number;
    droppedNotUdp: number;
    droppedRingFull: number;
    ringFullEvents: number;
  };
  rates: { rxPps: number | null; txPps: number | null };
  durations: { runS: number | null; activeS: number | null };
}

export type AfxdpOutput = AfxdpOutputBase | AfxdpClientOutput | AfxdpReflectorOutput;

// ---------------------------------------------------------------------------------------------
// buildCommand

/** Our payload header (session, seq, timestamp) is 16 bytes; 65507 is the UDP maximum. */
const MIN_PAYLOAD_BYTES = 16;
const MAX_PAYLOAD_BYTES = 65507;

function fail(message: string): never {
  throw new UserError(`afxdp: ${message}`);
}

const requireInt = (field: string, value: number, min: number, max: number): string => requireIntInRange(`afxdp: ${field}`, value, min, max);

function requirePositive(field: string, value: number, allowZero = false): string {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) fail(`${field} must be a number ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
  return String(value);
}

/** Addresses and names become argv elements: only well-formed ones pass (checks in core/validate.ts). */
function requireMatch(field: string, value: string, isValid: (value: string) => boolean, example: string): string {
  if (!isValid(value)) fail(`${field} must look like ${example}, got ${JSON.stringify(value)}`);
  return value;
}

const XDP_MODES: readonly AfxdpXdpMode[] = ['native', 'generic', 'auto'];
const BIND_MODES: readonly AfxdpBindMode[] = ['copy', 'zero-copy', 'auto'];

function requireOneOf<T extends string>(field: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) fail(`${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

function commonArgs(p: AfxdpCommon): string[] {
  const argv: string[] = [];
  if (p.busyPoll) argv.push('--busy-poll');
  if (p.batch !== undefined) argv.push('--batch', requireInt('batch', p.batch, 1, 256));
  if (p.cpu !== undefined) argv.push('--cpu', requireInt('cpu', p.cpu, 0, 1023));
  argv.push('--json');
  return argv;
}

function socketSideArgs(p: Partial<AfxdpSocketSide>, role: string): string[] {
  if (p.ifname === undefined) fail(`ifname is required for the AF_XDP ${role}`);
  const argv = ['--ifname', requireMatch('ifname', p.ifname, isIfName, 'h3b0')];
  if (p.queue !== undefined) argv.push('--queue', requireInt('queue', p.queue, 0, 4095));
  if (p.xdpMode !== undefined) argv.push('--mode', requireOneOf('xdpMode', p.xdpMode, XDP_MODES));
  if (p.bindMode !== undefined) argv.push('--bind-mode', requireOneOf('bindMode', p.bindMode, BIND_MODES));
  if (p.bindTimeoutMs !== undefined) argv.push('--bind-timeout-ms', requireInt('bindTimeoutMs', p.bindTimeoutMs, 0, 600_000));
  if (p.ringSize !== undefined) {
    requireInt('ringSize', p.ringSize, 64, 16384);
    if ((p.ringSize & (p.ringSize - 1)) !== 0) fail(`ringSize must be a power of two, got ${p.ringSize}`);
    argv.push('--ring-size', String(p.ringSize));
  }
  return argv;
}

function reflectorArgs(p: AfxdpReflectorParams): string[] {
  const argv = ['reflect', ...socketSideArgs(p, 'reflector')];
  if (p.fixChecksums) argv.push('--fix-csum');
  if (p.durationS !== undefined) argv.push('--duration', requirePositive('durationS', p.durationS));
  return argv;
}

function clientArgs(p: AfxdpClientParams): string[] {
  const transport = requireOneOf('transport', p.transport ?? 'afxdp', ['afxdp', 'socket'] as const);
  const command = transport === 'socket' ? `sock-${p.role}` : p.role;
  const argv = [command];
  if (transport === 'afxdp') {
    const socketOnly = (['bindIp', 'rcvbufBytes'] as const).filter((key) => p[key] !== undefined);
    if (socketOnly.length > 0) fail(`${socketOnly.join(', ')} only apply to the socket transport`);
    argv.push(...socketSideArgs(p, `${p.role} client`));
    if (p.dstMac === undefined) fail('dstMac is required for an AF_XDP client (an AF_XDP queue sees no ARP)');
    if (p.srcMac !== undefined) argv.push('--src-mac', requireMatch('srcMac', p.srcMac, isMac, '02:33:00:00:00:01'));
    argv.push('--dst-mac', requireMatch('dstMac', p.dstMac, isMac, '02:33:00:00:00:02'));
    if (p.srcIp !== undefined) argv.push('--src-ip', requireMatch('srcIp', p.srcIp, isIPv4, '10.233.0.1'));
  } else {
    const afxdpOnly = (['ifname', 'queue', 'xdpMode', 'bindMode', 'bindTimeoutMs', 'ringSize', 'srcMac', 'dstMac', 'srcIp'] as const).filter(
      (key) => p[key] !== undefined,
    );
    if (afxdpOnly.length > 0) fail(`${afxdpOnly.join(', ')} only apply to the afxdp transport`);
    if (p.bindIp !== undefined) argv.push('--bind-ip', requireMatch('bindIp', p.bindIp, isIPv4, '10.233.0.1'));
    if (p.rcvbufBytes !== undefined) argv.push('--rcvbuf', requireInt('rcvbufBytes', p.rcvbufBytes, 1, 2 ** 31 - 1));
  }
  argv.push('--dst-ip', requireMatch('dstIp', p.dstIp, isIPv4, '10.233.0.2'));
  if (p.srcPort !== undefined) argv.push('--src-port', requireInt('srcPort', p.srcPort, transport === 'socket' ? 0 : 1, 65535));
  if (p.dstPort !== undefined) argv.push('--dst-port', requireInt('dstPort', p.dstPort, 1, 65535));
  argv.push('--size', requireInt('msgSizeBytes', p.msgSizeBytes, MIN_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES));
  if (p.role === 'load' && p.offeredPps === undefined) fail('offeredPps is required for a load client');
  if (p.role === 'load' && p.count !== undefined) fail('count only applies to a ping client; a load runs for durationS');
  if (p.offeredPps !== undefined) argv.push('--rate', requirePositive('offeredPps', p.offeredPps));
  if (p.durationS !== undefined) argv.push('--duration', requirePositive('durationS', p.durationS));
  if (p.count !== undefined) argv.push('--count', requireInt('count', p.count, 1, 2 ** 32 - 1));
  if (p.warmupS !== undefined) argv.push('--warmup', requirePositive('warmupS', p.warmupS, true));
  if (p.timeoutMs !== undefined) argv.push('--timeout-ms', requireInt('timeoutMs', p.timeoutMs, 1, 600_000));
  return argv;
}

function buildCommand(params: AfxdpParams): string[] {
  if (!(['reflector', 'ping', 'load'] as const).includes(params.role)) {
    fail(`role must be reflector, ping or load, got ${JSON.stringify((params as { role: unknown }).role)}`);
  }
  const binary = params.binaryPath ?? AFXDP_DEFAULT_BINARY;
  if (binary === '' || binary.startsWith('-')) fail(`binaryPath must be a path, got ${JSON.stringify(binary)}`);
  const roleArgs = params.role === 'reflector' ? reflectorArgs(params) : clientArgs(params);
  return [binary, ...roleArgs, ...commonArgs(params)];
}

// ---------------------------------------------------------------------------------------------
// parse

/** The tool's JSON: the last stdout line that is a bb-afxdp object (null when there is none). */
export function parseAfxdpOutput(stdout: string): AfxdpOutput | null {
  const result = lastJsonObject(stdout, (value) => value['tool'] === 'bb-afxdp' && typeof value['ok'] === 'boolean');
  return result as unknown as AfxdpOutput | null;
}

function isClient(out: AfxdpOutput): out is AfxdpClientOutput {
  return out.command !== 'reflect' && out.command !== null && 'counts' in out && isRecord(out.counts);
}

function isReflector(out: AfxdpOutput): out is AfxdpReflectorOutput {
  return out.command === 'reflect' && 'counts' in out && isRecord(out.counts);
}

function latency(l: AfxdpLatencyUs | null): LatencyUs | null {
  if (!l || !(l.samples > 0)) return null;
  return { ...emptyLatency(), min: l.min, p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max, mean: l.mean, stddev: l.stddev, samples: l.samples };
}

function clientMeasurement(out: AfxdpClientOutput, native: Record<string, unknown>): Measurement {
  const load = out.command === 'load' || out.command === 'sock-load';
  const received = out.counts.received;
  const base: Measurement = {
    status: 'ok',
    error: null,
    msgSizeBytes: out.config.payloadBytes,
    achievedPps: out.rates.achievedPps,
    sentPackets: out.counts.sent,
    receivedPackets: received,
    lossRatio: out.lossRatio,
    latencyUs: latency(out.latencyUs),
    throughputGbps: null,
    // Replies per second the path carried; a ping-pong rate is a latency artefact, not a capacity.
    msgRateMpps: load && out.rates.receivedPps !== null ? out.rates.receivedPps / 1e6 : null,
    measuredS: out.durations.measuredS,
    native,
  };
  if (out.counts.sent === 0) return { ...base, status: 'failed', error: `bb-afxdp ${out.command}: no request was sent` };
  if (received === 0) {
    const target = out.config['dstIp'] ?? 'the reflector';
    return {
      ...base,
      status: 'failed',
      error: `bb-afxdp ${out.command}: no replies (${out.counts.sent} requests sent to ${String(target)}, none answered in time)`,
    };
  }
  return base;
}

function reflectorMeasurement(out: AfxdpReflectorOutput, native: Record<string, unknown>): Measurement {
  // The server side of a trial: counters, no latency; the client's record is the measurement.
  return {
    status: 'ok',
    error: null,
    msgSizeBytes: null,
    achievedPps: out.rates.txPps,
    sentPackets: out.counts.tx,
    receivedPackets: out.counts.rx,
    lossRatio: null,
    latencyUs: null,
    throughputGbps: null,
    msgRateMpps: out.rates.txPps === null ? null : out.rates.txPps / 1e6,
    measuredS: out.durations.activeS,
    native,
  };
}

function parse(output: ToolOutput): Measurement[] {
  const out = parseAfxdpOutput(output.stdout);
  if (out === null) {
    const why = lastLines(output.stderr, 3) || 'no output';
    return [failedMeasurement(`bb-afxdp printed no result (exit code ${output.exitCode}): ${why}`)];
  }
  const native = out as unknown as Record<string, unknown>;
  const command = out.command ?? '(no command)';
  if (!out.ok) return [failedMeasurement(`bb-afxdp ${command}: ${out.error ?? 'failed'}`, native)];
  if (output.exitCode !== 0) {
    return [failedMeasurement(`bb-afxdp ${command} exited with code ${output.exitCode}: ${lastLines(output.stderr, 3)}`, native)];
  }
  if (isClient(out)) return [clientMeasurement(out, native)];
  if (isReflector(out)) return [reflectorMeasurement(out, native)];
  return [failedMeasurement(`bb-afxdp ${command}: result has no counts`, native)];
}

// ---------------------------------------------------------------------------------------------
// detect

function detect(host: HostFacts): Availability {
  return detectNativeProgram(host, {
    binary: 'bb-afxdp',
    kernel: {
      present: host.features.afXdp,
      reason: 'the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)',
      fix: 'use a kernel built with CONFIG_XDP_SOCKETS=y (Debian and most distribution kernels have it)',
    },
    buildFix: 'apt-get install libxdp-dev libbpf-dev && make -C native build/bb-afxdp',
    note: 'veth offers copy mode only; the result says which XDP and bind modes were obtained',
  });
}

export const afxdpDriver: Driver<AfxdpParams> = {
  name: 'afxdp',
  description: 'bb-afxdp: AF_XDP UDP reflector and ping/load clients (AF_XDP or kernel socket), RTT and loss',
  binaries: ['bb-afxdp'],
  detect,
  buildCommand,
  parse,
};
