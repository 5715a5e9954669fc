// Waiting to run inside the kernel RX intervals, measured: the scheduler's tracepoints (bpftrace,
// drivers/bpftrace/wakeup.ts) give, per probe thread, every stretch it was runnable but not
// running; the part of each request's RX interval (RX stamp → receive returned) covered by such
// stretches is its wake-up / scheduling wait, the rest is the kernel's protocol work. No part of
// this is a remainder: both are measured intervals, and their sum is the RX interval.
import type { TsprobeRecord } from '../drivers/tsprobe/index.js';
import type { WakeupInterval } from '../drivers/bpftrace/wakeup.js';

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
