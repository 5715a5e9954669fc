// The service tracer: drivers/bpftrace/service.bt follows one unmodified service (and, for a
// chain, the service behind it) through tracepoints only — packets on the service side's
// interface, the services' receive and send syscalls, and their threads' scheduler events. The
// script is a file of the project; its inputs (pids, interface) are positional parameters, so
// nothing of them becomes script text. Facts from real runs (bpftrace 0.17, kernel 6.18):
// - "Attaching N probes..." is printed while probes still attach; BEGIN's "ready" comes after.
// - Lines from different CPUs can come out of time order: the analysis sorts by time.
// - Java's DatagramChannel receives with recvfrom and sends with sendto; Node (libuv) sleeps in
//   epoll_pwait, then recvmsg (one more returns EAGAIN) and sendmsg.
// - On veth, net_dev_xmit's len includes the 14-byte Ethernet header, netif_receive_skb's does not.
// - TCP (the fourth parameter 1): Java's blocking SocketChannel and libuv read/write their
//   connections; the JVM's log writes are write() calls too (another fd, dropped by the analysis).
// - A printf per event (the first version) woke bpftrace's reader per event: on 2 vCPUs the Java
//   service's p99 rose 1.20× with the tracer on (bench/service-trace-overhead.ts), and the reader
//   preempted the traced threads themselves: 16k–24k "P" events per 5 s trial at 200 req/s, against
//   0.6k–0.7k with the maps (same bench, loaded VM). Events now stay
//   in BPF maps (as wakeup.ts does), printed once when bpftrace stops on SIGINT; every map holds
//   BPFTRACE_MAP_KEYS_MAX entries, preallocated (about 85–115 bytes each), so it is sized per trial.
// - bpftrace here is v0.17.0 (Debian 12, LLVM 14); `bpftrace --info`: BTF yes, map batch yes, map
//   types hash / percpu hash / array / percpu array / perf_event_array (no ring buffer listed), no
//   kfunc or iter probes; its @maps are hash maps created with flags 0, i.e. preallocated (memlock
//   ≈ 85 bytes + key per entry: 8.5 MB per 100k entries of an 8-byte key).
// - The net tracepoints carry the device name but no ifindex; the BTF cast
//   ((struct sk_buff *)args->skbaddr)->dev->nd_net.net->ns.inum works (bpftrace 0.17 has BTF here),
//   so arriving packets of other namespaces are dropped by an integer compare before the name
//   compare. Not for net_dev_xmit: by then a veth has forwarded the skb to its peer (skb->dev is
//   the peer, in the client's namespace; the first run with it matched no departure).
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { projectRoot } from '../../core/project.js';
import { assertIfName } from '../../core/validate.js';

/** The script's readiness line (printed by its BEGIN probe, after every probe attached). */
export const SERVICE_TRACE_READY = 'ready';

export function serviceScriptPath(): string {
  return join(projectRoot(), 'drivers', 'bpftrace', 'service.bt');
}

export interface ServiceTraceParams {
  /** The service's process id (tgid); a positional parameter, filtered in the kernel. */
  pid: number;
  /** A downstream service of a chain, traced too; absent = none. */
  downstreamPid?: number;
  /** The interface where requests arrive and replies leave (the server's veth end, or lo). */
  ifname: string;
  /** A TCP service: its read/readv and write/writev calls are traced too (absent = UDP). */
  tcp?: boolean;
  /** Inode of the network namespace the interface is in (netnsInode(pid)). */
  netnsInode: number;
  /** Entries of each event map (serviceTraceMapEntries). */
  mapEntries: number;
}

/** Map entries when nothing better is known: 20 s of 500 req/s, four events of a kind per request. */
export const SERVICE_TRACE_MAP_ENTRIES_MIN = 40_000;

/**
 * Entries per map for a trial: requests × events of one kind per request (a chain's front service
 * receives and sends twice, its downstream once; TCP adds ACK packets; preemptions under load), ×2
 * headroom, over the duration plus 3 s (start-up and stop). A full map is detected, never silent.
 */
