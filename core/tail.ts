// When a tail percentile means something: the rule for showing p99 and p99.9 as numbers.
//
// A percentile estimated from n samples rests on the n × (1 − q) samples beyond it. With fewer
// than TAIL_BEYOND_MIN of them it is one of the few largest samples (perftest's p99.9 of 1 000
// iterations is its maximum; a 1 s trial's p99.9 at 1 100 samples is its second largest), and it
// moves with whichever outlier happened. So p99 needs ≥ 1 000 samples and p99.9 ≥ 10 000; below
// that tables, CSV and chart tooltips show "n/a (N samples)" instead of the number.

/** Samples that must lie beyond a percentile for it to be shown as a number. */
export const TAIL_BEYOND_MIN = 10;

/** Samples a percentile needs: p99 → 1 000, p99.9 → 10 000. */
export function minSamplesFor(percentile: number): number {
  return Math.round((TAIL_BEYOND_MIN * 100) / (100 - percentile));
}

/** true/false: enough samples or not; null when the count is unknown (then the value is shown as it is). */
export function tailReliable(samples: number | null | undefined, percentile: number): boolean | null {
  return samples === null || samples === undefined ? null : samples >= minSamplesFor(percentile);
}

/**
 * A tail value as text: the number when it rests on enough samples (or the count is unknown),
 * else "n/a (1100 samples)", with "= max" when it is the largest sample itself.
 */
export function tailText(
  value: number | null | undefined,
  samples: number | null | undefined,
  percentile: number,
  fmt: (v: number | null | undefined) => string,
  maxUs?: number | null,
): string {
  if (value === null || value === undefined || tailReliable(samples, percentile) !== false) return fmt(value);
  return `n/a (${samples} samples${maxUs !== null && maxUs !== undefined && value === maxUs ? ', = max' : ''})`;
}
