// What tracing cost each traced service of the run (issue 15 item 5), recorded in the run: after
// the grid, for each `service` path entry traced with bpftrace (suite option traceOverhead), ABBA
// rounds of short trials at one cell — traced, untraced, untraced, traced — each round two
// traced/untraced pairs, so slow drift of the machine cancels. run.json's traceOverhead[label]
// keeps the ratios (analysis/service-trace-overhead.ts); the trials go to trace-overhead.jsonl,
// not trials.jsonl: they are not grid trials and no statistic or verdict uses them.
// Few pairs give a wide interval (2 pairs: little more than their range); the careful measurement
// is bench/service-trace-overhead.ts.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceOverhead, type OverheadPair } from '../analysis/service-trace-overhead.js';
import type { ServiceTraceOverhead } from '../core/trace-overhead.js';
import type { TrialRecord } from '../core/trial.js';
import type { PlannedTrial } from '../suites/plan.js';
import type { OpenRun } from './open-run.js';
import type { PathBlocks } from './path-blocks.js';
import { unavailableReason } from './trial.js';

export const TRACE_OVERHEAD_FILE = 'trace-overhead.jsonl';

/** What attaching the tracer takes a traced trial (2.3–3.4 s measured), given to the untraced side. */
const UNTRACED_SETTLE_S = 3;

/** Replies a trial needs for a p99. */
const P99_MIN_REPLIES = 1000;

/** The settings a suite gives (suites/schema.ts traceOverhead). */
export interface TraceOverheadSettings {
  pairs: number;
  paths?: string[] | undefined;
  durationS?: number | undefined;
  /** How long an untraced pair trial leaves its service alone before the load, s (paths/service.ts settleS). */
  untracedSettleS?: number | undefined;
}

/**
 * The cell the pairs run at: the suite's first size, the lowest of the entry's rates at which a
 * trial of durationS gives a p99 (≥ 1000 replies); if none does, the highest rate, long enough for one.
 */
