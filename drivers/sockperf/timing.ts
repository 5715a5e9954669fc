// sockperf's own timeline, from its source (sockperf 3.7–3.10, src/client.cpp and src/defs.h), as
// seen here with strace: sleep 100 ms at start; send a few warm-up messages; sleep(2) — fixed, no
// option changes it; print "Starting test..." and run -t whole seconds; count only from 400 ms
// after the first message (TEST_START_WARMUP_MSEC) to 50 ms before the last (TEST_END_COOLDOWN_MSEC);
// sleep 100 ms; exit. So a client lives about 2.2 s longer than -t and counts 0.45 s less.
import type { MeasuredWindow } from '../types.js';

/** The warm-up sockperf discards at the start of every timed run (fixed in its source). */
export const SOCKPERF_WARMUP_S = 0.4;
/** The end of every timed run sockperf discards (fixed in its source). */
export const SOCKPERF_COOLDOWN_S = 0.05;
/** The line sockperf prints when its timed run begins. */
export const SOCKPERF_START_MARKER = 'Starting test...';

/**
 * The -t that makes sockperf count at least `measuredS` seconds (it takes whole seconds only), and
 * when it counts: from its warm-up's end to the start of its cool-down.
 */
export function sockperfClientTiming(measuredS: number): { runS: number; window: MeasuredWindow } {
  // The 1e-9 keeps 1.55 → 2, not 3, after floating-point addition.
  const runS = Math.max(1, Math.ceil(measuredS + SOCKPERF_WARMUP_S + SOCKPERF_COOLDOWN_S - 1e-9));
  return {
    runS,
    window: {
      startMarker: SOCKPERF_START_MARKER,
      offsetS: SOCKPERF_WARMUP_S,
      lengthS: Math.round((runS - SOCKPERF_WARMUP_S - SOCKPERF_COOLDOWN_S) * 1000) / 1000,
    },
  };
}
