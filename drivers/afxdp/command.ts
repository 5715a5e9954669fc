// bb-afxdp's argv: the AF_XDP reflector, and ping/load clients over AF_XDP or a kernel socket.
import { UserError } from '../../core/errors.js';
import { isIfName, isIPv4, isMac, requireIntInRange } from '../../core/validate.js';

/** Where `make -C native` puts the binary, relative to the project root (the caller resolves it). */
export const AFXDP_DEFAULT_BINARY = 'native/build/bb-afxdp';

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

export function buildAfxdpCommand(params: AfxdpParams): string[] {
  if (!(['reflector', 'ping', 'load'] as const).includes(params.role)) {
    fail(`role must be reflector, ping or load, got ${JSON.stringify((params as { role: unknown }).role)}`);
  }
  const binary = params.binaryPath ?? AFXDP_DEFAULT_BINARY;
  if (binary === '' || binary.startsWith('-')) fail(`binaryPath must be a path, got ${JSON.stringify(binary)}`);
  const roleArgs = params.role === 'reflector' ? reflectorArgs(params) : clientArgs(params);
  return [binary, ...roleArgs, ...commonArgs(params)];
}
