// The service tracer's argv (positional parameters only) and its output, from a real capture.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildServiceTraceCommand, parseServiceTrace, serviceScriptPath } from '../../../drivers/bpftrace/index.js';
import { fixturePath } from '../../helpers/fixtures.js';

describe('service tracer command', () => {
  it('passes the pids and interface as positional parameters of the project script', () => {
    expect(buildServiceTraceCommand({ pid: 1234, ifname: 'bb12s0' })).toEqual(['bpftrace', serviceScriptPath(), '1234', '0', 'bb12s0', '0']);
    expect(buildServiceTraceCommand({ pid: 1234, downstreamPid: 99, ifname: 'lo' })).toEqual(['bpftrace', serviceScriptPath(), '1234', '99', 'lo', '0']);
  });
  it('refuses a bad pid or interface with the field and value', () => {
    expect(() => buildServiceTraceCommand({ pid: 0, ifname: 'lo' })).toThrow(/pid must be a process id .* got 0/);
    expect(() => buildServiceTraceCommand({ pid: 5, ifname: 'lo; rm' })).toThrow(/ifname must be an interface name/);
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
