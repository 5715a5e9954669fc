// The tsprobe driver against real bb-tsprobe captures (test/fixtures/tsprobe/, each .json says how
// it was made; native/tsprobe/capture-fixtures.sh re-creates them). Assertions are about structure
// and sanity, never about how fast this machine is.
import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fixturesDir, loadFixture } from '../../helpers/fixtures.js';
import { parseTsprobeSummary, tsprobeDriver } from '../../../drivers/tsprobe/index.js';
import type { TsprobeClientSummary, TsprobeParams } from '../../../drivers/tsprobe/index.js';
import type { HostFacts } from '../../../core/host.js';
import { UserError } from '../../../core/errors.js';
import { rateReached } from '../../../core/trial.js';

const TOOL = 'tsprobe';
const BIN = '/work/main/native/build/bb-tsprobe';
const FIXTURES = join(fixturesDir, TOOL);
const fixtureNames = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

const records = (name: string) => join(FIXTURES, `${name}.records.csv`);

/** Every capture: what parse must say, and the params that rebuild its argv. */
const expected: Record<string, { kind: 'client-ok' | 'client-failed' | 'server' | 'relay'; error?: RegExp; params: TsprobeParams | null }> = {
  'bare-raw64-1k': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      codec: 'raw',
      offeredPps: 1000,
      arrivals: 'fixed',
      durationS: 1,
      warmupS: 0.2,
      recordsPath: records('bare-raw64-1k'),
    },
  },
  'bare-raw64-1k-sleep': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      codec: 'raw',
      offeredPps: 1000,
      arrivals: 'fixed',
      durationS: 1,
      warmupS: 0.2,
      recordsPath: records('bare-raw64-1k-sleep'),
      pacing: 'sleep',
    },
  },
  'bare-raw64-5k': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      codec: 'raw',
      offeredPps: 5000,
      arrivals: 'fixed',
      durationS: 0.2,
      warmupS: 0.2,
      recordsPath: records('bare-raw64-5k'),
    },
  },
  'bare-raw64-20k': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      codec: 'raw',
      offeredPps: 20000,
      arrivals: 'fixed',
      durationS: 0.05,
      warmupS: 0.2,
      recordsPath: records('bare-raw64-20k'),
    },
  },
  'bare-raw64-hwts': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 1000,
      durationS: 0.2,
      warmupS: 0.1,
      hwTimestamps: true,
      iface: 'h5a0',
    },
  },
  'bare-raw64-txsched-cmsg': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 1000,
      durationS: 0.3,
      warmupS: 0.1,
      recordsPath: records('bare-raw64-txsched-cmsg'),
      txSched: true,
      txId: 'cmsg',
    },
  },
  'rxmode-raw64-5k-block': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.237.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 5000,
      durationS: 0.5,
      warmupS: 0.2,
      rxMode: 'block',
      recordsPath: records('rxmode-raw64-5k-block'),
    },
  },
  'rxmode-raw64-5k-spin': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.237.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 5000,
      durationS: 0.5,
      warmupS: 0.2,
      rxMode: 'spin',
      recordsPath: records('rxmode-raw64-5k-spin'),
    },
  },
  'bare-json256-poisson-2k': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.0.2',
      port: 7000,
      msgSizeBytes: 256,
      codec: 'json',
      fields: 8,
      offeredPps: 2000,
      arrivals: 'poisson',
      seed: 7,
      durationS: 0.5,
      warmupS: 0.2,
    },
  },
  'json512-2hops-pause-1k': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.235.1.2',
      port: 7000,
      msgSizeBytes: 512,
      codec: 'json',
      fields: 16,
      offeredPps: 1000,
      durationS: 1,
      warmupS: 0.2,
      recordsPath: records('json512-2hops-pause-1k'),
      pacing: 'sleep',
    },
  },
  'load-raw64-2k-onoff': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.236.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 2000,
      arrivals: 'onoff',
      onMs: 10,
      offMs: 40,
      durationS: 0.5,
      warmupS: 0.1,
    },
  },
  'load-raw64-2k-fixed': {
    kind: 'client-ok',
    params: {
      role: 'client',
      binary: BIN,
      serverIp: '10.236.0.2',
      port: 7000,
      msgSizeBytes: 64,
      offeredPps: 2000,
      arrivals: 'fixed',
      durationS: 0.5,
      warmupS: 0.1,
    },
  },
  'load-raw64-overload': {
    kind: 'client-ok',
    params: { role: 'client', binary: BIN, serverIp: '10.236.0.2', port: 7000, msgSizeBytes: 64, offeredPps: 500000, durationS: 0.2, warmupS: 0.1 },
  },
  noserver: {
    kind: 'client-failed',
    error: /no replies: 200 requests sent to 10\.235\.0\.2:7999/,
    params: { role: 'client', binary: BIN, serverIp: '10.235.0.2', port: 7999, msgSizeBytes: 64, offeredPps: 1000, durationS: 0.2, warmupS: 0, drainMs: 50 },
  },
  // The driver refuses rate 0 itself, so no params rebuild this argv.
  badrate: { kind: 'client-failed', error: /printed no summary \(exit code 2\): bb-tsprobe: client: --rate must be > 0/, params: null },
  'bare-server': { kind: 'server', params: { role: 'server', binary: BIN, bindIp: '10.235.0.2', port: 7000, codec: 'raw' } },
  'hops-server': {
    kind: 'server',
    params: { role: 'server', binary: BIN, bindIp: '10.235.3.2', port: 7000, codec: 'json', pauseUs: 2000, pauseEveryMs: 50 },
  },
  'hops-relay1': { kind: 'relay', params: { role: 'relay', binary: BIN, bindIp: '10.235.1.2', port: 7000, nextIp: '10.235.2.2', nextPort: 7000 } },
  'hops-relay2': { kind: 'relay', params: { role: 'relay', binary: BIN, bindIp: '10.235.2.2', port: 7000, nextIp: '10.235.3.2', nextPort: 7000 } },
};

