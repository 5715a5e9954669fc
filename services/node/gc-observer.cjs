// Preloaded into an unmodified Node.js service (node --require THIS service.mjs) to record V8's
// own garbage-collection pauses with a PerformanceObserver, one JSON line per collection, in the
// file named by BYPASSBENCH_GC_LOG. The first line aligns the clocks: performance.now() is
// milliseconds since timeOrigin on the monotonic clock, process.hrtime.bigint() is
// CLOCK_MONOTONIC in ns (bpftrace's nsecs), so originMonoNs = hrtime − now × 1e6.
'use strict';
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
const fs = require('node:fs');

const file = process.env.BYPASSBENCH_GC_LOG;
if (file) {
  const fd = fs.openSync(file, 'w');
  const nowMs = performance.now();
  const mono = process.hrtime.bigint();
  fs.writeSync(fd, JSON.stringify({ clock: 'monotonic', originMonoNs: String(mono - BigInt(Math.round(nowMs * 1e6))), pid: process.pid }) + '\n');
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[e.detail?.kind] ?? 'unknown';
      fs.writeSync(
        fd,
        JSON.stringify({
          gc: kind,
          startMs: e.startTime,
          durationMs: e.duration,
          forced: Boolean((e.detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED),
        }) + '\n',
      );
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  obs.unref?.();
}
