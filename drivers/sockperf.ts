// sockperf 3.7: the kernel UDP/TCP socket baseline. Facts learned from real runs on this project's
// machines (fixtures in test/fixtures/sockperf/ hold the outputs):
// - Everything, results and errors alike, goes to stdout with a "sockperf: " prefix and ANSI colours.
// - The exit code is 0 even when the server is missing, the TCP connection is refused, or an
//   argument is invalid, so a result counts as ok only when its result lines are present.
// - Without --full-rtt every latency figure is half the round trip ("avg-latency", "Latency is").
// - "MBps"/"Mbps" in throughput mode are 2^20-based and count payload only.
// - The valid window is about 0.45 s shorter than -t (warm-up and cool-down are cut off).
import { build } from 'hdr-histogram-js';
import { UserError } from '../core/errors.js';
import { ANSI_CSI, lastLines } from '../core/text.js';
import { assertIPv4, requireIntInRange } from '../core/validate.js';
import { emptyLatency, failedMeasurement } from '../core/trial.js';
import type { LatencyUs, Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';
import type { Availability, Driver, ToolOutput } from './types.js';

export type SockperfMode = 'ping-pong' | 'under-load' | 'throughput';

export interface SockperfParams {
  role: 'server' | 'client';
  protocol: 'udp' | 'tcp';
  /** Validated IPv4 by the caller (checked again here because it becomes an argv element). */
  serverIp: string;
  port: number;
  // client only:
  mode?: SockperfMode;
  msgSizeBytes?: number;
  /** Whole seconds: sockperf silently truncates -t 1.5 to 1. */
  durationS?: number;
  /** Offered rate in messages/s; 'max' = as fast as possible. Omitted = sockperf's default (max, or 10000 in under-load). */
  mps?: number | 'max';
  /** under-load only: the server answers every N-th message (sockperf's default is 100). */
  replyEvery?: number;
  /** Default true: we want round-trip numbers. */
  fullRtt?: boolean;
  /** Per-packet CSV (latency modes only); summarize it with summarizeFullLog(). */
  fullLogPath?: string;
}

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

// ---------------------------------------------------------------------------------------------
// buildCommand

/** sockperf rejects smaller messages ("Invalid message size: 13 (min: 14)"); 65507 is its maximum. */
const MIN_MSG_SIZE_BYTES = 14;
const MAX_MSG_SIZE_BYTES = 65507;

const requireInt = (field: string, value: number, min: number, max: number): string => requireIntInRange(`sockperf: ${field}`, value, min, max);

function buildServerCommand(params: SockperfParams): string[] {
  const clientOnly = (['mode', 'msgSizeBytes', 'durationS', 'mps', 'replyEvery', 'fullRtt', 'fullLogPath'] as const).filter((key) => params[key] !== undefined);
  if (clientOnly.length > 0) {
    throw new UserError(`sockperf: ${clientOnly.join(', ')} only apply to the client role`);
  }
  const argv = ['sockperf', 'server', '-i', params.serverIp, '-p', String(params.port)];
  if (params.protocol === 'tcp') argv.push('--tcp');
  return argv;
}

function buildClientCommand(params: SockperfParams): string[] {
  const mode = params.mode;
  if (mode === undefined) throw new UserError('sockperf: mode is required for the client role');
  const argv = ['sockperf', mode, '-i', params.serverIp, '-p', String(params.port)];
  if (params.protocol === 'tcp') argv.push('--tcp');
  if (params.msgSizeBytes !== undefined) {
    argv.push('-m', requireInt('msgSizeBytes', params.msgSizeBytes, MIN_MSG_SIZE_BYTES, MAX_MSG_SIZE_BYTES));
  }
  if (params.durationS !== undefined) argv.push('-t', requireInt('durationS', params.durationS, 1, 36_000_000));
  if (params.mps !== undefined) {
    argv.push('--mps', params.mps === 'max' ? 'max' : requireInt('mps', params.mps, 1, 100_000_000));
  }
  if (params.replyEvery !== undefined) {
    if (mode !== 'under-load') throw new UserError(`sockperf: replyEvery only applies to under-load mode, not ${mode}`);
    argv.push('--reply-every', requireInt('replyEvery', params.replyEvery, 1, 1_000_000));
  }
  if (mode !== 'throughput') {
    // Throughput mode measures no latency, so round-trip semantics and the per-packet log do not apply.
    if (params.fullRtt ?? true) argv.push('--full-rtt');
    if (params.fullLogPath !== undefined) argv.push('--full-log', params.fullLogPath);
  } else if (params.fullLogPath !== undefined) {
    throw new UserError('sockperf: fullLogPath needs a latency mode (ping-pong or under-load); throughput mode logs no packets');
  }
  return argv;
}

function buildCommand(params: SockperfParams): string[] {
  // It becomes an argv element, so nothing but a dotted quad passes.
  assertIPv4(params.serverIp, 'sockperf: serverIp');
  requireInt('port', params.port, 1, 65535);
  if (params.fullLogPath !== undefined && (params.fullLogPath === '' || params.fullLogPath.startsWith('-'))) {
    throw new UserError(`sockperf: fullLogPath must be a file path, got ${JSON.stringify(params.fullLogPath)}`);
  }
  return params.role === 'server' ? buildServerCommand(params) : buildClientCommand(params);
}

// ---------------------------------------------------------------------------------------------
// parse

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
    if ((m = THROUGHPUT_TOTAL.exec(line))) {
      native.messagesSent = Number(m[1]);
      native.runTimeS = Number(m[2]);
      native.skippedMessages = num(m[3]);
    } else if ((m = MESSAGE_RATE.exec(line))) {
      native.messageRatePerS = Number(m[1]);
      native.packetRatePps = num(m[2]);
      native.ipFragsPerMsg = num(m[3]);
    } else if ((m = BANDWIDTH.exec(line))) {
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

function parse(output: ToolOutput): Measurement[] {
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

// ---------------------------------------------------------------------------------------------
// detect

function detect(host: HostFacts): Availability {
  const binary = host.binaries['sockperf'];
  if (!binary?.path) {
    return { status: 'unsupported', reason: 'sockperf is not installed (not found on PATH)', fix: 'apt-get install sockperf' };
  }
  return { status: 'available', version: binary.version };
}

export const sockperfDriver: Driver<SockperfParams> = {
  name: 'sockperf',
  description: 'sockperf client/server: kernel UDP/TCP latency (ping-pong, under-load) and throughput',
  binaries: ['sockperf'],
  detect,
  buildCommand,
  parse,
};

// ---------------------------------------------------------------------------------------------
// --full-log summary

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
