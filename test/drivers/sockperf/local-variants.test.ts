// sockperf's rarer output forms, captured on this machine (test/fixtures/sockperf/<name>.json
// records the command): older option names, --burst, --giga-size. Numbers read off the captures by hand.
import { describe, expect, test } from 'vitest';
import { sockperfDriver } from '../../../drivers/sockperf/index.js';
import { loadFixture } from '../../helpers/fixtures.js';

const parseOne = (name: string) => {
  const f = loadFixture('sockperf', name);
  const records = sockperfDriver.parse({ stdout: f.stdout, stderr: f.stderr, exitCode: f.exitCode });
  expect(records).toHaveLength(1);
  return records[0]!;
};

describe('sockperf: local captures of older and rarer options', () => {
  test('--pps and --dontwarmup: [Total Run] still states a warm-up; half round trip doubled', () => {
    const m = parseOne('udp-pingpong-oldflags-pps-dontwarmup');
    expect(m.native['totalRun']).toEqual({
      runTimeS: 1,
      warmupMs: 400,
      warmupPackets: null,
      sentMessages: 1001,
      receivedMessages: 1001,
      skippedMessages: null,
    });
    expect(m.achievedPps).toBe(1001);
    expect(m.native['avgUs']).toBe(276.448);
    expect(m.native['stdDevUs']).toBe(586.523);
    expect(m.latencyUs!.p99).toBeCloseTo(2 * 2466.33, 9);
    expect(m.latencyUs!.min).toBeCloseTo(2 * 3.42, 9);
    expect(m.native['protocol']).toBe('UDP');
  });

  test('--burst 4: the Summary is per burst, so the mean comes from the avg-latency line only', () => {
    const m = parseOne('tcp-pingpong-burst4');
    expect(m.native['burstSize']).toBe(4);
    expect(m.native['summaryUs']).toBe(44.937);
    expect(m.latencyUs!.mean).toBeCloseTo(2 * 44.937, 9);
    expect(m.native['maxUs']).toBe(2043.801);
    expect(m.native['protocol']).toBe('TCP');
  });

  test('--giga-size: GBps/Gbps are kept in the M units sockperf uses otherwise', () => {
    const m = parseOne('udp-throughput-gigasize');
    expect(m.native['bandwidthMBps']).toBe(5);
    expect(m.native['bandwidthMbps']).toBe(39);
    expect(m.achievedPps).toBe(20000);
    expect(m.msgSizeBytes).toBe(256);
    expect(m.native['offeredMps']).toBe(20000);
    expect(m.throughputGbps).toBeCloseTo((39 * 1024 * 1024) / 1e9, 12);
  });
});