export function serviceTraceMapEntries(offeredPps: number, durationS: number, chain = false): number {
  if (!(offeredPps > 0 && durationS > 0)) throw new Error(`service tracer map size: rate and duration must be positive, got ${offeredPps}, ${durationS}`);
  return Math.max(SERVICE_TRACE_MAP_ENTRIES_MIN, Math.ceil(offeredPps * (durationS + 3)) * (chain ? 8 : 4));
}

/**
 * How long bpftrace may take to print its maps once told to stop: 200 000 entries took 2.0 s on the
 * loaded 2-vCPU VM; six event maps of `mapEntries` each, at 50 000 entries a second, plus 3 s.
 */
export function serviceTraceStopGraceMs(mapEntries: number): number {
  return 3000 + Math.ceil((6 * mapEntries) / 50);
}

/** The inode of a process's network namespace ("net:[4026532290]" → 4026532290). */
export function netnsInode(pid: number, link = readlinkSync(`/proc/${pid}/ns/net`)): number {
  // The link's target, e.g. "net:[4026531833]".
  const m = /^net:\[(\d+)\]$/.exec(link);
  if (!m) throw new Error(`/proc/${pid}/ns/net: expected "net:[inode]", got ${JSON.stringify(link)}`);
  return Number(m[1]);
}

function checkPid(field: string, pid: number): void {
  if (!Number.isInteger(pid) || pid < 1 || pid > 4_194_304) throw new UserError(`service tracer: ${field} must be a process id (1..4194304), got ${pid}`);
}

/** bpftrace's argv: env sizing its maps, the project's script file and its six positional parameters. */
export function buildServiceTraceCommand(p: ServiceTraceParams): string[] {
  checkPid('pid', p.pid);
  if (p.downstreamPid !== undefined) checkPid('downstreamPid', p.downstreamPid);
  assertIfName(p.ifname, 'service tracer: ifname');
  if (!(Number.isInteger(p.netnsInode) && p.netnsInode > 0)) throw new UserError(`service tracer: netnsInode must be a positive integer, got ${p.netnsInode}`);
  if (!(Number.isInteger(p.mapEntries) && p.mapEntries > 0)) throw new UserError(`service tracer: mapEntries must be a positive integer, got ${p.mapEntries}`);
  return [
    'env',
    `BPFTRACE_MAP_KEYS_MAX=${p.mapEntries}`,
    'bpftrace',
    serviceScriptPath(),
    String(p.pid),
    String(p.downstreamPid ?? 0),
    p.ifname,
    p.tcp ? '1' : '0',
    String(p.netnsInode),
    String(p.mapEntries),
  ];
}

/** A receive syscall that returned data, or a send syscall entered, by one of the traced processes. */
export interface SyscallEvent {
  tgid: number;
  tid: number;
  fd: number;
}

/** The tracer's events, each kind sorted by time (CLOCK_MONOTONIC ns). */
export interface ServiceTrace {
  /** The traced service's process id and its downstream's (null: none), from the script's first line. */
  pid: number | null;
  downstreamPid: number | null;
  /** Traced as a TCP service (read/write calls included; the pids line's third field, absent before TCP support). */
  tcp?: boolean;
  /** Packets arriving on the interface: time and length (IP packet). */
  arrivals: { ns: number; len: number }[];
  /** Packets leaving through it: time and length (Ethernet frame). */
  departures: { ns: number; len: number }[];
  receives: (SyscallEvent & { enterNs: number; exitNs: number; bytes: number })[];
  sends: (SyscallEvent & { ns: number })[];
  /** Runnable-not-running stretches of the services' threads (same meaning as wakeup.ts's W/P). */
  waits: { kind: 'wakeup' | 'preempted'; tid: number; fromNs: number; toNs: number }[];
  /** The tracer's maps (absent: a trace of the printf version): entries written, kept and lost. */
  events?: ServiceTraceEvents;
}

export interface ServiceTraceEvents {
  /** Entries written into the maps (@n). */
  written: number;
  /** Entries printed (= written unless some were lost). */
  kept: number;
  /** Entries that did not fit (a full map) or overwrote another (same key): written − kept. */
  lost: number;
  /** Entries each map could hold. */
  mapEntries: number;
  /** A map was full from this time on: events after it were dropped from every kind, so the requests after it count as unmatched. */
  truncatedAtNs: number | null;
}

