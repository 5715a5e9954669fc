// Latency attribution from bb-tsprobe per-request records (the client's --records CSV, read by
// drivers/tsprobe/records.ts), so it can be recomputed from a saved run.
//
// Every component is an interval between two timestamps taken on ONE host, so no component
// compares clocks across hosts. The intervals are contiguous, so for each request
//   rtt = kernelTxClient + nicWire + hops + kernelRxServer + queueing + pauses
//       + serialization + application + kernelTxServer + kernelRxClient + other
// holds exactly, where `other` is what no named component covers (the server's gap between
// encode done and the send call). The sum check reports how close the named components come
// to the measured RTT; a negative component means a timestamp was missing or mismatched.
//
// Component definitions (c = client, s = server, rK = relay K counted from the client):
//   kernelTxClient = cTx − cSend                 kernelTxServer = sTx − sSend
//   kernelRxClient = cRet − cRx − cQueue          kernelRxServer = sRet − sRx − sPause − sQueue
//   serialization  = (sDec − sRet) + (sEnc − sHdl)   application = sHdl − sDec
//   pauses         = sPause (stop-the-world pause overlapping the request's wait)
//   queueing       = sQueue + cQueue (waiting while the single-threaded loop served other work)
//   residenceK     = (rK.qTx − rK.qRx) + (rK.pTx − rK.pRx)
//   legs           = (cRx − cTx) − (sTx − sRx) − Σ residenceK     (all network legs, both ways)
//   nicWire        = legs / (N + 1)                hops = Σ residenceK + legs × N / (N + 1)
// With N relays there are N + 1 legs per direction; a direct call would cross one, so the other
// N are charged to hops. Legs are assumed equal because splitting them needs a shared clock.
// Kernel RX runs from the RX software stamp to the receive call returning, so it includes the
// wake-up and any wait for a CPU: on a busy host that scheduling delay is most of its tail. With
// a wake-up trace (analysis/wakeup.ts) `kernelRxSplit` splits it, measured, into protocol work and
// waiting to run (woken after sleeping, or preempted); without one it says so (null).
//
// Independent checks (`checks`): every request's stamps from one host are in order, and no
// request has a negative NIC/wire time; more than CHECK_VIOLATION_MAX_RATIO of requests violating
// either fails the check, and analysis/verdicts.ts turns a failed check into insufficient-data.
// `remainders` names the components computed as what is left over (only `other`).
//
// Percentiles (p50/p90/p99/mean) are of each component's own distribution, so they do not add
// up. Shares do: shareP50 = Σ component ÷ Σ RTT over the "p50 band" (requests whose RTT lies
// between the 45th and 55th percentile); shareP99 = the same over the p99 band (98.5th–99.5th
// percentile; attribution-bands.ts says why a band and not the requests above p99). A band with
// fewer than minBandRequests requests gives null shares with the reason. Because components sum
// to each request's RTT, the shares of all components sum to 1 in both. Percentiles are
// nearest-rank, as in the probe's summary.
import type { TsprobeRecord } from '../drivers/tsprobe/index.js';
import { bandShare, bandSums, percentiles, shareBand, type ShareBand } from './attribution-bands.js';
import { componentColumns } from './attribution-columns.js';
import type { KernelAttribution } from './selective-win.js';
import { splitNicWire, type NicWireSplit } from './nic-wire-split.js';
import { requestWaiting, type WakeupTrace } from './wakeup.js';

