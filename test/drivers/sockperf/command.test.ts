// sockperf's argv: each role and mode, and the inputs buildCommand refuses (the captured argv of
// every fixture is checked in index.test.ts).
import { describe, expect, test } from 'vitest';
import { sockperfDriver } from '../../../drivers/sockperf/index.js';

describe('buildCommand', () => {
  const base = { protocol: 'udp', serverIp: '10.231.0.2', port: 12231 } as const;

  test('server', () => {
    expect(sockperfDriver.buildCommand({ ...base, role: 'server' })).toEqual(['sockperf', 'server', '-i', '10.231.0.2', '-p', '12231']);
    expect(sockperfDriver.buildCommand({ ...base, protocol: 'tcp', role: 'server' })).toEqual([
      'sockperf',
      'server',
      '-i',
      '10.231.0.2',
      '-p',
      '12231',
      '--tcp',
    ]);
  });

  test('ping-pong defaults to round trip and passes "max" through', () => {
    expect(sockperfDriver.buildCommand({ ...base, role: 'client', mode: 'ping-pong', msgSizeBytes: 64, durationS: 3, mps: 'max' })).toEqual([
      'sockperf',
      'ping-pong',
      '-i',
      '10.231.0.2',
      '-p',
      '12231',
      '-m',
      '64',
      '-t',
      '3',
      '--mps',
      'max',
      '--full-rtt',
    ]);
  });

  test('under-load with reply-every and a full log', () => {
    expect(
      sockperfDriver.buildCommand({
        ...base,
        role: 'client',
        protocol: 'tcp',
        mode: 'under-load',
        msgSizeBytes: 256,
        durationS: 2,
        mps: 20000,
        replyEvery: 10,
        fullLogPath: '/r/log.csv',
      }),
    ).toEqual([
      'sockperf',
      'under-load',
      '-i',
      '10.231.0.2',
      '-p',
      '12231',
      '--tcp',
      '-m',
      '256',
      '-t',
      '2',
      '--mps',
      '20000',
      '--reply-every',
      '10',
      '--full-rtt',
      '--full-log',
      '/r/log.csv',
    ]);
  });

  test('throughput drops the latency-only --full-rtt', () => {
    expect(sockperfDriver.buildCommand({ ...base, role: 'client', mode: 'throughput', msgSizeBytes: 1472, durationS: 2, mps: 'max', fullRtt: true })).toEqual([
      'sockperf',
      'throughput',
      '-i',
      '10.231.0.2',
      '-p',
      '12231',
      '-m',
      '1472',
      '-t',
      '2',
      '--mps',
      'max',
    ]);
  });

  test('rejects what sockperf would silently misread or refuse, naming the field', () => {
    const client = { ...base, role: 'client', mode: 'ping-pong' } as const;
    expect(() => sockperfDriver.buildCommand({ ...client, durationS: 1.5 })).toThrow(/durationS/);
    expect(() => sockperfDriver.buildCommand({ ...client, msgSizeBytes: 13 })).toThrow(/msgSizeBytes/);
    expect(() => sockperfDriver.buildCommand({ ...client, mps: 0 })).toThrow(/mps/);
    expect(() => sockperfDriver.buildCommand({ ...client, replyEvery: 1 })).toThrow(/replyEvery only applies to under-load/);
    expect(() => sockperfDriver.buildCommand({ ...client, mode: 'throughput', fullLogPath: '/r/x.csv' })).toThrow(/fullLogPath/);
    expect(() => sockperfDriver.buildCommand({ ...client, serverIp: '-h' })).toThrow(/serverIp/);
    expect(() => sockperfDriver.buildCommand({ ...client, port: 70000 })).toThrow(/port/);
    expect(() => sockperfDriver.buildCommand({ ...base, role: 'client' })).toThrow(/mode is required/);
    expect(() => sockperfDriver.buildCommand({ ...base, role: 'server', mode: 'ping-pong' })).toThrow(/only apply to the client/);
  });
});
