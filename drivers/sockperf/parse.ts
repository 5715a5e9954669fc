// sockperf's stdout: one or more runs (a paste may hold several), each a latency block per server
// or a throughput summary, and the failures sockperf reports in words while exiting 0 (see
// index.ts for what real runs taught, lines.ts for every line form).
import { lastLines } from '../../core/text.js';
import { failedMeasurement } from '../../core/trial.js';
import type { Measurement } from '../../core/trial.js';
import { fillNumbers, type NumericLine } from '../numeric-lines.js';
import type { ToolOutput } from '../types.js';
import {
  BANDWIDTH,
  cleanLines,
  COMMAND_LINE,
  ERROR_LINE,
  INFO,
  MESSAGE_RATE,
  MSG_SIZE_ARG,
  NO_MESSAGES,
  PARAMETERS_LINE,
  SERVER_LISTEN,
  splitRuns,
  TARGET_LINE,
  THROUGHPUT_NOTE,
  THROUGHPUT_TOTAL,
  USAGE,
  VERSION_LINE,
} from './lines.js';
import { parseLatencyRun, type RunContext } from './parse-latency.js';

export type { LatencySemantics, SockperfLatencyNative } from './parse-latency.js';

/** sockperf's own numbers for a throughput run. */
export interface SockperfThroughputNative {
  tool: 'sockperf';
  kind: 'throughput';
  version: string | null;
  toolVersion: string | null;
  outputForm: string;
  protocol: string | null;
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

const num = (text: string | undefined): number | null => (text === undefined ? null : Number(text));

/** sockperf's 2^20-based megabits of payload per second as SI gigabits per second. */
function toolMbpsToGbps(toolMbps: number): number {
  return (toolMbps * 1024 * 1024) / 1e9;
}

/** The line sockperf printed before its usage text, which names the rejected argument. */
function argumentError(lines: string[]): string {
  const usageAt = lines.findIndex((line) => USAGE.test(line));
  // The line just before "Usage:" is the mode's one-line description, e.g. "ping-pong (pp): Run …".
  const before = lines.slice(0, Math.max(0, usageAt - 1)).filter((line) => !VERSION_LINE.test(line) && !COMMAND_LINE.test(line));
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

const THROUGHPUT_LINES: readonly NumericLine<SockperfThroughputNative>[] = [
  [THROUGHPUT_TOTAL, ['messagesSent', 'runTimeS', 'skippedMessages']],
  [MESSAGE_RATE, ['messageRatePerS', 'packetRatePps', 'ipFragsPerMsg']],
];

function parseThroughput(lines: string[], context: RunContext): Measurement {
  const native: SockperfThroughputNative = {
    tool: 'sockperf',
    kind: 'throughput',
    version: context.version,
    toolVersion: context.version,
    outputForm: 'throughput',
    protocol: context.protocol,
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
    warnings: [...context.warnings],
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
  if (native.messagesSent === null) native.warnings.push('no "Total of N messages sent" line: sent count and run time not in the capture');
  if (native.bandwidthMbps === null) native.warnings.push('no "BandWidth" line: throughput not in the capture');
  native.outputForm = `throughput${native.packetRatePps !== null ? ', IP-fragmented' : ''}${native.messagesSent === null ? ', total line missing' : ''}`;
  return {
    status: 'ok',
    error: null,
    msgSizeBytes: msgSizeBytes ?? context.msgSizeBytes,
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

/** What a run says about itself besides results: version, protocol, mode and size from a pasted command. */
function runContext(lines: string[], fallbackVersion: string | null, requestedRunS: number | null): RunContext {
  const first = <T>(f: (line: string) => T | undefined): T | undefined => lines.map(f).find((v) => v !== undefined);
  const command = first((line) => COMMAND_LINE.exec(line) ?? undefined);
  const parameters = first((line) => PARAMETERS_LINE.exec(line)?.[1]);
  const size = MSG_SIZE_ARG.exec(command?.[2] ?? '') ?? MSG_SIZE_ARG.exec(parameters ?? '');
  return {
    version: first((line) => VERSION_LINE.exec(line)?.[1]) ?? fallbackVersion,
    protocol: first((line) => TARGET_LINE.exec(line)?.[4]) ?? null,
    mode: command?.[1] ?? null,
    msgSizeBytes: size ? Number(size[1]) : null,
    requestedRunS,
    warnings: lines.map((line) => INFO.exec(line)?.[1]).filter((w): w is string => w !== undefined),
  };
}

/** The run time the client was asked for: sockperf's `-t S` / `--time S` (whole seconds, or `--time=S`). */
function requestedRunTimeS(argv: readonly string[] | undefined): number | null {
  if (!argv) return null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = a === '-t' || a === '--time' ? argv[i + 1] : a.startsWith('--time=') ? a.slice('--time='.length) : undefined;
    // A number of seconds as sockperf takes it: "3", "2.5".
    if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  }
  return null;
}

export function parseSockperf(output: ToolOutput): Measurement[] {
  const lines = cleanLines(`${output.stdout}\n${output.stderr}`);
  const version = lines.map((line) => VERSION_LINE.exec(line)?.[1]).find((v) => v !== undefined) ?? null;
  const base = { tool: 'sockperf', version, toolVersion: version, outputForm: 'failure', exitCode: output.exitCode };
  if (lines.length === 0) {
    return [failedMeasurement(`sockperf printed nothing (exit code ${output.exitCode ?? 'none: killed by a signal?'})`, base)];
  }
  if (output.exitCode !== null && output.exitCode !== 0) {
    return [failedMeasurement(`sockperf exited with code ${output.exitCode}: ${toolFailure(lines) ?? lastLines(lines)}`, base)];
  }
  if (lines.some((line) => SERVER_LISTEN.test(line)) && !lines.some((line) => MESSAGE_RATE.test(line) || THROUGHPUT_TOTAL.test(line))) {
    const failure = toolFailure(lines);
    return [failedMeasurement(failure ?? 'this is sockperf server output; only the client measures', base)];
  }
  const runs = splitRuns(lines);
  // The argv belongs to a single run the runner started; a paste of several runs has none.
  const requestedRunS = runs.length === 1 ? requestedRunTimeS(output.argv) : null;
  return runs.flatMap((run) => {
    const context = runContext(run, version, requestedRunS);
    const failure = toolFailure(run);
    if (failure) return [failedMeasurement(failure, { ...base, version: context.version, toolVersion: context.version })];
    if (run.some((line) => THROUGHPUT_TOTAL.test(line) || MESSAGE_RATE.test(line))) return [parseThroughput(run, context)];
    return parseLatencyRun(run, context);
  });
}