export const COMPONENT_NAMES = [
  'kernelTxClient',
  'nicWire',
  'hops',
  'kernelRxServer',
  'queueing',
  'pauses',
  'serialization',
  'application',
  'kernelTxServer',
  'kernelRxClient',
  'other',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

/** Kernel TX + RX on both sides: what a kernel-bypass path could remove. */
export const KERNEL_COMPONENTS: readonly ComponentName[] = ['kernelTxClient', 'kernelTxServer', 'kernelRxClient', 'kernelRxServer'];

/** One request's components in µs, or null when a timestamp it needs is missing. */
export type RequestComponents = Record<ComponentName, number> & { rttUs: number; seq: number };

export function requestComponents(record: TsprobeRecord): RequestComponents | null {
  const r = record;
  if (r.status !== 'ok') return null;
  // Plain null checks and locals, no arrays or Object.entries per request: a 20 kpps trial has
  // 70 000 records and this ran twice per record (profiled with node --cpu-prof, it was the
  // orchestrator's largest cost between trials).
  const { cSendNs, cTxNs, cRxNs, cRetNs, cQueueNs, sRxNs, sRetNs, sDecNs, sHdlNs, sEncNs, sSendNs, sTxNs, sPauseNs, sQueueNs, rttNs } = r;
  if (
    cSendNs === null ||
    cTxNs === null ||
    cRxNs === null ||
    cRetNs === null ||
    cQueueNs === null ||
    sRxNs === null ||
    sRetNs === null ||
    sDecNs === null ||
    sHdlNs === null ||
    sEncNs === null ||
    sSendNs === null ||
    sTxNs === null ||
    sPauseNs === null ||
    sQueueNs === null ||
    rttNs === null
  ) {
    return null;
  }
  let residenceNs = 0;
  for (const hop of r.relays) {
    if (hop.qRxNs === null || hop.qTxNs === null || hop.pRxNs === null || hop.pTxNs === null) return null;
    residenceNs += hop.qTxNs - hop.qRxNs + (hop.pTxNs - hop.pRxNs);
  }
  const legsNs = cRxNs - cTxNs - (sTxNs - sRxNs) - residenceNs;
  const n = r.relays.length;
  const kernelTxClient = cTxNs - cSendNs;
  const nicWire = legsNs / (n + 1);
  const hops = residenceNs + (legsNs * n) / (n + 1);
  const kernelRxServer = sRetNs - sRxNs - sPauseNs - sQueueNs;
  const queueing = sQueueNs + cQueueNs;
  const pauses = sPauseNs;
  const serialization = sDecNs - sRetNs + (sEncNs - sHdlNs);
  const application = sHdlNs - sDecNs;
  const kernelTxServer = sTxNs - sSendNs;
  const kernelRxClient = cRetNs - cRxNs - cQueueNs;
  // Summed from 0 in COMPONENT_NAMES order, as before, so `other` is bit-for-bit the same.
  const namedNs = 0 + kernelTxClient + nicWire + hops + kernelRxServer + queueing + pauses + serialization + application + kernelTxServer + kernelRxClient;
  return {
    seq: r.seq,
    rttUs: rttNs / 1e3,
    other: (rttNs - namedNs) / 1e3,
    kernelTxClient: kernelTxClient / 1e3,
    nicWire: nicWire / 1e3,
    hops: hops / 1e3,
    kernelRxServer: kernelRxServer / 1e3,
    queueing: queueing / 1e3,
    pauses: pauses / 1e3,
    serialization: serialization / 1e3,
    application: application / 1e3,
    kernelTxServer: kernelTxServer / 1e3,
    kernelRxClient: kernelRxClient / 1e3,
  };
}

export interface ComponentStats {
  p50Us: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  /** Σ of this component over the p50 band ÷ Σ RTT over the same requests; null when the band is too thin. */
  shareP50: number | null;
  /** The same over the p99 band (p98.5–p99.5); null when the band is too thin (bands.p99.reason). */
  shareP99: number | null;
}

export interface AttributionOptions {
  /** Allowed |Σ named components − RTT| per request, µs. Default 1. */
  toleranceUs?: number;
  /** Width of the receiver-side arrival-rate intervals, ms. Default 100. */
  intervalMs?: number;
  /** The p50 band is the requests whose RTT lies between the (50 − b) and (50 + b) percentiles. Default 5. */
  p50BandPct?: number;
  /** The p99 band: requests whose RTT lies between these percentiles. Default 98.5–99.5. */
  p99Band?: { fromPct: number; toPct: number };
  /** A band with fewer requests gives null shares with the reason. Default 50. */
  minBandRequests?: number;
  /** Fewer complete requests than this gives insufficient-data. Default 20. */
  minRequests?: number;
  /** Measured waiting-to-run intervals of the probe's threads: splits kernel RX into work and waiting. */
  wakeups?: WakeupTrace;
}

/** A check fails when more than this share of complete requests violates it. */
export const CHECK_VIOLATION_MAX_RATIO = 0.01;

export interface AttributionCheck {
  name: 'timestamp-order' | 'nic-wire-nonnegative';
  passed: boolean;
  /** Complete requests that violate it. */
  violations: number;
  detail: string;
}

/** One side's kernel RX split; shares are of the bands' RTT, like the components' (null when a band is too thin). */
export interface RxSideSplit {
  workShareP50: number | null;
  workShareP99: number | null;
  /** Waiting to run: woken + preempted. */
  waitingShareP50: number | null;
  waitingShareP99: number | null;
  wokenShareP50: number | null;
  wokenShareP99: number | null;
  preemptedShareP50: number | null;
  preemptedShareP99: number | null;
  waitingP50Us: number;
  waitingP99Us: number;
}

export interface KernelRxSplit {
  source: string;
  /** Requests whose waiting was clipped to their RX interval (it covered a pause or queueing too). */
  clippedRequests: number;
  server: RxSideSplit;
  client: RxSideSplit;
  /** Both sides: waiting after a wake-up, what a receiver that never sleeps (busy polling) removes. */
  wokenShare: { p50: number | null; p99: number | null };
  /** Both sides: all waiting to run (woken + preempted). */
  waitingShare: { p50: number | null; p99: number | null };
}

export interface Steadiness {
  intervalMs: number;
  /** Full intervals counted (a trailing partial one is dropped). */
  intervals: number;
  meanPps: number;
  /** Coefficient of variation of per-interval arrival counts at the server; null below 2 intervals. */
  cv: number | null;
}

export type AttributionResult =
  | {
      status: 'ok';
      requests: number;
      lost: number;
      /** Requests with every timestamp needed; only these are attributed. */
      complete: number;
      incomplete: number;
      relays: number;
      rttUs: { p50: number; p90: number; p99: number; mean: number };
      /** The requests the shares are averaged over, with their count and sums (null shares: `reason`). */
      bands: { p50: ShareBand; p99: ShareBand };
      components: Record<ComponentName, ComponentStats>;
      /** Share of end-to-end time spent in the kernel (TX + RX, both sides); null when the band is too thin. */
      kernelShare: { p50: number | null; p99: number | null };
      sumCheck: {
        toleranceUs: number;
        /** max over requests of |Σ named components − RTT|, µs. */
        maxAbsErrorUs: number;
        withinToleranceRatio: number;
        /** Requests with a component below −toleranceUs: a timestamp mismatch. */
        negativeComponentRequests: number;
      };
      steadiness: Steadiness;
      pauses: { delayedRequests: number; delayedRatio: number; maxDelayUs: number };
      /** Kernel RX split into protocol work and waiting to run, measured; null without a wake-up trace. */
      kernelRxSplit: KernelRxSplit | null;
      /** `nicWire` split into NIC and wire from hardware stamps (analysis/nic-wire-split.ts); null without them. */
      nicWireSplit: NicWireSplit | null;
      /** Components computed as a remainder (RTT minus the measured ones), not measured themselves. */
      remainders: ComponentName[];
      checks: AttributionCheck[];
    }
  | { status: 'insufficient-data'; reason: string; requests: number; complete: number };

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Receiver-side steadiness: server RX timestamps binned into fixed intervals. */
export function arrivalSteadiness(records: readonly TsprobeRecord[], intervalMs: number): Steadiness {
  // Binning needs only the first and last arrival, not sorted arrivals.
  const arrivals: number[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    const t = r.sRxNs;
    if (t === null) continue;
    arrivals.push(t);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const widthNs = intervalMs * 1e6;
  if (arrivals.length === 0) return { intervalMs, intervals: 0, meanPps: 0, cv: null };
  const intervals = Math.floor((last - first) / widthNs);
  const counts = new Array<number>(intervals).fill(0);
  for (const t of arrivals) {
    const bin = Math.floor((t - first) / widthNs);
    if (bin < intervals) counts[bin] = (counts[bin] as number) + 1;
  }
  if (intervals < 2) return { intervalMs, intervals, meanPps: intervals ? (counts[0] as number) / (widthNs / 1e9) : 0, cv: null };
  const m = mean(counts);
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - m) ** 2, 0) / (intervals - 1));
  return { intervalMs, intervals, meanPps: m / (widthNs / 1e9), cv: m > 0 ? sd / m : null };
}

