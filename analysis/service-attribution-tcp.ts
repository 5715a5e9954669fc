// TCP services for analysis/service-attribution.ts: a TCP service's trace is turned into one
// event per request (what a UDP service's trace already is), so the same matching attributes it.
//
// TCP is a byte stream: one segment, or one read() of the service, may carry several requests (the
// client's sends coalesced by TCP, or the service reading late), and pure ACKs are packets too.
// So every event is counted in request units of the request's size: the connections' reads
// (fds the service both reads and writes, ≥ 24 bytes) of n × the request size become n receives;
// data segments whose payload (length less the IP + TCP header, learnt from the commonest segment)
// is n × the request size become n arrivals, and likewise for replies leaving. Events that fit no
// whole number of requests are counted (unmatchedSegments, unmatchedReads), never silently
// dropped; requests that shared a segment or a read are counted too (coalesced…). Several client
// connections keep their own fds, and the matching takes each request from its own connection
// (assignConnections below says which fd is which). Reads that end before the first data segment
// arrived are not requests (a runtime reads its files on fds its sockets get later). Writes are
// taken as one reply each.
// A chain's front: its connections to the downstream service become one hop fd (see below).
import type { ServiceTrace } from '../drivers/bpftrace/index.js';
import { Stream } from './service-streams.js';

/** IPv4 + UDP header bytes, as the UDP matching expects of an arrival's length. */
const IP_UDP_BYTES = 28;
const ETH_BYTES = 14;
/** Framing header: nothing shorter is a request or a reply. */
const MIN_FRAME_BYTES = 24;
/** A request's size may vary by this many bytes (ndjson: the id's digits). */
const TOLERANCE_BYTES = 8;
/** IPv4 (20) + TCP (20) + timestamps option (12): the usual header, when no segment says otherwise. */
const DEFAULT_HEADER_BYTES = 52;

export interface TcpMatching {
  protocol: 'tcp';
  /** The commonest read of a connection: one request's bytes on the stream. */
  requestBytes: number | null;
  replyBytes: number | null;
  /** IP + TCP header bytes of a data segment (learnt from the segments). */
  headerBytes: number;
  /** Connection fds of the service (read and written, ≥ 24 bytes). */
  connections: number;
  /** Requests matched on their own connection (several connections), or by order on one. */
  matchedBy: 'connection' | 'order';
  /** The client connections' fds, ascending (several connections; [] with one). */
  connectionFds: number[];
  /** Reads that fit no whole number of requests, per connection (same order as connectionFds). */
  unmatchedReadsByConnection: number[];
  /** Requests that arrived in a segment, or were read in a read(), together with an earlier one. */
  coalescedSegments: number;
  coalescedReads: number;
  /** Data segments and reads that hold no whole number of requests (counted, not used). */
  unmatchedSegments: number;
  unmatchedReads: number;
}

function mostCommon(values: readonly number[]): number | null {
  const counts = new Map<number, number>();
  let best: number | null = null;
  let bestN = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestN) {
      best = v;
      bestN = n;
    }
  }
  return best;
}

/** Whole requests of `unit` bytes in `bytes` (within the tolerance), else 0. */
function units(bytes: number, unit: number): number {
  const n = Math.round(bytes / unit);
  return n >= 1 && Math.abs(bytes - n * unit) <= TOLERANCE_BYTES * n ? n : 0;
}

/**
 * A request's size from the reads that carry requests: the smallest size seen in ≥ 10 % of them
 * of which ≥ half of all reads are whole multiples. The commonest read alone is not enough: a
 * service that falls behind reads two or three requests at a time, and when that became the
 * commonest read no single request matched (seen on a loaded CI run of a Java chain).
 */
export function requestSizeOf(reads: readonly { bytes: number }[]): number | null {
  const counts = new Map<number, number>();
  for (const r of reads) counts.set(r.bytes, (counts.get(r.bytes) ?? 0) + 1);
  const candidates = [...counts].filter(([, n]) => n >= reads.length * 0.1).map(([size]) => size);
  for (const size of candidates.sort((a, b) => a - b)) {
    if (reads.filter((r) => units(r.bytes, size) > 0).length >= reads.length / 2) return size;
  }
  return mostCommon(reads.map((r) => r.bytes));
}

