// sockperf's --full-log CSV (one row per answered message), summarized line by line: a
// multi-million-row log never has to fit in memory.
import { build } from 'hdr-histogram-js';
import { ANSI_CSI } from '../../core/text.js';
import { emptyLatency, type LatencyUs } from '../../core/trial.js';
import type { LatencySemantics } from './parse.js';

export interface FullLogSummary {
  /** Which column the file holds: "rtt(usec)" (with --full-rtt) or "latency(usec)" (half of it). */
  latencySemantics: LatencySemantics | null;
  /** Rows recorded into the histogram. */
  samples: number;
  /** Round-trip µs. Percentiles come from an HDR histogram (3 significant digits, so within 0.1%),
   * ranked like sockperf's own; min, max, mean and stddev (n − 1) are exact. */
  latencyUs: LatencyUs;
  /** Coefficient of variation (stddev / mean) of the gaps between consecutive txTimes: how steady
   * the offered load was. The log holds answered messages only, so with --reply-every N the gaps
   * are N sends wide, and every dropped reply widens one gap. null below two gaps. */
  sendGapCv: number | null;
  sendGapMeanUs: number | null;
  /** First to last logged txTime, seconds. */
  spanS: number | null;
  /** The "test was performed using the following parameters: …" line, as written. */
  testParameters: string | null;
  /** Rows that failed the checks below and were left out. */
  rejectedRows: number;
  rejectedExamples: string[];
  /** The dashed line after the rows was seen; false means the file was cut short. */
  complete: boolean;
}

// "packet, txTime(sec), rxTime(sec), rtt(usec)" or "…, latency(usec)" — the column header
const FULL_LOG_HEADER = /^packet,\s*txTime\(sec\),\s*rxTime\(sec\),\s*(rtt|latency)\(usec\)$/;
// "548, 2.949812782, 2.949827604, 14.822" (index, seconds, seconds, µs)
const FULL_LOG_ROW = /^(\d+),\s*(\d+\.\d+),\s*(\d+\.\d+),\s*(-?\d+\.\d+)$/;
// "------------------------------" — closes the summary block and the rows
const DASHED = /^-{10,}$/;
// "test was performed using the following parameters: --mps=1000 --burst=1 … --full-rtt"
const TEST_PARAMETERS = /^test was performed using the following parameters: (.*)$/;
/** Printed values carry 3 decimals (µs) and timestamps 9 (s): allow for both roundings. */
const ROW_TOLERANCE_US = 0.02;
const MAX_REJECTED_EXAMPLES = 3;

/** Streaming mean and variance (Welford), so a multi-million-row log needs no array. */
class RunningStats {
  count = 0;
  mean = 0;
  private m2 = 0;
  min = Infinity;
  max = -Infinity;
  add(value: number): void {
    this.count += 1;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
  /** Sample standard deviation (n − 1), as sockperf prints it. */
  get stddev(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 0;
  }
}

/**
 * Summarize sockperf's --full-log CSV line by line. Row rule, from real logs of sockperf 3.7: it
 * writes only answered, in-order messages, in send order, and computes the last column from the
 * two timestamps. Thirteen real logs (ping-pong and under-load, UDP and TCP, up to 25 635 drops)
 * held no bad row, but a log can be cut short by a killed process, so a row counts only when it
 * has all four numbers, rxTime ≥ txTime, txTime does not go back, and the column equals
 * (rxTime − txTime) in µs (halved for latency(usec)) within rounding. Others are counted in
 * rejectedRows, never silently dropped.
 */
export async function summarizeFullLog(lines: AsyncIterable<string> | Iterable<string>): Promise<FullLogSummary> {
  // Values are recorded in ns: the histogram takes integers and the file has 3 decimals of µs.
  const histogram = build({ bitBucketSize: 'packed', numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true });
  const rttStats = new RunningStats();
  const gapStats = new RunningStats();
  let semantics: LatencySemantics | null = null;
  let testParameters: string | null = null;
  let complete = false;
  let firstTxS: number | null = null;
  let lastTxS: number | null = null;
  let rejectedRows = 0;
  const rejectedExamples: string[] = [];
  const reject = (line: string) => {
    rejectedRows += 1;
    if (rejectedExamples.length < MAX_REJECTED_EXAMPLES) rejectedExamples.push(line);
  };

  try {
    for await (const rawLine of lines) {
      const line = rawLine.replace(ANSI_CSI, '').trim();
      if (semantics === null) {
        const header = FULL_LOG_HEADER.exec(line);
        if (header) semantics = header[1] === 'rtt' ? 'rtt' : 'half-rtt';
        const params = TEST_PARAMETERS.exec(line);
        if (params) testParameters = params[1]!;
        continue;
      }
      if (DASHED.test(line)) {
        complete = true;
        break;
      }
      if (line === '') continue;
      const row = FULL_LOG_ROW.exec(line);
      if (!row) {
        reject(line);
        continue;
      }
      const txS = Number(row[2]);
      const rxS = Number(row[3]);
      const valueUs = Number(row[4]);
      const rttUs = semantics === 'half-rtt' ? valueUs * 2 : valueUs;
      const fromTimestampsUs = (rxS - txS) * 1e6;
      const consistent = Math.abs(fromTimestampsUs - rttUs) <= ROW_TOLERANCE_US;
      if (!(rxS >= txS) || !(valueUs > 0) || !consistent || (lastTxS !== null && txS < lastTxS)) {
        reject(line);
        continue;
      }
      histogram.recordValue(Math.max(1, Math.round(rttUs * 1000)));
      rttStats.add(rttUs);
      if (lastTxS !== null) gapStats.add((txS - lastTxS) * 1e6);
      firstTxS ??= txS;
      lastTxS = txS;
    }

    const samples = rttStats.count;
    // sockperf takes the value at rank round(p × n) (half up); HDR would round the rank up, which in
    // a sparse tail can pick the neighbouring sample. Asking for (rank − ½)/n makes HDR's ceil land
    // on sockperf's rank without depending on floating-point luck.
    const percentileUs = (p: number): number | null => {
      if (samples === 0) return null;
      const rank = Math.max(1, Math.floor((p / 100) * samples + 0.5));
      return histogram.getValueAtPercentile((100 * (rank - 0.5)) / samples) / 1000;
    };
    const latencyUs: LatencyUs =
      samples === 0
        ? emptyLatency()
        : {
            min: rttStats.min,
            p50: percentileUs(50),
            p90: percentileUs(90),
            p99: percentileUs(99),
            p999: percentileUs(99.9),
            max: rttStats.max,
            mean: rttStats.mean,
            stddev: rttStats.stddev,
            samples,
          };
    if (samples === 0) latencyUs.samples = 0;
    const gapsUsable = gapStats.count >= 2 && gapStats.mean > 0;
    return {
      latencySemantics: semantics,
      samples,
      latencyUs,
      sendGapCv: gapsUsable ? gapStats.stddev / gapStats.mean : null,
      sendGapMeanUs: gapStats.count > 0 ? gapStats.mean : null,
      spanS: firstTxS !== null && lastTxS !== null ? lastTxS - firstTxS : null,
      testParameters,
      rejectedRows,
      rejectedExamples,
      complete,
    };
  } finally {
    histogram.destroy();
  }
}
