// Waiting to run inside the kernel RX intervals, measured: the scheduler's tracepoints (bpftrace,
// drivers/bpftrace/wakeup.ts) give, per probe thread, every stretch it was runnable but not
// running; the part of each request's RX interval (RX stamp → receive returned) covered by such
// stretches is its wake-up / scheduling wait (measured), and the rest of the interval is the
// kernel's protocol work (the RX interval, itself measured, minus that wait).
import type { TsprobeRecord } from '../drivers/tsprobe/index.js';
import { UserError } from '../core/errors.js';
import type { WakeupEvent } from '../drivers/bpftrace/index.js';
import type { ThreadInfo } from '../drivers/tsprobe/index.js';

/** A waiting-to-run interval on the records' clock: ns relative to the client's t0, like the records. */
export interface WakeupInterval {
  kind: WakeupEvent['kind'];
  fromNs: number;
  toNs: number;
}

/**
 * The events of one thread, moved onto the records' clock (monotonic + offset − t0). The offset
 * is exact to the two clock reads that bracket it (well under 1 µs). The thread's own host's
 * offset: on lab hosts each kernel has its own monotonic clock (the records' realtime is shared).
 */
export function wakeupsOnRecordClock(events: readonly WakeupEvent[], thread: ThreadInfo, client: ThreadInfo): WakeupInterval[] {
  if (client.t0Ns === null) throw new UserError("thread-info of the client has no t0Ns: pass the client role's --thread-info file");
  const shift = BigInt(thread.realtimeMinusMonotonicNs) - client.t0Ns;
  return events
    .filter((e) => e.tid === thread.tid)
    .map((e) => ({ kind: e.kind, fromNs: Number(BigInt(e.wakeNs) + shift), toNs: Number(BigInt(e.switchNs) + shift) }))
    .sort((a, b) => a.fromNs - b.fromNs);
}

/** Per-thread runnable-not-running intervals on the records' clock (ns relative to the client's t0). */
export interface WakeupTrace {
  /** How the intervals were measured, e.g. "bpftrace sched_wakeup/sched_switch". */
  source: string;
  server: readonly WakeupInterval[];
  client: readonly WakeupInterval[];
}

export interface WaitingToRun {
  /** Waiting after a wake-up (the thread had slept), ns. */
  wokenNs: number;
  /** Waiting after being preempted while runnable (a spinning thread only waits this way), ns. */
  preemptedNs: number;
}

/** Time within [fromNs, toNs] covered by the intervals (sorted by fromNs, not overlapping each other). */
export function waitingWithin(intervals: readonly WakeupInterval[], fromNs: number, toNs: number): WaitingToRun {
  const out: WaitingToRun = { wokenNs: 0, preemptedNs: 0 };
  // First interval that ends after fromNs (intervals of one thread never overlap, so ends are sorted too).
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]!.toNs <= fromNs) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < intervals.length && intervals[i]!.fromNs < toNs; i++) {
    const iv = intervals[i]!;
    const ns = Math.min(iv.toNs, toNs) - Math.max(iv.fromNs, fromNs);
    if (ns <= 0) continue;
    if (iv.kind === 'wakeup') out.wokenNs += ns;
    else out.preemptedNs += ns;
  }
  return out;
}

/** Each side's waiting to run within the request's RX interval; null when a stamp it needs is missing. */
export function requestWaiting(r: TsprobeRecord, trace: WakeupTrace): { server: WaitingToRun; client: WaitingToRun } | null {
  if (r.sRxNs === null || r.sRetNs === null || r.cRxNs === null || r.cRetNs === null) return null;
  return { server: waitingWithin(trace.server, r.sRxNs, r.sRetNs), client: waitingWithin(trace.client, r.cRxNs, r.cRetNs) };
}
