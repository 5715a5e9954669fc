// Kernel RX shown as work + wake-up where a wake-up trace measured it (a real bpftrace capture,
// test/fixtures/bpftrace/), in the component list and in the report's attribution chart.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../helpers/fixtures.js';
import { attribute, type AttributionResult } from '../../analysis/attribution.js';
import { displayComponents } from '../../analysis/attribution-display.js';
import { wakeupsOnRecordClock } from '../../analysis/wakeup.js';
import { parseWakeupEvents } from '../../drivers/bpftrace/index.js';
import { parseThreadInfo, parseTsprobeRecords } from '../../drivers/tsprobe/index.js';
import { attributionChart } from '../../report/charts/index.js';

const read = (ext: string) => readFileSync(fixturePath('bpftrace', 'block-2k', ext), 'utf8');

function ok(result: AttributionResult): Extract<AttributionResult, { status: 'ok' }> {
  if (result.status !== 'ok') throw new Error(`attribution: ${result.reason}`);
  return result;
}

const records = parseTsprobeRecords(read('records.csv'));
const events = parseWakeupEvents(read('wake'));
const client = parseThreadInfo(read('client-info'));
const server = parseThreadInfo(read('server-info'));
const split = ok(
  attribute(records, {
    wakeups: { source: 'bpftrace', server: wakeupsOnRecordClock(events, server, client), client: wakeupsOnRecordClock(events, client, client) },
    // A short capture: its p99 band holds a handful of requests, below the default minimum of 50.
    minBandRequests: 5,
  }),
);
const plain = ok(attribute(records, { minBandRequests: 5 }));

describe('displayComponents', () => {
  test('with a wake-up trace: kernel RX as work and wake-up on each side, shares still summing to the RTT', () => {
    const d = displayComponents(split);
    const names = d.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['kernelRxClientWork', 'wakeupClient', 'kernelRxServerWork', 'wakeupServer']));
    expect(names).not.toContain('kernelRxClient');
    expect(d.find((c) => c.name === 'wakeupClient')).toMatchObject({ label: 'wake-up client (waiting to run)', kernel: false, basis: 'measured' });
    expect(d.find((c) => c.name === 'kernelRxServerWork')).toMatchObject({ label: 'kernel RX server (work)', kernel: true, basis: 'interval-less-wait' });
    expect(d.find((c) => c.name === 'other')).toMatchObject({ label: 'other (remainder)', basis: 'remainder' });
    for (const key of ['shareP50', 'shareP99'] as const) expect(d.reduce((a, c) => a + c[key]!, 0)).toBeCloseTo(1, 6);
    // A blocking receiver waits to be woken: the measured wake-up is visible, not folded into kernel RX.
    expect(d.find((c) => c.name === 'wakeupServer')!.shareP50).toBeGreaterThan(0);
  });

  test('without one: kernel RX stays whole and says it holds both', () => {
    const d = displayComponents(plain);
    expect(d.find((c) => c.name === 'kernelRxClient')).toMatchObject({ label: 'kernel RX client (work + wake-up)', kernel: true });
    expect(d.map((c) => c.name)).not.toContain('wakeupClient');
  });
});

test('the attribution chart shows the split components by label, stacked to ~100 %', () => {
  const point = { trialId: 't1', pathLabel: 'attribution', msgSizeBytes: 64, offeredPps: 2000, repetition: 1, emulated: false, result: split };
  const chart = attributionChart([point])!;
  const rows = (chart.spec as { data: { values: Record<string, unknown>[] } }).data.values;
  const components = new Set(rows.map((r) => r.component));
  expect(components).toContain('kernel RX client (work)');
  expect(components).toContain('wake-up server (waiting to run)');
  expect(components).toContain('other (remainder)');
  for (const band of ['p50 band', 'p99 band']) {
    const total = rows.filter((r) => r.band === band).reduce((a, r) => a + (r.share as number), 0);
    expect(total).toBeGreaterThan(0.95);
    expect(total).toBeLessThan(1.05);
  }
});