export function overheadCell(rates: readonly number[], durationS: number): { offeredPps: number; durationS: number } | null {
  const sorted = [...new Set(rates)].filter((r) => r > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const enough = sorted.find((r) => r * durationS >= P99_MIN_REPLIES);
  if (enough !== undefined) return { offeredPps: enough, durationS };
  const top = sorted[sorted.length - 1]!;
  return { offeredPps: top, durationS: Math.ceil((1.1 * P99_MIN_REPLIES) / top) };
}

/** The service entries to measure: traced (`trace: on`), started by the run (not --pid), not crashing on purpose. */
export function tracedServiceEntries(run: Pick<OpenRun, 'loaded' | 'plan'>, settings: TraceOverheadSettings): number[] {
  const out: number[] = [];
  run.loaded.suite.paths.forEach((entry, i) => {
    const o = run.loaded.pathOptions[i] as { trace?: string; pid?: number; crashAfter?: number } | undefined;
    if (entry.path !== 'service' || o?.trace !== 'on' || o.pid !== undefined || (o.crashAfter ?? 0) > 0) return;
    if (settings.paths && !settings.paths.includes(entry.label ?? entry.path)) return;
    if (!run.plan.some((p) => p.pathIndex === i)) return;
    out.push(i);
  });
  return out;
}

const side = (t: TrialRecord) =>
  t.status === 'ok' && t.latencyUs?.p50 != null && t.latencyUs.p99 != null ? { trialId: t.trialId, p50Us: t.latencyUs.p50, p99Us: t.latencyUs.p99 } : null;

/** Summarises the pairs' trials (traced[k] with untraced[k]) as run.json records them. */
export function summariseOverhead(
  cell: { pathLabel: string; msgSizeBytes: number; offeredPps: number; durationS: number; pairsPlanned: number; wallS: number },
  trials: { traced: TrialRecord; untraced: TrialRecord }[],
): ServiceTraceOverhead {
  const complete: OverheadPair[] = [];
  trials.forEach((p, i) => {
    const traced = side(p.traced);
    const untraced = side(p.untraced);
    if (traced && untraced) complete.push({ pair: i + 1, traced, untraced });
  });
  const base = {
    ...cell,
    pairs: complete.length,
    trialIds: trials.flatMap((p) => [p.traced.trialId, p.untraced.trialId]),
  };
  const method = 'ABBA rounds (traced, untraced, untraced, traced) at one cell after the grid; geometric mean of per-pair traced/untraced ratios';
  if (complete.length < 2) {
    return {
      ...base,
      p50Ratio: null,
      p99Ratio: null,
      interval: null,
      perPair: { p50: [], p99: [] },
      reason: `${complete.length} of ${cell.pairsPlanned} pairs complete (both sides ok with a p99): at least 2 are needed`,
      method,
    };
  }
  const o = traceOverhead(complete);
  return {
    ...base,
    p50Ratio: o.p50.ratio,
    p99Ratio: o.p99.ratio,
    interval: { level: o.p50.ci.level, p50: [o.p50.ci.low, o.p50.ci.high], p99: [o.p99.ci.low, o.p99.ci.high] },
    perPair: { p50: o.p50.perPair, p99: o.p99.perPair },
    method: `${method}; ${o.method}`,
  };
}

/** Runs the pairs of every traced service entry; writes trace-overhead.jsonl and run.json's traceOverhead. */
export async function runTraceOverheadPhase(run: OpenRun, blocks: PathBlocks, settings: TraceOverheadSettings): Promise<void> {
  const { suite } = run.loaded;
  const file = join(run.folder.dir, TRACE_OVERHEAD_FILE);
  const results: Record<string, ServiceTraceOverhead> = {};
  // Indices past the plan and the searches' (they decide the trials' ports).
  let index = run.plan.length + 5000;
  for (const pathIndex of tracedServiceEntries(run, settings)) {
    if (run.signal.aborted) break;
    const msgSizeBytes = suite.sizes[0]!;
    const template = run.plan.find((p) => p.pathIndex === pathIndex && p.msgSizeBytes === msgSizeBytes);
    const rates = run.plan.filter((p) => p.pathIndex === pathIndex).map((p) => p.offeredPps ?? 0);
    const cell = overheadCell(rates, settings.durationS ?? suite.durationS);
    if (!template || !cell) continue;
    if (unavailableReason(template, run.host)) continue;
    const started = performance.now();
    const pairs: { traced: TrialRecord; untraced: TrialRecord }[] = [];
    let stopped = false;
    for (let round = 1; round <= settings.pairs / 2 && !stopped; round++) {
      const got: Record<string, TrialRecord> = {};
      for (const [k, trace] of [
        ['a', 'on'],
        ['a', 'off'],
        ['b', 'off'],
        ['b', 'on'],
      ] as const) {
        const planned: PlannedTrial = {
          ...template,
          index: index++,
          trialId: `o${String(pathIndex + 1).padStart(2, '0')}-${round}${k}-${trace === 'on' ? 'traced' : 'untraced'}`,
          options: { ...(template.options as object), trace, ...(trace === 'off' ? { settleS: settings.untracedSettleS ?? UNTRACED_SETTLE_S } : {}) },
          offeredPps: cell.offeredPps,
          repetition: round,
        };
        const record = await blocks.runTrial(planned, 'grid', cell.durationS, 0);
        if (!record) {
          stopped = true;
          break;
        }
        appendFileSync(file, JSON.stringify({ ...record, traceOverheadPair: { round, pair: k, trace } }) + '\n');
        got[`${k}-${trace}`] = record;
      }
      for (const k of ['a', 'b']) {
        const traced = got[`${k}-on`];
        const untraced = got[`${k}-off`];
        if (traced && untraced) pairs.push({ traced, untraced });
      }
    }
    if (stopped) break;
    const label = template.pathLabel;
    results[label] = summariseOverhead(
      {
        pathLabel: label,
        msgSizeBytes,
        offeredPps: cell.offeredPps,
        durationS: cell.durationS,
        pairsPlanned: settings.pairs,
        wallS: (performance.now() - started) / 1000,
      },
      pairs,
    );
  }
  if (Object.keys(results).length === 0) return;
  run.meta.traceOverhead = results;
  run.folder.writeMeta(run.meta);
}
