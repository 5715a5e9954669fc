// The sockperf driver against real sockperf 3.7 captures (test/fixtures/sockperf/, each .json says
// how it was made). Assertions are about structure and sanity, never about how fast this machine is.
import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, loadFixture } from '../../helpers/fixtures.js';
import { sockperfDriver } from '../../../drivers/sockperf/index.js';
import type { SockperfParams } from '../../../drivers/sockperf/index.js';
import type { Measurement } from '../../../core/trial.js';
import type { HostFacts } from '../../../core/host.js';

const TOOL = 'sockperf';
const fixtureNames = readdirSync(join(fixturesDir, TOOL))
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

/** Every capture, what parse must say about it, and the params that rebuild its argv. */
const expected: Record<string, { status: 'ok' | 'failed'; error?: RegExp; params?: SockperfParams }> = {
  'udp-pingpong-halfrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'ping-pong',
      msgSizeBytes: 64,
      durationS: 2,
      mps: 2000,
      fullRtt: false,
    },
  },
  'udp-pingpong-fullrtt': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'ping-pong', msgSizeBytes: 64, durationS: 2, mps: 2000 },
  },
  'tcp-pingpong-fullrtt': {
    status: 'ok',
    params: { role: 'client', protocol: 'tcp', serverIp: '10.231.0.2', port: 12232, mode: 'ping-pong', msgSizeBytes: 64, durationS: 2, mps: 2000 },
  },
  'udp-pingpong-mpsmax-fullrtt': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'ping-pong', msgSizeBytes: 64, durationS: 1, mps: 'max' },
  },
  'udp-underload-reply1-fullrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 2,
      mps: 20000,
      replyEvery: 1,
    },
  },
  'udp-underload-window-20k': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.237.0.2',
      port: 12237,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 3,
      mps: 20000,
      replyEvery: 1,
    },
  },
  'udp-underload-window-overrun': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.77.0.2',
      port: 20005,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 3,
      mps: 21746,
      replyEvery: 1,
    },
  },
  'udp-underload-default-fullrtt': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'under-load', msgSizeBytes: 64, durationS: 2, mps: 20000 },
  },
  'udp-underload-default-halfrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 2,
      mps: 20000,
      fullRtt: false,
    },
  },
  'udp-underload-overload-fullrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 1,
      mps: 100000,
      replyEvery: 1,
    },
  },
  'udp-throughput-64': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'throughput', msgSizeBytes: 64, durationS: 2 },
  },
  // Hand captures on loopback with options buildCommand does not emit (--pps, --dontwarmup, --burst, --giga-size).
  'udp-pingpong-oldflags-pps-dontwarmup': { status: 'ok' },
  'tcp-pingpong-burst4': { status: 'ok' },
  'udp-throughput-gigasize': { status: 'ok' },
  'udp-throughput-1472': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'throughput', msgSizeBytes: 1472, durationS: 2 },
  },
  'udp-throughput-4096': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'throughput', msgSizeBytes: 4096, durationS: 1 },
  },
  'udp-throughput-64-mps50000': {
    status: 'ok',
    params: { role: 'client', protocol: 'udp', serverIp: '10.231.0.2', port: 12231, mode: 'throughput', msgSizeBytes: 64, durationS: 1, mps: 50000 },
  },
  'tcp-throughput-1472': {
    status: 'ok',
    params: { role: 'client', protocol: 'tcp', serverIp: '10.231.0.2', port: 12232, mode: 'throughput', msgSizeBytes: 1472, durationS: 2 },
  },
  'udp-pingpong-fulllog-fullrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'ping-pong',
      msgSizeBytes: 64,
      durationS: 1,
      mps: 1000,
      fullLogPath: '/tmp/h1-cap/udp-pingpong-fulllog-fullrtt.csv',
    },
  },
  'udp-pingpong-fulllog-halfrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'ping-pong',
      msgSizeBytes: 64,
      durationS: 1,
      mps: 1000,
      fullRtt: false,
      fullLogPath: '/tmp/h1-cap/udp-pingpong-fulllog-halfrtt.csv',
    },
  },
  'udp-underload-fulllog-fullrtt': {
    status: 'ok',
    params: {
      role: 'client',
      protocol: 'udp',
      serverIp: '10.231.0.2',
      port: 12231,
      mode: 'under-load',
      msgSizeBytes: 64,
      durationS: 1,
      mps: 2000,
      replyEvery: 1,
      fullLogPath: '/tmp/h1-cap/udp-underload-fulllog-fullrtt.csv',
    },
  },
  'udp-pingpong-noserver': { status: 'failed', error: /No messages were received from the server/ },
  'tcp-pingpong-noserver': { status: 'failed', error: /Connection refused/ },
  'udp-underload-novalid': { status: 'failed', error: /No valid observations found/ },
  'udp-pingpong-badmsgsize': { status: 'failed', error: /rejected its arguments: '-m' Invalid message size: 100000/ },
  'udp-server': {
    status: 'failed',
    error: /server output/,
    params: { role: 'server', protocol: 'udp', serverIp: '10.231.0.2', port: 12233 },
  },
};

