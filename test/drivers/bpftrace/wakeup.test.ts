// bpftrace's wake-up events and the probe's thread-info files, from real runs
// (test/fixtures/bpftrace/, captured by native/tsprobe/capture-wakeup-fixtures.sh).
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../helpers/fixtures.js';
import { WAKEUP_MAP_ENTRIES_DEFAULT, WAKEUP_SCRIPT, buildWakeupCommand, parseWakeupEvents, wakeupMapEntries } from '../../../drivers/bpftrace/index.js';
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
      .filter((l) => l.startsWith('@e['));
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
    // Never per request: at most its start-up or shutdown (one in the capture).
    expect(count('spin-server-2k', 'wakeup')).toBeLessThanOrEqual(2);
  });
});

describe('bad input', () => {
  test('an unknown line names the line and shows it', () => {
    expect(() => parseWakeupEvents('Attaching 4 probes...\n@e[1, 12, 5]: 9\nLost 3 events\n', 'x.wake')).toThrow(
      /x\.wake line 3: expected "@e\[kind, tid, fromNs\]: switchNs" or "@n: count", got "Lost 3 events"/,
    );
  });
  test('a switch-in before the wake-up', () => {
    expect(() => parseWakeupEvents('Attaching 4 probes...\n@n: 1\n@e[0, 12, 9]: 5')).toThrow(/line 3: switch-in 5 precedes the wake-up 9/);
  });
  test('a full map: fewer entries than written is an error, not a shorter trace', () => {
    expect(() => parseWakeupEvents('Attaching 4 probes...\n@n: 3\n@e[1, 12, 5]: 9\n', 'x.wake')).toThrow(
      /x\.wake: 2 of 3 wake-up entries were lost \(the map was full\)/,
    );
  });
  test('no dump (the tracer was killed) or never attached', () => {
    expect(() => parseWakeupEvents('Attaching 4 probes...\n@e[1, 12, 5]: 9\n', 'x.wake')).toThrow(/dump is incomplete/);
    expect(() => parseWakeupEvents('', 'x.wake')).toThrow(/never attached/);
    expect(parseWakeupEvents('Attaching 4 probes...\n')).toEqual([]);
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

test('argv: the fixed script, only the map size from the trial', () => {
  expect(buildWakeupCommand(200_000)).toEqual(['env', 'BPFTRACE_MAP_KEYS_MAX=200000', 'bpftrace', '-e', WAKEUP_SCRIPT]);
  expect(() => buildWakeupCommand(0)).toThrow(/positive integer/);
  // 40 kpps for 2 s, no relays: room for both threads woken per request, twice over.
  expect(wakeupMapEntries(40_000, 2)).toBeGreaterThanOrEqual(2 * 40_000 * 3 * 2);
  expect(wakeupMapEntries(1000, 1)).toBe(WAKEUP_MAP_ENTRIES_DEFAULT);
});
