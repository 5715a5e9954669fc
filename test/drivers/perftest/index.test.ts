import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../core/errors.js';
import type { Measurement } from '../../../core/trial.js';
import type { HostFacts } from '../../../core/host.js';
import { parsePerftestOutJson, perftestDriver, type PerftestOutput, type PerftestParams } from '../../../drivers/perftest/index.js';
import { fixturePath, fixturesDir, loadFixture } from '../../helpers/fixtures.js';

const PERFTEST_FIXTURES = readdirSync(`${fixturesDir}/perftest`)
  .filter((f) => f.endsWith('.json') && f.startsWith('ib_'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

/** The fixture as the runner hands it to parse: output, the argv, and the --out_json file if any. */
function output(name: string): PerftestOutput {
  const fx = loadFixture('perftest', name);
  const outJsonPath = fixturePath('perftest', name, 'outjson');
  return {
    stdout: fx.stdout,
    stderr: fx.stderr,
    exitCode: fx.exitCode,
    argv: fx.meta.argv,
    outJson: existsSync(outJsonPath) ? readFileSync(outJsonPath, 'utf8') : null,
  };
}

function parse(name: string): Measurement[] {
  return perftestDriver.parse(output(name));
}

function expectSaneLatency(m: Measurement): void {
  const l = m.latencyUs!;
  expect(l.p50!).toBeGreaterThan(0);
  expect(l.min!).toBeGreaterThan(0);
  expect(l.min!).toBeLessThanOrEqual(l.p50!);
  expect(l.p99!).toBeGreaterThanOrEqual(l.p50!);
  expect(l.p999!).toBeGreaterThanOrEqual(l.p99!);
  expect(l.max!).toBeGreaterThanOrEqual(l.p999!);
  expect(l.mean!).toBeGreaterThan(0);
  expect(l.p90).toBeNull();
}

describe('buildCommand', () => {
  const client: PerftestParams = { test: 'ib_write_lat', role: 'client', serverAddress: '10.231.0.1', device: 'rxe1', gidIndex: 1 };

  it('puts the options first and the server address last', () => {
    expect(perftestDriver.buildCommand({ ...client, msgSizeBytes: 64, iterations: 1000 })).toEqual([
      'ib_write_lat',
      '-d',
      'rxe1',
      '-x',
      '1',
      '-s',
      '64',
      '-n',
      '1000',
      '10.231.0.1',
    ]);
    expect(perftestDriver.buildCommand({ test: 'ib_send_bw', role: 'server', device: 'rxe0', allSizes: true, iterations: 20 })).toEqual([
      'ib_send_bw',
      '-d',
      'rxe0',
      '-a',
      '-n',
      '20',
    ]);
  });

  it('maps every option to its perftest flag', () => {
    const argv = perftestDriver.buildCommand({
      test: 'ib_send_bw',
      role: 'client',
      serverAddress: '10.231.0.1',
      device: 'rxe1',
      ibPort: 1,
      gidIndex: 1,
      tcpPort: 18600,
      rdmaCm: true,
      connection: 'UD',
      mtuBytes: 1024,
      msgSizeBytes: 64,
      durationS: 2,
      reportGbits: true,
      rateLimit: { limit: 20000, units: 'pps', type: 'SW' },
      outJsonFile: 'perftest.json',
    });
    expect(argv).toEqual([
      'ib_send_bw',
      '-d',
      'rxe1',
      '-i',
      '1',
      '-x',
      '1',
      '-p',
      '18600',
      '-R',
      '-c',
      'UD',
      '-m',
      '1024',
      '-s',
      '64',
      '-D',
      '2',
      '--report_gbits',
      '--rate_limit=20000',
      '--rate_units=p',
      '--rate_limit_type=SW',
      '--out_json',
      '--out_json_file=perftest.json',
      '10.231.0.1',
    ]);
  });

  it('adds -C for cycles on latency tests', () => {
    expect(perftestDriver.buildCommand({ ...client, reportCycles: true })).toContain('-C');
  });

  it.each<[string, Partial<PerftestParams>, RegExp]>([
    ['a client without a server', { serverAddress: undefined }, /serverAddress is required/],
    ['-a with -s', { allSizes: true, msgSizeBytes: 2 }, /exclusive/],
    ['-n with -D', { iterations: 100, durationS: 2 }, /exclusive/],
    ['too few iterations', { iterations: 2 }, /iterations must be an integer >= 5/],
    ['a message too large', { msgSizeBytes: 16_777_216 }, /msgSizeBytes must be <=/],
    ['a rate limit on a latency test', { rateLimit: { limit: 1000, units: 'pps', type: 'SW' } }, /only supported by bandwidth tests/],
    ['Gb/s on a latency test', { reportGbits: true }, /reportGbits/],
    ['an odd MTU', { mtuBytes: 1500 }, /mtuBytes/],
    ['a device that looks like a flag', { device: '-x' }, /device/],
    ['UD on a write test', { connection: 'UD' }, /UD is only for send/],
  ])('refuses %s, naming the field', (_label, change, message) => {
    expect(() => perftestDriver.buildCommand({ ...client, ...change })).toThrow(UserError);
    expect(() => perftestDriver.buildCommand({ ...client, ...change })).toThrow(message);
  });

  it('refuses cycles on bandwidth tests and pps with a HW limiter', () => {
    expect(() => perftestDriver.buildCommand({ test: 'ib_write_bw', role: 'server', reportCycles: true })).toThrow(/reportCycles/);
    expect(() => perftestDriver.buildCommand({ test: 'ib_write_bw', role: 'server', rateLimit: { limit: 1, units: 'pps', type: 'HW' } })).toThrow(/HW/);
  });
});

describe('detect', () => {
  const host = (over: { path?: string | null; rdmaDevices?: string[]; rxe?: boolean }): HostFacts =>
    ({
      binaries: { ib_write_lat: { path: over.path === undefined ? '/usr/bin/ib_write_lat' : over.path, version: null } },
      packages: { perftest: '4.5+0.17-1' },
      features: { rdmaDevices: over.rdmaDevices ?? [], rxe: over.rxe ?? false },
    }) as unknown as HostFacts;

  it('is unsupported without perftest, or without an RDMA device (pointing to the VM)', () => {
    expect(perftestDriver.detect(host({ path: null }))).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/apt-get install perftest/) });
    expect(perftestDriver.detect(host({}))).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/rdma-rxe/) });
    expect(perftestDriver.detect(host({ rxe: true }))).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/rdma link add/) });
  });
  it('is available with a device', () => {
    expect(perftestDriver.detect(host({ rdmaDevices: ['rxe0'] }))).toMatchObject({ status: 'available', version: '4.5+0.17-1' });
  });
});