/** The trace with one event per request (see the file's comment) and how the byte stream was counted. */
/** Reads of ≥ 24 bytes on the process's connections (fds it also writes). */
function connectionReads(trace: ServiceTrace, tgid: number): ServiceTrace['receives'] {
  const sendFds = new Set(trace.sends.filter((s) => s.tgid === tgid).map((s) => s.fd));
  return trace.receives.filter((r) => r.tgid === tgid && r.bytes >= MIN_FRAME_BYTES && sendFds.has(r.fd));
}

export function tcpRequestTrace(trace: ServiceTrace, pid: number): { trace: ServiceTrace; matching: TcpMatching } {
  // Nothing read before the first data segment arrived is a request (IP + TCP header ≥ 40 bytes + a frame).
  const firstDataNs = trace.arrivals.find((a) => a.len >= 40 + MIN_FRAME_BYTES)?.ns ?? -Infinity;
  const afterData = (r: { exitNs: number }) => r.exitNs >= firstDataNs;
  const allReads = connectionReads(trace, pid).filter(afterData);
  // A chain's front also reads the downstream's replies: the request's size is then the
  // downstream's commonest read (it receives only requests), and the front's connections whose
  // reads are not requests are its hop connections (kept apart, one fd, as a UDP chain's socket).
  const downstream = trace.downstreamPid ?? null;
  const requestBytes = requestSizeOf(downstream !== null ? connectionReads(trace, downstream).filter(afterData) : allReads);
  // A client connection is one whose reads are mostly requests: "any read fits" took a chain's hop
  // connection for one when a stall made 18 replies of 208 bytes arrive in one read (3 744 ≈ 19 × 197).
  const clientFd = (fd: number) => {
    if (requestBytes === null) return false;
    const onFd = allReads.filter((r) => r.fd === fd);
    return onFd.filter((r) => units(r.bytes, requestBytes) > 0).length * 2 > onFd.length;
  };
  const reads = allReads.filter((r) => clientFd(r.fd));
  const hopReads = allReads.filter((r) => !clientFd(r.fd));
  const connFds = new Set(reads.map((r) => r.fd));
  const hopFds = new Set(hopReads.map((r) => r.fd));
  const matching: TcpMatching = {
    protocol: 'tcp',
    requestBytes,
    replyBytes: null,
    headerBytes: DEFAULT_HEADER_BYTES,
    connections: connFds.size,
    matchedBy: 'order',
    connectionFds: [],
    unmatchedReadsByConnection: [],
    coalescedSegments: 0,
    coalescedReads: 0,
    unmatchedSegments: 0,
    unmatchedReads: 0,
  };
  const others = trace.receives.filter((r) => r.tgid !== pid);
  const hopFd = hopFds.size > 0 ? Math.min(...hopFds) : null;
  // The hop's replies as one receive each (a read holding two counts twice).
  const hopReplyBytes = mostCommon(hopReads.map((r) => r.bytes));
  for (const r of hopReads) {
    const n = downstream !== null && hopReplyBytes !== null ? Math.max(1, units(r.bytes, hopReplyBytes)) : 0;
    for (let k = 0; k < n; k++) others.push({ ...r, fd: hopFd! });
  }
  if (requestBytes === null) return { trace: { ...trace, arrivals: [], departures: [], receives: others }, matching };
  // Several connections: each keeps its fd (which is which: assignConnections); one: merged as before.
  const order = [...connFds].sort((a, b) => a - b);
  const perConnection = order.length >= 2;
  if (perConnection) {
    matching.matchedBy = 'connection';
    matching.connectionFds = order;
    matching.unmatchedReadsByConnection = order.map(() => 0);
  }
  const fd = Math.min(...connFds);
  const fdOf = (f: number) => (perConnection ? f : fd);

  const receives: ServiceTrace['receives'] = [];
  for (const r of reads) {
    const n = units(r.bytes, requestBytes);
    if (n === 0) {
      matching.unmatchedReads++;
      if (perConnection) matching.unmatchedReadsByConnection[order.indexOf(r.fd)]!++;
    }
    matching.coalescedReads += Math.max(0, n - 1);
    for (let k = 0; k < n; k++) receives.push({ ...r, fd: fdOf(r.fd), bytes: requestBytes });
  }

  // Header bytes: the commonest difference between a segment and the request, if plausible (IP + TCP 40..80).
  const header = mostCommon(trace.arrivals.map((a) => a.len - requestBytes).filter((h) => h >= 40 && h <= 80));
  matching.headerBytes = header ?? DEFAULT_HEADER_BYTES;
  const arrivals: ServiceTrace['arrivals'] = [];
  for (const a of trace.arrivals) {
    const payload = a.len - matching.headerBytes;
    if (payload < MIN_FRAME_BYTES) continue; // pure ACKs and other control segments
    const n = units(payload, requestBytes);
    if (n === 0) matching.unmatchedSegments++;
    matching.coalescedSegments += Math.max(0, n - 1);
    for (let k = 0; k < n; k++) arrivals.push({ ns: a.ns, len: requestBytes + IP_UDP_BYTES });
  }

  // Replies: the commonest data payload leaving that is not a request (on lo the requests leave too).
  const outPayloads = trace.departures.map((d) => d.len - ETH_BYTES - matching.headerBytes).filter((p) => p >= MIN_FRAME_BYTES);
  const replyBytes = mostCommon(outPayloads.filter((p) => units(p, requestBytes) === 0)) ?? mostCommon(outPayloads);
  matching.replyBytes = replyBytes;
  const departures: ServiceTrace['departures'] = [];
  if (replyBytes !== null) {
    for (const d of trace.departures) {
      const n = units(d.len - ETH_BYTES - matching.headerBytes, replyBytes);
      for (let k = 0; k < n; k++) departures.push({ ns: d.ns, len: ETH_BYTES + IP_UDP_BYTES + replyBytes });
    }
  }
  const sends = trace.sends
    .filter((s) => s.tgid !== pid || connFds.has(s.fd) || (downstream !== null && hopFds.has(s.fd)))
    .map((s) => (s.tgid !== pid ? s : { ...s, fd: connFds.has(s.fd) ? fdOf(s.fd) : hopFd! }));
  const byExit = (a: { exitNs: number }, b: { exitNs: number }) => a.exitNs - b.exitNs;
  return { trace: { ...trace, arrivals, departures, receives: [...receives, ...others].sort(byExit), sends }, matching };
}