test('every fixture has an expectation and every expectation a fixture', () => {
  expect(fixtureNames).toEqual(Object.keys(expected).sort());
});

describe.each(fixtureNames)('fixture %s', (name) => {
  const fixture = loadFixture(TOOL, name);
  const want = expected[name];
  if (!want) throw new Error(`no expectation for fixture ${name}`);

  test('buildCommand rebuilds the captured argv', () => {
    if (want.params === null) return;
    // The captured --records path and binary were absolute in the capturing checkout; compare file names only.
    const normalize = (argv: string[]) => argv.map((a, i) => (argv[i - 1] === '--records' || i === 0 ? basename(a) : a));
    expect(normalize(tsprobeDriver.buildCommand(want.params))).toEqual(normalize(fixture.meta['toolArgv'] as string[]));
  });

  test('parse gives what the capture says', () => {
    const measurements = tsprobeDriver.parse({ stdout: fixture.stdout, stderr: fixture.stderr, exitCode: fixture.exitCode });
    if (want.kind === 'server' || want.kind === 'relay') {
      expect(measurements).toEqual([]);
      const summary = parseTsprobeSummary(fixture.stdout);
      expect(summary?.role).toBe(want.kind);
      return;
    }
    expect(measurements).toHaveLength(1);
    const m = measurements[0];
    if (!m) throw new Error('no measurement');
    if (want.kind === 'client-failed') {
      expect(m.status).toBe('failed');
      expect(m.error).toMatch(want.error as RegExp);
      return;
    }
    expect(m.status).toBe('ok');
    expect(m.error).toBeNull();
    const lat = m.latencyUs;
    if (!lat) throw new Error('no latency');
    expect(lat.p50).toBeGreaterThan(0);
    expect(lat.p99 as number).toBeGreaterThanOrEqual(lat.p50 as number);
    expect(lat.max as number).toBeGreaterThanOrEqual(lat.p99 as number);
    expect(lat.min as number).toBeLessThanOrEqual(lat.p50 as number);
    expect(lat.samples).toBe(m.receivedPackets);
    expect(m.lossRatio).toBeGreaterThanOrEqual(0);
    expect(m.lossRatio).toBeLessThanOrEqual(1);
    expect(m.achievedPps).toBeGreaterThan(0);
    expect(m.msgRateMpps).toBeCloseTo((m.achievedPps as number) / 1e6, 12);
    expect(m.measuredS).toBeGreaterThan(0);
    expect(m.sentPackets).toBeGreaterThanOrEqual(m.receivedPackets as number);
    expect(m.throughputGbps).toBeNull();
    const native = m.native as unknown as TsprobeClientSummary;
    expect(native.role).toBe('client');
    expect(native.offeredPps).toBe((want.params as { offeredPps: number }).offeredPps);
    // Timestamps were really obtained: every send has a TX software stamp, none unmatched.
    expect(native.timestamping.client.flagsObtained).toEqual(expect.arrayContaining(['tx_software', 'rx_software', 'opt_id']));
    expect(native.timestamping.client.txUnmatched).toBe(0);
    expect(native.timestamping.client.txMismatched).toBe(0);
    expect(native.recordsComplete).toBe(native.received);
    expect(typeof native.t0Ns).toBe('string');
  });
});