describe('parse: every captured fixture', () => {
  it('has fixtures', () => {
    expect(PERFTEST_FIXTURES.length).toBeGreaterThanOrEqual(10);
  });

  it.each(PERFTEST_FIXTURES)('%s gives sane records', (name) => {
    const records = parse(name);
    expect(records.length).toBeGreaterThan(0);
    for (const m of records) {
      if (m.status === 'failed') {
        expect(m.error).toBeTruthy();
        expect(m.latencyUs).toBeNull();
        continue;
      }
      expect(m.error).toBeNull();
      expect(m.msgSizeBytes!).toBeGreaterThan(0);
      expect(m.sentPackets!).toBeGreaterThan(0);
      expect(m.lossRatio).toBeNull();
      expect(m.native['emulatedHint']).toBe(true);
      if (m.native['tableKind'] === 'bandwidth') {
        expect(m.latencyUs).toBeNull();
        // perftest rounds to 2 decimals: a tiny emulated bandwidth prints as 0.00 MB/sec.
        expect(m.throughputGbps!).toBeGreaterThanOrEqual(0);
        expect(m.msgRateMpps!).toBeGreaterThan(0);
        expect(m.achievedPps!).toBeCloseTo(m.msgRateMpps! * 1e6, 3);
      } else if (m.native['latencyUnits'] === 'usec' && m.native['tableKind'] === 'latency') {
        expectSaneLatency(m);
        expect(m.latencyUs!.samples).toBe(m.sentPackets);
      }
    }
  });
});