/** A client request as the connection assignment needs it: its seq and its window on the trace's clock. */
export interface RequestWindow {
  seq: number;
  fromNs: number;
  toNs: number;
}

/**
 * Which service fd is which client connection: the client sends request seq on connection
 * seq % N (native/tsprobe/tcp_client.c), so connection k's requests are those seq ≡ k. Each
 * (connection, fd) pair is scored by how many of the connection's requests, in order, find a read
 * on the fd inside their window, and pairs are taken best first. Scoring by the data rather than by
 * fd number or first read: the service accepts in its own order, and fds are reused.
 * Returns the fd of each connection index, or null when there are not as many fds as connections.
 */
export function assignConnections(
  windows: readonly RequestWindow[],
  receivesByFd: ReadonlyMap<number, readonly { exitNs: number }[]>,
  connections: number,
): number[] | null {
  const fds = [...receivesByFd.keys()].sort((a, b) => a - b);
  if (fds.length !== connections || connections < 2) return null;
  const scores: { k: number; fd: number; score: number }[] = [];
  for (let k = 0; k < connections; k++) {
    const mine = windows.filter((w) => w.seq % connections === k);
    for (const fd of fds) {
      const stream = new Stream(receivesByFd.get(fd)!, (r) => r.exitNs);
      scores.push({ k, fd, score: mine.filter((w) => stream.take(w.fromNs, w.toNs) !== null).length });
    }
  }
  const byK: number[] = [];
  const taken = new Set<number>();
  for (const { k, fd } of scores.sort((a, b) => b.score - a.score || a.k - b.k || a.fd - b.fd)) {
    if (byK[k] !== undefined || taken.has(fd)) continue;
    byK[k] = fd;
    taken.add(fd);
  }
  return byK;
}
