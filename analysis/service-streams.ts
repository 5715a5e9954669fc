// Event streams the service attribution takes a request's events from (analysis/service-attribution.ts).

/** A forward-only cursor over one time-sorted event stream (events come in the requests' order). */
export class Stream<T> {
  private next = 0;
  constructor(
    private readonly items: readonly T[],
    private readonly at: (t: T) => number,
  ) {}
  /** The first unused event at or after fromNs and at or before toNs (earlier unused ones are skipped for good). */
  take(fromNs: number, toNs: number): T | null {
    while (this.next < this.items.length && this.at(this.items[this.next]!) < fromNs) this.next++;
    const item = this.items[this.next];
    if (item === undefined || this.at(item) > toNs) return null;
    this.next++;
    return item;
  }
}

/**
 * A time-sorted event stream whose events may be taken out of order: with several TCP connections
 * served by several threads, replies leave in the order the threads send them, not in the
 * requests' order, so an event skipped by one request stays available to an earlier-sent one.
 */
export class Pool<T> {
  private readonly times: number[];
  private readonly used: boolean[];
  constructor(
    private readonly items: readonly T[],
    at: (t: T) => number,
  ) {
    this.times = items.map(at);
    this.used = items.map(() => false);
  }
  /** The first unused event at or after fromNs and at or before toNs; the first one `prefer` likes, if any does. */
  take(fromNs: number, toNs: number, prefer?: (t: T) => boolean): T | null {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < fromNs) lo = mid + 1;
      else hi = mid;
    }
    let first = -1;
    for (let i = lo; i < this.times.length && this.times[i]! <= toNs; i++) {
      if (this.used[i]) continue;
      if (first < 0) first = i;
      if (!prefer || prefer(this.items[i]!)) {
        first = i;
        break;
      }
    }
    if (first < 0) return null;
    this.used[first] = true;
    return this.items[first]!;
  }
}

/** Either kind, as the matching uses them. */
export interface Taker<T> {
  take(fromNs: number, toNs: number, prefer?: (t: T) => boolean): T | null;
}