export function attribute(records: readonly TsprobeRecord[], options: AttributionOptions = {}): AttributionResult {
  const toleranceUs = options.toleranceUs ?? 1;
  const intervalMs = options.intervalMs ?? 100;
  const band = options.p50BandPct ?? 5;
  const p99Band = options.p99Band ?? { fromPct: 98.5, toPct: 99.5 };
  const minBand = options.minBandRequests ?? 50;
  const minRequests = options.minRequests ?? 20;
  const lost = records.filter((r) => r.status === 'lost').length;
  // One pass: each complete record and its components, index for index.
  const perRequest: RequestComponents[] = [];
  const completeRecords: TsprobeRecord[] = [];
  for (const r of records) {
    const c = requestComponents(r);
    if (c === null) continue;
    perRequest.push(c);
    completeRecords.push(r);
  }
  if (perRequest.length < minRequests) {
    return {
      status: 'insufficient-data',
      reason: `${perRequest.length} requests have every timestamp; at least ${minRequests} are needed`,
      requests: records.length,
      complete: perRequest.length,
    };
  }
  const rtts = perRequest.map((c) => c.rttUs);
  const [p50From, p50To, p99From, p99To, rttP50, rttP90, rttP99] = percentiles(rtts, [50 - band, 50 + band, p99Band.fromPct, p99Band.toPct, 50, 90, 99]) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // The requests whose RTT lies between two percentiles, inclusive.
  const between = (fromUs: number, toUs: number) => ({ fromUs, toUs, members: perRequest.filter((r) => r.rttUs >= fromUs && r.rttUs <= toUs) });
  const p50Sel = between(p50From, p50To);
  const p99Sel = between(p99From, p99To);
  const split = options.wakeups ? splitKernelRx(completeRecords, perRequest, options.wakeups, { p50: p50Sel, p99: p99Sel, minBand }) : null;
  const bands = {
    p50: shareBand('p50', p50Sel, bandSums(p50Sel.members, COMPONENT_NAMES, split?.wokenSumUs.p50 ?? null), 50 - band, 50 + band, minBand),
    p99: shareBand('p99', p99Sel, bandSums(p99Sel.members, COMPONENT_NAMES, split?.wokenSumUs.p99 ?? null), p99Band.fromPct, p99Band.toPct, minBand),
  };

  const components = {} as Record<ComponentName, ComponentStats>;
  const columns = componentColumns(perRequest);
  for (const name of COMPONENT_NAMES) {
    const values = columns[name];
    const [p50Us, p90Us, p99Us] = percentiles(values, [50, 90, 99]) as [number, number, number];
    components[name] = {
      p50Us,
      p90Us,
      p99Us,
      meanUs: mean(values),
      shareP50: bandShare(bands.p50, bands.p50.sums.componentsUs[name] as number),
      shareP99: bandShare(bands.p99, bands.p99.sums.componentsUs[name] as number),
    };
  }
  const kernelOf = (b: ShareBand) =>
    bandShare(
      b,
      KERNEL_COMPONENTS.reduce((a, name) => a + (b.sums.componentsUs[name] as number), 0),
    );
  const kernelShare = { p50: kernelOf(bands.p50), p99: kernelOf(bands.p99) };

  let maxAbsErrorUs = 0;
  let within = 0;
  let negative = 0;
  for (const c of perRequest) {
    const errorUs = Math.abs(c.other);
    maxAbsErrorUs = Math.max(maxAbsErrorUs, errorUs);
    if (errorUs <= toleranceUs) within++;
    const lowest = Math.min(
      c.kernelTxClient,
      c.nicWire,
      c.hops,
      c.kernelRxServer,
      c.queueing,
      c.pauses,
      c.serialization,
      c.application,
      c.kernelTxServer,
      c.kernelRxClient,
      c.other,
    );
    if (lowest < -toleranceUs) negative++;
  }
  const delayed = perRequest.filter((c) => c.pauses > 0);
  return {
    status: 'ok',
    requests: records.length,
    lost,
    complete: perRequest.length,
    incomplete: records.length - lost - perRequest.length,
    relays: records[0]?.relays.length ?? 0,
    rttUs: { p50: rttP50, p90: rttP90, p99: rttP99, mean: mean(rtts) },
    bands,
    components,
    kernelShare,
    sumCheck: {
      toleranceUs,
      maxAbsErrorUs,
      withinToleranceRatio: within / perRequest.length,
      negativeComponentRequests: negative,
    },
    steadiness: arrivalSteadiness(records, intervalMs),
    pauses: {
      delayedRequests: delayed.length,
      delayedRatio: delayed.length / perRequest.length,
      maxDelayUs: delayed.reduce((a, c) => Math.max(a, c.pauses), 0),
    },
    kernelRxSplit: split?.split ?? null,
    nicWireSplit: splitNicWire(completeRecords, perRequest, { p50: p50Sel, p99: p99Sel, minBand }),
    remainders: ['other'],
    checks: runChecks(completeRecords, perRequest, toleranceUs),
  };
}