describe('parse: latency', () => {
  it('doubles write latency into a round trip and keeps the native half', () => {
    const [m, ...rest] = parse('ib_write_lat-2B');
    expect(rest).toHaveLength(0);
    const row = m!.native['row'] as Record<string, number>;
    expect(m!.native['latencySemantics']).toBe('half-rtt');
    expect(m!.msgSizeBytes).toBe(2);
    expect(m!.sentPackets).toBe(1000);
    expect(m!.latencyUs!.p50).toBeCloseTo(2 * row['tTypical']!, 9);
    expect(m!.latencyUs!.p99).toBeCloseTo(2 * row['p99']!, 9);
    expect(m!.latencyUs!.stddev).toBeCloseTo(2 * row['tStdev']!, 9);
    expect(m!.latencyUs!.max).toBeCloseTo(2 * row['tMax']!, 9);
  });

  it('doubles send latency too', () => {
    const [m] = parse('ib_send_lat-64B');
    expect(m!.native['latencySemantics']).toBe('half-rtt');
    expect(m!.latencyUs!.mean).toBeCloseTo(2 * (m!.native['row'] as Record<string, number>)['tAvg']!, 9);
  });

  it('keeps read latency as printed: it is already a round trip, and keeps stderr warnings', () => {
    const [m] = parse('ib_read_lat-64B');
    expect(m!.native['latencySemantics']).toBe('rtt');
    expect(m!.latencyUs!.p50).toBe((m!.native['row'] as Record<string, number>)['tTypical']);
    expect(m!.native['stderrLines']).toContain('Device not recognized to implement inline feature. Disabling it');
  });

  it('reads the header block', () => {
    const [m] = parse('ib_write_lat-2B');
    expect(m!.native['header']).toMatchObject({
      title: 'RDMA_Write Latency Test',
      test: 'ib_write_lat',
      device: 'rxe1',
      transportType: 'IB',
      connectionType: 'RC',
      linkType: 'Ethernet',
      mtuBytes: 1024,
      gidIndex: 1,
      txDepth: 1,
      numberOfQps: 1,
      maxInlineBytes: 0,
      rdmaCm: false,
      dataExchange: 'Ethernet',
    });
    expect((m!.native['header'] as { localGid: string }).localGid).toMatch(/:10:231:00:02$/);
    expect((m!.native['header'] as { remoteGid: string }).remoteGid).toMatch(/:10:231:00:01$/);
  });

  it('reads the server side the same way', () => {
    const [m] = parse('ib_write_lat-2B-server');
    expect(m!.status).toBe('ok');
    expect((m!.native['header'] as { device: string }).device).toBe('rxe0');
    expectSaneLatency(m!);
  });

  it('sees rdma_cm in the header', () => {
    const [m] = parse('ib_write_lat-rdmacm');
    expect((m!.native['header'] as { rdmaCm: boolean }).rdmaCm).toBe(true);
  });

  it('gives one record per size for -a, the inf rows as failures and the rest intact', () => {
    for (const name of PERFTEST_FIXTURES.filter((n) => n.startsWith('ib_write_lat-all'))) {
      const records = parse(name);
      const sizes = records.map((m) => m.msgSizeBytes);
      expect(sizes).toEqual(Array.from({ length: 23 }, (_, i) => 2 ** (i + 1)));
      const rowTexts = records.map((m) => String(m.native['rowText']));
      records.forEach((m, i) => {
        if (/\binf\b/.test(rowTexts[i]!)) {
          expect(m.status).toBe('failed');
          expect(m.error).toMatch(/inf/);
        } else {
          expect(m.status).toBe('ok');
          expectSaneLatency(m);
        }
      });
    }
  });

  it('has at least one real inf row among the captures', () => {
    const infRecords = PERFTEST_FIXTURES.filter((n) => n.startsWith('ib_write_lat-all'))
      .flatMap(parse)
      .filter((m) => m.status === 'failed');
    expect(infRecords.length).toBeGreaterThan(0);
    expect(infRecords[0]!.native['nonFiniteColumns'] as string[]).toContain('tTypical');
  });

  it('keeps a lone -nan standard deviation as null on an otherwise good row', () => {
    const rows = PERFTEST_FIXTURES.flatMap(parse).filter((m) => m.status === 'ok' && Array.isArray(m.native['nonFiniteColumns']));
    expect(rows.map((m) => m.msgSizeBytes)).toContain(8388608);
    for (const m of rows) {
      expect(m.native['nonFiniteColumns']).toEqual(['tStdev']);
      expect(m.latencyUs!.stddev).toBeNull();
      expect(m.latencyUs!.p50!).toBeGreaterThan(0);
    }
  });

  it('reads the duration table: mean and transaction rate only', () => {
    const [m] = parse('ib_write_lat-duration');
    expect(m!.native['tableKind']).toBe('latency-duration');
    const row = m!.native['row'] as Record<string, number>;
    expect(m!.latencyUs!.mean).toBeCloseTo(2 * row['tAvg']!, 9);
    expect(m!.latencyUs!.p50).toBeNull();
    expect(m!.latencyUs!.samples).toBeNull();
    expect(m!.achievedPps).toBe(row['tpsAverage']);
    expect(m!.sentPackets).toBe(row['iterations']);
  });

  it('does not present -C cycles as microseconds', () => {
    const [m] = parse('ib_write_lat-cycles');
    expect(m!.status).toBe('ok');
    expect(m!.native['latencyUnits']).toBe('cycles');
    expect(m!.latencyUs).toBeNull();
    expect((m!.native['row'] as Record<string, number>)['tTypical']).toBeGreaterThan(0);
  });

  it('cross-checks --out_json with the last row', () => {
    const records = parse('ib_write_lat-outjson');
    const check = records[records.length - 1]!.native['outJson'] as { matchesLastRow: boolean; results: Record<string, number> };
    expect(check.matchesLastRow).toBe(true);
    expect(check.results['t_typical']).toBe((records[0]!.native['row'] as Record<string, number>)['tTypical']);
  });

  it('finds the --out_json file among the files the process wrote, by the name its argv gave', () => {
    const { outJson, ...rest } = output('ib_write_lat-outjson');
    const fromFiles = perftestDriver.parse({ ...rest, files: { 'perftest.json': outJson!, 'other.json': '{}' } });
    expect(fromFiles).toEqual(parse('ib_write_lat-outjson'));
    expect(perftestDriver.parse({ ...rest, files: { 'other.json': outJson! } }).at(-1)!.native['outJson']).toBeUndefined();
  });

  it('fails cleanly when the client cannot reach its server', () => {
    const records = parse('ib_write_lat-noserver');
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe('failed');
    expect(records[0]!.error).toMatch(/exited with code 1/);
    expect(records[0]!.error).toMatch(/Unable to init the socket connection/);
  });
});