function parseOne(name: string): Measurement {
  const measurements = sockperfDriver.parse(loadFixture(TOOL, name));
  expect(measurements).toHaveLength(1);
  return measurements[0]!;
}

function okLatencyFixtures(): string[] {
  // Hand captures carry no params: their names say the mode.
  return fixtureNames.filter((name) => expected[name]?.status === 'ok' && expected[name]?.params?.mode !== 'throughput' && !name.includes('throughput'));
}

function native<T>(m: Measurement, key: string): T {
  return m.native[key] as T;
}

describe('fixtures', () => {
  test('every capture on disk has an expectation, and every expectation a capture', () => {
    expect(fixtureNames).toEqual(Object.keys(expected).sort());
  });

  test.each(fixtureNames)('%s parses to the expected status', (name) => {
    const m = parseOne(name);
    const want = expected[name]!;
    expect(m.status, m.error ?? '').toBe(want.status);
    if (want.status === 'failed') {
      expect(m.error).toMatch(want.error!);
      expect(m.latencyUs).toBeNull();
      expect(m.achievedPps).toBeNull();
    } else {
      expect(m.error).toBeNull();
      expect(m.achievedPps).toBeGreaterThan(0);
      expect(m.measuredS).toBeGreaterThan(0);
      expect(m.native['version']).toBe('3.7-no.git');
    }
  });

  test('sockperf 3.7 exits 0 even when it fails, so the exit code alone proves nothing', () => {
    for (const name of ['udp-pingpong-noserver', 'tcp-pingpong-noserver', 'udp-pingpong-badmsgsize']) {
      expect(loadFixture(TOOL, name).meta.exitCode).toBe(0);
    }
  });

  test.each(fixtureNames.filter((name) => expected[name]?.params))('%s: buildCommand rebuilds the captured argv', (name) => {
    const meta = loadFixture(TOOL, name).meta;
    expect(sockperfDriver.buildCommand(expected[name]!.params!)).toEqual(meta['toolArgv']);
  });
});

