// bb-tsprobe's TCP load client (native/tsprobe/tcp_client.c): the argv of `bb-tsprobe tcp-client`.
// Its summary line has the UDP client's shape (role "client", plus protocol, framing, connections),
// so parse.ts reads it unchanged; its records CSV is the same file.
import { UserError } from '../../core/errors.js';
import { assertIPv4, requireIntInRange } from '../../core/validate.js';
import { loadArgs, type TsprobeArrivals } from './command.js';

/** header: the 24-byte bb-tsprobe header (its body_len) + JSON body; ndjson: one JSON object per line, with an "id". */
export type TcpFraming = 'header' | 'ndjson';

export interface TsprobeTcpClientParams {
  binary: string;
  serverIp: string;
  port: number;
  /** Request bytes on the stream, 24..4096. */
  msgSizeBytes: number;
  offeredPps: number;
  durationS: number;
  warmupS?: number;
  arrivals?: TsprobeArrivals;
  onMs?: number;
  offMs?: number;
  fields?: number;
  seed?: number;
  /** Persistent connections, 1..64; request seq goes out on connection seq % N. */
  connections?: number;
  framing?: TcpFraming;
  drainMs?: number;
  recordsPath?: string;
  threadInfoPath?: string;
}

const int = (field: string, v: number, min: number, max: number) => requireIntInRange(`tsprobe tcp-client: ${field}`, v, min, max);

function num(field: string, v: number, min: number, exclusiveMin: boolean): string {
  if (!Number.isFinite(v) || v < min || (exclusiveMin && v === min))
    throw new UserError(`tsprobe tcp-client: ${field} must be a number ${exclusiveMin ? '>' : '≥'} ${min}, got ${v}`);
  return String(v);
}

function file(field: string, path: string): string {
  if (path === '' || path.startsWith('-')) throw new UserError(`tsprobe tcp-client: ${field} must be a file path, got ${JSON.stringify(path)}`);
  return path;
}

export function buildTsprobeTcpClientCommand(p: TsprobeTcpClientParams): string[] {
  if (p.binary === '') throw new UserError('tsprobe tcp-client: binary (path of bb-tsprobe) is required');
  assertIPv4(p.serverIp, 'tsprobe tcp-client: serverIp');
  const argv = [p.binary, 'tcp-client', '--server', `${p.serverIp}:${int('port', p.port, 1, 65535)}`, '--size', int('msgSizeBytes', p.msgSizeBytes, 24, 4096)];
  argv.push('--codec', 'json');
  argv.push(...loadArgs('tsprobe tcp-client', p));
  if (p.connections !== undefined) argv.push('--connections', int('connections', p.connections, 1, 64));
  if (p.framing !== undefined) {
    if (p.framing !== 'header' && p.framing !== 'ndjson')
      throw new UserError(`tsprobe tcp-client: framing must be header or ndjson, got ${JSON.stringify(p.framing)}`);
    argv.push('--framing', p.framing);
  }
  if (p.drainMs !== undefined) argv.push('--drain-ms', num('drainMs', p.drainMs, 0, false));
  if (p.recordsPath !== undefined) argv.push('--records', file('recordsPath', p.recordsPath));
  if (p.threadInfoPath !== undefined) argv.push('--thread-info', file('threadInfoPath', p.threadInfoPath));
  return argv;
}