/**
 * Same-host stamps out of order (client: send ≤ TX ≤ RX ≤ return; server: RX ≤ return ≤ decode ≤
 * handler ≤ encode ≤ send ≤ TX). Plain comparisons: this runs on every complete record (70 000 at
 * 20 kpps × 3.4 s), and a table of key pairs read by name cost a third of a second there.
 */
function outOfOrder(r: TsprobeRecord): boolean {
  const v = (x: number | null) => x as number;
  return (
    v(r.cSendNs) > v(r.cTxNs) ||
    v(r.cTxNs) > v(r.cRxNs) ||
    v(r.cRxNs) > v(r.cRetNs) ||
    v(r.sRxNs) > v(r.sRetNs) ||
    v(r.sRetNs) > v(r.sDecNs) ||
    v(r.sDecNs) > v(r.sHdlNs) ||
    v(r.sHdlNs) > v(r.sEncNs) ||
    v(r.sEncNs) > v(r.sSendNs) ||
    v(r.sSendNs) > v(r.sTxNs)
  );
}

/** Checks that do not follow from the sum (which holds by construction, `other` absorbing any gap). */
function runChecks(records: readonly TsprobeRecord[], perRequest: readonly RequestComponents[], toleranceUs: number): AttributionCheck[] {
  const n = perRequest.length;
  const check = (name: AttributionCheck['name'], violations: number, what: string): AttributionCheck => {
    const passed = violations <= CHECK_VIOLATION_MAX_RATIO * n;
    const pct = ((100 * violations) / n).toFixed(1);
    return { name, passed, violations, detail: `${violations} of ${n} requests (${pct} %) ${what}; at most ${100 * CHECK_VIOLATION_MAX_RATIO} % may` };
  };
  const outOfOrderCount = records.filter(outOfOrder).length;
  const negativeWire = perRequest.filter((c) => c.nicWire < -toleranceUs).length;
  return [
    check(
      'timestamp-order',
      outOfOrderCount,
      'have same-host timestamps out of order (send ≤ TX ≤ RX ≤ return; RX ≤ return ≤ decode ≤ handler ≤ encode ≤ send ≤ TX)',
    ),
    check('nic-wire-nonnegative', negativeWire, `have NIC/wire time below −${toleranceUs} µs`),
  ];
}

