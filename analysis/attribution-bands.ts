// The bands of requests that the attribution's shares are averaged over, and the shares of a
// cell pooled over its repetitions.
//
// A share "of p99" is taken from a band around p99, not from the requests above it: those are 1 %
// of the trial (21 requests in a 1 s trial at 2 kpps), so their mean is decided by the single
// largest outlier and moves wildly between repetitions. The p99 band is the requests whose RTT
// lies between the 98.5th and 99.5th percentile (nearest rank, ties included), the p50 band those
// between the 45th and 55th. A share is Σ component ÷ Σ RTT over the band, so the shares of all
// components add up to 1. A band with fewer than `minRequests` requests (default 50, so p99
// needs ≥ 5 000 requests per trial, p50 ≥ 500) gives null shares with the reason, never a number.
// Each trial keeps its band sums, so a cell pools the bands of its repetitions (each around its
// own percentile): 3 repetitions of 2 000 requests give a p99 band of 60.
import { median } from 'simple-statistics';
import type { KernelAttribution } from './selective-win-types.js';

export interface BandSums {
  /** Σ RTT over the band's requests, µs. */
  rttUs: number;
  /** Σ of each component over the band's requests, µs. */
  componentsUs: Record<string, number>;
  /** Σ of waiting after a wake-up (both sides) over the band, µs; null without a wake-up trace. */
  wokenUs: number | null;
}

export interface ShareBand {
  /** The band in percentiles of RTT (nearest rank), e.g. 98.5–99.5. */
  fromPct: number;
  toPct: number;
  /** The same in µs. */
  fromUs: number;
  toUs: number;
  /** Requests in the band. */
  requests: number;
  /** Fewer than this and the band's shares are null. */
  minRequests: number;
  /** Why the shares are null (too few requests), or null when they are given. */
  reason: string | null;
  sums: BandSums;
}

/** Nearest-rank percentile of ascending values (the probe's own definition). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Nearest-rank percentiles of unsorted values, the same numbers as percentile() of the sorted
 * copy: each is the k-th smallest value, found by selection (Hoare's quickselect, median-of-three
 * pivot) on a scratch copy. A 20 kpps trial has ~60 000 values per component and the attribution
 * needs 3–4 percentiles of 13 of them; a full Float64Array sort of each was a third of the
 * orchestrator's time between attribution trials (profiled with node --cpu-prof).
 */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  const a = Float64Array.from(values);
  const n = a.length;
  return ps.map((p) => {
    const k = Math.min(Math.max(1, Math.ceil((p / 100) * n)), n) - 1;
    return n === 0 ? (undefined as unknown as number) : kthSmallest(a, k);
  });
}

/** The k-th smallest (0-based) of `a`, partially reordering it in place. */
function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot: sorted or constant runs (common in timestamps) stay linear.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Σ RTT and Σ each named component over a band's requests. */
export function bandSums(members: readonly ({ rttUs: number } & Record<string, number>)[], names: readonly string[], wokenUs: number | null): BandSums {
  const componentsUs: Record<string, number> = {};
  for (const name of names) componentsUs[name] = members.reduce((a, c) => a + (c[name] as number), 0);
  return { rttUs: members.reduce((a, c) => a + c.rttUs, 0), componentsUs, wokenUs };
}

/** The requests whose RTT lies between two percentiles, inclusive. */
export function selectBand<T extends { rttUs: number }>(
  requests: readonly T[],
  rttSorted: ArrayLike<number>,
  fromPct: number,
  toPct: number,
): { fromUs: number; toUs: number; members: T[] } {
  const fromUs = percentile(rttSorted, fromPct);
  const toUs = percentile(rttSorted, toPct);
  return { fromUs, toUs, members: requests.filter((r) => r.rttUs >= fromUs && r.rttUs <= toUs) };
}

function tooFew(name: string, requests: number, minRequests: number, fromPct: number, toPct: number, repetitions = 1): string {
  const over = repetitions > 1 ? ` over ${repetitions} repetitions` : '';
  const per = Math.ceil((minRequests * 100) / (toPct - fromPct));
  return `the ${name} band (p${fromPct}–p${toPct}) has ${requests} requests${over}, fewer than ${minRequests}: run longer trials or more repetitions (≥ ${per} requests in all)`;
}

