// sockperf's stdout: latency blocks (one per server), the throughput summary, and the failures it
// reports in words while exiting 0 (see index.ts for what real runs taught).
import { ANSI_CSI, lastLines } from '../../core/text.js';
import { failedMeasurement } from '../../core/trial.js';
import type { LatencyUs, Measurement } from '../../core/trial.js';
import { fillNumbers, type NumericLine } from '../numeric-lines.js';
import type { ToolOutput } from '../types.js';

export type LatencySemantics = 'half-rtt' | 'rtt';

/** sockperf's own numbers for a latency run, in its own semantics (see latencySemantics). */
export interface SockperfLatencyNative {
  tool: 'sockperf';
  kind: 'latency';
  version: string | null;
  latencySemantics: LatencySemantics;
  serverNo: number;
  totalRun: TotalRun | null;
  validDuration: ValidDuration;
  avgUs: number | null;
  stdDevUs: number | null;
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

/** sockperf's own numbers for a throughput run. */
export interface SockperfThroughputNative {
  tool: 'sockperf';
  kind: 'throughput';
  version: string | null;
  messagesSent: number | null;
  skippedMessages: number | null;
  runTimeS: number | null;
  messageRatePerS: number | null;
  /** Only printed when a message needs several IP fragments. */
  packetRatePps: number | null;
  ipFragsPerMsg: number | null;
  /** As printed; sockperf's MBps is MiB/s of payload, its Mbps is 8 × that. */
  bandwidthMBps: number | null;
  bandwidthMbps: number | null;
  msgSizeRangeBytes: number | null;
  offeredMps: number | null;
  warnings: string[];
}

interface TotalRun {
  runTimeS: number;
  warmupMs: number | null;
  sentMessages: number;
  receivedMessages: number;
  skippedMessages: number | null;
}

interface ValidDuration {
  runTimeS: number;
  sentMessages: number;
  receivedMessages: number;
}

/** "sockperf: [Total Run] …" — the prefix every log line carries. */
const TOOL_PREFIX = /^sockperf: ?/;

/** Output lines without colour codes or the "sockperf: " prefix, blank lines dropped. */
function cleanLines(text: string): string[] {
  return text
    .replace(ANSI_CSI, '')
    .split(/\r?\n/)
    .map((line) => line.replace(TOOL_PREFIX, '').trimEnd())
    .filter((line) => line.trim() !== '');
}

// "== version #3.7-no.git == " — the first line of every run.
const VERSION_LINE = /^== version #(\S+) ==/;
// "[Total Run] RunTime=2.000 sec; Warm up time=400 msec; SentMessages=4001; ReceivedMessages=4001"
// (seconds, milliseconds, message counts; newer builds may add "; SkippedMessages=N" or say
// "Warm up packets=N" instead of a time)
const TOTAL_RUN =
  /^\[Total Run\] RunTime=([\d.]+) sec; Warm up (?:time=(\d+) msec|packets=\d+); SentMessages=(\d+); ReceivedMessages=(\d+)(?:; SkippedMessages=(\d+))?/;
// "========= Printing statistics for Server No: 0" — one block per server.
const SERVER_BLOCK = /^=+ Printing statistics for Server No: (\d+)/;
// "[Valid Duration] RunTime=1.549 sec; SentMessages=3099; ReceivedMessages=3099" (seconds, counts)
const VALID_DURATION = /^\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)/;
// "====> avg-latency=7.440 (std-dev=1.112)" or "====> avg-rtt=33.701 (std-dev=19.718)" (µs; newer
// builds continue "std-dev=…, mean-ad=…, …)" after the std-dev)
const AVERAGE = /^=+> avg-(latency|rtt)=([\d.]+) \(std-dev=([\d.]+)/;
// "# dropped messages = 3; # duplicated messages = 0; # out-of-order messages = 0" (counts)
const ERROR_COUNTS = /^# dropped messages = (\d+); # duplicated messages = (\d+); # out-of-order messages = (\d+)/;
// "Summary: Latency is 7.440 usec", "Summary: Round trip is 33.701 usec",
// "Summary: Round trip of burst of 4 messages is 50.100 usec" (µs)
const SUMMARY_LATENCY = /^Summary: (Latency|Round trip)(?: of burst of (\d+) messages)? is ([\d.]+) usec/;
// "Total 3099 observations; each percentile contains 30.99 observations" (count)
const TOTAL_OBSERVATIONS = /^Total (\d+) observations/;
// "---> percentile 99.900 =   16.809" (percentile, µs)
const PERCENTILE = /^---> percentile\s+([\d.]+)\s*=\s*([\d.]+)/;
// "---> <MAX> observation =   21.677"; older builds: "---> MAX observation = 21.677" (µs)
const EXTREME = /^--->\s+<?(MAX|MIN)>?\s+observation\s*=\s*([\d.]+)/;
// "Total of 293513 messages sent in 2.000 sec" (count, seconds; newer builds may append
// " (N messages skipped)")
const THROUGHPUT_TOTAL = /^Total of (\d+) messages sent in ([\d.]+) sec(?: \((\d+) messages skipped\))?/;
// "Summary: Message Rate is 146722 [msg/sec]" or, for fragmented messages,
// "Summary: Message Rate is 81560 [msg/sec], Packet Rate is about 244680 [pkt/sec] (3 ip frags / msg)"
const MESSAGE_RATE = /^Summary: Message Rate is (\d+) \[msg\/sec\](?:, Packet Rate is about (\d+) \[pkt\/sec\] \((\d+) ip frags \/ msg\))?/;
// "Summary: BandWidth is 8.955 MBps (71.642 Mbps)"; with --giga-size "… is 0.009 GBps (0.072 Gbps)"
// (2^20-based payload bytes; the G forms are the M figure / 1000)
const BANDWIDTH = /^Summary: BandWidth is ([\d.]+) (MBps|GBps) \(([\d.]+) (Mbps|Gbps)\)/;
// "NOTE: test was performed, using msg-size=64, mps=50000. For getting …" (bytes, msg/s); also
// "using average msg-size=64 (+/-8)" with --range, and no ", mps=" at --mps=max
const THROUGHPUT_NOTE = /^NOTE: test was performed, using (?:average )?msg-size=(\d+)(?: \(\+\/-(\d+)\))?(?:, mps=(\d+))?/;
// "ERROR: Can`t connect socket (errno=111 Connection refused)"; also "[fd=5] … ERROR: …" forms
const ERROR_LINE = /\bERROR: (.+)$/;
// "No messages were received from the server. Is the server down?"
const NO_MESSAGES = /^No messages were received from the server/;
// "No valid observations found. Try tune parameters: --time/--mps/--reply-every"
const NO_VALID = /^No valid observations found/;
// "Test end before test start. Ending statistics early"
const END_BEFORE_START = /^Test end before test start/;
// "Usage: sockperf ping-pong [options] [args]..." — printed after an argument sockperf rejected
const USAGE = /^Usage: sockperf\b/;
// "Info: The requested message-per-second rate is too high. Try tuning --mps or --burst arguments"
const INFO = /^Info: (.+)$/;
// "[SERVER] listen on:" — a server's output holds no measurement
const SERVER_LISTEN = /^\[SERVER\] listen on:/;

const num = (text: string | undefined): number | null => (text === undefined ? null : Number(text));

/** sockperf's 2^20-based megabits of payload per second as SI gigabits per second. */
function toolMbpsToGbps(toolMbps: number): number {
  return (toolMbps * 1024 * 1024) / 1e9;
}

/** The line sockperf printed before its usage text, which names the rejected argument. */
function argumentError(lines: string[]): string {
  const usageAt = lines.findIndex((line) => USAGE.test(line));
  // The line just before "Usage:" is the mode's one-line description, e.g. "ping-pong (pp): Run …".
  const before = lines.slice(0, Math.max(0, usageAt - 1)).filter((line) => !VERSION_LINE.test(line));
  return before.length > 0 ? `sockperf rejected its arguments: ${before.join('; ')}` : 'sockperf rejected its arguments (it printed its usage)';
}

/** A failure sockperf reports in words; it still exits 0, so this is the only signal. */
function toolFailure(lines: string[]): string | null {
  const errors = lines.map((line) => ERROR_LINE.exec(line)?.[1]).filter((e): e is string => e !== undefined);
  if (errors.length > 0) return `sockperf: ERROR: ${errors.join('; ')}`;
  if (lines.some((line) => USAGE.test(line))) return argumentError(lines);
  const noMessages = lines.find((line) => NO_MESSAGES.test(line));
  if (noMessages) return `sockperf: ${noMessages}`;
  return null;
}

function parseTotalRun(lines: string[]): TotalRun | null {
  for (const line of lines) {
    const m = TOTAL_RUN.exec(line);
    if (m) {
      return {
        runTimeS: Number(m[1]),
        warmupMs: num(m[2]),
        sentMessages: Number(m[3]),
        receivedMessages: Number(m[4]),
        skippedMessages: num(m[5]),
      };
    }
  }
  return null;
}

function parseLatencyBlock(
  blockLines: string[],
  serverNo: number,
  context: { version: string | null; totalRun: TotalRun | null; warnings: string[] },
): Measurement {
  let validDuration: ValidDuration | null = null;
  let avgSemantics: LatencySemantics | null = null;
  let summarySemantics: LatencySemantics | null = null;
  let avgUs: number | null = null;
  let stdDevUs: number | null = null;
  let summaryUs: number | null = null;
  let burstSize: number | null = null;
  let observations: number | null = null;
  let minUs: number | null = null;
  let maxUs: number | null = null;
  let counts: { dropped: number; duplicated: number; outOfOrder: number } | null = null;
  const percentilesUs: Record<string, number> = {};
  let m: RegExpExecArray | null;
  for (const line of blockLines) {
    if ((m = VALID_DURATION.exec(line))) {
      validDuration = { runTimeS: Number(m[1]), sentMessages: Number(m[2]), receivedMessages: Number(m[3]) };
    } else if ((m = AVERAGE.exec(line))) {
      avgSemantics = m[1] === 'rtt' ? 'rtt' : 'half-rtt';
      avgUs = Number(m[2]);
      stdDevUs = Number(m[3]);
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
      if (m[1] === 'MAX') maxUs = Number(m[2]);
      else minUs = Number(m[2]);
    }
  }

  const partial = { tool: 'sockperf', kind: 'latency', version: context.version, serverNo, totalRun: context.totalRun, warnings: context.warnings };
  const stop = blockLines.find((line) => NO_VALID.test(line) || END_BEFORE_START.test(line));
  if (stop) return failedMeasurement(`sockperf: ${stop}`, partial);
  if (!validDuration) return failedMeasurement(`sockperf printed no [Valid Duration] line for server ${serverNo}: ${lastLines(blockLines)}`, partial);
  if (avgSemantics && summarySemantics && avgSemantics !== summarySemantics) {
    return failedMeasurement(`sockperf output mixes half and full round-trip figures (avg-* and Summary disagree)`, partial);
  }
  const semantics = avgSemantics ?? summarySemantics;
  if (!semantics) {
    return failedMeasurement('sockperf output says neither avg-latency nor avg-rtt, so half vs full round trip is unknown', partial);
  }

  // Half-RTT figures are the measured round trip divided by two, so doubling restores it exactly.
  const toRtt = (us: number | null | undefined): number | null => (us === null || us === undefined ? null : semantics === 'half-rtt' ? us * 2 : us);
  const latencyUs: LatencyUs = {
    min: toRtt(minUs),
    p50: toRtt(percentilesUs['50.000']),
    p90: toRtt(percentilesUs['90.000']),
    p99: toRtt(percentilesUs['99.000']),
    p999: toRtt(percentilesUs['99.900']),
    max: toRtt(maxUs),
    mean: toRtt(avgUs),
    stddev: toRtt(stdDevUs),
    samples: observations ?? validDuration.receivedMessages,
  };
  const native: SockperfLatencyNative = {
    ...partial,
    tool: 'sockperf',
    kind: 'latency',
    latencySemantics: semantics,
    validDuration,
    avgUs,
    stdDevUs,
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
  const expectedReplies = counts ? validDuration.receivedMessages + counts.dropped : 0;
  // The send rate comes from [Total Run] (messages over the timed run, warm-up excluded): the
  // [Valid Duration] window is cut between observed packets, and after a stall its RunTime can be
  // much shorter than the span of the messages it counts (2814 messages in "0.383 s" at 5000/s).
  const total = context.totalRun;
  const achievedPps =
    total && total.runTimeS > 0 ? total.sentMessages / total.runTimeS : validDuration.runTimeS > 0 ? validDuration.sentMessages / validDuration.runTimeS : null;
  return {
    status: 'ok',
    error: null,
    msgSizeBytes: null,
    achievedPps,
    sentPackets: validDuration.sentMessages,
    receivedPackets: validDuration.receivedMessages,
    lossRatio: counts && expectedReplies > 0 ? counts.dropped / expectedReplies : null,
    latencyUs,
    throughputGbps: null,
    msgRateMpps: null,
    measuredS: validDuration.runTimeS,
    native: { ...native },
  };
}

const THROUGHPUT_LINES: readonly NumericLine<SockperfThroughputNative>[] = [
  [THROUGHPUT_TOTAL, ['messagesSent', 'runTimeS', 'skippedMessages']],
  [MESSAGE_RATE, ['messageRatePerS', 'packetRatePps', 'ipFragsPerMsg']],
];

function parseThroughput(lines: string[], version: string | null, warnings: string[]): Measurement {
  const native: SockperfThroughputNative = {
    tool: 'sockperf',
    kind: 'throughput',
    version,
    messagesSent: null,
    skippedMessages: null,
    runTimeS: null,
    messageRatePerS: null,
    packetRatePps: null,
    ipFragsPerMsg: null,
    bandwidthMBps: null,
    bandwidthMbps: null,
    msgSizeRangeBytes: null,
    offeredMps: null,
    warnings,
  };
  let msgSizeBytes: number | null = null;
  let m: RegExpExecArray | null;
  for (const line of lines) {
    if (fillNumbers(line, native, THROUGHPUT_LINES)) continue;
    if ((m = BANDWIDTH.exec(line))) {
      const giga = m[2] === 'GBps';
      native.bandwidthMBps = Number(m[1]) * (giga ? 1000 : 1);
      native.bandwidthMbps = Number(m[3]) * (giga ? 1000 : 1);
    } else if ((m = THROUGHPUT_NOTE.exec(line))) {
      msgSizeBytes = Number(m[1]);
      native.msgSizeRangeBytes = num(m[2]);
      native.offeredMps = num(m[3]);
    }
  }
  if (native.messageRatePerS === null) {
    return failedMeasurement(`sockperf printed no "Message Rate" summary: ${lastLines(lines)}`, { ...native });
  }
  return {
    status: 'ok',
    error: null,
    msgSizeBytes,
    achievedPps: native.messageRatePerS,
    sentPackets: native.messagesSent,
    // The sender cannot know what arrived: one-way traffic has no replies.
    receivedPackets: null,
    lossRatio: null,
    latencyUs: null,
    throughputGbps: native.bandwidthMbps === null ? null : toolMbpsToGbps(native.bandwidthMbps),
    msgRateMpps: native.messageRatePerS / 1e6,
    measuredS: native.runTimeS,
    native: { ...native },
  };
}

export function parseSockperf(output: ToolOutput): Measurement[] {
  const lines = cleanLines(`${output.stdout}\n${output.stderr}`);
  const version = lines.map((line) => VERSION_LINE.exec(line)?.[1]).find((v) => v !== undefined) ?? null;
  const base = { tool: 'sockperf', version, exitCode: output.exitCode };
  if (lines.length === 0) {
    return [failedMeasurement(`sockperf printed nothing (exit code ${output.exitCode ?? 'none: killed by a signal?'})`, base)];
  }
  const failure = toolFailure(lines);
  if (output.exitCode !== null && output.exitCode !== 0) {
    return [failedMeasurement(`sockperf exited with code ${output.exitCode}: ${failure ?? lastLines(lines)}`, base)];
  }
  if (failure) return [failedMeasurement(failure, base)];
  if (lines.some((line) => SERVER_LISTEN.test(line))) {
    return [failedMeasurement('this is sockperf server output; only the client measures', base)];
  }

  const warnings = lines.map((line) => INFO.exec(line)?.[1]).filter((w): w is string => w !== undefined);
  if (lines.some((line) => THROUGHPUT_TOTAL.test(line) || MESSAGE_RATE.test(line))) {
    return [parseThroughput(lines, version, warnings)];
  }

  const blockStarts = lines.flatMap((line, index) => (SERVER_BLOCK.test(line) ? [index] : []));
  if (blockStarts.length === 0) {
    return [failedMeasurement(`no sockperf results in the output: ${lastLines(lines)}`, base)];
  }
  const totalRun = parseTotalRun(lines.slice(0, blockStarts[0]));
  return blockStarts.map((start, i) => {
    const serverNo = Number(SERVER_BLOCK.exec(lines[start]!)![1]);
    return parseLatencyBlock(lines.slice(start + 1, blockStarts[i + 1] ?? lines.length), serverNo, { version, totalRun, warnings });
  });
}