describe('latency modes', () => {
  test.each(okLatencyFixtures())('%s: sane, ordered round-trip figures', (name) => {
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
    // The send rate is [Total Run] messages over its run time (the valid window can be cut short).
    const total = m.native['totalRun'] as { sentMessages: number; runTimeS: number };
    expect(m.achievedPps).toBeCloseTo(total.sentMessages / total.runTimeS, 6);
    expect(m.throughputGbps).toBeNull();
    // Latency modes never print the message size; the runner fills it from the plan.
    expect(m.msgSizeBytes).toBeNull();

    // Every percentile line is kept, in sockperf's own units, and ordered.
    const percentiles = native<Record<string, number>>(m, 'percentilesUs');
    expect(Object.keys(percentiles).sort()).toEqual(['25.000', '50.000', '75.000', '90.000', '99.000', '99.900', '99.990', '99.999']);
    const byRank = Object.entries(percentiles)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, us]) => us);
    expect(byRank).toEqual([...byRank].sort((a, b) => a - b));
  });

  test('half round trip (avg-latency) is doubled into latencyUs; native keeps the tool numbers', () => {
    for (const name of ['udp-pingpong-halfrtt', 'udp-underload-default-halfrtt', 'udp-pingpong-fulllog-halfrtt']) {
      const m = parseOne(name);
      const fixture = loadFixture(TOOL, name);
      expect(fixture.stdout).toContain('avg-latency=');
      expect(m.native['latencySemantics']).toBe('half-rtt');
      const percentiles = native<Record<string, number>>(m, 'percentilesUs');
      expect(fixture.stdout).toMatch(new RegExp(`percentile 50\\.000 =\\s+${percentiles['50.000']!.toFixed(3)}`));
      expect(m.latencyUs!.p50).toBeCloseTo(2 * percentiles['50.000']!, 9);
      expect(m.latencyUs!.p99).toBeCloseTo(2 * percentiles['99.000']!, 9);
      expect(m.latencyUs!.min).toBeCloseTo(2 * native<number>(m, 'minUs'), 9);
      expect(m.latencyUs!.max).toBeCloseTo(2 * native<number>(m, 'maxUs'), 9);
      expect(m.latencyUs!.mean).toBeCloseTo(2 * native<number>(m, 'avgUs'), 9);
      expect(m.latencyUs!.stddev).toBeCloseTo(2 * native<number>(m, 'stdDevUs'), 9);
    }
  });

  test('full round trip (avg-rtt) is taken as is', () => {
    for (const name of ['udp-pingpong-fullrtt', 'tcp-pingpong-fullrtt', 'udp-underload-reply1-fullrtt']) {
      const m = parseOne(name);
      expect(loadFixture(TOOL, name).stdout).toContain('avg-rtt=');
      expect(m.native['latencySemantics']).toBe('rtt');
      const percentiles = native<Record<string, number>>(m, 'percentilesUs');
      expect(m.latencyUs!.p50).toBe(percentiles['50.000']);
      expect(m.latencyUs!.p999).toBe(percentiles['99.900']);
      expect(m.latencyUs!.max).toBe(native<number>(m, 'maxUs'));
      expect(m.latencyUs!.mean).toBe(native<number>(m, 'avgUs'));
    }
  });

  test('loss is dropped / (received + dropped), counting replies', () => {
    const overload = parseOne('udp-underload-overload-fullrtt');
    const dropped = native<number>(overload, 'droppedMessages');
    expect(dropped).toBeGreaterThan(0);
    expect(overload.lossRatio).toBeCloseTo(dropped / (overload.receivedPackets! + dropped), 12);

    // With the default --reply-every 100 only a hundredth of the messages are answered.
    const sparse = parseOne('udp-underload-default-fullrtt');
    expect(sparse.receivedPackets! * 50).toBeLessThan(sparse.sentPackets!);
    const sparseDropped = native<number>(sparse, 'droppedMessages');
    expect(sparse.lossRatio).toBeCloseTo(sparseDropped / (sparse.receivedPackets! + sparseDropped), 12);

    // TCP never drops, so its loss is a measured zero, not a missing value.
    expect(parseOne('tcp-pingpong-fullrtt').lossRatio).toBe(0);
  });

  test('older and newer sockperf line forms parse the same', () => {
    // Derived from a real 3.7 capture by rewriting only the formatting: builds before 3.x print
    // "MAX observation" without angle brackets, and newer ones append more statistics after std-dev.
    const real = loadFixture(TOOL, 'udp-pingpong-fullrtt');
    const reformatted = real.stdout
      .replace(/<(MAX|MIN)>/g, '$1')
      .replace(/\(std-dev=([\d.]+)\)/, '(std-dev=$1, mean-ad=1.000, median-ad=1.000, siqr=1.000, cv=0.500, std-error=0.100, 99.0% ci=[1.000, 2.000])');
    expect(reformatted).not.toBe(real.stdout);
    const [m] = sockperfDriver.parse({ ...real, stdout: reformatted });
    const original = parseOne('udp-pingpong-fullrtt');
    // The normalized figures are the same; native says which form it saw and keeps the extra statistics.
    expect({ ...m, native: null }).toEqual({ ...original, native: null });
    expect(m!.native['outputForm']).toMatch(/bracketless MAX\/MIN/);
    expect(m!.native['dispersion']).toEqual({ meanAdUs: 1, medianAdUs: 1, siqrUs: 1, cv: 0.5, stdErrorUs: 0.1, ci: { levelPct: 99, lowUs: 1, highUs: 2 } });
  });

  test('total run and valid window are both kept; the valid window is the measured one', () => {
    const m = parseOne('udp-pingpong-fullrtt');
    const totalRun = native<{ runTimeS: number; warmupMs: number; sentMessages: number }>(m, 'totalRun');
    const valid = native<{ runTimeS: number; sentMessages: number }>(m, 'validDuration');
    expect(m.measuredS).toBe(valid.runTimeS);
    expect(valid.runTimeS).toBeLessThan(totalRun.runTimeS);
    expect(valid.sentMessages).toBeLessThan(totalRun.sentMessages);
    expect(totalRun.warmupMs).toBeGreaterThan(0);
  });
});

