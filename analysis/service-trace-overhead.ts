// What following a service with bpftrace costs the service (issue 15, item 5): the client-measured
// p50/p99 of the same service at the same rate with the tracer on and off, in pairs run back to
// back (ABBA order, so slow drift cancels), summarised as the geometric mean of the per-pair
// traced/untraced ratios with a percentile-bootstrap interval over pairs. Pure; the bench
// (bench/service-trace-overhead.ts) runs the trials.
import { quantile } from 'simple-statistics';
import { seededRandom } from './stats.js';

/** One pair: the same service, rate and size, tracer on and off, back to back. */
export interface OverheadPair {
  pair: number;
  traced: { trialId: string; p50Us: number; p99Us: number };
  untraced: { trialId: string; p50Us: number; p99Us: number };
}

export interface RatioSummary {
  /** Geometric mean of traced / untraced over pairs (1.03 = tracing adds 3 %). */
  ratio: number;
  /** Percentile-bootstrap interval of that geometric mean, resampling pairs. */
  ci: { level: number; low: number; high: number };
  /** Each pair's ratio, in pair order. */
  perPair: number[];
}

export interface TraceOverhead {
  pairs: number;
  p50: RatioSummary;
  p99: RatioSummary;
  /** The goal the issue sets for p99 (≤ 1.05×), and whether the interval's upper end meets it. */
  goalP99Ratio: number;
  meetsGoal: boolean;
  method: string;
}

const geomean = (xs: readonly number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

function summarise(ratios: number[], level: number, resamples: number, seed: number): RatioSummary {
  const random = seededRandom(seed);
  const means: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const sample = ratios.map(() => ratios[Math.floor(random() * ratios.length)]!);
    means.push(geomean(sample));
  }
  const tail = (1 - level) / 2;
  const [low, high] = quantile(means, [tail, 1 - tail]) as [number, number];
  return { ratio: geomean(ratios), ci: { level, low, high }, perPair: ratios };
}

export function traceOverhead(
  pairs: readonly OverheadPair[],
  options: { level?: number; resamples?: number; seed?: number; goalP99Ratio?: number } = {},
): TraceOverhead {
  if (pairs.length < 2) throw new Error(`trace overhead: ${pairs.length} complete pair(s); at least 2 are needed for an interval`);
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 1;
  const goalP99Ratio = options.goalP99Ratio ?? 1.05;
  const p50 = summarise(
    pairs.map((p) => p.traced.p50Us / p.untraced.p50Us),
    level,
    resamples,
    seed,
  );
  const p99 = summarise(
    pairs.map((p) => p.traced.p99Us / p.untraced.p99Us),
    level,
    resamples,
    seed + 1,
  );
  return {
    pairs: pairs.length,
    p50,
    p99,
    goalP99Ratio,
    meetsGoal: p99.ci.high <= goalP99Ratio,
    method: `geometric mean of per-pair traced/untraced ratios; ${Math.round(level * 100)} % percentile bootstrap over pairs (${resamples} resamples, seed ${seed})`,
  };
}
