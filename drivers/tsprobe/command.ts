// bb-tsprobe's argv for its three roles: server (application model), relay (a service hop) and
// client (open-loop load, per-request records).
import { UserError } from '../../core/errors.js';
import { assertIfName, assertIPv4, requireIntInRange } from '../../core/validate.js';

export type TsprobeCodec = 'raw' | 'json';
/** fixed gaps, a Poisson process, or on/off bursts (onMs of sending at the rate that keeps the mean, offMs of silence). */
export type TsprobeArrivals = 'fixed' | 'poisson' | 'onoff';

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
  /** block (default): blocking receives, so each datagram wakes the thread; spin: non-blocking receives in a loop, the thread never sleeps. */
  rxMode?: 'block' | 'spin';
  /** Where the role writes its thread id and clock offset (joins bpftrace's wake-up events to the records). */
  threadInfoPath?: string;
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

export interface TsprobeRelayParams extends Omit<TsprobeCommon, 'txSched' | 'rxMode' | 'threadInfoPath'> {
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
  /** Seconds the client sends first and discards (the same process warms up, then measures). */
  warmupS?: number;
  arrivals?: TsprobeArrivals;
  /** onoff arrivals: burst length and silence per period, ms (both, and only with onoff). */
  onMs?: number;
  offMs?: number;
  codec?: TsprobeCodec;
  /** JSON object fields (json codec), 1..99. */
  fields?: number;
  seed?: number;
  /** How long to wait for stragglers after the last send, ms. */
  drainMs?: number;
  /** Where to write the per-request CSV (records.ts reads it; analysis/attribution.ts attributes it). */
  recordsPath?: string;
  /** busy (default): spin until the next send once the latest reply is in, like sockperf; sleep: sleep instead. */
  pacing?: 'busy' | 'sleep';
}

export type TsprobeParams = TsprobeServerParams | TsprobeRelayParams | TsprobeClientParams;

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

/** A path that becomes one argv element: never empty, never mistaken for an option. */
function filePath(field: string, path: string): string {
  if (path === '' || path.startsWith('-')) throw new UserError(`tsprobe: ${field} must be a file path, got ${JSON.stringify(path)}`);
  return path;
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
  if (params.role !== 'relay') {
    if (params.rxMode !== undefined) {
      if (params.rxMode !== 'block' && params.rxMode !== 'spin')
        throw new UserError(`tsprobe: rxMode must be block or spin, got ${JSON.stringify(params.rxMode)}`);
      argv.push('--rx-mode', params.rxMode);
    }
    if (params.threadInfoPath !== undefined) argv.push('--thread-info', filePath('threadInfoPath', params.threadInfoPath));
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

/** What the UDP and TCP load clients share (native/tsprobe/load-opts.c), checked alike; `who` prefixes errors. */
export interface TsprobeLoadOptions {
  offeredPps: number;
  /** Measured seconds, after the warm-up. */
  durationS: number;
  /** Seconds the client sends first and discards (the same process warms up, then measures). */
  warmupS?: number | undefined;
  arrivals?: TsprobeArrivals | undefined;
  /** onoff arrivals: burst length and silence per period, ms (both, and only with onoff). */
  onMs?: number | undefined;
  offMs?: number | undefined;
  /** JSON object fields (json codec), 1..99. */
  fields?: number | undefined;
  seed?: number | undefined;
}

/** --fields, --rate, --arrivals (+ on/off periods), --seed, --duration, --warmup, in that order. */
export function loadArgs(who: string, p: TsprobeLoadOptions): string[] {
  const int = (field: string, v: number, min: number, max: number) => requireIntInRange(`${who}: ${field}`, v, min, max);
  const num = (field: string, v: number, min: number, exclusiveMin = false): string => {
    if (!Number.isFinite(v) || v < min || (exclusiveMin && v === min))
      throw new UserError(`${who}: ${field} must be a number ${exclusiveMin ? '>' : '≥'} ${min}, got ${v}`);
    return String(v);
  };
  const argv: string[] = [];
  if (p.fields !== undefined) argv.push('--fields', int('fields', p.fields, 1, 99));
  argv.push('--rate', num('offeredPps', p.offeredPps, 0, true));
  if (p.arrivals !== undefined) {
    if (!['fixed', 'poisson', 'onoff'].includes(p.arrivals))
      throw new UserError(`${who}: arrivals must be fixed, poisson or onoff, got ${JSON.stringify(p.arrivals)}`);
    argv.push('--arrivals', p.arrivals);
  }
  const onoff = p.arrivals === 'onoff';
  if (onoff !== (p.onMs !== undefined && p.offMs !== undefined) || (!onoff && (p.onMs !== undefined || p.offMs !== undefined))) {
    throw new UserError(
      `${who}: onMs and offMs go with arrivals onoff (both, and only then); got arrivals ${String(p.arrivals)}, onMs ${String(p.onMs)}, offMs ${String(p.offMs)}`,
    );
  }
  if (onoff) argv.push('--on-ms', num('onMs', p.onMs as number, 0, true), '--off-ms', num('offMs', p.offMs as number, 0));
  if (p.seed !== undefined) argv.push('--seed', int('seed', p.seed, 0, Number.MAX_SAFE_INTEGER));
  argv.push('--duration', num('durationS', p.durationS, 0, true));
  if (p.warmupS !== undefined) argv.push('--warmup', num('warmupS', p.warmupS, 0));
  return argv;
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
  argv.push(...loadArgs('tsprobe', p));
  if (p.drainMs !== undefined) argv.push('--drain-ms', requireNumber('drainMs', p.drainMs, 0));
  if (p.recordsPath !== undefined) argv.push('--records', filePath('recordsPath', p.recordsPath));
  if (p.pacing !== undefined) argv.push('--pacing', p.pacing);
  return argv;
}

export function buildTsprobeCommand(params: TsprobeParams): string[] {
  if (params.binary === '') throw new UserError('tsprobe: binary (path of bb-tsprobe) is required');
  const roleArgs = params.role === 'server' ? serverArgs(params) : params.role === 'relay' ? relayArgs(params) : clientArgs(params);
  return [params.binary, ...roleArgs, ...commonArgs(params)];
}
