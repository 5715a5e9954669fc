// TCP service attribution: a real trial of the Java demo service over TCP
// (test/fixtures/service/README.md), its byte stream counted in request units, then matched as a
// UDP service's datagrams are.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assignConnections, requestSizeOf, tcpRequestTrace } from '../../analysis/service-attribution-tcp.js';
import { attributeService, SERVICE_COMPONENT_NAMES } from '../../analysis/service-attribution.js';
import { parseServiceTrace } from '../../drivers/bpftrace/index.js';
import { parseJvmLog } from '../../drivers/service/index.js';
import { parseThreadInfo, parseTsprobeRecords } from '../../drivers/tsprobe/index.js';
import { fixturePath } from '../helpers/fixtures.js';

describe('a real Java TCP service trial (200 req/s, System.gc() every 500 ms)', () => {
  const f = (ext: string) => fixturePath('service', 'java-tcp-200pps', ext);
  const records = parseTsprobeRecords(readFileSync(f('records.csv'), 'utf8'));
  const client = parseThreadInfo(readFileSync(f('client-thread.json'), 'utf8'));
  const raw = parseServiceTrace(gunzipSync(readFileSync(f('trace.txt.gz'))).toString('utf8'));
  const pauses = parseJvmLog(readFileSync(f('jvm.log'), 'utf8'));
  const { trace, matching } = tcpRequestTrace(raw, raw.pid!);

  it('reads the trace as TCP and learns the request, reply and header sizes from it', () => {
    expect(raw.tcp).toBe(true);
    expect(matching.requestBytes).toBe(197);
    expect(matching.replyBytes).toBeGreaterThan(matching.requestBytes!);
    expect(matching.headerBytes).toBeGreaterThanOrEqual(40);
    expect(matching.connections).toBe(1);
  });

  it('counts requests that shared a read (the service fell behind) and what fit no request', () => {
    // One receive per request unit: coalesced reads add units, never lose them.
    const written = new Set(raw.sends.filter((s) => s.tgid === raw.pid).map((s) => s.fd));
    const reads = raw.receives.filter((r) => r.tgid === raw.pid && r.bytes >= 24 && written.has(r.fd)).length;
    expect(trace.receives.filter((r) => r.tgid === raw.pid).length).toBe(reads - matching.unmatchedReads + matching.coalescedReads);
    expect(matching.coalescedReads).toBeGreaterThan(0);
    expect(matching.unmatchedReads + matching.unmatchedSegments).toBeGreaterThanOrEqual(0);
  });

  it('matches at least 95 % of the requests, with sane components that add up to the round trip', () => {
    const a = attributeService({ records, client, trace, pid: raw.pid!, pauses });
    if (a.status !== 'ok') throw new Error(a.reason);
    expect(a.matchedRatio).toBeGreaterThanOrEqual(0.95);
    expect(a.components.hops).toBeNull();
    for (const name of ['kernelRx', 'wakeup', 'application', 'kernelTx'] as const) expect(a.components[name], name).not.toBeNull();
    const sum = SERVICE_COMPONENT_NAMES.reduce((s, n) => s + (a.components[n]?.shareP50 ?? 0), 0);
    expect(sum).toBeCloseTo(1, 6);
    expect(a.pauses!.count).toBeGreaterThan(0);
  });

  it('a UDP trace is not a TCP one', () => {
    expect(parseServiceTrace('pids 5 0\nready\n').tcp).toBe(false);
    expect(parseServiceTrace('pids 5 0 1\nready\n').tcp).toBe(true);
  });
});

describe('the request size of a byte stream', () => {
  const reads = (...sizes: number[]) => sizes.map((bytes) => ({ bytes }));
  it('is the smallest common read that most reads are whole multiples of, even when coalesced reads are commonest', () => {
    // A service that fell behind: two requests per read most of the time, three now and then.
    expect(requestSizeOf(reads(394, 394, 394, 394, 394, 197, 197, 197, 591, 394))).toBe(197);
    // ndjson: sizes vary by the id's digits, within the tolerance.
    expect(requestSizeOf(reads(191, 192, 191, 193, 191, 383))).toBe(191);
  });
  it('ignores a rare short read and a size few reads are multiples of', () => {
    expect(requestSizeOf(reads(30, 197, 197, 197, 197, 197, 197, 197, 197, 197, 197, 197))).toBe(197);
    expect(requestSizeOf(reads(100, 250, 250, 333))).toBe(250);
    expect(requestSizeOf([])).toBeNull();
  });
});

describe('a real Java TCP chain trace with a stall (18 hop replies in one read)', () => {
  const trace = parseServiceTrace(gunzipSync(readFileSync(fixturePath('service', 'java-tcp-chain-stall', 'trace.txt.gz'))).toString('utf8'));
  it('keeps the hop connection apart: one client connection, every request read matched', () => {
    expect(trace.pid).not.toBeNull();
    const { matching } = tcpRequestTrace(trace, trace.pid ?? 0);
    expect(matching.connections).toBe(1);
    expect(matching.requestBytes).toBe(197);
    expect(matching.unmatchedReads).toBe(0);
  });
});

