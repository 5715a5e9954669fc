// One sockperf latency run (ping-pong, under-load): a block per server, or, in a capture whose
// top was not pasted, whatever part of the block survived. Every figure the block prints is kept
// in sockperf's own semantics under native; what is missing is null with a warning.
import { lastLines } from '../../core/text.js';
import { failedMeasurement } from '../../core/trial.js';
import type { LatencyUs, Measurement } from '../../core/trial.js';
import {
  AVERAGE,
  CONFIDENCE,
  DISPERSION,
  END_BEFORE_START,
  ERROR_COUNTS,
  EXTREME,
  NO_VALID,
  PERCENTILE,
  SERVER_BLOCK,
  SUMMARY_LATENCY,
  TOTAL_OBSERVATIONS,
  TOTAL_RUN,
  VALID_DURATION,
} from './lines.js';

export type LatencySemantics = 'half-rtt' | 'rtt';

export interface TotalRun {
  runTimeS: number;
  /** null when the line has no warm-up field (2.x and 3.1 builds) or counts warm-up packets instead. */
  warmupMs: number | null;
  warmupPackets: number | null;
  sentMessages: number;
  receivedMessages: number;
  skippedMessages: number | null;
}

export interface ValidDuration {
  runTimeS: number;
  sentMessages: number;
  receivedMessages: number;
}

/** The figures newer builds print after the std-dev, in µs (cv is a ratio). */
export interface Dispersion {
  meanAdUs: number | null;
  medianAdUs: number | null;
  siqrUs: number | null;
  cv: number | null;
  stdErrorUs: number | null;
  /** "99.0% ci=[a, b]": the level in percent and the interval in µs. */
  ci: { levelPct: number; lowUs: number; highUs: number } | null;
}

/** sockperf's own numbers for a latency run, in its own semantics (see latencySemantics). */
export interface SockperfLatencyNative {
  tool: 'sockperf';
  kind: 'latency';
  version: string | null;
  /** The same as version: the key every driver uses for the version its output states. */
  toolVersion: string | null;
  /** Which output form was recognised, e.g. "latency: avg-lat (2.x/3.1), [Total Run] without warm-up". */
  outputForm: string;
  /** null when the capture holds neither an avg-* nor a Summary line (half vs full unknown). */
  latencySemantics: LatencySemantics | null;
  serverNo: number | null;
  totalRun: TotalRun | null;
  validDuration: ValidDuration | null;
  avgUs: number | null;
  stdDevUs: number | null;
  dispersion: Dispersion | null;
  /** The "Summary: Latency is X usec" figure; with --burst it is per burst. */
  summaryUs: number | null;
  burstSize: number | null;
  observations: number | null;
  minUs: number | null;
  maxUs: number | null;
  /** Keyed by percentile with three decimals, as sockperf prints them: {"99.900": 16.6}. */
  percentilesUs: Record<string, number>;
  droppedMessages: number | null;
  duplicatedMessages: number | null;
  outOfOrderMessages: number | null;
  warnings: string[];
}

export interface RunContext {
  version: string | null;
  protocol: string | null;
  mode: string | null;
  msgSizeBytes: number | null;
  /** The run time asked for with -t/--time (from the argv the runner passes; null for a paste). */
  requestedRunS: number | null;
  warnings: string[];
}

const num = (text: string | undefined): number | null => (text === undefined ? null : Number(text));

function parseTotalRun(lines: string[]): TotalRun | null {
  for (const line of lines) {
    const m = TOTAL_RUN.exec(line);
    if (m) {
      return {
        runTimeS: Number(m[1]),
        warmupMs: num(m[2]),
        warmupPackets: num(m[3]),
        sentMessages: Number(m[4]),
        receivedMessages: Number(m[5]),
        skippedMessages: num(m[6]),
      };
    }
  }
  return null;
}

function parseDispersion(rest: string): Dispersion | null {
  const found: Record<string, number> = {};
  for (const m of rest.matchAll(DISPERSION)) found[m[1]!] = Number(m[2]);
  const ci = CONFIDENCE.exec(rest);
  if (Object.keys(found).length === 0 && !ci) return null;
  return {
    meanAdUs: found['mean-ad'] ?? null,
    medianAdUs: found['median-ad'] ?? null,
    siqrUs: found['siqr'] ?? null,
    cv: found['cv'] ?? null,
    stdErrorUs: found['std-error'] ?? null,
    ci: ci ? { levelPct: Number(ci[1]), lowUs: Number(ci[2]), highUs: Number(ci[3]) } : null,
  };
}

