// sockperf's argv: server and client roles, latency modes (ping-pong, under-load) and throughput.
import { UserError } from '../../core/errors.js';
import { assertIPv4, requireIntInRange } from '../../core/validate.js';

export type SockperfMode = 'ping-pong' | 'under-load' | 'throughput';

export interface SockperfParams {
  role: 'server' | 'client';
  protocol: 'udp' | 'tcp';
  /** Validated IPv4 by the caller (checked again here because it becomes an argv element). */
  serverIp: string;
  port: number;
  /**
   * Both roles: never sleep in the kernel. Non-blocking sockets and an epoll timeout of 0 make
   * sockperf spin on epoll_wait (a full core even when idle); checked by hand to keep the server
   * at 100 % CPU. (-F recvfrom would be the simpler spin, but sockperf only takes -F with a feed file.)
   */
  spin?: boolean;
  /** Both roles: SO_BUSY_POLL on the sockets (--lls), µs. It polls only where the device has NAPI. */
  busyPollUsec?: number;
  // client only:
  mode?: SockperfMode;
  msgSizeBytes?: number;
  /** Whole seconds: sockperf silently truncates -t 1.5 to 1. */
  durationS?: number;
  /** Offered rate in messages/s; 'max' = as fast as possible. Omitted = sockperf's default (max, or 10000 in under-load). */
  mps?: number | 'max';
  /** under-load only: the server answers every N-th message (sockperf's default is 100). */
  replyEvery?: number;
  /** Default true: we want round-trip numbers. */
  fullRtt?: boolean;
  /** Per-packet CSV (latency modes only); summarize it with summarizeFullLog(). */
  fullLogPath?: string;
}

/** sockperf rejects smaller messages ("Invalid message size: 13 (min: 14)"); 65507 is its maximum. */
const MIN_MSG_SIZE_BYTES = 14;
const MAX_MSG_SIZE_BYTES = 65507;

const requireInt = (field: string, value: number, min: number, max: number): string => requireIntInRange(`sockperf: ${field}`, value, min, max);

function buildServerCommand(params: SockperfParams): string[] {
  const clientOnly = (['mode', 'msgSizeBytes', 'durationS', 'mps', 'replyEvery', 'fullRtt', 'fullLogPath'] as const).filter((key) => params[key] !== undefined);
  if (clientOnly.length > 0) {
    throw new UserError(`sockperf: ${clientOnly.join(', ')} only apply to the client role`);
  }
  const argv = ['sockperf', 'server', '-i', params.serverIp, '-p', String(params.port)];
  if (params.protocol === 'tcp') argv.push('--tcp');
  return [...argv, ...pollingArgs(params)];
}

/** Busy-polling options, the same for both roles. */
function pollingArgs(params: SockperfParams): string[] {
  const argv: string[] = [];
  if (params.spin) argv.push('--nonblocked', '--timeout', '0');
  if (params.busyPollUsec !== undefined) argv.push('--lls', requireInt('busyPollUsec', params.busyPollUsec, 1, 1_000_000));
  return argv;
}

function buildClientCommand(params: SockperfParams): string[] {
  const mode = params.mode;
  if (mode === undefined) throw new UserError('sockperf: mode is required for the client role');
  const argv = ['sockperf', mode, '-i', params.serverIp, '-p', String(params.port)];
  if (params.protocol === 'tcp') argv.push('--tcp');
  if (params.msgSizeBytes !== undefined) {
    argv.push('-m', requireInt('msgSizeBytes', params.msgSizeBytes, MIN_MSG_SIZE_BYTES, MAX_MSG_SIZE_BYTES));
  }
  if (params.durationS !== undefined) argv.push('-t', requireInt('durationS', params.durationS, 1, 36_000_000));
  if (params.mps !== undefined) {
    argv.push('--mps', params.mps === 'max' ? 'max' : requireInt('mps', params.mps, 1, 100_000_000));
  }
  if (params.replyEvery !== undefined) {
    if (mode !== 'under-load') throw new UserError(`sockperf: replyEvery only applies to under-load mode, not ${mode}`);
    argv.push('--reply-every', requireInt('replyEvery', params.replyEvery, 1, 1_000_000));
  }
  if (mode !== 'throughput') {
    // Throughput mode measures no latency, so round-trip semantics and the per-packet log do not apply.
    if (params.fullRtt ?? true) argv.push('--full-rtt');
    if (params.fullLogPath !== undefined) argv.push('--full-log', params.fullLogPath);
  } else if (params.fullLogPath !== undefined) {
    throw new UserError('sockperf: fullLogPath needs a latency mode (ping-pong or under-load); throughput mode logs no packets');
  }
  return [...argv, ...pollingArgs(params)];
}

export function buildSockperfCommand(params: SockperfParams): string[] {
  // It becomes an argv element, so nothing but a dotted quad passes.
  assertIPv4(params.serverIp, 'sockperf: serverIp');
  requireInt('port', params.port, 1, 65535);
  if (params.fullLogPath !== undefined && (params.fullLogPath === '' || params.fullLogPath.startsWith('-'))) {
    throw new UserError(`sockperf: fullLogPath must be a file path, got ${JSON.stringify(params.fullLogPath)}`);
  }
  return params.role === 'server' ? buildServerCommand(params) : buildClientCommand(params);
}