describe('throughput mode', () => {
  const throughputFixtures = fixtureNames.filter((name) => expected[name]?.params?.mode === 'throughput');

  test.each(throughputFixtures)('%s: rate, bandwidth, no latency, unknown loss', (name) => {
    const m = parseOne(name);
    expect(m.latencyUs).toBeNull();
    expect(m.lossRatio).toBeNull();
    expect(m.receivedPackets).toBeNull();
    expect(m.achievedPps).toBe(m.native['messageRatePerS']);
    expect(m.msgRateMpps).toBeCloseTo(m.achievedPps! / 1e6, 12);
    expect(m.sentPackets).toBeGreaterThan(0);
    // sockperf's Mbps is 2^20-based: Gbps = Mbps × 1048576 / 1e9.
    expect(m.throughputGbps).toBeCloseTo((native<number>(m, 'bandwidthMbps') * 1048576) / 1e9, 12);
    // …and its MBps is message rate × payload bytes / 2^20 (checks that reading on real output).
    const msgSizeBytes = expected[name]!.params!.msgSizeBytes!;
    const mibPerS = (m.achievedPps! * msgSizeBytes) / 1048576;
    expect(Math.abs(native<number>(m, 'bandwidthMBps') - mibPerS)).toBeLessThan(0.001 + mibPerS * 1e-6);
  });

  test('message size comes from the NOTE line when sockperf prints one, else null', () => {
    expect(parseOne('udp-throughput-64').msgSizeBytes).toBe(64);
    expect(parseOne('udp-throughput-4096').msgSizeBytes).toBe(4096);
    expect(parseOne('udp-throughput-64-mps50000').native['offeredMps']).toBe(50000);
    expect(parseOne('udp-throughput-1472').msgSizeBytes).toBeNull();
  });

  test('fragmented messages keep the packet rate and fragment count', () => {
    const m = parseOne('udp-throughput-4096');
    expect(m.native['ipFragsPerMsg']).toBe(3);
    expect(m.native['packetRatePps']).toBe(3 * m.achievedPps!);
  });
});

