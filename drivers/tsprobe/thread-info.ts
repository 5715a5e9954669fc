// A bb-tsprobe role's --thread-info file: one JSON line written before the first request, e.g.
//   {"role":"client","tid":3976,"realtimeMinusMonotonicNs":1795846296756349551,"t0Ns":"1795851519555271425"}
// (t0Ns only from the client). It joins a tracer's per-thread events to the records
// (analysis/wakeup.ts).
import { UserError } from '../../core/errors.js';

/** A probe role's --thread-info line. */
export interface ThreadInfo {
  role: 'client' | 'server';
  tid: number;
  realtimeMinusMonotonicNs: number;
  /** The records' time origin, CLOCK_REALTIME ns (client only; exceeds 2^53, so a string on disk). */
  t0Ns: bigint | null;
}

// Matches the digits of t0Ns, e.g. "1795850033932414949".
const DIGITS = /^\d+$/;

export function parseThreadInfo(text: string, source = 'thread-info'): ThreadInfo {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserError(`${source}: not a JSON object: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const { role, tid, realtimeMinusMonotonicNs, t0Ns } = j;
  if (role !== 'client' && role !== 'server') throw new UserError(`${source}: role must be client or server, got ${JSON.stringify(role)}`);
  if (!Number.isInteger(tid) || (tid as number) <= 0) throw new UserError(`${source}: tid must be a positive integer, got ${JSON.stringify(tid)}`);
  if (!Number.isInteger(realtimeMinusMonotonicNs)) {
    throw new UserError(`${source}: realtimeMinusMonotonicNs must be an integer, got ${JSON.stringify(realtimeMinusMonotonicNs)}`);
  }
  if (t0Ns !== undefined && !(typeof t0Ns === 'string' && DIGITS.test(t0Ns)))
    throw new UserError(`${source}: t0Ns must be a string of digits, got ${JSON.stringify(t0Ns)}`);
  return { role, tid: tid as number, realtimeMinusMonotonicNs: realtimeMinusMonotonicNs as number, t0Ns: t0Ns === undefined ? null : BigInt(t0Ns) };
}
