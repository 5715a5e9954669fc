// The service tracer's argv (positional parameters only) and its output, from a real capture.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildServiceTraceCommand,
  netnsInode,
  parseServiceTrace,
  serviceScriptPath,
  serviceTraceMapEntries,
  serviceTraceStopGraceMs,
} from '../../../drivers/bpftrace/index.js';
import { fixturePath } from '../../helpers/fixtures.js';

describe('service tracer command', () => {
  const ns = { netnsInode: 4026531833, mapEntries: 40000 };
  it('sizes the maps through env and passes the pids, interface, namespace and size as positional parameters', () => {
    const script = serviceScriptPath();
    expect(buildServiceTraceCommand({ pid: 1234, ifname: 'bb12s0', ...ns })).toEqual([
      'env',
      'BPFTRACE_MAP_KEYS_MAX=40000',
      'bpftrace',
      script,
      '1234',
      '0',
      'bb12s0',
      '0',
      '4026531833',
      '40000',
    ]);
    expect(buildServiceTraceCommand({ pid: 1234, downstreamPid: 99, ifname: 'lo', tcp: true, ...ns }).slice(4)).toEqual([
      '1234',
      '99',
      'lo',
      '1',
      '4026531833',
      '40000',
    ]);
  });
  it('refuses a bad pid, interface, namespace or size with the field and value', () => {
    expect(() => buildServiceTraceCommand({ pid: 0, ifname: 'lo', ...ns })).toThrow(/pid must be a process id .* got 0/);
    expect(() => buildServiceTraceCommand({ pid: 5, ifname: 'lo; rm', ...ns })).toThrow(/ifname must be an interface name/);
    expect(() => buildServiceTraceCommand({ pid: 5, ifname: 'lo', ...ns, netnsInode: -1 })).toThrow(/netnsInode must be a positive integer, got -1/);
    expect(() => buildServiceTraceCommand({ pid: 5, ifname: 'lo', ...ns, mapEntries: 1.5 })).toThrow(/mapEntries must be a positive integer, got 1.5/);
  });
  it('sizes maps from the rate and duration, more for a chain, never below the minimum', () => {
    expect(serviceTraceMapEntries(200, 2)).toBe(40_000);
    expect(serviceTraceMapEntries(10_000, 10)).toBe(10_000 * 13 * 4);
    expect(serviceTraceMapEntries(10_000, 10, true)).toBe(10_000 * 13 * 8);
  });
  it('gives bpftrace longer to print larger maps before it is killed', () => {
    expect(serviceTraceStopGraceMs(40_000)).toBeGreaterThan(3000);
    expect(serviceTraceStopGraceMs(520_000)).toBeGreaterThan(serviceTraceStopGraceMs(40_000));
  });
  it("reads a namespace's inode from its /proc link", () => {
    expect(netnsInode(1, 'net:[4026531833]')).toBe(4026531833);
    expect(() => netnsInode(1, 'mnt:[4026531833]')).toThrow(/expected "net:\[inode\]"/);
    expect(netnsInode(process.pid)).toBeGreaterThan(0);
  });
});

describe('service tracer output (Java chain, real capture)', () => {
  const t = parseServiceTrace(readFileSync(fixturePath('service', 'service-trace-java-chain', 'txt'), 'utf8'));
  it('reads the pids line and every event kind, sorted by time', () => {
    expect(t.pid).toBe(2164);
    expect(t.downstreamPid).toBe(2145);
    expect(t.arrivals.length).toBeGreaterThan(0);
    expect(t.receives.length).toBeGreaterThan(0);
    expect(t.sends.length).toBeGreaterThan(0);
    expect(t.waits.length).toBeGreaterThan(0);
    for (let i = 1; i < t.arrivals.length; i++) expect(t.arrivals[i]!.ns).toBeGreaterThanOrEqual(t.arrivals[i - 1]!.ns);
    for (const r of t.receives) expect(r.exitNs).toBeGreaterThanOrEqual(r.enterNs);
    // Both services of the chain receive.
    expect(new Set(t.receives.map((r) => r.tgid))).toEqual(new Set([2164, 2145]));
  });
  it('names the line of an unknown event', () => {
    expect(() => parseServiceTrace('ready\nQ 1 2\n', 'tr.out')).toThrow(/tr\.out line 2: expected an R, X, r, s, W or P event/);
  });
});

describe('service tracer output, map version (real captures)', () => {
  const text = gunzipSync(readFileSync(fixturePath('service', 'java-chain-map.trace', 'txt.gz'))).toString('utf8');
  it('reads the map dump of a Java chain into the same events, nothing lost', () => {
    const t = parseServiceTrace(text);
    expect(t.pid).toBe(18723);
    expect(t.downstreamPid).toBe(18702);
    expect(t.tcp).toBe(false);
    expect(t.events).toEqual({ written: 14551, kept: 14551, lost: 0, mapEntries: 40000, truncatedAtNs: null });
    for (const kind of [t.arrivals, t.departures, t.receives, t.sends, t.waits]) expect(kind.length).toBeGreaterThan(0);
    for (let i = 1; i < t.departures.length; i++) expect(t.departures[i]!.ns).toBeGreaterThanOrEqual(t.departures[i - 1]!.ns);
    for (const r of t.receives) expect(r.exitNs).toBeGreaterThanOrEqual(r.enterNs);
    for (const w of t.waits) expect(w.toNs).toBeGreaterThanOrEqual(w.fromNs);
    expect(new Set(t.receives.map((r) => r.tgid))).toEqual(new Set([18723, 18702]));
    // The sends' map value is the fd: the front service's client socket and its forward socket.
    expect(new Set(t.sends.map((s) => s.fd)).size).toBeGreaterThanOrEqual(2);
  });
  it('refuses a dump cut before "end" (bpftrace killed before it printed its maps)', () => {
    const cut = text.slice(0, text.indexOf('\nend\n'));
    expect(() => parseServiceTrace(cut, 'tr.out')).toThrow(/tr\.out: no "end" line: bpftrace was stopped before it printed its maps/);
  });
  it('counts the entries a full map lost and cuts every kind where the first map filled', () => {
    const t = parseServiceTrace(readFileSync(fixturePath('service', 'echo-full-map.trace', 'txt'), 'utf8'));
    expect(t.events?.written).toBe(231);
    expect(t.events?.mapEntries).toBe(16);
    expect(t.events!.lost).toBe(231 - t.events!.kept);
    expect(t.events!.lost).toBeGreaterThan(100);
    const cut = t.events!.truncatedAtNs!;
    expect(cut).toBeGreaterThan(0);
    for (const e of [...t.arrivals, ...t.departures, ...t.sends]) expect(e.ns).toBeLessThanOrEqual(cut);
    for (const r of t.receives) expect(r.exitNs).toBeLessThanOrEqual(cut);
    for (const w of t.waits) expect(w.toNs).toBeLessThanOrEqual(cut);
    // Some events before the cut survive: the requests before it can still match.
    expect(t.arrivals.length).toBeGreaterThan(0);
  });
});
