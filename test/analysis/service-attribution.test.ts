// Service attribution: a real trial (Java service, forced GCs; test/fixtures/service/README.md) and
// seeded synthetic traces whose components are known.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { attributeService, SERVICE_COMPONENT_NAMES, type ServiceAttributionResult } from '../../analysis/service-attribution.js';
import { parseServiceTrace, type ServiceTrace } from '../../drivers/bpftrace/index.js';
import { parseJvmLog, type RuntimePauses } from '../../drivers/service/index.js';
import { parseThreadInfo, parseTsprobeRecords, type ThreadInfo, type TsprobeRecord } from '../../drivers/tsprobe/index.js';
import { fixturePath } from '../helpers/fixtures.js';

const ok = (a: ServiceAttributionResult) => {
  if (a.status !== 'ok') throw new Error(`expected ok, got ${a.reason}`);
  return a;
};

describe('a real Java service trial (300 req/s, System.gc() every 250 ms; one CPU, so the JVM chose Serial GC)', () => {
  const f = (ext: string) => fixturePath('service', 'java-300pps', ext);
  const records = parseTsprobeRecords(readFileSync(f('records.csv'), 'utf8'));
  const client = parseThreadInfo(readFileSync(f('client-thread.json'), 'utf8'));
  const trace = parseServiceTrace(gunzipSync(readFileSync(f('trace.txt.gz'))).toString('utf8'));
  const pauses = parseJvmLog(readFileSync(f('jvm.log'), 'utf8'));
  const a = ok(attributeService({ records, client, trace, pid: trace.pid!, pauses }));
  it('matches at least 95 % of the answered requests and counts the rest by step', () => {
    expect(a.matchedRatio).toBeGreaterThanOrEqual(0.95);
    const unmatched = Object.values(a.unmatched).reduce((x, y) => x + y, 0);
    expect(a.matched + unmatched).toBe(a.requests);
    expect(a.requestBytes).toBe(197);
  });
  it('gives every observed component sane values and shares; hops are not observed without a chain', () => {
    expect(a.components.hops).toBeNull();
    for (const name of SERVICE_COMPONENT_NAMES) {
      const c = a.components[name];
      if (!c) continue;
      expect(c.p99Us).toBeGreaterThanOrEqual(c.p50Us);
      expect(c.shareP50).toBeGreaterThanOrEqual(-0.01);
      expect(c.shareP99).toBeLessThanOrEqual(1.01);
    }
    const sum = (k: 'shareP50' | 'shareP99') => SERVICE_COMPONENT_NAMES.reduce((s, n) => s + (a.components[n]?.[k] ?? 0), 0);
    // The components add up to the round trip (the client side and wire are the remainder).
    expect(sum('shareP50')).toBeCloseTo(1, 6);
    expect(sum('shareP99')).toBeCloseTo(1, 6);
  });
  it('finds the forced collections in the log and charges them to the requests they overlapped', () => {
    expect(a.pauses?.runtime).toBe('jvm');
    expect(a.pauses!.longest.some((p) => /CollectFull/.test(p.cause) && p.overlappedRequests > 0)).toBe(true);
    expect(a.pauses!.delayedRequests).toBeGreaterThan(0);
    expect(a.components.pauses!.p99Us).toBeGreaterThan(0);
  });
  it('says "not observed" for pauses without a runtime log, and that serialization stays in application', () => {
    const b = ok(attributeService({ records, client, trace, pid: trace.pid!, pauses: null }));
    expect(b.components.pauses).toBeNull();
    expect(b.pauses).toBeNull();
    expect(b.serialization).toMatch(/inside application/);
  });
});

// Synthetic: request k is sent at k ms; on the service side it arrives 10 µs later, is received
// after 5 µs more, handled for 20 µs (sent), and leaves 3 µs later; the reply is back 7 µs after.
const client: ThreadInfo = { role: 'client', tid: 1, realtimeMinusMonotonicNs: 0, t0Ns: 0n };
function synthetic(n: number, drop: (k: number) => boolean = () => false): { records: TsprobeRecord[]; trace: ServiceTrace } {
  const trace: ServiceTrace = { pid: 10, downstreamPid: null, arrivals: [], departures: [], receives: [], sends: [], waits: [] };
  const records: TsprobeRecord[] = [];
  for (let k = 0; k < n; k++) {
    const t = 1_000_000 * (k + 1);
    records.push({ seq: k, status: 'ok', cSendNs: t, cRetNs: t + 45_000, rttNs: 45_000 } as TsprobeRecord);
    trace.arrivals.push({ ns: t + 10_000, len: 225 });
    if (!drop(k)) trace.receives.push({ tgid: 10, tid: 11, fd: 4, enterNs: t, exitNs: t + 15_000, bytes: 197 });
    trace.sends.push({ tgid: 10, tid: 11, fd: 4, ns: t + 35_000 });
    trace.departures.push({ ns: t + 38_000, len: 264 });
  }
  return { records, trace };
}

describe('service attribution (synthetic)', () => {
  it('splits each request into its known components', () => {
    const { records, trace } = synthetic(50);
    trace.waits.push({ kind: 'wakeup', tid: 11, fromNs: 1_012_000, toNs: 1_014_000 });
    const pauses: RuntimePauses = {
      runtime: 'jvm',
      source: 'test',
      startNs: 0,
      collections: 1,
      pauses: [{ startNs: 2_020_000, durationNs: 10_000, cause: 'G1' }],
    };
    const a = ok(attributeService({ records, client, trace, pid: 10, pauses }));
    expect(a.matched).toBe(50);
    expect(a.components.kernelRx!.p50Us).toBeCloseTo(5, 6);
    expect(a.components.application!.p50Us).toBeCloseTo(20, 6);
    expect(a.components.kernelTx!.p50Us).toBeCloseTo(3, 6);
    expect(a.components.clientAndWire!.p50Us).toBeCloseTo(17, 6);
    // Request 0 waited 2 µs to run; request 1's handling held a 10 µs pause.
    expect(a.components.wakeup!.p99Us).toBeCloseTo(2, 6);
    expect(a.pauses!.longest[0]!.overlappedRequests).toBe(1);
    expect(a.pauses!.delayedRequests).toBe(1);
    expect(a.dominant.p50).toBe('application');
  });
  it('counts requests it cannot match, and below 95 % matched it is insufficient-data', () => {
    const { records, trace } = synthetic(100, (k) => k % 10 === 0);
    const a = attributeService({ records, client, trace, pid: 10, pauses: null });
    expect(a.status).toBe('insufficient-data');
    expect(a.matched).toBe(90);
    expect(a.unmatched.receive).toBe(10);
    if (a.status === 'insufficient-data') expect(a.reason).toMatch(/90\.0 % of 100 .*at least 95 %/);
  });
});
