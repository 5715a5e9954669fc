// The gc observer itself, shared by the preload (gc-observer.cjs) and the one installed in a running
// process over its inspector (inspector-gc.mjs sends this function's source, so it must stay
// self-contained: built-in modules through process.getBuiltinModule, Node ≥ 20.16).
// It writes one JSON line per V8 collection into `file`; the first line aligns the clocks:
// performance.now() is milliseconds since timeOrigin on the monotonic clock, process.hrtime.bigint()
// is CLOCK_MONOTONIC in ns (bpftrace's nsecs), so originMonoNs = hrtime − now × 1e6.
'use strict';

/** Starts observing; `installedBy` marks the origin line (absent for the preload). Returns the observer and the file's fd. */
function installGcObserver(file, installedBy) {
  // process.getBuiltinModule: Node ≥ 20.16 (the only way in from the inspector); an older preload has require.
  const load = typeof process.getBuiltinModule === 'function' ? (m) => process.getBuiltinModule(m) : require;
  const { PerformanceObserver, performance, constants } = load('node:perf_hooks');
  const fs = load('node:fs');
  const fd = fs.openSync(file, 'w');
  const nowMs = performance.now();
  const mono = process.hrtime.bigint();
  fs.writeSync(fd, JSON.stringify({ clock: 'monotonic', originMonoNs: String(mono - BigInt(Math.round(nowMs * 1e6))), pid: process.pid, installedBy }) + '\n');
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const forced = Boolean((e.detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED);
      fs.writeSync(fd, JSON.stringify({ gc: kinds[e.detail?.kind] ?? 'unknown', startMs: e.startTime, durationMs: e.duration, forced }) + '\n');
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return { obs, fd };
}

module.exports = { installGcObserver };
