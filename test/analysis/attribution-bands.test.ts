// percentiles() selects instead of sorting: it must give exactly percentile() of the sorted values.
import { describe, expect, it } from 'vitest';
import { percentile, percentiles } from '../../analysis/attribution-bands.js';

/** A small deterministic generator, so a failure names reproducible values. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('percentiles', () => {
  const ps = [0, 1, 45, 50, 55, 90, 98.5, 99, 99.5, 100];
  it.each([
    ['distinct values', (r: () => number) => r() * 1000],
    ['many ties (µs on a coarse clock)', (r: () => number) => Math.round(r() * 20) / 10],
    ['negative components', (r: () => number) => (r() - 0.7) * 50],
  ])('equal nearest-rank percentiles of the sorted copy: %s', (_, draw) => {
    for (const n of [1, 2, 3, 10, 101, 5000]) {
      const r = lcg(n);
      const values = Array.from({ length: n }, () => draw(r));
      const sorted = Float64Array.from(values).sort();
      expect(percentiles(values, ps)).toEqual(ps.map((p) => percentile(sorted, p)));
    }
  });

  it('leaves its input as it was', () => {
    const values = [3, 1, 2];
    percentiles(values, [50]);
    expect(values).toEqual([3, 1, 2]);
  });

  it('handles sorted and constant runs', () => {
    const ascending = Array.from({ length: 1000 }, (_, i) => i);
    expect(percentiles(ascending, [50, 99])).toEqual([499, 989]);
    expect(percentiles(new Array<number>(1000).fill(7), [1, 50, 100])).toEqual([7, 7, 7]);
  });
});
