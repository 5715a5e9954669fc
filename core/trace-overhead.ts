// What following a service with the tracer cost it in this run (run.json's traceOverhead, one per
// service path entry): the client-measured p50/p99 with the tracer on over off, from ABBA pairs
// of short trials at one cell, run after the grid (runners/trace-overhead-phase.ts).

export interface ServiceTraceOverhead {
  pathLabel: string;
  msgSizeBytes: number;
  offeredPps: number;
  /** Seconds each trial of a pair measured. */
  durationS: number;
  /** Complete pairs (both sides ok with a p99); pairsPlanned − pairs were dropped. */
  pairs: number;
  pairsPlanned: number;
  /** Geometric mean of the per-pair traced/untraced ratios (1.03 = tracing added 3 %); null: fewer than 2 pairs. */
  p50Ratio: number | null;
  p99Ratio: number | null;
  /** Percentile-bootstrap interval of those means over pairs; with 2 pairs it is little more than their range. */
  interval: { level: number; p50: [number, number]; p99: [number, number] } | null;
  /** Each pair's traced/untraced ratio, in pair order. */
  perPair: { p50: number[]; p99: number[] };
  /** Trial ids of the pairs' trials, in trace-overhead.jsonl (not in trials.jsonl: they are not grid trials). */
  trialIds: string[];
  /** Wall time the pairs took, seconds (what recording the overhead cost the run). */
  wallS: number;
  /** Why there is no ratio (fewer than 2 complete pairs); absent when there is one. */
  reason?: string;
  method: string;
}
