// Tests that are valid at the handful of repetitions a benchmark can afford.
//
// The rank-sum permutation test (Wilcoxon–Mann–Whitney) on per-repetition values asks: if both
// sets of repetitions came from the same distribution, how often would relabelling them give a
// rank sum at least as far from its expectation as the one measured? It assumes nothing about the
// distribution (latency percentiles are skewed and heavy-tailed), one outlier repetition cannot
// dominate it, and it is exact: the distribution of the rank sum over every relabelling is counted,
// not approximated. Its smallest possible p-value is 2 / C(nA + nB, nA) two-sided: 0.1 with 3
// repetitions per side, 0.0079 with 5 — so at n = 3 no difference can be significant at α = 0.05,
// which is the honest answer, not a defect.
//
// Many groups (path × size × rate × metric) are tested at once; the Benjamini–Hochberg procedure
// keeps the expected share of false discoveries among the flagged ones at α.
import { gammaln } from 'simple-statistics';
import type { ShiftTest } from '../core/verdict.js';

export interface PermutationTest {
  /** Two-sided p-value: share of relabellings whose rank sum is at least as extreme. */
  pValue: number;
  /** Relabellings the p-value counts (all of them: C(nA + nB, nA)). */
  permutations: number;
  /** Always true: the rank-sum distribution is counted exactly. */
  exact: true;
  /** The smallest p-value a test of these sample sizes can give (two fully separated samples, no ties). */
  minPValue: number;
}

/** Ranks 1..n of the pooled values, ties sharing their mean rank, doubled so they are integers. */
function doubledRanks(pooled: readonly number[]): number[] {
  const order = pooled.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(pooled.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    // positions start..end (0-based) hold equal values: each gets the mean of ranks start+1..end+1
    for (let j = start; j <= end; j++) ranks[order[j]!.i] = start + end + 2;
    start = end + 1;
  }
  return ranks;
}

/**
 * ways[k][s]: how many subsets of size k of the items have doubled-rank sum s (exact counts, as
 * floating point: C(40, 20) ≈ 1.4e11 is still exact in a double).
 */
function rankSumCounts(ranks: readonly number[], k: number): number[] {
  const maxSum = ranks.reduce((a, r) => a + r, 0);
  let ways: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(maxSum + 1).fill(0));
  ways[0]![0] = 1;
  for (const r of ranks) {
    const next = ways.map((row) => row.slice());
    for (let size = 1; size <= k; size++) {
      const from = ways[size - 1]!;
      const to = next[size]!;
      for (let sum = r; sum <= maxSum; sum++) if (from[sum - r]) to[sum]! += from[sum - r]!;
    }
    ways = next;
  }
  return ways[k]!;
}

/** Two-sided exact rank-sum permutation test of a against b. */
export function permutationTest(a: readonly number[], b: readonly number[]): PermutationTest | null {
  if (a.length < 1 || b.length < 1 || a.length + b.length < 3 || a.length + b.length > 200) return null;
  const pooled = [...a, ...b];
  const ranks = doubledRanks(pooled);
  const counts = rankSumCounts(ranks, a.length);
  const total = counts.reduce((x, c) => x + c, 0);
  const expected = (a.length * ranks.reduce((x, r) => x + r, 0)) / pooled.length;
  const observed = Math.abs(ranks.slice(0, a.length).reduce((x, r) => x + r, 0) - expected);
  let extreme = 0;
  counts.forEach((c, sum) => {
    if (c && Math.abs(sum - expected) >= observed - 1e-9) extreme += c;
  });
  return { pValue: Math.min(1, extreme / total), permutations: total, exact: true, minPValue: Math.min(1, 2 / total) };
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values), in the input order: a test is a discovery at
 * false-discovery rate α when its adjusted value is ≤ α.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

// ── The rule's check 4: is bypass p99 lower beyond the noise between repetitions? ─────────────
//
// At the 3–5 repetitions a benchmark affords, the exact rank-sum test above cannot reach
// α = 0.05 one-sided below 3 per side and reaches exactly 0.05 at 3 — so any correction over
// several size × rate cells would make a win impossible at n = 3. The rule therefore uses
// Welch's t-test on the log of each repetition's p99: a test of the p99 ratio that is valid at
// n ≥ 2 per side when log p99 over repetitions is roughly normal (p99s of repeated trials are
// right-skewed, and their logs much less so), with no equal-variance assumption. Its false-positive
// rate and power are measured on seeded data in test/analysis/significance.test.ts.

/** Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betacf). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-14) break;
  }
  return (front * h) / a;
}

/** P(T ≤ t) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  const tail = incompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p, by bisection (monotone CDF; 1e-10 is far below any use here). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  let lo = -1e6;
  let hi = 1e6;
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) };
}

/**
 * One-sided Welch t-test on log values: is `bypass` lower than `kernel`? null when a side has
 * fewer than 2 values or a value ≤ 0 (a log needs positive latencies). qValue is left null for the
 * caller's correction over the verdict set.
 */
export function shiftTest(kernel: readonly number[], bypass: readonly number[], alpha = 0.05): ShiftTest | null {
  if (kernel.length < 2 || bypass.length < 2 || [...kernel, ...bypass].some((v) => !(v > 0) || !Number.isFinite(v))) return null;
  const k = meanVar(kernel.map(Math.log));
  const b = meanVar(bypass.map(Math.log));
  const vk = k.variance / kernel.length;
  const vb = b.variance / bypass.length;
  const diff = b.mean - k.mean;
  const se = Math.sqrt(vk + vb);
  const ratio = Math.exp(diff);
  const level = 1 - 2 * alpha;
  const what = `${Math.round(level * 100)} % Welch t confidence interval of the geometric-mean p99 ratio bypass / kernel, over repetitions (not corrected for the other cells)`;
  const base = {
    method: 'welch-t-log' as const,
    alternative: 'less' as const,
    kernelN: kernel.length,
    bypassN: bypass.length,
    qValue: null,
    comparisons: 1,
    alpha,
    ratio,
  };
  if (se === 0) {
    // Every repetition identical on both sides: no noise, so any difference is beyond it.
    return { ...base, df: kernel.length + bypass.length - 2, pValue: diff < 0 ? 0 : 1, ci: { level, low: ratio, high: ratio, what } };
  }
  const df = (vk + vb) ** 2 / (vk ** 2 / (kernel.length - 1) + vb ** 2 / (bypass.length - 1));
  const pValue = studentTCdf(diff / se, df);
  const q = studentTQuantile(1 - alpha, df);
  return { ...base, df, pValue, ci: { level, low: Math.exp(diff - q * se), high: Math.exp(diff + q * se), what } };
}
