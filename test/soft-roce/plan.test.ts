import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { GUEST_TOPOLOGY, parseTimeline, perftestCase, planShareFiles, validateGuestPlan, type GuestPlan } from '../../soft-roce/plan.js';

describe('perftestCase', () => {
  it('serves on rxe0 and connects from rxe1 to the server address, with the same test options', () => {
    const c = perftestCase('lat', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000 });
    expect(c.server.argv).toEqual(['ib_write_lat', '-d', 'rxe0', '-x', '1', '-s', '2', '-n', '1000']);
    expect(c.client.argv).toEqual(['ib_write_lat', '-d', 'rxe1', '-x', '1', '-s', '2', '-n', '1000', GUEST_TOPOLOGY.server.ip]);
    expect(c.readyTcpPort).toBe(18515);
  });

  it('waits a fixed delay for rdma_cm servers, which listen through rdma_cm rather than TCP', () => {
    const c = perftestCase('cm', { test: 'ib_send_lat', rdmaCm: true, startDelayS: 2 });
    expect(c.readyTcpPort).toBeNull();
    expect(c.startDelayS).toBe(2);
    expect(c.client.argv).toContain('-R');
  });

  it('passes niceness and timeouts to the guest process specs', () => {
    const c = perftestCase('bw', { test: 'ib_send_bw', msgSizeBytes: 4096, iterations: 100, clientNice: 10, clientTimeoutS: 30, serverNice: 5 });
    expect(c.client).toMatchObject({ nice: 10, timeoutS: 30 });
    expect(c.server).toMatchObject({ nice: 5 });
  });
});

describe('planShareFiles', () => {
  const plan: GuestPlan = [
    perftestCase('a', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 100 }),
    perftestCase('b', { test: 'ib_send_bw', msgSizeBytes: 65536, iterations: 100, maxAttempts: 1 }),
  ];
  const files = new Map(planShareFiles(plan).map((f) => [f.path, f.content]));

  it('keeps the plan as JSON and lists the cases in order', () => {
    expect(JSON.parse(files.get('plan.json')!)).toEqual(plan);
    expect(files.get('cases.list')).toBe('a\nb\n');
  });

  it('writes one argument per line, so the guest never evaluates plan text', () => {
    expect(files.get('cases/a/client.args')).toBe(plan[0]!.client.argv.map((x) => `${x}\n`).join(''));
    expect(files.get('cases/b/server.args')!.split('\n').filter(Boolean)).toEqual(plan[1]!.server.argv);
  });

  it('writes every setting with its default', () => {
    const settings = files.get('cases/b/settings')!;
    expect(settings).toContain('maxAttempts 1\n');
    expect(settings).toContain('clientNice 19\n');
    expect(settings).toContain('serverNice 0\n');
    expect(settings).toContain('readyTcpPort 18515\n');
  });
});

describe('validateGuestPlan', () => {
  const ok = perftestCase('ok', { test: 'ib_write_lat' });
  it.each([
    ['empty plan', [] as GuestPlan, /non-empty/],
    ['bad id', [{ ...ok, id: 'a b' }], /plan\[0\]\.id/],
    ['an id that climbs out of the share', [{ ...ok, id: '..' }], /plan\[0\]\.id/],
    ['duplicate id', [ok, ok], /used twice/],
    ['newline in an argument', [{ ...ok, client: { argv: ['ib_write_lat', 'x\ny'] } }], /plan\[0\]\.client\.argv\[1\]/],
    ['shell text as program', [{ ...ok, server: { argv: ['sh -c reboot'] } }], /plan\[0\]\.server\.argv\[0\]/],
    ['nice out of range', [{ ...ok, client: { argv: ['ib_write_lat'], nice: 40 } }], /nice/],
    ['bad port', [{ ...ok, readyTcpPort: 70000 }], /readyTcpPort/],
  ])('rejects %s, naming the field', (_label, plan, message) => {
    expect(() => validateGuestPlan(plan)).toThrow(UserError);
    expect(() => validateGuestPlan(plan)).toThrow(message);
  });
});

describe('parseTimeline', () => {
  it('reads event names with spaces and the guest uptime (lines from a real guest/timeline)', () => {
    expect(parseTimeline('share-mounted 3.57\ncase-start lat1 1 5.40\n')).toEqual([
      { event: 'share-mounted', uptimeS: 3.57 },
      { event: 'case-start lat1 1', uptimeS: 5.4 },
    ]);
  });
});