describe('fixture details', () => {
  const parseOne = (name: string) => {
    const f = loadFixture(TOOL, name);
    const m = tsprobeDriver.parse({ stdout: f.stdout, stderr: f.stderr, exitCode: f.exitCode })[0];
    if (!m) throw new Error('no measurement');
    return { m, native: m.native as unknown as TsprobeClientSummary };
  };

  test('hardware timestamps asked of a veth are reported unsupported, software ones still work', () => {
    const { m, native } = parseOne('bare-raw64-hwts');
    expect(m.status).toBe('ok');
    expect(native.timestamping.client.hardware).toMatchObject({ requested: true, iface: 'h5a0', status: 'unsupported' });
    expect(native.timestamping.client.rxHardware).toBe(0);
    expect(native.timestamping.client.txHardware).toBe(0);
  });

  test('the receive mode is recorded (receiveMode); builds before receive modes only blocked', () => {
    for (const mode of ['block', 'spin'] as const) {
      const { m, native } = parseOne(`rxmode-raw64-5k-${mode}`);
      expect(native.rxMode).toBe(mode);
      expect(m.receiveMode).toBe(mode);
      // The send loop's memory is prefaulted: a handful of faults, not one every few requests.
      expect(native.minorFaultsWhileSending).toBeGreaterThanOrEqual(0);
      expect(native.minorFaultsWhileSending).toBeLessThan(native.sent / 10);
    }
    expect(parseOne('bare-raw64-5k').m.receiveMode).toBe('block');
  });

  test('TX_SCHED stamps and SCM_TS_OPT_ID ids are reported when asked for', () => {
    const { native } = parseOne('bare-raw64-txsched-cmsg');
    expect(native.txSched).toBe(true);
    expect(native.timestamping.client.txIdMode).toBe('scm_ts_opt_id');
    expect(native.timestamping.client.flagsObtained).toContain('tx_sched');
    expect(native.timestamping.client.txSched).toBeGreaterThan(0);
    expect(parseOne('bare-raw64-1k').native.timestamping.client.txIdMode).toBe('counter');
  });

  test('no coordinated omission: latency from the schedule, unsent slots counted (builds before it: from the send)', () => {
    for (const name of ['load-raw64-2k-onoff', 'load-raw64-2k-fixed', 'load-raw64-overload']) {
      const { m, native } = parseOne(name);
      expect(m.latencyFrom).toBe('schedule');
      expect(m.unsentRequests).toBe(native.unsent);
      expect(native.scheduled).toBe(native.sent + (native.unsent as number));
      expect(m.latencyUs?.p50).toBe(native.latencyFromScheduleUs?.p50);
      // From the schedule a request took at least as long as from its own send.
      expect(m.latencyUs!.p50!).toBeGreaterThanOrEqual(native.rttUs.p50 as number);
      expect(m.latencyUs!.max!).toBeGreaterThanOrEqual(native.rttUs.max as number);
      // Achieved: the offered rate times the share of scheduled requests sent.
      expect(m.achievedPps).toBeCloseTo((native.offeredPps * native.sent) / native.scheduled!, 6);
    }
    const over = parseOne('load-raw64-overload');
    expect(over.m.unsentRequests).toBeGreaterThan(0);
    expect(rateReached(over.native.offeredPps, over.m.achievedPps)).toBe(false);
    const old = parseOne('bare-raw64-1k');
    expect(old.m.latencyFrom).toBe('send');
    expect(old.m.unsentRequests).toBeNull();
    expect(old.m.latencyUs?.p50).toBe(old.native.rttUs.p50);
  });

  test('on/off arrivals: the summary says so, with its periods and the mean rate scheduled', () => {
    const { native } = parseOne('load-raw64-2k-onoff');
    expect(native.arrivals).toBe('onoff');
    expect(native.onMs).toBe(10);
    expect(native.offMs).toBe(40);
    expect(native.scheduled).toBe(1000); // 2000 pps × 0.5 s
    expect(native.interArrivalCv).toBeGreaterThan(1);
  });

  test('poisson arrivals are irregular (exponential gaps have a CV near 1)', () => {
    const poisson = parseOne('bare-json256-poisson-2k').native;
    expect(poisson.arrivals).toBe('poisson');
    expect(poisson.interArrivalCv).toBeGreaterThan(0.5);
  });

  test('the two-hop capture saw its relays and the server paused', () => {
    expect(parseOne('json512-2hops-pause-1k').native.hops).toBe(2);
    const server = parseTsprobeSummary(loadFixture(TOOL, 'hops-server').stdout);
    if (server?.role !== 'server') throw new Error('not a server summary');
    expect(server.pause.count).toBeGreaterThan(0);
    expect(server.pause.delayedRequests).toBeGreaterThan(0);
    const relay = parseTsprobeSummary(loadFixture(TOOL, 'hops-relay1').stdout);
    if (relay?.role !== 'relay') throw new Error('not a relay summary');
    expect(relay.returned).toBe(relay.forwarded);
  });

  test('a refused destination keeps the tool errors in native', () => {
    const { native } = parseOne('noserver');
    expect(native.errors.map((e) => e.message)).toContain('recvmsg: Connection refused');
    expect(native.rttUs.p50).toBeNull();
  });
});

