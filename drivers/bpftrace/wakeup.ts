// Wake-up latency of the probe's threads, measured by the scheduler's own tracepoints: for each
// bb-tsprobe thread, the time from sched_wakeup (made runnable, e.g. by a datagram arriving) to
// sched_switch onto a CPU. Facts from real runs (bpftrace 0.17, kernel 6.18; fixtures in
// test/fixtures/bpftrace/):
// - tracepoints need tracefs mounted at /sys/kernel/tracing; kprobes do not exist on this kernel.
// - bpftrace warns "couldn't set RLIMIT_MEMLOCK" on stderr and attaches anyway.
// - "Attaching 4 probes..." and then every printf line go to stdout, flushed line by line also
//   when stdout is a file (the runner's raw/<trial>-tracer.stdout), so it is the readiness sign.
// - nsecs is CLOCK_MONOTONIC; the probe's stamps are CLOCK_REALTIME, so joining needs the
//   probe's realtimeMinusMonotonicNs (its --thread-info file; the join: analysis/wakeup.ts).
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

/** bpftrace's argv: the fixed script above; nothing of it comes from input. */
export function buildWakeupCommand(): string[] {
  return ['bpftrace', '-e', WAKEUP_SCRIPT];
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
