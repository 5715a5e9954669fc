// bb-afxdp's one JSON line as a measurement: a client's RTT and loss, or a reflector's counters.
import { isRecord } from '../../core/json-access.js';
import { lastLines } from '../../core/text.js';
import { emptyLatency, failedMeasurement } from '../../core/trial.js';
import type { LatencyUs, Measurement } from '../../core/trial.js';
import { lastJsonObject } from '../native-program.js';
import type { ToolOutput } from '../types.js';

/** bb-afxdp's JSON, as far as the driver reads it; everything else stays available under native. */
export interface AfxdpXskInfo {
  ifname: string;
  queue: number;
  xdpMode: 'native' | 'generic' | 'offload' | 'unknown';
  bindMode: 'copy' | 'zero-copy' | 'unknown';
  zeroCopyFallback: boolean;
  nativeFallback: boolean;
  bindRetries: number;
  progId: number;
  progOwned: boolean;
  progDetached: boolean;
  notes: string | null;
  kernelStats: Record<string, number> | null;
  [key: string]: unknown;
}

export interface AfxdpLatencyUs {
  samples: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  mean: number;
  stddev: number;
}

interface AfxdpOutputBase {
  tool: 'bb-afxdp';
  version: string;
  command: 'reflect' | 'ping' | 'load' | 'sock-ping' | 'sock-load' | null;
  ok: boolean;
  error: string | null;
  errorKind?: 'usage';
  interrupted?: boolean;
  transport?: 'afxdp' | 'socket';
  config?: Record<string, unknown>;
  xsk?: AfxdpXskInfo | null;
  socket?: Record<string, unknown> | null;
}

export interface AfxdpClientOutput extends AfxdpOutputBase {
  command: 'ping' | 'load' | 'sock-ping' | 'sock-load';
  config: Record<string, unknown> & { payloadBytes: number };
  counts: {
    sent: number;
    received: number;
    lost: number;
    late: number;
    duplicates: number;
    reordered: number;
    unexpected: number;
    timeouts?: number;
    unsent?: number;
    /** load, newer versions: requests the schedule asked for in the window; of `sent`, those sent after it. */
    scheduled?: number;
    sentLate?: number;
    txRingFull: number;
    sendErrors: number;
    lastSendError?: string;
    warmupSent: number;
    warmupReceived: number;
  };
  lossRatio: number | null;
  /** achievedFrom (load, newer versions): 'window' = sent within the requested window ÷ that window. */
  rates: { offeredPps: number | null; achievedPps: number | null; receivedPps: number | null; achievedFrom?: 'window' | 'elapsed' };
  /** windowS/overrunS (load, newer versions): the requested window, and how far sending ran past it. */
  durations: { warmupS: number; measuredS: number | null; drainS: number | null; totalS: number | null; windowS?: number; overrunS?: number };
  sendLagUs?: { mean: number | null; max: number | null };
  latencyKind: 'rtt';
  /** From each request's actual send (the service time). */
  latencyUs: AfxdpLatencyUs | null;
  /** From each request's scheduled send time (paced and open-loop clients; absent in older versions). */
  latencyFromScheduleUs?: AfxdpLatencyUs | null;
}

export interface AfxdpReflectorOutput extends AfxdpOutputBase {
  command: 'reflect';
  counts: {
    rx: number;
    rxBytes: number;
    txSubmitted: number;
    tx: number;
    dropped: number;
    droppedNotUdp: number;
    droppedRingFull: number;
    ringFullEvents: number;
  };
  rates: { rxPps: number | null; txPps: number | null };
  durations: { runS: number | null; activeS: number | null };
}

export type AfxdpOutput = AfxdpOutputBase | AfxdpClientOutput | AfxdpReflectorOutput;

/** The tool's JSON: the last stdout line that is a bb-afxdp object (null when there is none). */
export function parseAfxdpOutput(stdout: string): AfxdpOutput | null {
  const result = lastJsonObject(stdout, (value) => value['tool'] === 'bb-afxdp' && typeof value['ok'] === 'boolean');
  return result as unknown as AfxdpOutput | null;
}