/** The latency blocks of one run: one per "Printing statistics for Server No" line, or the whole run when the top was cut. */
export function parseLatencyRun(lines: string[], context: RunContext): Measurement[] {
  const starts = lines.flatMap((line, index) => (SERVER_BLOCK.test(line) ? [index] : []));
  const totalRun = parseTotalRun(starts.length > 0 ? lines.slice(0, starts[0]) : lines);
  if (starts.length === 0) return [parseLatencyBlock(lines, null, totalRun, context)];
  return starts.map((start, i) => {
    const serverNo = Number(SERVER_BLOCK.exec(lines[start]!)![1]);
    return parseLatencyBlock(lines.slice(start + 1, starts[i + 1] ?? lines.length), serverNo, totalRun, context);
  });
}

function parseLatencyBlock(blockLines: string[], serverNo: number | null, totalRun: TotalRun | null, context: RunContext): Measurement {
  let validDuration: ValidDuration | null = null;
  let avgSemantics: LatencySemantics | null = null;
  let avgForm: string | null = null;
  let summarySemantics: LatencySemantics | null = null;
  let avgUs: number | null = null;
  let stdDevUs: number | null = null;
  let dispersion: Dispersion | null = null;
  let summaryUs: number | null = null;
  let burstSize: number | null = null;
  let observations: number | null = null;
  let minUs: number | null = null;
  let maxUs: number | null = null;
  let bracketless = false;
  let counts: { dropped: number; duplicated: number; outOfOrder: number } | null = null;
  const percentilesUs: Record<string, number> = {};
  let m: RegExpExecArray | null;
  for (const line of blockLines) {
    if ((m = VALID_DURATION.exec(line))) {
      validDuration = { runTimeS: Number(m[1]), sentMessages: Number(m[2]), receivedMessages: Number(m[3]) };
    } else if ((m = AVERAGE.exec(line))) {
      avgForm = `avg-${m[1]}`;
      avgSemantics = m[1] === 'rtt' ? 'rtt' : 'half-rtt';
      avgUs = Number(m[2]);
      stdDevUs = Number(m[3]);
      dispersion = parseDispersion(m[4] ?? '');
    } else if ((m = ERROR_COUNTS.exec(line))) {
      counts = { dropped: Number(m[1]), duplicated: Number(m[2]), outOfOrder: Number(m[3]) };
    } else if ((m = SUMMARY_LATENCY.exec(line))) {
      summarySemantics = m[1] === 'Round trip' ? 'rtt' : 'half-rtt';
      burstSize = num(m[2]);
      summaryUs = Number(m[3]);
    } else if ((m = TOTAL_OBSERVATIONS.exec(line))) {
      observations = Number(m[1]);
    } else if ((m = PERCENTILE.exec(line))) {
      percentilesUs[Number(m[1]).toFixed(3)] = Number(m[2]);
    } else if ((m = EXTREME.exec(line))) {
      if (!line.includes('<')) bracketless = true;
      if (m[1] === 'MAX') maxUs = Number(m[2]);
      else minUs = Number(m[2]);
    }
  }

  const warnings = [...context.warnings];
  const formParts = [avgForm ?? (summarySemantics ? 'Summary only' : 'percentiles only')];
  if (totalRun) formParts.push(totalRun.warmupMs === null && totalRun.warmupPackets === null ? '[Total Run] without warm-up' : '[Total Run] with warm-up');
  if (bracketless) formParts.push('bracketless MAX/MIN');
  if (serverNo === null) formParts.push('top of the output missing');
  const outputForm = `latency: ${formParts.join(', ')}`;
  const partial = {
    tool: 'sockperf',
    kind: 'latency',
    version: context.version,
    toolVersion: context.version,
    outputForm,
    protocol: context.protocol,
    mode: context.mode,
    serverNo,
    totalRun,
    /** The -t the run was asked for (null: not known), over which achievedPps is computed. */
    requestedRunS: context.requestedRunS,
    warnings,
  };
  const stop = blockLines.find((line) => NO_VALID.test(line) || END_BEFORE_START.test(line));
  if (stop) return failedMeasurement(`sockperf: ${stop}`, partial);
  const anyFigure = validDuration !== null || avgUs !== null || summaryUs !== null || observations !== null || Object.keys(percentilesUs).length > 0;
  if (!anyFigure)
    return failedMeasurement(
      `sockperf printed no [Valid Duration] line nor any latency figure${serverNo === null ? '' : ` for server ${serverNo}`}: ${lastLines(blockLines) || 'nothing after the block header'}`,
      partial,
    );
  if (avgSemantics && summarySemantics && avgSemantics !== summarySemantics) {
    return failedMeasurement(`sockperf output mixes half and full round-trip figures (avg-* and Summary disagree)`, partial);
  }
  const semantics = avgSemantics ?? summarySemantics;

  if (!totalRun) warnings.push('no [Total Run] line in the capture: send rate unknown');
  if (!validDuration) warnings.push('no [Valid Duration] line in the capture: sent/received counts and measured time unknown');
  if (avgUs === null)
    warnings.push(summaryUs === null ? 'no avg-* line: mean and std-dev not printed' : 'no avg-* line: mean taken from the Summary line, std-dev not printed');
  if (!counts) warnings.push('no "# dropped messages" line: loss unknown');
  if (minUs === null || maxUs === null) warnings.push(`${minUs === null ? 'MIN' : 'MAX'} observation not in the capture`);
  for (const p of ['50.000', '90.000', '99.000', '99.900']) if (!(p in percentilesUs)) warnings.push(`percentile ${p} not in the capture`);
  if (!semantics) warnings.push('neither avg-latency/avg-rtt nor a Summary line: half vs full round trip unknown, so latencyUs is null');

  // Half-RTT figures are the measured round trip divided by two, so doubling restores it exactly.
  const toRtt = (us: number | null | undefined): number | null => (us === null || us === undefined ? null : semantics === 'half-rtt' ? us * 2 : us);
  // Without --burst the Summary figure is the mean itself; with a burst it is per burst.
  const meanUs = avgUs ?? (burstSize === null ? summaryUs : null);
  const latencyUs: LatencyUs | null = semantics
    ? {
        min: toRtt(minUs),
        p50: toRtt(percentilesUs['50.000']),
        p90: toRtt(percentilesUs['90.000']),
        p99: toRtt(percentilesUs['99.000']),
        p999: toRtt(percentilesUs['99.900']),
        max: toRtt(maxUs),
        mean: toRtt(meanUs),
        stddev: toRtt(stdDevUs),
        samples: observations ?? validDuration?.receivedMessages ?? null,
      }
    : null;
  const native: SockperfLatencyNative = {
    ...partial,
    tool: 'sockperf',
    kind: 'latency',
    latencySemantics: semantics,
    validDuration,
    avgUs,
    stdDevUs,
    dispersion,
    summaryUs,
    burstSize,
    observations,
    minUs,
    maxUs,
    percentilesUs,
    droppedMessages: counts?.dropped ?? null,
    duplicatedMessages: counts?.duplicated ?? null,
    outOfOrderMessages: counts?.outOfOrder ?? null,
  };
  // Dropped counts expected replies (every --reply-every-th message), so the ratio is of replies.
  const expectedReplies = counts && validDuration ? validDuration.receivedMessages + counts.dropped : 0;
  const { achievedPps, achievedFrom } = sendRate(totalRun, validDuration, context.requestedRunS);
  return {
    status: 'ok',
    error: null,
    msgSizeBytes: context.msgSizeBytes,
    achievedPps,
    achievedFrom,
    sentPackets: validDuration?.sentMessages ?? null,
    receivedPackets: validDuration?.receivedMessages ?? null,
    lossRatio: counts && expectedReplies > 0 ? counts.dropped / expectedReplies : null,
    latencyUs,
    // sockperf times each reply from the moment it actually sent the request (its pacing never skips).
    latencyFrom: latencyUs ? 'send' : null,
    throughputGbps: null,
    msgRateMpps: null,
    measuredS: validDuration?.runTimeS ?? null,
    // sockperf's warm-up is its own, fixed (TEST_START_WARMUP_MSEC in its source): "Warm up time=400 msec".
    warmupS: totalRun && totalRun.warmupMs !== null ? totalRun.warmupMs / 1000 : null,
    native: { ...native },
  };
}