interface BandBounds {
  p50: { fromUs: number; toUs: number; members: readonly unknown[] };
  p99: { fromUs: number; toUs: number; members: readonly unknown[] };
  minBand: number;
}

function splitKernelRx(
  records: readonly TsprobeRecord[],
  perRequest: readonly RequestComponents[],
  trace: WakeupTrace,
  b: BandBounds,
): { split: KernelRxSplit; wokenSumUs: { p50: number; p99: number } } {
  let clipped = 0;
  // µs per request: [serverWoken, serverPreempted, clientWoken, clientPreempted], clipped to the RX component.
  const rows = perRequest.map((c, i) => {
    const w = requestWaiting(records[i]!, trace) ?? { server: { wokenNs: 0, preemptedNs: 0 }, client: { wokenNs: 0, preemptedNs: 0 } };
    const side = (woken: number, preempted: number, rxUs: number): [number, number] => {
      const total = (woken + preempted) / 1e3;
      if (total <= Math.max(rxUs, 0)) return [woken / 1e3, preempted / 1e3];
      clipped++;
      const scale = Math.max(rxUs, 0) / total;
      return [(woken / 1e3) * scale, (preempted / 1e3) * scale];
    };
    const [sw, sp] = side(w.server.wokenNs, w.server.preemptedNs, c.kernelRxServer);
    const [cw, cp] = side(w.client.wokenNs, w.client.preemptedNs, c.kernelRxClient);
    return { rttUs: c.rttUs, rxS: c.kernelRxServer, rxC: c.kernelRxClient, sw, sp, cw, cp };
  });
  const band = rows.filter((r) => r.rttUs >= b.p50.fromUs && r.rttUs <= b.p50.toUs);
  const tail = rows.filter((r) => r.rttUs >= b.p99.fromUs && r.rttUs <= b.p99.toUs);
  type Row = (typeof rows)[number];
  const sum = (set: Row[], f: (r: Row) => number) => set.reduce((a, r) => a + f(r), 0);
  const share = (set: Row[], f: (r: Row) => number) => (set.length < b.minBand ? null : sum(set, f) / sum(set, (r) => r.rttUs));
  const add = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
  const sideSplit = (rx: (r: Row) => number, woken: (r: Row) => number, preempted: (r: Row) => number): RxSideSplit => {
    const waiting = (r: Row) => woken(r) + preempted(r);
    const [waitingP50Us, waitingP99Us] = percentiles(rows.map(waiting), [50, 99]) as [number, number];
    return {
      workShareP50: share(band, (r) => rx(r) - waiting(r)),
      workShareP99: share(tail, (r) => rx(r) - waiting(r)),
      waitingShareP50: share(band, waiting),
      waitingShareP99: share(tail, waiting),
      wokenShareP50: share(band, woken),
      wokenShareP99: share(tail, woken),
      preemptedShareP50: share(band, preempted),
      preemptedShareP99: share(tail, preempted),
      waitingP50Us,
      waitingP99Us,
    };
  };
  const server = sideSplit(
    (r) => r.rxS,
    (r) => r.sw,
    (r) => r.sp,
  );
  const client = sideSplit(
    (r) => r.rxC,
    (r) => r.cw,
    (r) => r.cp,
  );
  const wokenBoth = (r: Row) => r.sw + r.cw;
  const split: KernelRxSplit = {
    source: trace.source,
    clippedRequests: clipped,
    server,
    client,
    wokenShare: { p50: add(server.wokenShareP50, client.wokenShareP50), p99: add(server.wokenShareP99, client.wokenShareP99) },
    waitingShare: { p50: add(server.waitingShareP50, client.waitingShareP50), p99: add(server.waitingShareP99, client.waitingShareP99) },
  };
  return { split, wokenSumUs: { p50: sum(band, wokenBoth), p99: sum(tail, wokenBoth) } };
}

/** The shape the selective-win rule reads (its kernel components are the names starting "kernel"). */
export function toKernelAttribution(result: AttributionResult): KernelAttribution | null {
  if (result.status !== 'ok') return null;
  return {
    kernelShareP50: result.kernelShare.p50,
    kernelShareP99: result.kernelShare.p99,
    components: COMPONENT_NAMES.map((name) => ({ name, shareP99: result.components[name].shareP99 })),
    wakeupShareP99: result.kernelRxSplit?.wokenShare.p99 ?? null,
    ...(result.bands.p99.reason ? { shareP99Reason: result.bands.p99.reason } : {}),
    checkFailures: (result.checks ?? []).filter((c) => !c.passed).map((c) => `attribution check ${c.name} failed: ${c.detail}`),
  };
}
