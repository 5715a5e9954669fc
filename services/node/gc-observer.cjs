// Preloaded into an unmodified Node.js service (node --require THIS service.mjs) to record V8's
// own garbage-collection pauses with a PerformanceObserver (gc-observer-install.cjs), one JSON line
// per collection, in the file named by BYPASSBENCH_GC_LOG.
'use strict';
const { installGcObserver } = require('./gc-observer-install.cjs');

const file = process.env.BYPASSBENCH_GC_LOG;
if (file) installGcObserver(file, undefined).obs.unref?.();