/**
 * The send rate of a latency run. With the -t it was asked for: the messages of its [Total Run]
 * over that requested run time (sockperf stops on its timer, so they were sent within it); its own
 * RunTime runs past -t when the client is descheduled as the timer fires (3.002 s for -t 3 on a
 * loaded VM), which read a complete schedule as short. Without it (a paste): over that RunTime.
 * The [Valid Duration] window is the last resort: it is cut between observed packets, and after a
 * stall its RunTime can be much shorter than the span of the messages it counts (2814 messages in
 * "0.383 s" at 5000/s).
 */
function sendRate(
  totalRun: TotalRun | null,
  validDuration: ValidDuration | null,
  requestedRunS: number | null,
): { achievedPps: number | null; achievedFrom: 'window' | 'elapsed' | null } {
  if (totalRun && requestedRunS !== null && requestedRunS > 0) return { achievedPps: totalRun.sentMessages / requestedRunS, achievedFrom: 'window' };
  if (totalRun && totalRun.runTimeS > 0) return { achievedPps: totalRun.sentMessages / totalRun.runTimeS, achievedFrom: 'elapsed' };
  if (validDuration && validDuration.runTimeS > 0) return { achievedPps: validDuration.sentMessages / validDuration.runTimeS, achievedFrom: 'elapsed' };
  return { achievedPps: null, achievedFrom: null };
}