describe('parse: bandwidth', () => {
  it('converts MiB/s to Gb/s and keeps the native MB/sec numbers', () => {
    const [m] = parse('ib_write_bw-64K');
    const row = m!.native['row'] as Record<string, number>;
    expect(m!.native['bwUnit']).toBe('MB/sec');
    expect(m!.throughputGbps).toBeCloseTo((row['bwAverage']! * 1024 * 1024 * 8) / 1e9, 9);
    expect(m!.msgRateMpps).toBe(row['msgRateMpps']);
    expect(m!.msgSizeBytes).toBe(65536);
  });

  it('takes --report_gbits numbers as Gb/s directly', () => {
    const [m] = parse('ib_send_bw-4K-gbits');
    expect(m!.native['bwUnit']).toBe('Gb/sec');
    expect(m!.throughputGbps).toBe((m!.native['row'] as Record<string, number>)['bwAverage']);
  });

  it('keeps the receiving server side (which prints no peak)', () => {
    const [m] = parse('ib_send_bw-4K-gbits-server');
    expect(m!.status).toBe('ok');
    // The server printed 0.00 for a peak it did not measure: kept as null with a warning, never 0.
    expect((m!.native['row'] as Record<string, number | null>)['bwPeak']).toBeNull();
    expect(m!.native['warnings']).toEqual(expect.arrayContaining([expect.stringMatching(/BW peak printed 0\.00/)]));
    expect(m!.throughputGbps!).toBeGreaterThan(0);
  });

  it('reads a rate-limited run, which can join an offered-rate grid', () => {
    const [m] = parse('ib_write_bw-64B-rate20kpps');
    expect(m!.status).toBe('ok');
    expect(m!.achievedPps!).toBeGreaterThan(0);
    expect(m!.native['stderrLines']).toContain('Setting burst size to tx depth = 128');
  });

  it('gives one record per size for -a and cross-checks only the last with --out_json', () => {
    const records = parse('ib_write_bw-all-outjson');
    expect(records.map((m) => m.msgSizeBytes)).toEqual(Array.from({ length: 23 }, (_, i) => 2 ** (i + 1)));
    expect(records.every((m) => m.status === 'ok')).toBe(true);
    expect(records.slice(0, -1).every((m) => m.native['outJson'] === undefined)).toBe(true);
    const check = records[records.length - 1]!.native['outJson'] as { matchesLastRow: boolean; results: Record<string, number> };
    expect(check.matchesLastRow).toBe(true);
    expect(check.results['MsgSize']).toBe(8388608);
  });
});

