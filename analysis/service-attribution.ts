// Attribution of a real, unmodified service: each request the open-loop client sent (its
// per-request records) is matched to the service tracer's events (drivers/bpftrace/service.bt)
// and split into kernel RX work, waiting to run, queueing behind earlier requests, runtime pauses (the runtime's own log),
// application, hops (a chain's downstream service) and kernel TX; the rest of the round trip is
// the client's kernel and the wire (a remainder, not measured on the service side).
//
// Matching: everything happens on one host and one clock, so each of a request's service-side
// events lies inside its client window [send call, reply returned]. Requests are taken in send
// order and each event stream in time order (a UDP service on one socket serves in arrival order):
// a request's arrival is the first unused request-sized packet in its window, its receive the
// first unused request-sized receive after that, and so on. Over several TCP connections the
// receives and replies are those of the request's own connection (seq mod N, in order on it), and
// replies leaving, forwards and hop replies are taken out of order (threads send in their own). A request whose event is missing is
// unmatched and counted by the first missing component; below MIN_MATCHED_RATIO the attribution
// is insufficient-data. Serialization (decode/encode) is not exposed by an unmodified service: it
// stays inside "application", and the result says so.
import type { ServiceTrace } from '../drivers/bpftrace/index.js';
import type { RuntimePauses } from '../drivers/service/index.js';
import type { ThreadInfo, TsprobeRecord } from '../drivers/tsprobe/index.js';
import { UserError } from '../core/errors.js';
import { coveredNs, overlapNs, type Interval } from './service-intervals.js';
import { assignConnections } from './service-attribution-tcp.js';
import { Pool, Stream, type Taker } from './service-streams.js';
import {
  serviceStats,
  type ConnectionMatch,
  type ServiceAttributionResult,
  type ServiceComponentName,
  type ServiceRequest,
} from './service-attribution-stats.js';

export type { ConnectionMatch, ServiceAttributionResult, ServiceComponentName, ServiceRequest } from './service-attribution-stats.js';
export { SERVICE_COMPONENT_NAMES } from './service-attribution-stats.js';

/** Below this share of matched requests the attribution is insufficient-data. */
export const MIN_MATCHED_RATIO = 0.95;
/** IPv4 + UDP header bytes: netif_receive_skb's len is the IP packet. */
const IP_UDP_BYTES = 28;
/** Ethernet header: net_dev_xmit's len is the frame. */
const ETH_BYTES = 14;

export interface ServiceAttributionInput {
  records: readonly TsprobeRecord[];
  /** The client's thread info: its t0 and clock offset move trace times onto the records' clock. */
  client: ThreadInfo;
  trace: ServiceTrace;
  /** The front service's process id (the one the client talks to). */
  pid: number;
  /** The downstream service of a chain, if any. */
  downstreamPid?: number;
  /** The runtime's pause log; null = the runtime is unknown or has no log ("pauses: not observed"). */
  pauses: RuntimePauses | null;
  /** A chain's downstream service's own pause log (charged inside the hop); null/absent = not observed. */
  downstreamPauses?: RuntimePauses | null;
  /**
   * TCP over several connections: the service's fds of the client's connections (request seq goes
   * out on connection seq % N; which fd is which is found from the data: assignConnections). Each
   * request is then matched to its own connection's reads and writes, in order on it; absent: one
   * request stream.
   */
  connectionFds?: readonly number[];
}

function mostCommon(values: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | null = null;
  let bestN = 0;
  for (const [v, n] of counts)
    if (n > bestN) {
      best = v;
      bestN = n;
    }
  return best;
}

/** The unmatched count of each step: a request is counted once, at its first missing event. */
export type UnmatchedSteps = Record<'arrival' | 'receive' | 'hop' | 'send' | 'departure' | 'clientStamps', number>;

/** The fd of each client connection, in the client's order (see assignConnections). */
function connectionOrder(
  fds: readonly number[],
  records: readonly TsprobeRecord[],
  receives: ServiceTrace['receives'],
  requestBytes: number | null,
  rec: (ns: number) => number,
): number[] | null {
  const byFd = new Map(fds.map((fd) => [fd, receives.filter((r) => r.fd === fd && r.bytes === requestBytes).map((r) => ({ exitNs: rec(r.exitNs) }))]));
  const windows = records.flatMap((r) => (r.cSendNs !== null && r.cRetNs !== null ? [{ seq: r.seq, fromNs: r.cSendNs, toNs: r.cRetNs }] : []));
  return assignConnections(windows, byFd, fds.length);
}

