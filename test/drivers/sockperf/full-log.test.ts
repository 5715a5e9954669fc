// sockperf's --full-log CSV against sockperf's own summary of the same runs (real captures).
import { describe, expect, test } from 'vitest';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fixtureArtifact, fixturePath, loadFixture } from '../../helpers/fixtures.js';
import { SOCKPERF_FULL_LOG, sockperfDriver, summarizeFullLog } from '../../../drivers/sockperf/index.js';
import type { Measurement } from '../../../core/trial.js';

const TOOL = 'sockperf';

function parseOne(name: string): Measurement {
  const measurements = sockperfDriver.parse(loadFixture(TOOL, name));
  expect(measurements).toHaveLength(1);
  return measurements[0]!;
}

describe('summarizeFullLog', () => {
  const fullLogs = ['udp-pingpong-fulllog-fullrtt', 'udp-pingpong-fulllog-halfrtt', 'udp-underload-fulllog-fullrtt'];
  const streamLines = (name: string) => createInterface({ input: createReadStream(fixturePath(TOOL, name, 'fulllog.csv')), crlfDelay: Infinity });
  const fileLines = (name: string) => readFileSync(fixturePath(TOOL, name, 'fulllog.csv'), 'utf8').split('\n');
  /** HDR keeps 3 significant digits (< 0.1%); printed values carry 3 decimals, doubled for half-RTT. */
  const withinHdr = (actual: number | null, reference: number) => {
    expect(actual).not.toBeNull();
    expect(Math.abs(actual! - reference)).toBeLessThanOrEqual(reference * 0.001 + 0.004);
  };

  test.each(fullLogs)("%s matches sockperf's own summary of the same run", async (name) => {
    const summary = await summarizeFullLog(streamLines(name));
    const m = parseOne(name);
    expect(summary.complete).toBe(true);
    expect(summary.rejectedRows).toBe(0);
    expect(summary.samples).toBe(m.latencyUs!.samples);
    expect(summary.latencySemantics).toBe(m.native['latencySemantics']);
    withinHdr(summary.latencyUs.p50, m.latencyUs!.p50!);
    withinHdr(summary.latencyUs.p90, m.latencyUs!.p90!);
    withinHdr(summary.latencyUs.p99, m.latencyUs!.p99!);
    withinHdr(summary.latencyUs.p999, m.latencyUs!.p999!);
    // min, max and mean are exact, up to the rounding of the printed figures.
    expect(Math.abs(summary.latencyUs.min! - m.latencyUs!.min!)).toBeLessThanOrEqual(0.004);
    expect(Math.abs(summary.latencyUs.max! - m.latencyUs!.max!)).toBeLessThanOrEqual(0.004);
    expect(Math.abs(summary.latencyUs.mean! - m.latencyUs!.mean!)).toBeLessThanOrEqual(0.004);
    expect(Math.abs(summary.latencyUs.stddev! - m.latencyUs!.stddev!)).toBeLessThanOrEqual(m.latencyUs!.stddev! * 0.005);
  });

  test('the half-RTT column is doubled into round trip', async () => {
    const summary = await summarizeFullLog(fileLines('udp-pingpong-fulllog-halfrtt'));
    expect(summary.latencySemantics).toBe('half-rtt');
    // Each row's own timestamps give the round trip; the column holds half of it.
    const rows = fileLines('udp-pingpong-fulllog-halfrtt')
      .filter((line) => /^\d+, /.test(line))
      .map((line) => line.split(', ').map(Number));
    const rttFromTimestampsUs = rows.map(([, txS, rxS]) => (rxS! - txS!) * 1e6);
    expect(rows[0]![3]! * 2).toBeCloseTo(rttFromTimestampsUs[0]!, 2);
    expect(summary.latencyUs.max!).toBeCloseTo(Math.max(...rttFromTimestampsUs), 2);
    expect(summary.latencyUs.min!).toBeCloseTo(Math.min(...rttFromTimestampsUs), 2);
  });

  test('send-gap steadiness: paced sends give a small coefficient of variation around 1/mps', async () => {
    const pingPong = await summarizeFullLog(fileLines('udp-pingpong-fulllog-fullrtt'));
    expect(pingPong.testParameters).toContain('--mps=1000');
    expect(pingPong.sendGapMeanUs!).toBeGreaterThan(900);
    expect(pingPong.sendGapMeanUs!).toBeLessThan(1100);
    expect(pingPong.sendGapCv!).toBeGreaterThanOrEqual(0);
    expect(pingPong.sendGapCv!).toBeLessThan(1);
    expect(pingPong.spanS!).toBeGreaterThan(0);

    const underLoad = await summarizeFullLog(fileLines('udp-underload-fulllog-fullrtt'));
    expect(underLoad.sendGapMeanUs!).toBeGreaterThan(450);
    expect(underLoad.sendGapMeanUs!).toBeLessThan(550);
  });

  test('a row cut short by a killed writer, or going back in time, is rejected and counted', async () => {
    // Derived from a real log: drop the closing dashed line, then append an earlier real row
    // (txTime goes back) and a row cut in half, as a killed sockperf would leave it.
    const lines = fileLines('udp-pingpong-fulllog-fullrtt');
    const rows = lines.filter((line) => /^\d+, /.test(line));
    const lastRowAt = lines.lastIndexOf(rows.at(-1)!);
    const cutShort = [...lines.slice(0, lastRowAt + 1), rows[0]!, rows.at(-1)!.slice(0, 20)];
    const summary = await summarizeFullLog(cutShort);
    expect(summary.samples).toBe(rows.length);
    expect(summary.rejectedRows).toBe(2);
    expect(summary.rejectedExamples).toEqual([rows[0], rows.at(-1)!.slice(0, 20)]);
    expect(summary.complete).toBe(false);
  });

  test('a log without the column header (no replies) gives no samples and null figures', async () => {
    const summary = await summarizeFullLog(['sockperf: No messages were received from the server. Is the server down?']);
    expect(summary.samples).toBe(0);
    expect(summary.latencySemantics).toBeNull();
    expect(summary.latencyUs.p50).toBeNull();
    expect(summary.sendGapCv).toBeNull();
  });
});

describe('the driver reads its own artifacts', () => {
  test('a --full-log artifact is read line by line into the same summary', async () => {
    const reader = sockperfDriver.artifactReaders?.[SOCKPERF_FULL_LOG];
    const name = 'udp-underload-fulllog-fullrtt';
    expect(await reader!(fixtureArtifact(TOOL, name, 'fulllog.csv'))).toEqual(
      await summarizeFullLog(readFileSync(fixturePath(TOOL, name, 'fulllog.csv'), 'utf8').split('\n')),
    );
  });

  test('a sockperf server says nothing worth keeping as a service', () => {
    expect(sockperfDriver.serviceOutput).toBe('none');
  });
});
