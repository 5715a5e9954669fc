// Statistics of a service attribution: per component p50/p99 and its share of the round trip in
// the p50 band and the tail (the same definitions as analysis/attribution.ts: shareP50 = mean of
// the component over requests whose RTT lies between the 45th and 55th percentile ÷ their mean
// RTT; shareP99 = the same over requests at or above the 99th percentile), the runtime pauses and
// the requests each delayed, and which component dominates.
import type { RuntimePauses } from '../drivers/service/index.js';
import type { Interval } from './service-intervals.js';

export const SERVICE_COMPONENT_NAMES = ['kernelRx', 'wakeup', 'queueing', 'pauses', 'application', 'hops', 'kernelTx', 'clientAndWire'] as const;
export type ServiceComponentName = (typeof SERVICE_COMPONENT_NAMES)[number];

/** One matched request: where its round trip went, µs, and its service-side span (records' clock, ns). */
export interface ServiceRequest {
  seq: number;
  startNs: number;
  endNs: number;
  rttUs: number;
  us: Record<ServiceComponentName, number>;
  /** A chain's hop: forward send → downstream reply received (records' clock, ns). */
  hop?: Interval;
  /** The part of the hop the downstream service spent in its runtime's pauses (its own log), µs. */
  hopDownstreamPausesUs?: number;
}

/** How the requests of one TCP connection matched (several connections only). */
export interface ConnectionMatch {
  /** The client's connection index (requests seq ≡ index mod N) and the service's fd for it. */
  index: number;
  fd: number;
  requests: number;
  matched: number;
}

export interface ServiceComponentStats {
  p50Us: number;
  p99Us: number;
  shareP50: number;
  shareP99: number;
}

export interface ObservedPause {
  /** Start on the records' clock (ns since the client's t0). */
  startNs: number;
  durationUs: number;
  cause: string;
  /** Matched requests whose service-side span it overlapped. */
  overlappedRequests: number;
}

export type ServiceAttributionResult =
  | {
      status: 'ok';
      /** Requests the client got replies for. */
      requests: number;
      matched: number;
      matchedRatio: number;
      unmatched: Record<string, number>;
      requestBytes: number | null;
      chained: boolean;
      rttUs: { p50: number; p99: number };
      /** null: not observed (pauses without a known runtime log; hops without a chain). */
      components: Record<ServiceComponentName, ServiceComponentStats | null>;
      /** Kernel (RX work + TX) share of the service side and the client side together cannot be split: this is the service's kernel share. */
      serviceKernelShare: { p50: number; p99: number };
      dominant: { p50: ServiceComponentName; p99: ServiceComponentName };
      /** The runtime's pauses and the requests they delayed; null = "pauses: not observed". */
      pauses: PauseSummary | null;
      /**
       * A chain's downstream runtime pauses, inside the hop (hops includes them): their µs per request
       * and share, like a component, and the pauses with the requests whose hop they overlapped.
       * null: not a chain, or the downstream's runtime has no known log; absent in records written before.
       */
      hopSplit?: { downstreamPauses: ServiceComponentStats } | null;
      downstreamPauses?: PauseSummary | null;
      serialization: string;
      remainders: ServiceComponentName[];
      /** TCP over several connections: requests and matched ones per connection (absent otherwise). */
      byConnection?: ConnectionMatch[];
    }
  | {
      status: 'insufficient-data';
      reason: string;
      requests: number;
      matched: number;
      unmatched: Record<string, number>;
      byConnection?: ConnectionMatch[];
    };

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}
const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export interface PauseSummary {
  runtime: RuntimePauses['runtime'];
  source: string;
  /** The runtime's start on the trace clock (CLOCK_MONOTONIC ns), from its own log. */
  runtimeStartMonoNs: number | null;
  collections: number;
  count: number;
  totalUs: number;
  maxUs: number;
  delayedRequests: number;
  /** The longest pauses (up to 20), with the requests each overlapped. */
  longest: ObservedPause[];
}

export interface ServiceStatsInput {
  requests: ServiceRequest[];
  offered: number;
  unmatched: Record<string, number>;
  pauses: RuntimePauses | null;
  pausesOnRecordClock: Interval[];
  /** A chain's downstream pause log (null: not observed) and its pauses on the records' clock. */
  downstreamPauses?: RuntimePauses | null;
  downstreamPausesOnRecordClock?: Interval[];
  chained: boolean;
  requestBytes: number | null;
  minMatchedRatio: number;
  /** Fewer matched requests than this: insufficient-data. Default 20. */
  minRequests?: number;
}