export function attributeService(input: ServiceAttributionInput): ServiceAttributionResult {
  const { trace, pid } = input;
  if (input.client.t0Ns === null) throw new UserError("service attribution: the client's thread-info has no t0Ns");
  // Trace time (CLOCK_MONOTONIC) → records' clock (CLOCK_REALTIME − t0): exact to the two clock
  // reads that bracket the client's offset (well under 1 µs).
  const shift = Number(BigInt(input.client.realtimeMinusMonotonicNs) - input.client.t0Ns);
  const rec = (ns: number) => ns + shift;

  const frontReceives = trace.receives.filter((r) => r.tgid === pid);
  // The request size: the commonest packet arriving on the interface that the front service also
  // received (on a veth only requests arrive; on lo replies do too, but the service never receives those).
  const received = new Set(frontReceives.map((r) => r.bytes));
  const requestBytes = mostCommon(trace.arrivals.map((a) => a.len - IP_UDP_BYTES).filter((b) => received.has(b)));
  const requestFd = mostCommon(frontReceives.filter((r) => r.bytes === requestBytes).map((r) => r.fd));
  const ok = input.records.filter((r) => r.status === 'ok').sort((a, b) => a.seq - b.seq);
  const connFds = input.connectionFds && input.connectionFds.length >= 2 ? connectionOrder(input.connectionFds, ok, frontReceives, requestBytes, rec) : null;
  const isRequestFd = (fd: number) => (connFds ? connFds.includes(fd) : fd === requestFd);
  const arrivals = new Stream(
    trace.arrivals.filter((a) => requestBytes !== null && a.len === requestBytes + IP_UDP_BYTES),
    (a) => rec(a.ns),
  );
  const frontSends = trace.sends.filter((s) => s.tgid === pid);
  // One receive and one reply stream per request fd: in order on each connection (TCP keeps it).
  const receivesByFd = new Map<number, Stream<ServiceTrace['receives'][number]>>();
  const repliesByFd = new Map<number, Stream<ServiceTrace['sends'][number]>>();
  for (const fd of connFds ?? (requestFd !== null ? [requestFd] : [])) {
    receivesByFd.set(
      fd,
      new Stream(
        frontReceives.filter((r) => r.fd === fd && r.bytes === requestBytes),
        (r) => rec(r.exitNs),
      ),
    );
    repliesByFd.set(
      fd,
      new Stream(
        frontSends.filter((s) => s.fd === fd),
        (s) => rec(s.ns),
      ),
    );
  }
  const fdOf = (seq: number) => (connFds ? connFds[seq % connFds.length]! : requestFd);
  // Across connections, threads send (and forward) in their own order: those events are taken out of order.
  const shared = <T>(items: readonly T[], at: (t: T) => number): Taker<T> => (connFds ? new Pool(items, at) : new Stream(items, at));
  const forwards = shared(
    frontSends.filter((s) => !isRequestFd(s.fd)),
    (s) => rec(s.ns),
  );
  const hopReplies = shared(
    frontReceives.filter((r) => !isRequestFd(r.fd)),
    (r) => rec(r.exitNs),
  );
  // ARP and other small frames are not replies (the framing's header alone is 24 bytes). On lo the
  // client's request frames leave too, but always before the reply's send call, so the cursor skips them.
  const departures = shared(
    trace.departures.filter((d) => d.len >= ETH_BYTES + IP_UDP_BYTES + 24),
    (d) => rec(d.ns),
  );
  const chained = input.downstreamPid !== undefined;
  const waitsByTid = new Map<number, Interval[]>();
  for (const w of trace.waits) {
    const list = waitsByTid.get(w.tid) ?? [];
    list.push({ fromNs: rec(w.fromNs), toNs: rec(w.toNs) });
    waitsByTid.set(w.tid, list);
  }
  const onRecordClock = (p: RuntimePauses | null | undefined): Interval[] =>
    (p?.pauses ?? []).map((x) => ({ fromNs: rec(x.startNs), toNs: rec(x.startNs + x.durationNs) }));
  const pauses = onRecordClock(input.pauses);
  // The downstream's pauses, from its own log: measured inside each hop, never a remainder of it.
  const downstreamPauses = chained && input.downstreamPauses ? onRecordClock(input.downstreamPauses) : null;

  const unmatched: UnmatchedSteps = { arrival: 0, receive: 0, hop: 0, send: 0, departure: 0, clientStamps: 0 };
  const requests: ServiceRequest[] = [];
  // The previous request's reply, by the thread that receives (one thread per connection, or one for all).
  let previousReplyNs = -Infinity;
  const previousReplyByTid = new Map<number, number>();
  const byConnection: ConnectionMatch[] | null = connFds ? connFds.map((fd, index) => ({ index, fd, requests: 0, matched: 0 })) : null;
  for (const r of ok) {
    const conn = byConnection ? byConnection[r.seq % byConnection.length]! : null;
    if (conn) conn.requests++;
    if (r.cSendNs === null || r.cRetNs === null || r.rttNs === null) {
      unmatched.clientStamps++;
      continue;
    }
    const lo = r.cSendNs;
    const hi = r.cRetNs;
    const arrival = arrivals.take(lo, hi);
    if (!arrival) {
      unmatched.arrival++;
      continue;
    }
    const arrivalNs = rec(arrival.ns);
    const fd = fdOf(r.seq);
    const recv = fd === null ? null : (receivesByFd.get(fd)?.take(arrivalNs, hi) ?? null);
    if (!recv) {
      unmatched.receive++;
      continue;
    }
    const recvNs = rec(recv.exitNs);
    let hop: Interval | null = null;
    if (chained) {
      // Several connections: the hop of the thread that received the request first (a thread per
      // connection forwards and reads the reply itself; one event loop is one thread anyway).
      const sameThread = (e: { tid: number }) => e.tid === recv.tid;
      const fwd = forwards.take(recvNs, hi, sameThread);
      const back = fwd ? hopReplies.take(rec(fwd.ns), hi, sameThread) : null;
      if (!fwd || !back) {
        unmatched.hop++;
        continue;
      }
      hop = { fromNs: rec(fwd.ns), toNs: rec(back.exitNs) };
    }
    const reply = repliesByFd.get(recv.fd)!.take(hop ? hop.toNs : recvNs, hi);
    if (!reply) {
      unmatched.send++;
      continue;
    }
    const replyNs = rec(reply.ns);
    const departure = departures.take(replyNs, hi);
    if (!departure) {
      unmatched.departure++;
      continue;
    }
    const departureNs = rec(departure.ns);
    // Runtime pauses first (a thread stopped for a collection waits on the runtime, not the
    // scheduler); waiting to run is the receiving thread's runnable-not-running time outside them.
    const rxWindow = { fromNs: arrivalNs, toNs: recvNs };
    const appWindow = { fromNs: recvNs, toNs: replyNs };
    const waits = waitsByTid.get(recv.tid) ?? [];
    const pauseRx = overlapNs(pauses, rxWindow);
    const pauseApp = overlapNs(pauses, appWindow) - (hop ? overlapNs(pauses, hop) : 0);
    const waitRx = coveredNs(waits, rxWindow, pauses);
    const hopNs = hop ? hop.toNs - hop.fromNs : 0;
    // Queueing: the request sat in the socket while the service was still busy with the one
    // before (until that one's reply was sent), less any pause or waiting already counted.
    const previousNs = connFds ? (previousReplyByTid.get(recv.tid) ?? -Infinity) : previousReplyNs;
    const queueWindow = { fromNs: arrivalNs, toNs: Math.min(Math.max(previousNs, arrivalNs), recvNs) };
    const queueNs = queueWindow.toNs - queueWindow.fromNs - overlapNs([...pauses, ...waits], queueWindow);
    previousReplyNs = replyNs;
    previousReplyByTid.set(recv.tid, Math.max(replyNs, previousReplyByTid.get(recv.tid) ?? -Infinity));
    if (conn) conn.matched++;
    const components: Record<ServiceComponentName, number> = {
      kernelRx: recvNs - arrivalNs - pauseRx - waitRx - queueNs,
      wakeup: waitRx,
      queueing: queueNs,
      pauses: pauseRx + pauseApp,
      application: replyNs - recvNs - hopNs - pauseApp,
      hops: hopNs,
      kernelTx: departureNs - replyNs,
      clientAndWire: r.rttNs - (departureNs - arrivalNs),
    };
    requests.push({
      seq: r.seq,
      startNs: arrivalNs,
      endNs: replyNs,
      rttUs: r.rttNs / 1e3,
      us: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, v / 1e3])) as Record<ServiceComponentName, number>,
      ...(hop ? { hop } : {}),
      ...(hop && downstreamPauses ? { hopDownstreamPausesUs: overlapNs(downstreamPauses, hop) / 1e3 } : {}),
    });
  }
  const result = serviceStats({
    requests,
    offered: ok.length,
    unmatched,
    pauses: input.pauses,
    pausesOnRecordClock: pauses,
    downstreamPauses: chained ? (input.downstreamPauses ?? null) : null,
    downstreamPausesOnRecordClock: downstreamPauses ?? [],
    chained,
    requestBytes,
    minMatchedRatio: MIN_MATCHED_RATIO,
  });
  return byConnection ? { ...result, byConnection } : result;
}