export function shareBand(
  name: string,
  band: { fromUs: number; toUs: number; members: readonly { rttUs: number }[] },
  sums: BandSums,
  fromPct: number,
  toPct: number,
  minRequests: number,
): ShareBand {
  const requests = band.members.length;
  const reason = requests < minRequests ? tooFew(name, requests, minRequests, fromPct, toPct) : null;
  return { fromPct, toPct, fromUs: band.fromUs, toUs: band.toUs, requests, minRequests, reason, sums };
}

/** A component's share of the band: Σ component ÷ Σ RTT; null when the band is too thin. */
export function bandShare(band: ShareBand, componentUs: number): number | null {
  return band.reason !== null || band.sums.rttUs <= 0 ? null : componentUs / band.sums.rttUs;
}

/** What a cell's pooling needs of one repetition's attribution (a structural view of its result). */
export interface PoolableAttribution {
  bands: { p50: Partial<ShareBand>; p99: Partial<ShareBand> };
}

/** Names of the kernel's own components (kernel TX/RX, both sides). */
const isKernel = (name: string) => /^kernel/i.test(name);

function pooled(
  bands: readonly Partial<ShareBand>[],
  name: string,
): { share: (c: string) => number | null; reason: string | null; woken: number | null } | null {
  if (!bands.every((b) => b.sums && typeof b.requests === 'number' && typeof b.minRequests === 'number')) return null;
  const full = bands as ShareBand[];
  const requests = full.reduce((a, b) => a + b.requests, 0);
  const minRequests = Math.max(...full.map((b) => b.minRequests));
  const rttUs = full.reduce((a, b) => a + b.sums.rttUs, 0);
  const first = full[0] as ShareBand;
  const reason = requests < minRequests ? tooFew(name, requests, minRequests, first.fromPct, first.toPct, full.length) : null;
  const sum = (c: string) => full.reduce((a, b) => a + (b.sums.componentsUs[c] ?? 0), 0);
  const share = (c: string) => (reason !== null || rttUs <= 0 ? null : sum(c) / rttUs);
  const woken = reason !== null || rttUs <= 0 || full.some((b) => b.sums.wokenUs === null) ? null : full.reduce((a, b) => a + (b.sums.wokenUs ?? 0), 0) / rttUs;
  return { share, reason, woken };
}

function medianOrNull(xs: readonly (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
}

/**
 * A cell's kernel view from its repetitions: their bands pooled (Σ over every repetition's band),
 * or, for results written before bands kept their sums, the median of each repetition's share.
 */
export function poolKernelAttribution(results: readonly PoolableAttribution[], views: readonly KernelAttribution[]): KernelAttribution | null {
  if (views.length === 0) return null;
  const names = views[0]!.components.map((c) => c.name);
  // A check that failed in any repetition makes the cell's attribution untrustworthy.
  const checkFailures = [...new Set(views.flatMap((v) => v.checkFailures ?? []))];
  const p50 =
    results.length === views.length
      ? pooled(
          results.map((r) => r.bands.p50),
          'p50',
        )
      : null;
  const p99 =
    results.length === views.length
      ? pooled(
          results.map((r) => r.bands.p99),
          'p99',
        )
      : null;
  if (p50 === null || p99 === null) {
    return {
      kernelShareP50: medianOrNull(views.map((v) => v.kernelShareP50)),
      kernelShareP99: medianOrNull(views.map((v) => v.kernelShareP99)),
      components: names.map((name) => ({ name, shareP99: medianOrNull(views.map((v) => v.components.find((c) => c.name === name)?.shareP99)) })),
      wakeupShareP99: medianOrNull(views.map((v) => v.wakeupShareP99)),
      checkFailures,
    };
  }
  const kernel = (band: typeof p50) => {
    const shares = names.filter(isKernel).map((n) => band.share(n));
    return shares.some((s) => s === null) ? null : (shares as number[]).reduce((a, s) => a + s, 0);
  };
  return {
    kernelShareP50: kernel(p50),
    kernelShareP99: kernel(p99),
    components: names.map((name) => ({ name, shareP99: p99.share(name) })),
    wakeupShareP99: p99.woken,
    ...(p99.reason !== null ? { shareP99Reason: p99.reason } : {}),
    checkFailures,
  };
}
