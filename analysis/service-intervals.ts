// Interval arithmetic for service attribution: how much of a window a set of intervals covers.

export interface Interval {
  fromNs: number;
  toNs: number;
}

/** Time of the window covered by the intervals (their union, so overlapping intervals count once). */
export function overlapNs(intervals: readonly Interval[], window: Interval): number {
  const clipped = intervals
    .map((iv) => ({ fromNs: Math.max(iv.fromNs, window.fromNs), toNs: Math.min(iv.toNs, window.toNs) }))
    .filter((iv) => iv.toNs > iv.fromNs)
    .sort((a, b) => a.fromNs - b.fromNs);
  let total = 0;
  let end = -Infinity;
  for (const iv of clipped) {
    const from = Math.max(iv.fromNs, end);
    if (iv.toNs > from) total += iv.toNs - from;
    end = Math.max(end, iv.toNs);
  }
  return total;
}

/** Time of the window covered by `intervals` but not by `excluded`. */
export function coveredNs(intervals: readonly Interval[], window: Interval, excluded: readonly Interval[]): number {
  const both = overlapNs([...intervals, ...excluded], window);
  return both - overlapNs(excluded, window);
}
