// bpftrace's wake-up events and the probe's thread-info files, from real runs
// (test/fixtures/bpftrace/, captured by native/tsprobe/capture-wakeup-fixtures.sh).
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../helpers/fixtures.js';
import { WAKEUP_SCRIPT, buildWakeupCommand, parseWakeupEvents } from '../../../drivers/bpftrace/index.js';
import { parseThreadInfo } from '../../../drivers/tsprobe/index.js';
import { wakeupsOnRecordClock } from '../../../analysis/wakeup.js';

const read = (name: string, ext: string) => readFileSync(fixturePath('bpftrace', name, ext), 'utf8');

describe.each(['block-2k', 'spin-server-2k'])('real capture %s', (name) => {
  const events = parseWakeupEvents(read(name, 'wake'));
  const client = parseThreadInfo(read(name, 'client-info'));
  const server = parseThreadInfo(read(name, 'server-info'));

  test('every event line parses, switch-in never before its start', () => {
    const lines = read(name, 'wake')
      .split('\n')
      .filter((l) => /^[WP] /.test(l));
    expect(events).toHaveLength(lines.length);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.switchNs).toBeGreaterThanOrEqual(e.wakeNs);
  });

  test('thread-info: roles, tids, the client has the records origin', () => {
    expect(client).toMatchObject({ role: 'client' });
    expect(server).toMatchObject({ role: 'server', t0Ns: null });
    expect(client.t0Ns).not.toBeNull();
    expect(client.tid).not.toBe(server.tid);
    // One host, one offset: the two roles read it within a microsecond of each other.
    expect(Math.abs(client.realtimeMinusMonotonicNs - server.realtimeMinusMonotonicNs)).toBeLessThan(1000);
  });

  test('on the records clock, the events fall inside the run', () => {
    const intervals = wakeupsOnRecordClock(events, client, client);
    expect(intervals.length).toBeGreaterThan(0);
    for (const iv of intervals) expect(iv.fromNs).toBeGreaterThan(0); // after t0, as the records are
  });
});

describe('what the captures show', () => {
  const count = (name: string, kind: 'wakeup' | 'preempted') => {
    const server = parseThreadInfo(read(name, 'server-info'));
    return parseWakeupEvents(read(name, 'wake')).filter((e) => e.tid === server.tid && e.kind === kind).length;
  };
  test('a blocking server is woken; a spinning one never is', () => {
    expect(count('block-2k', 'wakeup')).toBeGreaterThan(100);
    expect(count('spin-server-2k', 'wakeup')).toBe(0);
  });
});

describe('bad input', () => {
  test('an unknown line names the line and shows it', () => {
    expect(() => parseWakeupEvents('Attaching 4 probes...\nW 12 5 9\nLost 3 events\n', 'x.wake')).toThrow(
      /x\.wake line 3: expected "W\|P tid fromNs switchNs", got "Lost 3 events"/,
    );
  });
  test('a switch-in before the wake-up', () => {
    expect(() => parseWakeupEvents('P 12 9 5')).toThrow(/line 1: switch-in 5 precedes the wake-up 9/);
  });
  test.each([
    ['{"role":"relay","tid":1,"realtimeMinusMonotonicNs":0}', /role must be client or server, got "relay"/],
    ['{"role":"client","tid":-1,"realtimeMinusMonotonicNs":0}', /tid must be a positive integer, got -1/],
    ['{"role":"client","tid":1,"realtimeMinusMonotonicNs":"x"}', /realtimeMinusMonotonicNs must be an integer, got "x"/],
    ['{"role":"client","tid":1,"realtimeMinusMonotonicNs":0,"t0Ns":12}', /t0Ns must be a string of digits, got 12/],
    ['nope', /c\.info: not a JSON object/],
  ])('thread-info %s', (text, message) => {
    expect(() => parseThreadInfo(text, 'c.info')).toThrow(message);
  });
  test('joining needs the client origin', () => {
    const server = parseThreadInfo('{"role":"server","tid":2,"realtimeMinusMonotonicNs":0}');
    expect(() => wakeupsOnRecordClock([], server, server)).toThrow(/no t0Ns/);
  });
});

test('argv: the fixed script, nothing from input', () => {
  expect(buildWakeupCommand()).toEqual(['bpftrace', '-e', WAKEUP_SCRIPT]);
});