function isClient(out: AfxdpOutput): out is AfxdpClientOutput {
  return out.command !== 'reflect' && out.command !== null && 'counts' in out && isRecord(out.counts);
}

function isReflector(out: AfxdpOutput): out is AfxdpReflectorOutput {
  return out.command === 'reflect' && 'counts' in out && isRecord(out.counts);
}

function latency(l: AfxdpLatencyUs | null): LatencyUs | null {
  if (!l || !(l.samples > 0)) return null;
  return { ...emptyLatency(), min: l.min, p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max, mean: l.mean, stddev: l.stddev, samples: l.samples };
}

function clientMeasurement(out: AfxdpClientOutput, native: Record<string, unknown>): Measurement {
  const load = out.command === 'load' || out.command === 'sock-load';
  const received = out.counts.received;
  const base: Measurement = {
    status: 'ok',
    error: null,
    msgSizeBytes: out.config.payloadBytes,
    achievedPps: out.rates.achievedPps,
    // Older versions divided by the elapsed time and did not say so.
    achievedFrom: out.rates.achievedFrom ?? 'elapsed',
    sentPackets: out.counts.sent,
    receivedPackets: received,
    lossRatio: out.lossRatio,
    // A paced or open-loop client is timed from its schedule when the tool says so (no coordinated
    // omission); the time from the actual send stays in native.latencyUs.
    latencyUs: latency(out.latencyFromScheduleUs !== undefined ? out.latencyFromScheduleUs : out.latencyUs),
    latencyFrom: out.latencyFromScheduleUs !== undefined ? 'schedule' : 'send',
    unsentRequests: out.counts.unsent ?? null,
    throughputGbps: null,
    // Replies per second the path carried; a ping-pong rate is a latency artefact, not a capacity.
    msgRateMpps: load && out.rates.receivedPps !== null ? out.rates.receivedPps / 1e6 : null,
    measuredS: out.durations.measuredS,
    warmupS: out.durations.warmupS,
    native,
  };
  if (out.counts.sent === 0) return { ...base, status: 'failed', error: `bb-afxdp ${out.command}: no request was sent` };
  if (received === 0) {
    const target = out.config['dstIp'] ?? 'the reflector';
    return {
      ...base,
      status: 'failed',
      error: `bb-afxdp ${out.command}: no replies (${out.counts.sent} requests sent to ${String(target)}, none answered in time)`,
    };
  }
  return base;
}

function reflectorMeasurement(out: AfxdpReflectorOutput, native: Record<string, unknown>): Measurement {
  // The server side of a trial: counters, no latency; the client's record is the measurement.
  return {
    status: 'ok',
    error: null,
    msgSizeBytes: null,
    achievedPps: out.rates.txPps,
    sentPackets: out.counts.tx,
    receivedPackets: out.counts.rx,
    lossRatio: null,
    latencyUs: null,
    throughputGbps: null,
    msgRateMpps: out.rates.txPps === null ? null : out.rates.txPps / 1e6,
    measuredS: out.durations.activeS,
    native,
  };
}

export function parseAfxdp(output: ToolOutput): Measurement[] {
  const out = parseAfxdpOutput(output.stdout);
  if (out === null) {
    const why = lastLines(output.stderr, 3) || 'no output';
    return [failedMeasurement(`bb-afxdp printed no result (exit code ${output.exitCode}): ${why}`)];
  }
  const native = out as unknown as Record<string, unknown>;
  const command = out.command ?? '(no command)';
  if (!out.ok) return [failedMeasurement(`bb-afxdp ${command}: ${out.error ?? 'failed'}`, native)];
  if (output.exitCode !== 0) {
    return [failedMeasurement(`bb-afxdp ${command} exited with code ${output.exitCode}: ${lastLines(output.stderr, 3)}`, native)];
  }
  if (isClient(out)) return [clientMeasurement(out, native)];
  if (isReflector(out)) return [reflectorMeasurement(out, native)];
  return [failedMeasurement(`bb-afxdp ${command}: result has no counts`, native)];
}
