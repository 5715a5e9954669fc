// The afxdp driver against real bb-afxdp captures (test/fixtures/afxdp/, each .json says how it was
// made). Assertions are about structure and sanity, never about how fast this machine is.
import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, loadFixture } from '../../helpers/fixtures.js';
import { AFXDP_DEFAULT_BINARY, AFXDP_READY_LINE, afxdpDriver, parseAfxdpOutput } from '../../../drivers/afxdp/index.js';
import type { AfxdpClientParams, AfxdpParams, AfxdpXskInfo } from '../../../drivers/afxdp/index.js';
import { UserError } from '../../../core/errors.js';
import type { Measurement } from '../../../core/trial.js';
import type { BinaryFact, HostFacts } from '../../../core/host.js';

const TOOL = 'afxdp';
const fixtureNames = readdirSync(join(fixturesDir, TOOL))
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

const afxdpClient = { ifname: 'h3a0', dstMac: '02:33:00:00:00:02', dstIp: '10.233.0.2' } as const;

/** Every capture, what parse must say about it, and the params that rebuild its argv. */
const expected: Record<string, { status: 'ok' | 'failed'; error?: RegExp; params: AfxdpParams }> = {
  'ping-64': {
    status: 'ok',
    params: { role: 'ping', ...afxdpClient, msgSizeBytes: 64, count: 5000, busyPoll: true },
  },
  'ping-1472-generic': {
    status: 'ok',
    params: { role: 'ping', ...afxdpClient, xdpMode: 'generic', msgSizeBytes: 1472, count: 3000, busyPoll: true },
  },
  'sock-ping-64': {
    status: 'ok',
    params: { role: 'ping', transport: 'socket', bindIp: '10.233.0.1', dstIp: '10.233.0.2', dstPort: 9000, msgSizeBytes: 64, count: 5000, busyPoll: true },
  },
  'load-10k': {
    status: 'ok',
    params: { role: 'load', ...afxdpClient, msgSizeBytes: 64, offeredPps: 10000, durationS: 2, warmupS: 0.5, busyPoll: true },
  },
  'load-100k': {
    status: 'ok',
    params: { role: 'load', ...afxdpClient, msgSizeBytes: 64, offeredPps: 100000, durationS: 2, warmupS: 0.5, busyPoll: true },
  },
  'sock-load-10k': {
    status: 'ok',
    params: {
      role: 'load',
      transport: 'socket',
      bindIp: '10.233.0.1',
      dstIp: '10.233.0.2',
      msgSizeBytes: 64,
      offeredPps: 10000,
      durationS: 2,
      warmupS: 0.5,
      busyPoll: true,
    },
  },
  'window-load-20k': {
    status: 'ok',
    params: {
      role: 'load',
      ifname: 'hwa0',
      dstMac: '02:37:00:00:00:02',
      dstIp: '10.237.0.2',
      msgSizeBytes: 64,
      offeredPps: 20000,
      durationS: 2,
      warmupS: 0.2,
      busyPoll: true,
    },
  },
  'window-sock-load-20k': {
    status: 'ok',
    params: { role: 'load', transport: 'socket', bindIp: '10.237.0.1', dstIp: '10.237.0.2', msgSizeBytes: 64, offeredPps: 20000, durationS: 2, warmupS: 0.2 },
  },
  'window-load-overload': {
    status: 'ok',
    params: {
      role: 'load',
      ifname: 'hwa0',
      dstMac: '02:37:00:00:00:02',
      dstIp: '10.237.0.2',
      msgSizeBytes: 64,
      offeredPps: 3000000,
      durationS: 1,
      warmupS: 0.1,
      busyPoll: true,
    },
  },
  'reflect-sigint': {
    status: 'ok',
    params: { role: 'reflector', ifname: 'h3b0', busyPoll: true },
  },
  'reflect-zerocopy-fallback': {
    status: 'ok',
    params: { role: 'reflector', ifname: 'h3b0', bindMode: 'zero-copy', durationS: 0.5 },
  },
  'reflect-badif': {
    status: 'failed',
    error: /bb-afxdp reflect: interface 'h3nope0' not found: No such device/,
    params: { role: 'reflector', ifname: 'h3nope0' },
  },
  'ping-badsize': {
    status: 'failed',
    error: /bb-afxdp ping: --size must be an integer in \[16, 65507\], got '8'/,
    // the driver refuses this size itself; the capture shows what the tool says when asked anyway
    params: { role: 'ping', ...afxdpClient, msgSizeBytes: 8 },
  },
  'ping-noreflector': {
    status: 'failed',
    error: /no replies \(5 requests sent to 10\.233\.0\.2/,
    params: { role: 'ping', ...afxdpClient, msgSizeBytes: 64, count: 5, timeoutMs: 50 },
  },
};

const clientFixtures = ['ping-64', 'ping-1472-generic', 'sock-ping-64', 'load-10k', 'load-100k', 'sock-load-10k'];

function parseOne(name: string): Measurement {
  const measurements = afxdpDriver.parse(loadFixture(TOOL, name));
  expect(measurements).toHaveLength(1);
  return measurements[0]!;
}

function xskOf(m: Measurement): AfxdpXskInfo {
  return m.native['xsk'] as AfxdpXskInfo;
}

describe('fixtures', () => {
  test('every capture on disk has an expectation, and every expectation a capture', () => {
    expect(fixtureNames).toEqual(Object.keys(expected).sort());
  });

  test.each(fixtureNames)('%s parses to the expected status', (name) => {
    const m = parseOne(name);
    const want = expected[name]!;
    expect(m.status, m.error ?? '').toBe(want.status);
    expect(m.native['tool']).toBe('bb-afxdp');
    if (want.status === 'failed') {
      expect(m.error).toMatch(want.error!);
      expect(m.latencyUs).toBeNull();
    } else {
      expect(m.error).toBeNull();
    }
  });

  test.each(fixtureNames.filter((name) => name !== 'ping-badsize'))('%s: buildCommand rebuilds the captured argv', (name) => {
    const meta = loadFixture(TOOL, name).meta;
    expect(afxdpDriver.buildCommand(expected[name]!.params)).toEqual(meta['toolArgv']);
  });

  test('exit codes: 0 for results (even with no replies), 1 for runtime failures, 2 for usage', () => {
    expect(loadFixture(TOOL, 'ping-noreflector').meta.exitCode).toBe(0);
    expect(loadFixture(TOOL, 'reflect-sigint').meta.exitCode).toBe(0);
    expect(loadFixture(TOOL, 'reflect-badif').meta.exitCode).toBe(1);
    expect(loadFixture(TOOL, 'ping-badsize').meta.exitCode).toBe(2);
  });
});

describe('clients', () => {
  test.each(clientFixtures)('%s: sane, ordered round-trip figures', (name) => {
    const m = parseOne(name);
    const lat = m.latencyUs!;
    expect(lat.min).toBeGreaterThan(0);
    expect(lat.p50!).toBeGreaterThanOrEqual(lat.min!);
    expect(lat.p90!).toBeGreaterThanOrEqual(lat.p50!);
    expect(lat.p99!).toBeGreaterThanOrEqual(lat.p90!);
    expect(lat.p999!).toBeGreaterThanOrEqual(lat.p99!);
    expect(lat.max!).toBeGreaterThanOrEqual(lat.p999!);
    expect(lat.mean!).toBeGreaterThan(0);
    expect(lat.stddev!).toBeGreaterThanOrEqual(0);
    expect(lat.samples).toBe(m.receivedPackets);
    expect(m.lossRatio!).toBeGreaterThanOrEqual(0);
    expect(m.lossRatio!).toBeLessThanOrEqual(1);
    expect(m.sentPackets!).toBeGreaterThanOrEqual(m.receivedPackets!);
    expect(m.lossRatio).toBeCloseTo((m.sentPackets! - m.receivedPackets!) / m.sentPackets!, 9);
    expect(m.achievedPps).toBeGreaterThan(0);
    expect(m.achievedPps).toBeCloseTo(m.sentPackets! / m.measuredS!, 3);
    expect(m.throughputGbps).toBeNull();
    expect(m.native['latencyKind']).toBe('rtt');
  });

  test.each(clientFixtures)('%s: msgSizeBytes is the UDP payload the command asked for', (name) => {
    const m = parseOne(name);
    const params = expected[name]!.params as AfxdpClientParams;
    expect(m.msgSizeBytes).toBe(params.msgSizeBytes);
    const config = m.native['config'] as Record<string, number>;
    expect(config['frameBytes']).toBe(params.msgSizeBytes + 42);
  });

  test('load runs report an open-loop rate close to the offered one and the replies per second', () => {
    for (const name of ['load-10k', 'load-100k', 'sock-load-10k']) {
      const m = parseOne(name);
      const offered = (expected[name]!.params as AfxdpClientParams).offeredPps!;
      const rates = m.native['rates'] as Record<string, number>;
      expect(rates['offeredPps']).toBe(offered);
      // sends follow a schedule, so the client can fall behind but never run ahead of it
      expect(m.achievedPps!).toBeLessThanOrEqual(offered * 1.01);
      expect(m.msgRateMpps).toBeCloseTo(rates['receivedPps']! / 1e6, 9);
      const counts = m.native['counts'] as Record<string, number>;
      expect(counts['unsent']).toBeGreaterThanOrEqual(0);
      expect(counts['warmupSent']).toBeGreaterThan(0);
      expect(m.native['sendLagUs']).toBeTypeOf('object');
    }
  });

  test('ping runs are closed loop: no message rate, timeouts counted', () => {
    for (const name of ['ping-64', 'ping-1472-generic', 'sock-ping-64']) {
      const m = parseOne(name);
      expect(m.msgRateMpps).toBeNull();
      expect((m.native['counts'] as Record<string, number>)['timeouts']).toBeGreaterThanOrEqual(0);
    }
  });

  test('AF_XDP clients say which modes they got: copy mode on veth, native unless generic was asked for', () => {
    for (const name of ['ping-64', 'load-10k', 'load-100k']) {
      const xsk = xskOf(parseOne(name));
      expect(xsk.bindMode).toBe('copy');
      expect(xsk.xdpMode).toBe('native');
      expect(xsk.progOwned).toBe(true);
      expect(xsk.progDetached).toBe(true);
    }
    expect(xskOf(parseOne('ping-1472-generic')).xdpMode).toBe('generic');
  });

  test('socket clients carry their socket facts, not AF_XDP ones', () => {
    for (const name of ['sock-ping-64', 'sock-load-10k']) {
      const m = parseOne(name);
      expect(m.native['transport']).toBe('socket');
      expect(m.native['xsk']).toBeUndefined();
      expect((m.native['socket'] as Record<string, unknown>)['localIp']).toBe('10.233.0.1');
    }
  });

  test('a ping with no reflector keeps its counts: every request lost, no latency', () => {
    const m = parseOne('ping-noreflector');
    expect(m.sentPackets).toBe(5);
    expect(m.receivedPackets).toBe(0);
    expect(m.lossRatio).toBe(1);
    expect(m.latencyUs).toBeNull();
  });
});

describe('reflector', () => {
  test('final counters after SIGINT: rx, tx, drops, modes, program detached', () => {
    const m = parseOne('reflect-sigint');
    expect(m.native['interrupted']).toBe(true);
    expect(m.receivedPackets!).toBeGreaterThan(0);
    expect(m.sentPackets!).toBeGreaterThan(0);
    expect(m.receivedPackets!).toBeGreaterThanOrEqual(m.sentPackets!);
    expect(m.latencyUs).toBeNull();
    expect(m.lossRatio).toBeNull();
    expect(m.achievedPps!).toBeGreaterThan(0);
    const counts = m.native['counts'] as Record<string, number>;
    expect(counts['rx']).toBe(counts['tx']! + counts['dropped']!);
    const xsk = xskOf(m);
    expect(xsk.bindMode).toBe('copy');
    expect(xsk.progDetached).toBe(true);
    expect(xsk.kernelStats).toHaveProperty('rxFillRingEmptyDescs');
  });

  test('zero-copy on veth falls back to copy mode and says so', () => {
    const xsk = xskOf(parseOne('reflect-zerocopy-fallback'));
    expect(xsk.zeroCopyFallback).toBe(true);
    expect(xsk.bindMode).toBe('copy');
    expect(xsk.notes).toMatch(/zero-copy bind failed/);
  });

  test('the readiness line runners wait for is on stderr', () => {
    expect(loadFixture(TOOL, 'reflect-sigint').stderr).toMatch(AFXDP_READY_LINE);
    expect(loadFixture(TOOL, 'reflect-badif').stderr).not.toMatch(AFXDP_READY_LINE);
  });
});

describe('parse without a result', () => {
  test('no JSON at all: failed, with the end of stderr', () => {
    const [m] = afxdpDriver.parse({ stdout: '', stderr: 'bb-afxdp: libxdp: No bpffs found\nSegmentation fault\n', exitCode: null });
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/printed no result \(exit code null\).*Segmentation fault/);
  });

  test('a line cut off mid-write is not a result', () => {
    const whole = loadFixture(TOOL, 'ping-64').stdout.trim();
    const [m] = afxdpDriver.parse({ stdout: whole.slice(0, whole.length / 2), stderr: '', exitCode: null });
    expect(m!.status).toBe('failed');
    expect(parseAfxdpOutput(whole)).not.toBeNull();
  });

  test('a result with a non-zero exit code is not trusted', () => {
    const fixture = loadFixture(TOOL, 'ping-64');
    const [m] = afxdpDriver.parse({ stdout: fixture.stdout, stderr: 'killed', exitCode: 137 });
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/exited with code 137/);
  });
});

