// perftest against captures others published (test/fixtures/perftest/published/): every report in
// a capture becomes its records, in order, with the figures a person read off it; failures carry
// the tool's own root-cause line. Then a focused test per defect those captures exposed.
import { describe, expect, test } from 'vitest';
import { perftestDriver, type PerftestHeader } from '../../../drivers/perftest/index.js';
import type { Measurement } from '../../../core/trial.js';
import { handNumber, loadPublished, notReadable, publishedNames } from '../../helpers/published.js';

const TOOL = 'perftest';
const parse = (text: string) => perftestDriver.parse({ stdout: text, stderr: '', exitCode: 0 });
type Native = Record<string, unknown> & { header: PerftestHeader; row?: Record<string, number | null>; warnings: string[] };
const nat = (m: Measurement) => m.native as Native;

// Hand-read latency row keys and the column keys of the parser.
const LAT_ROW_KEYS: Record<string, string> = {
  bytes: 'bytes',
  iterations: 'iterations',
  t_min: 'tMin',
  t_max: 'tMax',
  t_typical: 'tTypical',
  t_avg: 'tAvg',
  t_stdev: 'tStdev',
  p99: 'p99',
  'p99.9': 'p999',
};
/** Keys that describe the capture or its context rather than a figure the parser keeps. */
const NOT_CHECKED = new Set(['tool', 'port', 'msgrate', 'connected', 'completed', 'total_run_time', 'rocm_memory', 'reports']);

/** The first word of a hand-read value: "ib_write_bw (from the command line; …)" → "ib_write_bw". */
const word = (v: unknown) => String(v).split(/\s+/)[0];