export function serviceStats(s: ServiceStatsInput): ServiceAttributionResult {
  const matched = s.requests.length;
  const minRequests = s.minRequests ?? 20;
  const ratio = s.offered > 0 ? matched / s.offered : 0;
  if (matched < minRequests || ratio < s.minMatchedRatio) {
    const why =
      matched < minRequests
        ? `${matched} requests matched to the service's events; at least ${minRequests} are needed`
        : `only ${(ratio * 100).toFixed(1)} % of ${s.offered} answered requests matched the service's events (at least ${(s.minMatchedRatio * 100).toFixed(0)} % needed); unmatched by step: ${JSON.stringify(s.unmatched)}`;
    return { status: 'insufficient-data', reason: why, requests: s.offered, matched, unmatched: s.unmatched };
  }
  const rtt = s.requests.map((r) => r.rttUs).sort((a, b) => a - b);
  const bandFrom = percentile(rtt, 45);
  const bandTo = percentile(rtt, 55);
  const tailFrom = percentile(rtt, 99);
  const band = s.requests.filter((r) => r.rttUs >= bandFrom && r.rttUs <= bandTo);
  const tail = s.requests.filter((r) => r.rttUs >= tailFrom);
  const bandRtt = mean(band.map((r) => r.rttUs));
  const tailRtt = mean(tail.map((r) => r.rttUs));
  const components = {} as Record<ServiceComponentName, ServiceComponentStats | null>;
  for (const name of SERVICE_COMPONENT_NAMES) {
    if ((name === 'pauses' && !s.pauses) || (name === 'hops' && !s.chained)) {
      components[name] = null;
      continue;
    }
    const sorted = s.requests.map((r) => r.us[name]).sort((a, b) => a - b);
    components[name] = {
      p50Us: percentile(sorted, 50),
      p99Us: percentile(sorted, 99),
      shareP50: mean(band.map((r) => r.us[name])) / bandRtt,
      shareP99: mean(tail.map((r) => r.us[name])) / tailRtt,
    };
  }
  const present = SERVICE_COMPONENT_NAMES.filter((n) => components[n] !== null);
  const top = (k: 'shareP50' | 'shareP99') => present.reduce((a, b) => (components[b]![k] > components[a]![k] ? b : a));
  const kshare = (k: 'shareP50' | 'shareP99') => components.kernelRx![k] + components.kernelTx![k];
  return {
    status: 'ok',
    requests: s.offered,
    matched,
    matchedRatio: ratio,
    unmatched: s.unmatched,
    requestBytes: s.requestBytes,
    chained: s.chained,
    rttUs: { p50: percentile(rtt, 50), p99: percentile(rtt, 99) },
    components,
    serviceKernelShare: { p50: kshare('shareP50'), p99: kshare('shareP99') },
    dominant: { p50: top('shareP50'), p99: top('shareP99') },
    pauses: s.pauses ? pauseSummary(s.pauses, s.pausesOnRecordClock, s.requests.map(spanOf)) : null,
    ...(s.chained ? downstreamSplit(s, band, tail, bandRtt, tailRtt) : {}),
    serialization: 'inside application: the service does not expose its decode/encode time',
    remainders: ['clientAndWire'],
  };
}

const spanOf = (r: ServiceRequest) => ({ seq: r.seq, fromNs: r.startNs, toNs: r.endNs });

/** The downstream's pauses inside the hop: per request µs (stats like a component) and the requests whose hop each overlapped. */
function downstreamSplit(
  s: ServiceStatsInput,
  band: readonly ServiceRequest[],
  tail: readonly ServiceRequest[],
  bandRtt: number,
  tailRtt: number,
): { hopSplit: { downstreamPauses: ServiceComponentStats } | null; downstreamPauses: PauseSummary | null } {
  if (!s.downstreamPauses) return { hopSplit: null, downstreamPauses: null };
  const of = (r: ServiceRequest) => r.hopDownstreamPausesUs ?? 0;
  const sorted = s.requests.map(of).sort((a, b) => a - b);
  return {
    hopSplit: {
      downstreamPauses: {
        p50Us: percentile(sorted, 50),
        p99Us: percentile(sorted, 99),
        shareP50: mean(band.map(of)) / bandRtt,
        shareP99: mean(tail.map(of)) / tailRtt,
      },
    },
    downstreamPauses: pauseSummary(
      s.downstreamPauses,
      s.downstreamPausesOnRecordClock ?? [],
      s.requests.filter((r) => r.hop).map((r) => ({ seq: r.seq, ...r.hop! })),
    ),
  };
}

/** spans: each matched request's window the pauses are checked against (its service-side span, or its hop). */
function pauseSummary(p: RuntimePauses, onRecordClock: Interval[], spans: readonly (Interval & { seq: number })[]): PauseSummary {
  const sortedReqs = [...spans].sort((a, b) => a.fromNs - b.fromNs);
  const delayed = new Set<number>();
  const observed: ObservedPause[] = onRecordClock.map((iv, i) => {
    let n = 0;
    for (const r of sortedReqs) {
      if (r.fromNs >= iv.toNs) break;
      if (r.toNs > iv.fromNs) {
        n++;
        delayed.add(r.seq);
      }
    }
    return { startNs: iv.fromNs, durationUs: (iv.toNs - iv.fromNs) / 1e3, cause: p.pauses[i]!.cause, overlappedRequests: n };
  });
  const durations = observed.map((o) => o.durationUs);
  return {
    runtime: p.runtime,
    source: p.source,
    runtimeStartMonoNs: p.startNs,
    collections: p.collections,
    count: observed.length,
    totalUs: durations.reduce((a, b) => a + b, 0),
    maxUs: durations.length ? Math.max(...durations) : 0,
    delayedRequests: delayed.size,
    longest: [...observed].sort((a, b) => b.durationUs - a.durationUs).slice(0, 20),
  };
}