describe('failures sockperf reports with exit code 0', () => {
  test('no server (UDP): the tool message, and no measurement', () => {
    const m = parseOne('udp-pingpong-noserver');
    expect(m.error).toBe('sockperf: No messages were received from the server. Is the server down?');
  });

  test('no server (TCP): the ERROR line', () => {
    expect(parseOne('tcp-pingpong-noserver').error).toBe('sockperf: ERROR: Can`t connect socket (errno=111 Connection refused)');
  });

  test('empty output, a non-zero exit code and a kill are failures', () => {
    const [empty] = sockperfDriver.parse({ stdout: '', stderr: '', exitCode: 0 });
    expect(empty!.status).toBe('failed');
    expect(empty!.error).toMatch(/printed nothing/);

    const [killed] = sockperfDriver.parse({ stdout: '\n', stderr: '', exitCode: null });
    expect(killed!.error).toMatch(/killed by a signal/);

    const real = loadFixture(TOOL, 'udp-pingpong-fullrtt');
    const [nonZero] = sockperfDriver.parse({ ...real, exitCode: 3 });
    expect(nonZero!.status).toBe('failed');
    expect(nonZero!.error).toMatch(/exited with code 3/);
  });

  test('output cut before the results is a failure that names what is missing', () => {
    const real = loadFixture(TOOL, 'udp-pingpong-fullrtt');
    const cut = real.stdout.slice(0, real.stdout.indexOf('[Valid Duration]'));
    const [m] = sockperfDriver.parse({ stdout: cut, stderr: '', exitCode: 0 });
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/no \[Valid Duration\] line/);
  });
});

describe('detect', () => {
  const host = (binaries: HostFacts['binaries']) => ({ binaries }) as HostFacts;

  test('available with the version the host probe found', () => {
    expect(sockperfDriver.detect(host({ sockperf: { path: '/usr/bin/sockperf', version: '3.7-no.git' } }))).toEqual({
      status: 'available',
      version: '3.7-no.git',
    });
  });

  test('unsupported with the apt-get fix when absent', () => {
    const missing: HostFacts['binaries'][] = [{}, { sockperf: { path: null, version: null } }];
    for (const binaries of missing) {
      const availability = sockperfDriver.detect(host(binaries));
      expect(availability).toMatchObject({ status: 'unsupported', fix: 'apt-get install sockperf' });
    }
  });
});

describe('send rate over the requested run time (the throughput search compares it with the offered rate)', () => {
  const withArgv = (name: string) => {
    const fixture = loadFixture(TOOL, name);
    return sockperfDriver.parse({ ...fixture, argv: fixture.meta.argv })[0]!;
  };
  const totalRunOf = (m: Measurement) => m.native['totalRun'] as { runTimeS: number; sentMessages: number };

  test.each(['udp-underload-window-20k', 'udp-underload-window-overrun'])('%s: with its argv, [Total Run] messages ÷ the -t asked for', (name) => {
    const m = withArgv(name);
    const requested = Number(loadFixture(TOOL, name).meta.argv[loadFixture(TOOL, name).meta.argv.indexOf('-t') + 1]);
    expect(m.achievedFrom).toBe('window');
    expect(m.native['requestedRunS']).toBe(requested);
    expect(m.achievedPps).toBeCloseTo(totalRunOf(m).sentMessages / requested, 9);
  });

  test('a run whose own RunTime ran past -t (3.002 s for -t 3) no longer reads short for it', () => {
    const windowed = withArgv('udp-underload-window-overrun');
    const elapsed = parseOne('udp-underload-window-overrun');
    expect(totalRunOf(elapsed).runTimeS).toBeGreaterThan(3);
    expect(elapsed.achievedFrom).toBe('elapsed');
    expect(elapsed.achievedPps).toBeCloseTo(totalRunOf(elapsed).sentMessages / totalRunOf(elapsed).runTimeS, 9);
    expect(windowed.achievedPps!).toBeGreaterThan(elapsed.achievedPps!);
  });

  test('without an argv (a paste), or with one that has no -t, the elapsed time of [Total Run] as before', () => {
    const fixture = loadFixture(TOOL, 'udp-underload-reply1-fullrtt');
    const noTime = sockperfDriver.parse({ ...fixture, argv: ['sockperf', 'under-load', '-i', '10.231.0.2'] })[0]!;
    expect(noTime.achievedFrom).toBe('elapsed');
    expect(noTime.native['requestedRunS']).toBeNull();
    expect(noTime.achievedPps).toBe(parseOne('udp-underload-reply1-fullrtt').achievedPps);
  });
});
