// Stop-the-world pauses as the runtime itself logs them, on the trace clock (CLOCK_MONOTONIC ns,
// bpftrace's nsecs), so analysis/service-attribution.ts can charge them to the requests they
// overlapped. Clock alignment, by runtime:
// - JVM unified logging with the decorators `timenanos,uptimenanos`: timenanos is
//   os::javaTimeNanos(), which is clock_gettime(CLOCK_MONOTONIC) on Linux — the trace clock
//   itself; timenanos − uptimenanos on any line is the JVM's start on that clock.
// - Node.js: services/node/gc-observer.cjs (preloaded) writes a first line with the
//   performance-timeline origin on CLOCK_MONOTONIC (process.hrtime.bigint() − performance.now()),
//   then one line per V8 collection with its start (ms since that origin) and duration.
import { UserError } from '../../core/errors.js';

export interface RuntimePause {
  startNs: number;
  durationNs: number;
  /** What the runtime called it: a safepoint's VM operation (G1CollectForAllocation …) or V8's GC kind. */
  cause: string;
}

export interface RuntimePauses {
  runtime: 'jvm' | 'node';
  /** Where the pauses come from, e.g. "JVM -Xlog:safepoint". */
  source: string;
  /** The runtime's start on the trace clock (CLOCK_MONOTONIC ns), when the log gives it. */
  startNs: number | null;
  pauses: RuntimePause[];
  /** Collections the log reports (the JVM's gc lines; every Node entry). */
  collections: number;
}

// A safepoint line, e.g.
// [10939237048589ns][452854189ns][info][safepoint      ] Safepoint "G1CollectFull", Time since last: 380324891 ns, Reaching safepoint: 8724 ns, Cleanup: 25769 ns, At safepoint: 8598985 ns, Total: 8633478 ns
const JVM_SAFEPOINT = /^\[(\d+)ns\]\[(\d+)ns\]\[\w+\s*\]\[safepoint\s*\] Safepoint "([^"]+)",.* Total: (\d+) ns/;
// Any line's two leading decorators, e.g. "[10939228481190ns][444286827ns][info][gc,start    ] ...".
const JVM_DECORATORS = /^\[(\d+)ns\]\[(\d+)ns\]/;
// A collection's end line, e.g. "[...][info][gc             ] GC(0) Pause Full (System.gc()) 1M->1M(10M) 8.561ms".
const JVM_GC_END = /\]\[gc\s*\] GC\(\d+\) .* [\d.]+ms$/;

/** Parses a JVM log written with -Xlog:gc*,safepoint:file=F:timenanos,uptimenanos,level,tags. */
export function parseJvmLog(text: string, source = 'JVM log'): RuntimePauses {
  const out: RuntimePauses = { runtime: 'jvm', source: 'JVM -Xlog:safepoint (timenanos = CLOCK_MONOTONIC)', startNs: null, pauses: [], collections: 0 };
  let decorated = 0;
  text.split('\n').forEach((line) => {
    const d = JVM_DECORATORS.exec(line);
    if (!d) return;
    decorated++;
    out.startNs ??= Number(d[1]) - Number(d[2]);
    if (JVM_GC_END.test(line)) out.collections++;
    const m = JVM_SAFEPOINT.exec(line);
    if (!m) return;
    const endNs = Number(m[1]);
    const durationNs = Number(m[4]);
    out.pauses.push({ startNs: endNs - durationNs, durationNs, cause: m[3]! });
  });
  if (decorated === 0 && text.trim() !== '') {
    throw new UserError(
      `${source}: no line starts with [timenanos][uptimenanos]; start the JVM with -Xlog:gc*,safepoint:file=F:timenanos,uptimenanos,level,tags`,
    );
  }
  return out;
}

interface NodeOrigin {
  clock: string;
  originMonoNs: string;
}
interface NodeGcLine {
  gc: string;
  startMs: number;
  durationMs: number;
  forced?: boolean;
}

/** Parses services/node/gc-observer.cjs's output (JSON lines). */
export function parseNodeGcLog(text: string, source = 'Node GC log'): RuntimePauses {
  const out: RuntimePauses = { runtime: 'node', source: 'V8 gc performance entries (gc-observer.cjs preload)', startNs: null, pauses: [], collections: 0 };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new UserError(`${source} line ${i + 1}: not JSON: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const o = v as Partial<NodeOrigin & NodeGcLine>;
    if (i === 0) {
      if (o.clock !== 'monotonic' || typeof o.originMonoNs !== 'string' || !/^\d+$/.test(o.originMonoNs)) {
        throw new UserError(`${source} line 1: expected {"clock":"monotonic","originMonoNs":"<digits>"}, got ${JSON.stringify(line.slice(0, 80))}`);
      }
      out.startNs = Number(o.originMonoNs);
      // The same observer, installed in a running process over its inspector (attribute --pid).
      if ((o as { installedBy?: unknown }).installedBy === 'inspector') out.source = 'V8 gc performance entries (observer installed over the inspector)';
      return;
    }
    if (typeof o.startMs !== 'number' || typeof o.durationMs !== 'number' || o.durationMs < 0 || typeof o.gc !== 'string') {
      throw new UserError(`${source} line ${i + 1}: expected {"gc","startMs","durationMs"} with durationMs ≥ 0, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    out.collections++;
    out.pauses.push({
      startNs: out.startNs! + Math.round(o.startMs * 1e6),
      durationNs: Math.round(o.durationMs * 1e6),
      cause: `${o.gc}${o.forced ? ' (forced)' : ''}`,
    });
  });
  out.pauses.sort((a, b) => a.startNs - b.startNs);
  return out;
}