describe('a real Java TCP trial over three connections (a thread per connection)', () => {
  const f = (ext: string) => fixturePath('service', 'java-tcp-3conn', ext);
  const records = parseTsprobeRecords(readFileSync(f('records.csv'), 'utf8'));
  const client = parseThreadInfo(readFileSync(f('client-thread.json'), 'utf8'));
  const raw = parseServiceTrace(gunzipSync(readFileSync(f('trace.txt.gz'))).toString('utf8'));
  const pauses = parseJvmLog(readFileSync(f('jvm.log'), 'utf8'));
  const pid = raw.pid ?? 0;
  const { trace, matching } = tcpRequestTrace(raw, pid);

  it('keeps the three connections apart, and reads from before the load (files on fds reused later) are not requests', () => {
    expect(matching).toMatchObject({ connections: 3, matchedBy: 'connection', connectionFds: [6, 7, 8], unmatchedReads: 0 });
    expect(matching.unmatchedReadsByConnection).toEqual([0, 0, 0]);
    // The JVM read a 7 441-byte file on fd 7 before the client connected: not 38 coalesced requests.
    expect(raw.receives.some((r) => r.fd === 7 && r.bytes === 7441)).toBe(true);
    expect(trace.receives.filter((r) => r.tgid === pid).every((r) => r.bytes === matching.requestBytes)).toBe(true);
  });

  it('matches every request on its own connection (seq mod 3), where order across them matched too few', () => {
    const a = attributeService({ records, client, trace, pid, pauses, connectionFds: matching.connectionFds });
    if (a.status !== 'ok') throw new Error(a.reason);
    expect(a.matchedRatio).toBeGreaterThanOrEqual(0.95);
    expect(a.byConnection).toHaveLength(3);
    for (const c of a.byConnection!) expect(c.requests).toBe(records.filter((r) => r.status === 'ok' && r.seq % 3 === c.index).length);
    expect(a.byConnection!.reduce((s, c) => s + c.matched, 0)).toBe(a.matched);
    expect(new Set(a.byConnection!.map((c) => c.fd))).toEqual(new Set([6, 7, 8]));
    const sum = SERVICE_COMPONENT_NAMES.reduce((s, n) => s + (a.components[n]?.shareP50 ?? 0), 0);
    expect(sum).toBeCloseTo(1, 6);
    expect(a.pauses!.count).toBeGreaterThan(0);
    // Order across connections (one merged request stream): the same trace falls short.
    const merged = tcpRequestTrace({ ...raw, receives: raw.receives.map((r) => (r.tgid === pid && r.fd >= 6 && r.fd <= 8 ? { ...r, fd: 6 } : r)) }, pid);
    expect(merged.matching.connections).toBe(1);
    const byOrder = attributeService({ records, client, trace: merged.trace, pid, pauses });
    expect(byOrder.matched).toBeLessThan(a.matched);
  });
});

describe('which fd is which connection', () => {
  // Requests every 10 ns over two connections; each window 5 ns long.
  const windows = Array.from({ length: 6 }, (_, seq) => ({ seq, fromNs: seq * 10, toNs: seq * 10 + 5 }));
  const reads = (...ns: number[]) => ns.map((exitNs) => ({ exitNs }));
  it('pairs each connection with the fd whose reads fall in its requests’ windows, whatever the fd numbers', () => {
    // fd 9 reads requests 0, 2, 4 (connection 0); fd 4 reads 1, 3, 5 and had a stray read first.
    const byFd = new Map([
      [9, reads(2, 22, 42)],
      [4, reads(0, 12, 32, 52)],
    ]);
    expect(assignConnections(windows, byFd, 2)).toEqual([9, 4]);
  });
  it('gives up when the fds are not as many as the connections', () => {
    expect(assignConnections(windows, new Map([[4, reads(2)]]), 2)).toBeNull();
  });
});

describe('a real Java TCP chain over two connections (a thread per connection forwards on its own hop connection)', () => {
  const f = (ext: string) => fixturePath('service', 'java-tcp-chain-2conn', ext);
  const records = parseTsprobeRecords(readFileSync(f('records.csv'), 'utf8'));
  const client = parseThreadInfo(readFileSync(f('client-thread.json'), 'utf8'));
  const raw = parseServiceTrace(gunzipSync(readFileSync(f('trace.txt.gz'))).toString('utf8'));
  const pid = raw.pid ?? 0;
  it("matches each request's hop on the thread that received it: every request matched, none missing its hop", () => {
    const { trace, matching } = tcpRequestTrace(raw, pid);
    expect(matching).toMatchObject({ connections: 2, matchedBy: 'connection' });
    expect(raw.downstreamPid).not.toBeNull();
    const a = attributeService({ records, client, trace, pid, downstreamPid: raw.downstreamPid ?? 0, pauses: null, connectionFds: matching.connectionFds });
    if (a.status !== 'ok') throw new Error(a.reason);
    expect(a.chained).toBe(true);
    expect(a.unmatched['hop']).toBe(0);
    expect(a.matchedRatio).toBeGreaterThanOrEqual(0.99);
    expect(a.components.hops!.p50Us).toBeGreaterThan(0);
    expect(a.byConnection!.map((c) => c.requests)).toEqual([200, 200]);
  });
});