describe('buildCommand', () => {
  const ping: AfxdpClientParams = { role: 'ping', ...afxdpClient, msgSizeBytes: 64 };

  test('argv[0] is the binary, default native/build/bb-afxdp, and --json is always asked for', () => {
    const argv = afxdpDriver.buildCommand(ping);
    expect(argv[0]).toBe(AFXDP_DEFAULT_BINARY);
    expect(argv.at(-1)).toBe('--json');
    expect(afxdpDriver.buildCommand({ ...ping, binaryPath: '/opt/bb/bb-afxdp' })[0]).toBe('/opt/bb/bb-afxdp');
  });

  test('every option maps to its flag', () => {
    expect(
      afxdpDriver.buildCommand({
        role: 'load',
        ifname: 'h3a0',
        queue: 0,
        xdpMode: 'native',
        bindMode: 'copy',
        bindTimeoutMs: 2000,
        ringSize: 4096,
        srcMac: '02:33:00:00:00:01',
        dstMac: '02:33:00:00:00:02',
        srcIp: '10.233.0.1',
        dstIp: '10.233.0.2',
        srcPort: 9001,
        dstPort: 9000,
        msgSizeBytes: 256,
        offeredPps: 50000,
        durationS: 3,
        warmupS: 1,
        timeoutMs: 200,
        busyPoll: true,
        batch: 32,
        cpu: 0,
      }),
    ).toEqual([
      AFXDP_DEFAULT_BINARY,
      'load',
      '--ifname',
      'h3a0',
      '--queue',
      '0',
      '--mode',
      'native',
      '--bind-mode',
      'copy',
      '--bind-timeout-ms',
      '2000',
      '--ring-size',
      '4096',
      '--src-mac',
      '02:33:00:00:00:01',
      '--dst-mac',
      '02:33:00:00:00:02',
      '--src-ip',
      '10.233.0.1',
      '--dst-ip',
      '10.233.0.2',
      '--src-port',
      '9001',
      '--dst-port',
      '9000',
      '--size',
      '256',
      '--rate',
      '50000',
      '--duration',
      '3',
      '--warmup',
      '1',
      '--timeout-ms',
      '200',
      '--busy-poll',
      '--batch',
      '32',
      '--cpu',
      '0',
      '--json',
    ]);
    expect(afxdpDriver.buildCommand({ role: 'reflector', ifname: 'h3b0', fixChecksums: true, durationS: 10, cpu: 1 })).toEqual([
      AFXDP_DEFAULT_BINARY,
      'reflect',
      '--ifname',
      'h3b0',
      '--fix-csum',
      '--duration',
      '10',
      '--cpu',
      '1',
      '--json',
    ]);
    expect(
      afxdpDriver.buildCommand({
        role: 'load',
        transport: 'socket',
        bindIp: '10.233.0.1',
        dstIp: '10.233.0.2',
        msgSizeBytes: 64,
        offeredPps: 1000,
        rcvbufBytes: 4194304,
      }),
    ).toEqual([
      AFXDP_DEFAULT_BINARY,
      'sock-load',
      '--bind-ip',
      '10.233.0.1',
      '--rcvbuf',
      '4194304',
      '--dst-ip',
      '10.233.0.2',
      '--size',
      '64',
      '--rate',
      '1000',
      '--json',
    ]);
  });

  const bad: [string, AfxdpParams, RegExp][] = [
    ['a MAC that is not one', { ...ping, dstMac: '02:33:00:00:00' }, /dstMac must look like/],
    ['a missing destination MAC', { role: 'ping', ifname: 'h3a0', dstIp: '10.233.0.2', msgSizeBytes: 64 }, /dstMac is required/],
    ['an address with a shell in it', { ...ping, dstIp: '10.233.0.2; reboot' }, /dstIp must look like/],
    ['an interface name with a slash', { ...ping, ifname: '../h3a0' }, /ifname must look like/],
    ['an interface name too long for Linux', { ...ping, ifname: 'h3a0-much-too-long' }, /ifname must look like/],
    ['a payload smaller than our header', { ...ping, msgSizeBytes: 8 }, /msgSizeBytes must be an integer in 16\.\.65507/],
    ['a load without a rate', { role: 'load', ...afxdpClient, msgSizeBytes: 64 }, /offeredPps is required/],
    ['a load with a count', { role: 'load', ...afxdpClient, msgSizeBytes: 64, offeredPps: 1000, count: 10 }, /count only applies to a ping/],
    ['a zero rate', { role: 'load', ...afxdpClient, msgSizeBytes: 64, offeredPps: 0 }, /offeredPps must be a number > 0/],
    ['AF_XDP fields on a socket client', { ...ping, transport: 'socket' }, /ifname, dstMac only apply to the afxdp transport/],
    ['socket fields on an AF_XDP client', { ...ping, bindIp: '10.233.0.1' }, /bindIp only apply to the socket transport/],
    ['an unknown XDP mode', { ...ping, xdpMode: 'hw' as never }, /xdpMode must be one of native, generic, auto/],
    ['an unknown role', { ...ping, role: 'server' as never }, /role must be reflector, ping or load/],
    ['a batch too large for the tool', { ...ping, batch: 1024 }, /batch must be an integer in 1\.\.256/],
    ['a ring size that is not a power of two', { ...ping, ringSize: 3000 }, /ringSize must be a power of two/],
    ['a reflector without an interface', { role: 'reflector' } as AfxdpParams, /ifname is required/],
  ];
  test.each(bad)('refuses %s', (_label, params, message) => {
    expect(() => afxdpDriver.buildCommand(params)).toThrow(UserError);
    expect(() => afxdpDriver.buildCommand(params)).toThrow(message);
  });
});

