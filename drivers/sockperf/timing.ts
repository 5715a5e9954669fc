// sockperf's own timeline, from its source (sockperf 3.7–3.10, src/client.cpp and src/defs.h), as
// seen here with strace: sleep 100 ms at start; print "Warmup stage" (its warm-up messages go to
// multicast groups only); sleep(2) — fixed, no option changes it; print "Starting test..." and run
// -t whole seconds; count only from 400 ms after the first message (TEST_START_WARMUP_MSEC) to
// 50 ms before the last (TEST_END_COOLDOWN_MSEC); sleep 100 ms; exit. So a client lives about 2.2 s longer than -t and counts 0.45 s less.
// Over UDP nothing is sent before "Starting test...": the runner uses the sleep (quietLead below).
import type { MeasuredWindow } from '../types.js';

/** The warm-up sockperf discards at the start of every timed run (fixed in its source). */
export const SOCKPERF_WARMUP_S = 0.4;
/** The end of every timed run sockperf discards (fixed in its source). */
export const SOCKPERF_COOLDOWN_S = 0.05;
/** The line sockperf prints when its timed run begins. */
export const SOCKPERF_START_MARKER = 'Starting test...';
/**
 * The line sockperf prints right before its fixed sleep(2). Over UDP it has sent nothing by then
 * (the warm-up messages go to multicast groups only; strace of a unicast UDP client: no sendto
 * before "Starting test..."), and it never connects, so its server need only be up by the end of
 * the sleep. Over TCP it connects before the sleep: the server must be up before the client starts.
 */
export const SOCKPERF_LEAD_MARKER = 'Warmup stage';
/** sockperf's fixed sleep after the lead marker, s (sleep(2) in client.cpp, no option changes it). */
export const SOCKPERF_LEAD_SLEEP_S = 2;

/**
 * The -t that makes sockperf count at least `measuredS` seconds (it takes whole seconds only), and
 * when it counts: from its warm-up's end to the start of its cool-down. `quietLead` (UDP clients
 * only, see SOCKPERF_LEAD_MARKER) also declares the 2 s sleep before its traffic, in which the
 * runner starts the services and takes the idle CPU baseline (runners/trial.ts).
 */
export function sockperfClientTiming(measuredS: number, opts: { quietLead?: boolean } = {}): { runS: number; window: MeasuredWindow } {
  // The 1e-9 keeps 1.55 → 2, not 3, after floating-point addition.
  const runS = Math.max(1, Math.ceil(measuredS + SOCKPERF_WARMUP_S + SOCKPERF_COOLDOWN_S - 1e-9));
  return {
    runS,
    window: {
      startMarker: SOCKPERF_START_MARKER,
      offsetS: SOCKPERF_WARMUP_S,
      lengthS: Math.round((runS - SOCKPERF_WARMUP_S - SOCKPERF_COOLDOWN_S) * 1000) / 1000,
      ...(opts.quietLead ? { quietLead: { marker: SOCKPERF_LEAD_MARKER, sleepS: SOCKPERF_LEAD_SLEEP_S } } : {}),
    },
  };
}
