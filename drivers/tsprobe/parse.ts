// bb-tsprobe's one JSON summary line: the client's is the measurement; server and relay
// summaries describe their side only.
import { lastLines } from '../../core/text.js';
import { emptyLatency, failedMeasurement } from '../../core/trial.js';
import type { LatencyUs, Measurement } from '../../core/trial.js';
import { lastJsonObject } from '../native-program.js';
import type { ToolOutput } from '../types.js';
import type { TsprobeArrivals, TsprobeCodec } from './command.js';

export interface TsprobeSocketStamps {
  flagsRequested: string[];
  flagsObtained: string[];
  /** "scm_ts_opt_id": each datagram named its own id (Linux 6.13+); "counter": the kernel's. */
  txIdMode: 'scm_ts_opt_id' | 'counter';
  rxSoftware: number;
  rxHardware: number;
  rxMissing: number;
  txSoftware: number;
  txSched: number;
  txHardware: number;
  txUnmatched: number;
  /** TX stamps dropped because they were older than their datagram's send call (id mismatch). */
  txMismatched: number;
  hardware: { requested: boolean; iface?: string; status: 'enabled' | 'unsupported'; reason?: string } | null;
}

export interface TsprobeClientSummary {
  tool: 'bb-tsprobe';
  version: string;
  role: 'client';
  server: string;
  codec: TsprobeCodec;
  fields: number;
  msgSizeBytes: number;
  replyBytesMax: number;
  offeredPps: number;
  arrivals: TsprobeArrivals;
  seed: number;
  durationS: number;
  warmupS: number;
  /** onoff arrivals only. */
  onMs?: number;
  offMs?: number;
  /** Requests the schedule called for in the measured window (absent from builds before coordinated-omission accounting). */
  scheduled?: number;
  /** Scheduled requests the client skipped because it fell too far behind (counted, never sent in a burst). */
  unsent?: number;
  warmupUnsent?: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  lossRatio: number | null;
  /** Offered rate × sent / scheduled (newer builds); before: sends over their span. */
  achievedPps: number | null;
  /** Requests sent over the measured window's length. */
  sentPps?: number | null;
  measuredS: number | null;
  /** Send call → reply received: what the requests that were sent took. */
  rttUs: Omit<LatencyUs, 'samples'> & { samples: number };
  /** Scheduled send time → reply received: what a user at the offered rate saw (no coordinated omission). */
  latencyFromScheduleUs?: Omit<LatencyUs, 'samples'> & { samples: number };
  latencyFrom?: 'schedule';
  /** CV of the gaps between consecutive send calls (sender side). */
  interArrivalCv: number | null;
  /** How late sends were against their schedule, µs. */
  sendLagUs: { p50: number; p99: number; max: number } | null;
  /** Relays between client and server. */
  hops: number;
  recordsFile?: string;
  /** Requests whose record has client TX/RX and server RX/TX stamps. */
  recordsComplete: number;
  /** CLOCK_REALTIME ns that record timestamps are relative to (a string: it exceeds 2^53). */
  t0Ns: string;
  timestamping: { client: TsprobeSocketStamps; serverTxStamps: number; flushes: number; flushFollowups: number };
  pacing: 'busy' | 'sleep';
  /** How the client waited for replies (absent from builds before receive modes). */
  rxMode?: 'block' | 'spin';
  /** Page faults the send loop took (builds that prefault its memory report it): ~0 expected. */
  minorFaultsWhileSending?: number;
  txSched: boolean;
  errors: { message: string; count: number }[];
}

export interface TsprobeServerSummary {
  tool: 'bb-tsprobe';
  role: 'server';
  requests: number;
  pause: { pauseUs: number; everyMs: number; count: number; totalUs: number; delayedRequests: number; maxDelayUs: number };
  timestamping: TsprobeSocketStamps;
  errors: { message: string; count: number }[];
  [key: string]: unknown;
}

export interface TsprobeRelaySummary {
  tool: 'bb-tsprobe';
  role: 'relay';
  forwarded: number;
  returned: number;
  timestamping: { front: TsprobeSocketStamps; back: TsprobeSocketStamps };
  errors: { message: string; count: number }[];
  [key: string]: unknown;
}

export type TsprobeSummary = TsprobeClientSummary | TsprobeServerSummary | TsprobeRelaySummary;

/** The role's JSON summary: the last stdout line that is a bb-tsprobe JSON object. */
export function parseTsprobeSummary(stdout: string): TsprobeSummary | null {
  const summary = lastJsonObject(stdout, (value) => value['tool'] === 'bb-tsprobe' && typeof value['role'] === 'string');
  return summary as unknown as TsprobeSummary | null;
}

function latencyFromSummary(rtt: TsprobeClientSummary['rttUs']): LatencyUs | null {
  if (!rtt || rtt.samples === 0) return null;
  return { ...emptyLatency(), ...rtt };
}

export function parseTsprobe(output: ToolOutput): Measurement[] {
  const summary = parseTsprobeSummary(output.stdout);
  if (summary === null) {
    const why = lastLines(output.stderr, 3) || 'no output';
    return [failedMeasurement(`bb-tsprobe printed no summary (exit code ${output.exitCode}): ${why}`)];
  }
  // Server and relay summaries describe their side only; the client's summary is the measurement.
  if (summary.role !== 'client') return [];
  const s = summary;
  const native = s as unknown as Record<string, unknown>;
  if (output.exitCode !== 0) {
    return [failedMeasurement(`bb-tsprobe client exited with code ${output.exitCode}: ${lastLines(output.stderr, 3)}`, native)];
  }
  // Latency from the schedule when the build reports it (no coordinated omission), else from the send.
  const fromSchedule = s.latencyFromScheduleUs !== undefined;
  const base: Measurement = {
    status: 'ok',
    error: null,
    msgSizeBytes: s.msgSizeBytes,
    achievedPps: s.achievedPps,
    sentPackets: s.sent,
    receivedPackets: s.received,
    lossRatio: s.lossRatio,
    latencyUs: latencyFromSummary(s.latencyFromScheduleUs ?? s.rttUs),
    latencyFrom: fromSchedule ? 'schedule' : 'send',
    // Builds before --rx-mode only had blocking receives.
    receiveMode: s.rxMode === 'spin' ? 'spin' : 'block',
    unsentRequests: s.unsent ?? null,
    throughputGbps: null,
    msgRateMpps: s.achievedPps === null ? null : s.achievedPps / 1e6,
    measuredS: s.measuredS,
    // The client's own warm-up (sent and discarded inside the measured process), as it reports it.
    warmupS: typeof s.warmupS === 'number' ? s.warmupS : null,
    native,
  };
  if (s.received === 0) return [{ ...base, status: 'failed', error: `no replies: ${s.sent} requests sent to ${s.server}, none answered` }];
  return [base];
}