// "pids 19304 0" or "pids 19304 0 1": the service's and its downstream's process ids (0 = none), then the TCP flag.
const PIDS = /^pids (\d+) (\d+)(?: ([01]))?$/;
// "map 40000": the entries each map holds (BEGIN of the map version).
const MAP_SIZE = /^map (\d+)$/;
// The map version's END line, printed before bpftrace dumps its maps.
const END_LINE = 'end';

// The printf version's lines (older traces and fixtures):
// "R 10993414359659 236" / "X 10993414357193 250": packet in / out, time, length.
const PACKET = /^([RX]) (\d+) (\d+)$/;
// "r 19304 19308 4 10993414376269 10993414378375 197": tgid, tid, fd, enter, exit, bytes.
const RECV = /^r (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/;
// "s 19304 19308 4 10993414342981": tgid, tid, fd, enter.
const SEND = /^s (\d+) (\d+) (-?\d+) (\d+)$/;
// "W 19308 10993414370001 10993414375012": thread, runnable from, switched in.
const WAIT = /^([WP]) (\d+) (\d+) (\d+)$/;

// The map version's dump, printed when bpftrace stops:
// "@R[1, 33585304395836]: 128" / "@X[0, 33610458774865]: 142": packet in / out, cpu, time; length.
const MAP_PACKET = /^@([RX])\[(\d+), (\d+)\]: (\d+)$/;
// "@r[27392, 27392, 3, 33610458619577, 33610458675473]: 100": tgid, tid, fd, enter, exit; bytes.
const MAP_RECV = /^@r\[(\d+), (\d+), (\d+), (\d+), (\d+)\]: (\d+)$/;
// "@s[27392, 27392, 33610458771358]: 3": tgid, tid, enter; fd.
const MAP_SEND = /^@s\[(\d+), (\d+), (\d+)\]: (-?\d+)$/;
// "@W[27392, 33610458663266]: 33610458670485": thread, runnable from; switched in.
const MAP_WAIT = /^@([WP])\[(\d+), (\d+)\]: (\d+)$/;
// "@n: 34": entries written into the maps.
const MAP_COUNT = /^@n: (\d+)$/;

type Wait = ServiceTrace['waits'][number];

function wait(kind: string, tid: string, fromNs: string, toNs: string, where: string): Wait {
  const from = Number(fromNs);
  const to = Number(toNs);
  if (to < from) throw new UserError(`${where}: switch-in ${to} precedes ${from}`);
  return { kind: kind === 'W' ? 'wakeup' : 'preempted', tid: Number(tid), fromNs: from, toNs: to };
}

/** One event line of either version into `t`; false if it is none. */
function addEvent(t: ServiceTrace, line: string, where: string): boolean {
  let m = PACKET.exec(line) ?? MAP_PACKET.exec(line);
  if (m) {
    // The map version's key has the cpu before the time.
    const [ns, len] = m.length === 5 ? [m[3], m[4]] : [m[2], m[3]];
    (m[1] === 'R' ? t.arrivals : t.departures).push({ ns: Number(ns), len: Number(len) });
    return true;
  }
  m = RECV.exec(line) ?? MAP_RECV.exec(line);
  if (m) {
    t.receives.push({ tgid: Number(m[1]), tid: Number(m[2]), fd: Number(m[3]), enterNs: Number(m[4]), exitNs: Number(m[5]), bytes: Number(m[6]) });
    return true;
  }
  m = SEND.exec(line);
  if (m) {
    t.sends.push({ tgid: Number(m[1]), tid: Number(m[2]), fd: Number(m[3]), ns: Number(m[4]) });
    return true;
  }
  m = MAP_SEND.exec(line);
  if (m) {
    t.sends.push({ tgid: Number(m[1]), tid: Number(m[2]), fd: Number(m[4]), ns: Number(m[3]) });
    return true;
  }
  m = WAIT.exec(line) ?? MAP_WAIT.exec(line);
  if (m) {
    t.waits.push(wait(m[1]!, m[2]!, m[3]!, m[4]!, where));
    return true;
  }
  return false;
}

/**
 * A map that filled up lost every event of its kind from then on. The earliest last event of a
 * full map is where the trace stops being complete: events of every kind after it are dropped,
 * so the requests after it count as unmatched (by their first missing component) rather than
 * being matched to a partial set of events.
 */
function truncateAtFullMap(t: ServiceTrace, mapEntries: number): number | null {
  // (A reduce, not Math.max(...xs): spreading 100k arguments overflows the stack.)
  const lastNs = (xs: number[]) => (xs.length >= mapEntries ? xs.reduce((a, x) => Math.max(a, x), 0) : Infinity);
  const cut = Math.min(
    lastNs(t.arrivals.map((e) => e.ns)),
    lastNs(t.departures.map((e) => e.ns)),
    lastNs(t.receives.map((e) => e.exitNs)),
    lastNs(t.sends.map((e) => e.ns)),
    lastNs(t.waits.filter((w) => w.kind === 'wakeup').map((e) => e.toNs)),
    lastNs(t.waits.filter((w) => w.kind === 'preempted').map((e) => e.toNs)),
  );
  if (cut === Infinity) return null;
  t.arrivals = t.arrivals.filter((e) => e.ns <= cut);
  t.departures = t.departures.filter((e) => e.ns <= cut);
  t.receives = t.receives.filter((e) => e.exitNs <= cut);
  t.sends = t.sends.filter((e) => e.ns <= cut);
  t.waits = t.waits.filter((e) => e.toNs <= cut);
  return cut;
}

/**
 * Parses service.bt's output, either version: the printf lines of the first one, or the map dump
 * of the current one ("end", then the maps). bpftrace's own lines ("Attaching…", "ready", blank)
 * are skipped. A map version without "end" was killed before its dump: an error, not an empty trace.
 */
export function parseServiceTrace(text: string, source = 'service tracer output'): ServiceTrace {
  const t: ServiceTrace = { pid: null, downstreamPid: null, tcp: false, arrivals: [], departures: [], receives: [], sends: [], waits: [] };
  let mapEntries: number | null = null;
  let written: number | null = null;
  let ended = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line === SERVICE_TRACE_READY || line.startsWith('Attaching')) return;
    if (line === END_LINE) {
      ended = true;
      return;
    }
    let m = PIDS.exec(line);
    if (m) {
      t.pid = Number(m[1]);
      t.downstreamPid = m[2] === '0' ? null : Number(m[2]);
      t.tcp = m[3] === '1';
      return;
    }
    m = MAP_SIZE.exec(line);
    if (m) {
      mapEntries = Number(m[1]);
      return;
    }
    m = MAP_COUNT.exec(line);
    if (m) {
      written = Number(m[1]);
      return;
    }
    if (addEvent(t, line, `${source} line ${i + 1}`)) return;
    throw new UserError(`${source} line ${i + 1}: expected an R, X, r, s, W or P event (a line or a map entry), got ${JSON.stringify(line.slice(0, 80))}`);
  });
  t.arrivals.sort((a, b) => a.ns - b.ns);
  t.departures.sort((a, b) => a.ns - b.ns);
  t.receives.sort((a, b) => a.exitNs - b.exitNs);
  t.sends.sort((a, b) => a.ns - b.ns);
  t.waits.sort((a, b) => a.fromNs - b.fromNs);
  if (mapEntries === null) return t;
  if (!ended) throw new UserError(`${source}: no "end" line: bpftrace was stopped before it printed its maps (killed, or its stop grace was too short)`);
  const kept = t.arrivals.length + t.departures.length + t.receives.length + t.sends.length + t.waits.length;
  // Nothing traced at all: bpftrace prints no empty map, @n included.
  const n = written ?? 0;
  if (kept > n) throw new UserError(`${source}: ${kept} map entries but "@n: ${n}" written: the dump is inconsistent`);
  const truncatedAtNs = n > kept ? truncateAtFullMap(t, mapEntries) : null;
  t.events = { written: n, kept, lost: n - kept, mapEntries, truncatedAtNs };
  return t;
}