describe('parse edge cases', () => {
  test('a client killed before its summary is a failure naming stderr', () => {
    const [m] = tsprobeDriver.parse({ stdout: '{"tool":"bb-tsp', stderr: 'Killed\n', exitCode: 137 });
    expect(m?.status).toBe('failed');
    expect(m?.error).toMatch(/exit code 137\): Killed/);
  });

  test('a summary with a non-zero exit code is a failure that keeps the summary', () => {
    const stdout = loadFixture(TOOL, 'bare-raw64-1k').stdout;
    const [m] = tsprobeDriver.parse({ stdout, stderr: 'bb-tsprobe: writing records failed\n', exitCode: 1 });
    expect(m?.status).toBe('failed');
    expect((m?.native as { role?: string }).role).toBe('client');
  });
});

describe('buildCommand', () => {
  const client: TsprobeParams = { role: 'client', binary: BIN, serverIp: '10.235.0.2', port: 7000, msgSizeBytes: 64, offeredPps: 1000, durationS: 1 };

  test('argv starts with the binary and carries every option', () => {
    expect(
      tsprobeDriver.buildCommand({
        role: 'server',
        binary: '/opt/bb-tsprobe',
        bindIp: '10.235.3.2',
        port: 7001,
        codec: 'json',
        serviceUs: 5,
        pauseUs: 2000,
        pauseEveryMs: 50,
        durationS: 3,
      }),
    ).toEqual([
      '/opt/bb-tsprobe',
      'server',
      '--bind',
      '10.235.3.2:7001',
      '--codec',
      'json',
      '--service-us',
      '5',
      '--pause-us',
      '2000',
      '--pause-every-ms',
      '50',
      '--duration',
      '3',
    ]);
    expect(tsprobeDriver.buildCommand({ ...client, arrivals: 'poisson', seed: 3, drainMs: 100, pacing: 'sleep', txSched: true, txId: 'cmsg' })).toEqual([
      BIN,
      'client',
      '--server',
      '10.235.0.2:7000',
      '--size',
      '64',
      '--rate',
      '1000',
      '--arrivals',
      'poisson',
      '--seed',
      '3',
      '--duration',
      '1',
      '--drain-ms',
      '100',
      '--pacing',
      'sleep',
      '--tx-sched',
      '--tx-id',
      'cmsg',
    ]);
  });

  test('passes the receive mode and the thread-info file (server and client)', () => {
    const server = tsprobeDriver.buildCommand({ role: 'server', binary: BIN, bindIp: '10.235.0.2', port: 7000, rxMode: 'spin', threadInfoPath: '/tmp/s.info' });
    expect(server.slice(-4)).toEqual(['--rx-mode', 'spin', '--thread-info', '/tmp/s.info']);
    expect(tsprobeDriver.buildCommand({ ...client, rxMode: 'block', threadInfoPath: '/tmp/c.info' }).slice(-4)).toEqual([
      '--rx-mode',
      'block',
      '--thread-info',
      '/tmp/c.info',
    ]);
  });

  test.each([
    ['a hostname', { ...client, serverIp: 'example.com' }, /serverIp must be an IPv4 address/],
    ['rate 0', { ...client, offeredPps: 0 }, /offeredPps must be a number > 0/],
    ['a message smaller than the header', { ...client, msgSizeBytes: 16 }, /msgSizeBytes must be an integer in 24\.\.4096/],
    ['an option-looking records path', { ...client, recordsPath: '--rate' }, /recordsPath must be a file path/],
    ['hardware timestamps without an interface', { ...client, hwTimestamps: true }, /hwTimestamps needs iface/],
    ['an unknown receive mode', { ...client, rxMode: 'poll' as 'spin' }, /rxMode must be block or spin, got "poll"/],
    ['an option-looking thread-info path', { ...client, threadInfoPath: '-x' }, /threadInfoPath must be a file path/],
    ['a bad interface name', { ...client, iface: 'eth0; reboot' }, /iface must be an interface name/],
    ['an unknown arrival process', { ...client, arrivals: 'bursty' as 'onoff' }, /arrivals must be fixed, poisson or onoff, got "bursty"/],
    ['on/off arrivals without their periods', { ...client, arrivals: 'onoff', onMs: 10 }, /onMs and offMs go with arrivals onoff/],
    ['on/off periods with fixed arrivals', { ...client, arrivals: 'fixed', onMs: 10, offMs: 40 }, /onMs and offMs go with arrivals onoff/],
    ['an empty burst', { ...client, arrivals: 'onoff', onMs: 0, offMs: 40 }, /onMs must be a number > 0, got 0/],
    ['a negative warm-up', { ...client, warmupS: -1 }, /warmupS must be a number ≥ 0, got -1/],
    ['a pause without its period', { role: 'server', binary: BIN, bindIp: '10.235.0.2', port: 7000, pauseUs: 100 }, /pauseUs and pauseEveryMs go together/],
    [
      'a pause longer than its period',
      { role: 'server', binary: BIN, bindIp: '10.235.0.2', port: 7000, pauseUs: 60000, pauseEveryMs: 50 },
      /must be shorter than pauseEveryMs/,
    ],
    [
      'a relay port out of range',
      { role: 'relay', binary: BIN, bindIp: '10.235.1.2', port: 7000, nextIp: '10.235.2.2', nextPort: 70000 },
      /nextIp port must be an integer in 1\.\.65535/,
    ],
  ] as [string, TsprobeParams, RegExp][])('rejects %s', (_label, params, message) => {
    expect(() => tsprobeDriver.buildCommand(params)).toThrow(UserError);
    expect(() => tsprobeDriver.buildCommand(params)).toThrow(message);
  });
});

describe('detect', () => {
  const host = (path: string | null, soTimestamping = true) =>
    ({ binaries: { 'bb-tsprobe': { path, version: path ? '0.1.0' : null } }, features: { soTimestamping } }) as unknown as HostFacts;

  test('available when built', () => {
    expect(tsprobeDriver.detect(host(BIN))).toMatchObject({ status: 'available', version: '0.1.0' });
  });
  test('unsupported with a build hint when not built', () => {
    expect(tsprobeDriver.detect(host(null))).toMatchObject({ status: 'unsupported', fix: expect.stringContaining('make -C native build/bb-tsprobe') });
  });
  test('unsupported without SO_TIMESTAMPING', () => {
    expect(tsprobeDriver.detect(host(BIN, false))).toMatchObject({ status: 'unsupported' });
  });
});
