// Wake-up latency of the probe's threads, measured by the scheduler's own tracepoints: for each
// bb-tsprobe thread, the time from sched_wakeup (made runnable, e.g. by a datagram arriving) to
// sched_switch onto a CPU. Facts from real runs (bpftrace 0.17, kernel 6.18; fixtures in
// test/fixtures/bpftrace/):
// - tracepoints need tracefs mounted at /sys/kernel/tracing; kprobes do not exist on this kernel.
// - bpftrace warns "couldn't set RLIMIT_MEMLOCK" on stderr and attaches anyway.
// - With -o FILE, "Attaching 4 probes..." and every printf line go to FILE, nothing to stdout.
// - nsecs is CLOCK_MONOTONIC; the probe's stamps are CLOCK_REALTIME, so joining needs the
//   probe's realtimeMinusMonotonicNs (its --thread-info file).
// - /proc/<tid>/schedstat's run_delay is NOT a substitute here: on this kernel it stayed 0 for
//   most wake-ups that these tracepoints measured at 2–8 µs.
import { UserError } from '../../core/errors.js';

/**
 * Every stretch a bb-tsprobe thread spent runnable but not running, ending at its switch-in:
 * "W tid fromNs toNs" from a wake-up (it had slept), "P tid fromNs toNs" from a switch-out
 * without sleeping (preempted; a spinning thread only ever waits this way). A wake-up is cleared
 * when its thread switches out, so one that hit a still-running thread never pairs later.
 */
export const WAKEUP_SCRIPT = [
  'tracepoint:sched:sched_wakeup /strncmp(args->comm, "bb-tsprobe", 10) == 0/ { @w[args->pid] = nsecs; }',
  'tracepoint:sched:sched_switch /strncmp(args->prev_comm, "bb-tsprobe", 10) == 0/ { delete(@w[args->prev_pid]); @o[args->prev_pid] = nsecs; }',
  'tracepoint:sched:sched_switch /strncmp(args->next_comm, "bb-tsprobe", 10) == 0/ {',
  '  if (@w[args->next_pid]) { printf("W %d %lld %lld\\n", args->next_pid, @w[args->next_pid], nsecs); }',
  '  else if (@o[args->next_pid]) { printf("P %d %lld %lld\\n", args->next_pid, @o[args->next_pid], nsecs); }',
  '  delete(@w[args->next_pid]); delete(@o[args->next_pid]); }',
  'END { clear(@w); clear(@o); }',
].join('\n');

/** What bpftrace prints once its probes are attached (the service's readiness line). */
export const WAKEUP_READY = 'Attaching';

/** bpftrace's argv: the fixed script above, output to a file the runner reads afterwards. */
export function buildWakeupCommand(outputPath: string): string[] {
  if (outputPath === '' || outputPath.startsWith('-')) throw new UserError(`bpftrace: outputPath must be a file path, got ${JSON.stringify(outputPath)}`);
  return ['bpftrace', '-o', outputPath, '-e', WAKEUP_SCRIPT];
}

/** Thread `tid` was runnable from fromNs and ran from switchNs (CLOCK_MONOTONIC ns). */
export interface WakeupEvent {
  /** wakeup: it had slept and was woken at wakeNs; preempted: it was switched out at wakeNs without sleeping. */
  kind: 'wakeup' | 'preempted';
  tid: number;
  wakeNs: number;
  switchNs: number;
}

// Matches one event line, e.g. "W 10088 3737064322219 3737064335875" (kind, tid, runnable-from ns, switch-in ns).
const EVENT_LINE = /^([WP]) (\d+) (\d+) (\d+)$/;

/** Parses the script's output; the "Attaching N probes..." line and blank lines are skipped. */
export function parseWakeupEvents(text: string, source = 'bpftrace output'): WakeupEvent[] {
  const events: WakeupEvent[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(WAKEUP_READY)) return;
    const m = EVENT_LINE.exec(line);
    if (!m) throw new UserError(`${source} line ${i + 1}: expected "W|P tid fromNs switchNs", got ${JSON.stringify(line.slice(0, 80))}`);
    const event: WakeupEvent = { kind: m[1] === 'W' ? 'wakeup' : 'preempted', tid: Number(m[2]), wakeNs: Number(m[3]), switchNs: Number(m[4]) };
    if (event.switchNs < event.wakeNs) throw new UserError(`${source} line ${i + 1}: switch-in ${event.switchNs} precedes the wake-up ${event.wakeNs}`);
    events.push(event);
  });
  return events;
}

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

/** A waiting-to-run interval on the records' clock: ns relative to the client's t0, like the records. */
export interface WakeupInterval {
  kind: WakeupEvent['kind'];
  fromNs: number;
  toNs: number;
}

/**
 * The events of one thread, moved onto the records' clock (monotonic + offset − t0). The offset
 * is exact to the two clock reads that bracket it (well under 1 µs).
 */
export function wakeupsOnRecordClock(events: readonly WakeupEvent[], thread: ThreadInfo, client: ThreadInfo): WakeupInterval[] {
  if (client.t0Ns === null) throw new UserError("thread-info of the client has no t0Ns: pass the client role's --thread-info file");
  const shift = BigInt(client.realtimeMinusMonotonicNs) - client.t0Ns;
  return events
    .filter((e) => e.tid === thread.tid)
    .map((e) => ({ kind: e.kind, fromNs: Number(BigInt(e.wakeNs) + shift), toNs: Number(BigInt(e.switchNs) + shift) }))
    .sort((a, b) => a.fromNs - b.fromNs);
}