describe('detect', () => {
  const host = (afXdp: boolean, binaries: HostFacts['binaries']) => ({ binaries, features: { afXdp } }) as HostFacts;

  test('available with the binary built on a kernel with AF_XDP', () => {
    const availability = afxdpDriver.detect(host(true, { 'bb-afxdp': { path: '/work/main/native/build/bb-afxdp', version: '0.1.0' } }));
    expect(availability).toMatchObject({ status: 'available', version: '0.1.0' });
  });

  test('unsupported without AF_XDP sockets in the kernel, whatever is built', () => {
    const availability = afxdpDriver.detect(host(false, { 'bb-afxdp': { path: '/x/bb-afxdp', version: '0.1.0' } }));
    expect(availability).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/CONFIG_XDP_SOCKETS/) });
  });

  test('unsupported, with the build command as the fix, when the binary is missing', () => {
    for (const binaries of [{}, { 'bb-afxdp': { path: null, version: null } }] as Record<string, BinaryFact>[]) {
      const availability = afxdpDriver.detect(host(true, binaries));
      expect(availability).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/make -C native build\/bb-afxdp/) });
    }
  });
});

describe('open-loop achieved rate: sent within the requested window ÷ that window', () => {
  const windowed = ['window-load-20k', 'window-sock-load-20k', 'window-load-overload'];
  const partsOf = (name: string) => {
    const m = parseOne(name);
    return {
      m,
      counts: m.native['counts'] as Record<string, number>,
      durations: m.native['durations'] as Record<string, number>,
      offered: (expected[name]!.params as AfxdpClientParams).offeredPps!,
    };
  };

  test.each(windowed)('%s: the count over the window, whatever the elapsed time', (name) => {
    const { m, counts, durations, offered } = partsOf(name);
    expect(m.achievedFrom).toBe('window');
    expect(durations['windowS']).toBe((expected[name]!.params as AfxdpClientParams).durationS);
    expect(m.achievedPps).toBeCloseTo((counts['sent']! - counts['sentLate']!) / durations['windowS']!, 6);
    // what the schedule asked for in the window: sent or left unsent
    expect(counts['scheduled']).toBe(Math.floor(offered * durations['windowS']!));
    expect(counts['sent']! + counts['unsent']!).toBe(counts['scheduled']);
    expect(m.achievedPps!).toBeLessThanOrEqual(offered);
    expect(durations['overrunS']).toBeGreaterThanOrEqual(0);
  });

  test('sending ran past the window in these captures (a loaded VM), which the elapsed time would have counted', () => {
    for (const name of windowed) {
      const { m, counts, durations } = partsOf(name);
      expect(durations['measuredS']).toBeCloseTo(durations['windowS']! + durations['overrunS']!, 6);
      expect(m.achievedPps!).toBeGreaterThanOrEqual(counts['sent']! / durations['measuredS']!);
    }
  });

  test('a rate the client cannot reach stays short: the unsent requests are not counted', () => {
    const { m, counts, offered } = partsOf('window-load-overload');
    expect(counts['unsent']).toBeGreaterThan(0);
    expect(m.achievedPps!).toBeLessThan(offered * 0.5);
    expect(m.unsentRequests).toBe(counts['unsent']);
  });

  test('older captures did not say how the rate was computed: elapsed', () => {
    expect(parseOne('load-10k').achievedFrom).toBe('elapsed');
  });
});
