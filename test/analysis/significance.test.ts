// The permutation test and the false-discovery adjustment on seeded synthetic data with known
// answers: how often they flag a difference that is not there (≈ α), and how often they find one
// that is (power).
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, permutationTest } from '../../analysis/significance.js';
import { seededRandom } from '../../analysis/stats.js';

/** n log-normal-ish latencies around `center` (heavy right tail, like p99s on a shared VM). */
function sample(random: () => number, n: number, center: number): number[] {
  return Array.from({ length: n }, () => center * Math.exp(0.3 * (random() + random() + random() - 1.5)));
}

describe('permutationTest', () => {
  it('is exact at small n, with the smallest p-value the sizes allow', () => {
    const t = permutationTest([1, 2, 3], [10, 11, 12])!;
    expect(t.exact).toBe(true);
    expect(t.permutations).toBe(20);
    expect(t.pValue).toBeCloseTo(0.1, 10);
    expect(t.minPValue).toBeCloseTo(0.1, 10);
    expect(permutationTest([1, 2, 3, 4, 5], [10, 11, 12, 13, 14])!.pValue).toBeCloseTo(2 / 252, 10);
    expect(permutationTest([5, 5, 5], [5, 5, 5])!.pValue).toBe(1);
    // Interleaved samples: nothing to see. One sample's order inside does not matter.
    expect(permutationTest([1, 3, 5, 7], [2, 4, 6, 8])!.pValue).toBeGreaterThan(0.5);
    expect(permutationTest([3, 1, 2], [12, 10, 11])).toEqual(t);
  });

  it('flags about α of 1000 comparisons of identical distributions (n = 5, 8 and 12 per side)', () => {
    for (const n of [5, 8, 12]) {
      const random = seededRandom(42 + n);
      let flagged = 0;
      for (let i = 0; i < 1000; i++) if (permutationTest(sample(random, n, 20), sample(random, n, 20))!.pValue <= 0.05) flagged++;
      const rate = flagged / 1000;
      // Exact permutation tests are conservative (discrete p-values): never above α beyond noise.
      expect(rate, `n = ${n}: ${rate}`).toBeLessThanOrEqual(0.05 + 0.02);
    }
  });

  it('finds a 50 % shift at n = 5 most of the time, and at n = 8 almost always', () => {
    for (const [n, minPower] of [
      [5, 0.7],
      [8, 0.95],
      [12, 0.99],
    ] as const) {
      const random = seededRandom(7 + n);
      let found = 0;
      for (let i = 0; i < 300; i++) if (permutationTest(sample(random, n, 20), sample(random, n, 30))!.pValue <= 0.05) found++;
      expect(found / 300, `n = ${n}`).toBeGreaterThanOrEqual(minPower);
    }
  });

  it('stays exact for larger samples (counted, not enumerated)', () => {
    const random = seededRandom(3);
    const t = permutationTest(sample(random, 20, 20), sample(random, 20, 40))!;
    expect(t.permutations).toBe(137846528820);
    expect(t.pValue).toBeLessThan(0.001);
  });
});

describe('benjaminiHochberg', () => {
  it('matches the textbook example and keeps the input order', () => {
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    expect(q.map((v) => Number(v.toFixed(4)))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });

  it('keeps the family-wide false discoveries near α over 200 families of 24 null tests', () => {
    const random = seededRandom(11);
    let familiesWithAFalseFlag = 0;
    for (let f = 0; f < 200; f++) {
      const p = Array.from({ length: 24 }, () => permutationTest(sample(random, 6, 20), sample(random, 6, 20))!.pValue);
      if (benjaminiHochberg(p).some((q) => q <= 0.05)) familiesWithAFalseFlag++;
    }
    // With every null true, FDR control is family-wise control: ≤ α, plus noise.
    expect(familiesWithAFalseFlag / 200).toBeLessThanOrEqual(0.05 + 0.03);
  });
});
