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
}

function checkPid(field: string, pid: number): void {
  if (!Number.isInteger(pid) || pid < 1 || pid > 4_194_304) throw new UserError(`service tracer: ${field} must be a process id (1..4194304), got ${pid}`);
}

/** bpftrace's argv: the project's script file and its four positional parameters. */
export function buildServiceTraceCommand(p: ServiceTraceParams): string[] {
  checkPid('pid', p.pid);
  if (p.downstreamPid !== undefined) checkPid('downstreamPid', p.downstreamPid);
  assertIfName(p.ifname, 'service tracer: ifname');
  return ['bpftrace', serviceScriptPath(), String(p.pid), String(p.downstreamPid ?? 0), p.ifname, p.tcp ? '1' : '0'];
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
}

// "pids 19304 0" or "pids 19304 0 1": the service's and its downstream's process ids (0 = none), then the TCP flag.
const PIDS = /^pids (\d+) (\d+)(?: ([01]))?$/;
// "R 10993414359659 236" / "X 10993414357193 250": packet in / out, time, length.
const PACKET = /^([RX]) (\d+) (\d+)$/;
// "r 19304 19308 4 10993414376269 10993414378375 197": tgid, tid, fd, enter, exit, bytes.
const RECV = /^r (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/;
// "s 19304 19308 4 10993414342981": tgid, tid, fd, enter.
const SEND = /^s (\d+) (\d+) (-?\d+) (\d+)$/;
// "W 19308 10993414370001 10993414375012": thread, runnable from, switched in.
const WAIT = /^([WP]) (\d+) (\d+) (\d+)$/;

/** Parses service.bt's output; bpftrace's own lines ("Attaching…", "ready", blank) are skipped. */
export function parseServiceTrace(text: string, source = 'service tracer output'): ServiceTrace {
  const t: ServiceTrace = { pid: null, downstreamPid: null, tcp: false, arrivals: [], departures: [], receives: [], sends: [], waits: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line === SERVICE_TRACE_READY || line.startsWith('Attaching')) return;
    let m = PIDS.exec(line);
    if (m) {
      t.pid = Number(m[1]);
      t.downstreamPid = m[2] === '0' ? null : Number(m[2]);
      t.tcp = m[3] === '1';
      return;
    }
    m = PACKET.exec(line);
    if (m) {
      (m[1] === 'R' ? t.arrivals : t.departures).push({ ns: Number(m[2]), len: Number(m[3]) });
      return;
    }
    m = RECV.exec(line);
    if (m) {
      t.receives.push({ tgid: Number(m[1]), tid: Number(m[2]), fd: Number(m[3]), enterNs: Number(m[4]), exitNs: Number(m[5]), bytes: Number(m[6]) });
      return;
    }
    m = SEND.exec(line);
    if (m) {
      t.sends.push({ tgid: Number(m[1]), tid: Number(m[2]), fd: Number(m[3]), ns: Number(m[4]) });
      return;
    }
    m = WAIT.exec(line);
    if (m) {
      const from = Number(m[3]);
      const to = Number(m[4]);
      if (to < from) throw new UserError(`${source} line ${i + 1}: switch-in ${to} precedes ${from}`);
      t.waits.push({ kind: m[1] === 'W' ? 'wakeup' : 'preempted', tid: Number(m[2]), fromNs: from, toNs: to });
      return;
    }
    throw new UserError(`${source} line ${i + 1}: expected an R, X, r, s, W or P event, got ${JSON.stringify(line.slice(0, 80))}`);
  });
  t.arrivals.sort((a, b) => a.ns - b.ns);
  t.departures.sort((a, b) => a.ns - b.ns);
  t.receives.sort((a, b) => a.exitNs - b.exitNs);
  t.sends.sort((a, b) => a.ns - b.ns);
  t.waits.sort((a, b) => a.fromNs - b.fromNs);
  return t;
}
