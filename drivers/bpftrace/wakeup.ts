// Wake-up latency of the probe's threads, measured by the scheduler's own tracepoints: for each
// bb-tsprobe thread, the time from sched_wakeup (made runnable, e.g. by a datagram arriving) to
// sched_switch onto a CPU. Facts from real runs (bpftrace 0.17, kernel 6.18; fixtures in
// test/fixtures/bpftrace/):
// - tracepoints need tracefs mounted at /sys/kernel/tracing; kprobes do not exist on this kernel.
// - bpftrace warns "couldn't set RLIMIT_MEMLOCK" on stderr and attaches anyway.
// - "Attaching 4 probes..." goes to stdout first (the readiness sign); maps left non-empty are
//   printed to stdout when bpftrace stops (SIGINT), "@e[1, 3976, 5223053926066]: 5223053930614".
// - A printf per event made bpftrace's reader wake up once per event (the perf buffer wakes its
//   reader per sample), two extra wake-ups per request on the probe's CPUs: the probe's p50 rose
//   1.6× at 10 kpps. So the events stay in a BPF map, printed once when the trial ends.
// - The map holds BPFTRACE_MAP_KEYS_MAX entries (default 4096), preallocated: sized per trial.
// - nsecs is CLOCK_MONOTONIC; the probe's stamps are CLOCK_REALTIME, so joining needs the
//   probe's realtimeMinusMonotonicNs (its --thread-info file; the join: analysis/wakeup.ts).
// - /proc/<tid>/schedstat's run_delay is NOT a substitute here: on this kernel it stayed 0 for
//   most wake-ups that these tracepoints measured at 2–8 µs.
import { UserError } from '../../core/errors.js';

/**
 * Every stretch a bb-tsprobe thread spent runnable but not running, ending at its switch-in, as a
 * map entry @e[kind, tid, fromNs] = switchNs: kind 1 after a wake-up (it had slept), 0 after a
 * switch-out without sleeping (preempted; a spinning thread only ever waits this way). A wake-up
 * is cleared when its thread switches out, so one that hit a still-running thread never pairs
 * later. @n counts the entries written, so a full map (lost entries) is detected.
 */
export const WAKEUP_SCRIPT = [
  'tracepoint:sched:sched_wakeup /strncmp(args->comm, "bb-tsprobe", 10) == 0/ { @w[args->pid] = nsecs; }',
  'tracepoint:sched:sched_switch /strncmp(args->prev_comm, "bb-tsprobe", 10) == 0/ { delete(@w[args->prev_pid]); @o[args->prev_pid] = nsecs; }',
  'tracepoint:sched:sched_switch /strncmp(args->next_comm, "bb-tsprobe", 10) == 0/ {',
  '  if (@w[args->next_pid]) { @e[1, args->next_pid, @w[args->next_pid]] = nsecs; @n = count(); }',
  '  else if (@o[args->next_pid]) { @e[0, args->next_pid, @o[args->next_pid]] = nsecs; @n = count(); }',
  '  delete(@w[args->next_pid]); delete(@o[args->next_pid]); }',
  'END { clear(@w); clear(@o); }',
].join('\n');

/** What bpftrace prints once its probes are attached (the service's readiness line). */
export const WAKEUP_READY = 'Attaching';

/** Map entries when the caller gives no estimate: the default 2 s of 10 kpps, both threads woken per request, twice over. */
export const WAKEUP_MAP_ENTRIES_DEFAULT = 100_000;

/**
 * bpftrace's argv: the fixed script above, run through env to size its maps; nothing of it comes
 * from input but the entry count, a positive integer.
 */
export function buildWakeupCommand(mapEntries: number = WAKEUP_MAP_ENTRIES_DEFAULT): string[] {
  if (!(Number.isInteger(mapEntries) && mapEntries > 0)) throw new Error(`bpftrace map entries must be a positive integer, got ${mapEntries}`);
  return ['env', `BPFTRACE_MAP_KEYS_MAX=${mapEntries}`, 'bpftrace', '-e', WAKEUP_SCRIPT];
}

/**
 * Entries to allocate for a trial: every request wakes each probe thread on its way (client,
 * server and each relay twice), plus preemptions; doubled for headroom.
 */
export function wakeupMapEntries(offeredPps: number, durationS: number, relays = 0): number {
  const requests = Math.ceil(offeredPps * (durationS + 1));
  return Math.max(WAKEUP_MAP_ENTRIES_DEFAULT, 2 * requests * (2 + 2 * relays) + 10_000);
}

/** Thread `tid` was runnable from fromNs and ran from switchNs (CLOCK_MONOTONIC ns). */
export interface WakeupEvent {
  /** wakeup: it had slept and was woken at wakeNs; preempted: it was switched out at wakeNs without sleeping. */
  kind: 'wakeup' | 'preempted';
  tid: number;
  wakeNs: number;
  switchNs: number;
}

// Matches one map entry, e.g. "@e[1, 3976, 5223053926066]: 5223053930614" (kind, tid, runnable-from ns; value: switch-in ns).
const EVENT_LINE = /^@e\[([01]), (\d+), (\d+)\]: (\d+)$/;
// Matches the entry count, e.g. "@n: 2024".
const COUNT_LINE = /^@n: (\d+)$/;

/**
 * Parses the tracer's stdout: the "Attaching N probes..." line, then the map dump printed when it
 * stopped. No dump (the tracer was killed) or fewer entries than it wrote (the map was full) is an
 * error naming the file, not a trace with missing waits.
 */
export function parseWakeupEvents(text: string, source = 'bpftrace output'): WakeupEvent[] {
  const events: WakeupEvent[] = [];
  // Assigned inside the callback below: the annotation keeps TypeScript from narrowing it to null.
  let written = null as number | null;
  let attached = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith(WAKEUP_READY)) {
      attached = true;
      return;
    }
    const count = COUNT_LINE.exec(line);
    if (count) {
      written = Number(count[1]);
      return;
    }
    const m = EVENT_LINE.exec(line);
    if (!m) throw new UserError(`${source} line ${i + 1}: expected "@e[kind, tid, fromNs]: switchNs" or "@n: count", got ${JSON.stringify(line.slice(0, 80))}`);
    const event: WakeupEvent = { kind: m[1] === '1' ? 'wakeup' : 'preempted', tid: Number(m[2]), wakeNs: Number(m[3]), switchNs: Number(m[4]) };
    if (event.switchNs < event.wakeNs) throw new UserError(`${source} line ${i + 1}: switch-in ${event.switchNs} precedes the wake-up ${event.wakeNs}`);
    events.push(event);
  });
  if (!attached) throw new UserError(`${source}: no "Attaching N probes" line: bpftrace never attached`);
  // Nothing waited at all: bpftrace prints no empty map, so neither line appears.
  if (written === null && events.length > 0) throw new UserError(`${source}: entries without the "@n: count" line: the dump is incomplete`);
  if (written !== null && events.length < written) {
    throw new UserError(
      `${source}: ${written - events.length} of ${written} wake-up entries were lost (the map was full): raise the tracer's map size (wakeupMapEntries)`,
    );
  }
  return events.sort((a, b) => a.wakeNs - b.wakeNs);
}
