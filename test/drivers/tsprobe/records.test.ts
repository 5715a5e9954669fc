// bb-tsprobe's per-request CSV: malformed files are refused with the line and column at fault.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseTsprobeRecords, TSPROBE_RECORDS, tsprobeDriver } from '../../../drivers/tsprobe/index.js';
import { UserError } from '../../../core/errors.js';
import { fixtureArtifact, fixturePath } from '../../helpers/fixtures.js';
import { BASE_HEADER, baseRow, toCsv } from '../../helpers/tsprobe-records.js';

describe('parseTsprobeRecords', () => {
  test.each([
    ['a foreign header', 'packet, txTime(sec), rxTime(sec), rtt(usec)\n1,2,3,4\n', /header must start with "seq,status"/],
    ['a short row', `${BASE_HEADER},rtt_ns\n1,ok,5\n`, /line 2: expected 24 fields, got 3/],
    ['a bad status', toCsv([{ ...baseRow(0), status: 'maybe' }]), /status must be ok or lost, got "maybe"/],
    ['a non-integer', toCsv([{ ...baseRow(0), c_tx_ns: '2e3' }]), /column c_tx_ns is not an integer: "2e3"/],
  ])('%s', (_label, csv, message) => {
    expect(() => parseTsprobeRecords(csv)).toThrow(UserError);
    expect(() => parseTsprobeRecords(csv)).toThrow(message);
  });

  test('empty fields are null, zeros stay zero, unknown columns are ignored', () => {
    const [header, row] = toCsv([baseRow(0)])
      .trim()
      .split('\n');
    const [record] = parseTsprobeRecords(`${header},future_ns\n${row},7\n`);
    expect(record?.cTxSchedNs).toBeNull();
    expect(record?.sPauseNs).toBe(0);
    expect(record?.rttNs).toBe(10100);
  });
});

describe('the driver reads its own artifacts', () => {
  test('a --records artifact is read into the records of every measured request', async () => {
    const records = await tsprobeDriver.artifactReaders![TSPROBE_RECORDS]!(fixtureArtifact('tsprobe', 'json512-2hops-pause-1k', 'records.csv'));
    expect(records).toEqual(parseTsprobeRecords(readFileSync(fixturePath('tsprobe', 'json512-2hops-pause-1k', 'records.csv'), 'utf8')));
    expect((records as unknown[]).length).toBeGreaterThan(0);
  });
});