describe('parse: a run stopped in the middle of its table', () => {
  it('keeps the rows printed before the timeout and adds one failed record saying where it stopped', () => {
    const records = parse('ib_send_bw-all-timeout');
    const last = records[records.length - 1]!;
    expect(last.status).toBe('failed');
    expect(last.error).toMatch(/exited with code 124 after the \d+ B row/);
    const rows = records.slice(0, -1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((m) => m.status === 'ok')).toBe(true);
    expect(last.native['incompleteAfterBytes']).toBe(rows[rows.length - 1]!.msgSizeBytes);
  });
});

describe('parsePerftestOutJson', () => {
  it("reads perftest's not-quite-JSON file", () => {
    const results = parsePerftestOutJson(readFileSync(fixturePath('perftest', 'ib_write_lat-outjson', 'outjson'), 'utf8'));
    expect(Object.keys(results!)).toEqual(['MsgSize', 'n_iterations', 't_min', 't_max', 't_typical', 't_avg', 't_stdev', 'percentile_99', 'percentile_99.9']);
  });
  it('returns null without a results block', () => {
    expect(parsePerftestOutJson('')).toBeNull();
  });
});

describe('parse: rate-limited bandwidth in Gb/s (six decimals)', () => {
  it('reads values that print more decimals than the usual two', () => {
    const fx = loadFixture('perftest', 'ib_send_bw-64B-rate10kpps-gbits');
    const [m] = perftestDriver.parse({ stdout: fx.stdout, stderr: fx.stderr, exitCode: fx.exitCode, argv: fx.meta.argv });
    expect(m!.status).toBe('ok');
    expect(m!.msgSizeBytes).toBe(64);
    expect(m!.throughputGbps).toBeGreaterThan(0);
    expect(m!.msgRateMpps).toBeGreaterThan(0);
    // achieved ≤ the offered 10 kpps (+5 %)
    expect(m!.achievedPps!).toBeLessThanOrEqual(10_000 * 1.05);
  });
});