function compareReport(want: Record<string, unknown>, records: Measurement[], where: string): string[] {
  const bad: string[] = [];
  const first = records[0];
  if (!first) return [`${where}: no record`];
  const n = nat(first);
  const h = n.header;
  const same = (key: string, expected: unknown, got: unknown) => {
    if (expected !== got) bad.push(`${where} ${key}: read ${JSON.stringify(expected)}, parsed ${JSON.stringify(got)}`);
  };
  const rows = records.filter((r) => r.native['row'] !== undefined);
  for (const [key, value] of Object.entries(want)) {
    if (NOT_CHECKED.has(key)) continue;
    const unreadable = notReadable(value) || /\(from the (command|harness)/.test(String(value));
    switch (key) {
      case 'test':
        // A banner title ("RDMA_Read BW Test") or a program name ("ib_read_bw").
        if (/ Test$/.test(String(value))) same(key, value, n['title']);
        else same(key, notReadable(value) ? null : word(value), n['tool']);
        break;
      case 'device':
        same(key, notReadable(value) ? null : word(value), n['device']);
        break;
      case 'transport':
        same(key, unreadable ? null : value, h.transportType);
        break;
      case 'link_type':
        same(key, unreadable ? null : value, h.linkType);
        break;
      case 'connection':
        same(key, value, h.connectionType);
        break;
      case 'qps':
        same(key, value, h.numberOfQps);
        break;
      case 'mtu':
        same(key, handNumber(value) ?? Number(String(value).replace('[B]', '')), h.mtuBytes);
        break;
      case 'max_inline':
        same(key, value, h.fields['Max inline data']);
        break;
      case 'cpu_freq':
        same(key, value, h.fields['CPU freq']);
        break;
      case 'outstand_reads':
        same(key, String(value), h.fields['Outstand reads']);
        break;
      case 'rdma_cm':
        same(key, value === 'ON', h.rdmaCm);
        break;
      case 'side':
        same(key, value, n['side']);
        break;
      case 'bidirectional':
        same(key, value === 'yes', n['bidirectional']);
        break;
      case 'unit':
        same(key, value, n['bwUnit'] ?? n['latencyUnits'] ?? null);
        break;
      case 'status':
        same(key, value, records.some((r) => r.status === 'failed') ? 'failed' : 'ok');
        break;
      case 'root_cause':
      case 'other_errors':
        for (const line of [value].flat())
          if (!records.some((r) => r.error?.includes(String(line)))) bad.push(`${where} ${key}: "${String(line)}" not in the error`);
        if (key === 'root_cause' && !records.some((r) => r.error?.includes(`: ${String(value)}`)))
          bad.push(`${where} root cause is not the first reason given`);
        break;
      case 'warnings':
        for (const line of value as string[]) if (!n.warnings.includes(line)) bad.push(`${where} warning "${line}" not kept`);
        break;
      case 'bw_peak_measured':
        if (value === 'no') for (const r of rows) same(`${key} (${r.msgSizeBytes} B)`, null, nat(r).row!['bwPeak']);
        break;
      case 'complete':
        same(key, value !== 'no', !records.some((r) => r.native['incompleteAfterBytes'] !== undefined));
        break;
      case 'rows': {
        const wantRows = value === 'none' ? [] : (value as unknown[]);
        same('row count', wantRows.length, rows.length);
        wantRows.forEach((wantRow, i) => {
          const got = nat(rows[i]!).row!;
          const printed = Array.isArray(wantRow) ? wantRow : Object.entries(wantRow as Record<string, unknown>).map(([k, v]) => [LAT_ROW_KEYS[k], v] as const);
          const gotValues = Array.isArray(wantRow) ? Object.values(got) : printed.map((p) => got[(p as readonly [string, unknown])[0]]);
          const wantValues = Array.isArray(wantRow) ? wantRow : printed.map((p) => (p as readonly [string, unknown])[1]);
          wantValues.forEach((v, c) => {
            // The peak perftest did not measure is printed 0.00 and kept as null.
            const expected = want['bw_peak_measured'] === 'no' && c === 2 ? null : v;
            if (expected !== gotValues[c]) bad.push(`${where} row ${i} column ${c}: read ${String(v)}, parsed ${String(gotValues[c])}`);
          });
        });
        break;
      }
      default:
        bad.push(`${where} ${key}: no rule to compare this hand-read key`);
    }
  }
  return bad;
}

describe('perftest: captures others published parse to the numbers read off them by hand', () => {
  test.each(publishedNames(TOOL))('%s', (name) => {
    const { text, expected } = loadPublished(TOOL, name);
    const records = parse(text);
    const reports = (expected['reports'] as Record<string, unknown>[] | undefined) ?? [expected];
    const byReport = reports.map((_, i) => records.filter((r) => r.native['reportIndex'] === i));
    expect(new Set(records.map((r) => r.native['reportIndex'])).size).toBe(reports.length);
    const bad = reports.flatMap((report, i) => compareReport(report, byReport[i]!, `report ${i + 1}`));
    expect(bad).toEqual([]);
    for (const r of records) expect(r.native['outputForm']).toEqual(expect.any(String));
  });
});

describe('perftest: defects the published captures exposed', () => {
  const records = (name: string) => parse(loadPublished(TOOL, name).text);

  test('bidirectional tables are flagged: the figures are the sum of both directions', () => {
    const rows = records('ib_write_bw-bidir-cpufreq-warning-mlx5');
    expect(rows[0]!.native['bidirectional']).toBe(true);
    expect(rows[0]!.native['directionScope']).toBe('sum of both directions');
    expect(rows[0]!.throughputGbps).toBe(98.02);
    expect(nat(rows[0]!).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/sum of both directions/)]));
    expect(records('ib_read_bw-gbits-multisize-aks')[0]!.native['bidirectional']).toBe(false);
  });

  test('server and client reports in one paste: one set of records each, in order', () => {
    const rows = records('ib_send_bw-rxe-server-client');
    expect(rows.map((r) => [r.native['reportIndex'], r.native['side']])).toEqual([
      [0, 'server'],
      [1, 'client'],
    ]);
    // The server printed "BW peak won't be measured"; the client measured its peak.
    expect(nat(rows[0]!).row!['bwPeak']).toBeNull();
    expect(nat(rows[1]!).row!['bwPeak']).toBe(2.14);
  });

  test('two-column headers pasted with spaces keep device and transport; rxe and siw are flagged emulated', () => {
    const siw = records('ib_write_bw-siw-rdmacm-mib')[0]!;
    expect(siw.native['device']).toBe('siw_0');
    expect(nat(siw).header.transportType).toBe('IW');
    expect(siw.native['emulatedHint']).toBe(true);
    expect(records('ib_send_bw-rxe-server-client')[1]!.native['emulatedHint']).toBe(true);
    expect(records('ib_write_lat-all-percentiles-mlx4-ib')[0]!.native['emulatedHint']).toBe(false);
  });

  test('a MiB/sec table converts like MB/sec (both 2^20 bytes per second)', () => {
    const siw = records('ib_write_bw-siw-rdmacm-mib')[0]!;
    expect(siw.native['bwUnit']).toBe('MiB/sec');
    expect(siw.throughputGbps).toBeCloseTo((6595.36 * 1024 * 1024 * 8) / 1e9, 9);
  });

  test('duration mode (-D): the 0.00 printed as BW peak is null with a warning, on both sides', () => {
    const rows = records('ib_write_bw-duration-server-client-slingshot');
    expect(rows.map((r) => nat(r).row!['bwPeak'])).toEqual([null, null]);
    expect(rows.map((r) => r.throughputGbps)).toEqual([98.03, 98.03]);
    expect(nat(rows[1]!).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/duration mode \(-D\)/)]));
  });

  test('failures keep the root cause perftest printed, not the generic lines after it', () => {
    expect(records('ib_write_bw-rdmacm-rejected-cxgb4')[0]!.error).toMatch(
      /^ib_write_bw printed no result table: Event: RDMA_CM_EVENT_REJECTED; error: -111\./,
    );
    expect(records('ib_write_bw-couldnt-connect-pr228')[0]!.error).toMatch(/: Couldn't connect to 192\.168\.125\.211:18515 \(then: Unable to open file/);
    expect(records('ib_write_lat-create-qp-failed-irdma')[0]!.error).toMatch(/: Unable to create QP\./);
    expect(records('ib_read_bw-read-keys-failed-mlx4-server')[0]!.error).toMatch(/: ethernet_read_keys: Couldn't read remote address/);
  });

  test('"Post List" titles give the test name and say so', () => {
    const text = loadPublished(TOOL, 'ib_write_bw-tabs-issue132-truncated').text.replace('RDMA_Write BW Test', 'RDMA_Write Post List BW Test');
    const [m] = parse(text);
    expect(m!.native['tool']).toBe('ib_write_bw');
    expect(m!.native['postList']).toBe(true);
    expect(m!.native['outputForm']).toMatch(/post list/);
  });

  test('a truncated table keeps its rows and adds a failed record saying where it stopped', () => {
    const rows = records('ib_write_bw-tabs-issue132-truncated');
    expect(rows.filter((r) => r.status === 'ok').map((r) => r.msgSizeBytes)).toEqual([2, 4, 8, 16]);
    expect(rows.at(-1)!.error).toMatch(/left its table open after the 16 B row/);
  });
});
