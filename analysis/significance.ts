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
