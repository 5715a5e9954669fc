// The normalized Trial record: one JSON object per line of trials.jsonl, flattened into trials.csv.
// Units live in the names. Latency is always the round-trip time; a tool's own numbers (which may
// be half a round trip) stay under `native` with their own semantics. Missing values are null,
// never 0: a zero is a measurement.
import type { TrialSteps } from './trial-steps.js';

/** The data paths the tool knows. Kernel paths go through the socket stack; the rest bypass it. */
export const PATH_NAMES = [
  'kernel-udp',
  'kernel-tcp',
  'kernel-udp-busypoll',
  'kernel-tcp-busypoll',
  'afxdp',
  'kernel-to-afxdp',
  'dpdk-afxdp',
  'dpdk-afpacket',
  'dpdk-wire',
  'dpdk-null',
  'dpdk-txrx',
  'dpdk-pci',
  'rdma-rxe',
  'rdma',
  'attribution',
  'service',
] as const;
export type PathName = (typeof PATH_NAMES)[number];

/**
 * What a path is to the selective-win rule: the default kernel stack, a tuned kernel reference
 * (busy-polling sockets on the bypass pollers' CPU layout), a bypass path, or the attribution probe.
 * Each recipe declares its family (paths/); this table is the same fact for the layers below paths/
 * (analysis, report), and a test checks that the two agree.
 */
export type PathFamily = 'kernel' | 'kernel-tuned' | 'bypass' | 'probe';

export const PATH_FAMILY: Readonly<Record<PathName, PathFamily>> = {
  'kernel-udp': 'kernel',
  'kernel-tcp': 'kernel',
  'kernel-udp-busypoll': 'kernel-tuned',
  'kernel-tcp-busypoll': 'kernel-tuned',
  afxdp: 'bypass',
  'kernel-to-afxdp': 'bypass',
  'dpdk-afxdp': 'bypass',
  'dpdk-afpacket': 'bypass',
  'dpdk-wire': 'bypass',
  'dpdk-null': 'bypass',
  'dpdk-txrx': 'bypass',
  'dpdk-pci': 'bypass',
  'rdma-rxe': 'bypass',
  rdma: 'bypass',
  attribution: 'probe',
  service: 'probe',
};

/** The family of a recorded path name; an unknown name (a newer record) counts as bypass. */
export function pathFamily(path: string): PathFamily {
  return (PATH_FAMILY as Record<string, PathFamily | undefined>)[path] ?? 'bypass';
}

export const TRIAL_STATUSES = ['ok', 'failed', 'timed-out', 'unsupported', 'skipped'] as const;
export type TrialStatus = (typeof TRIAL_STATUSES)[number];

export interface LatencyUs {
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  /** How many latency samples the percentiles come from (a p99.9 of 76 samples means little). */
  samples: number | null;
}

export interface PerCpuUsage {
  cpu: number;
  /** Share of the trial's wall time this CPU spent in each state, 0..1. */
  user: number;
  system: number;
  softirq: number;
  irq: number;
  busy: number;
}

export interface CpuCost {
  /** Sum over CPUs of busy share: 1.0 = one core fully busy for the whole trial. */
  coresBusy: number | null;
  /** CPU time spent per packet handled, in ns (coresBusy × duration / packets). */
  nsPerPacket: number | null;
  perCpu: PerCpuUsage[];
  /**
   * CPU seconds used by each process the trial spawned, by role (cores: over the window).
   * coresBusy = processCores + pollerHeldCores + irqCores.
   */
  perProcess?: { role: string; pid: number; userS: number; systemS: number; cores?: number }[];
  /**
   * Which window the figures cover: 'measured' = the tool's counted window (after its warm-up,
   * before its end pause); 'process' = spawn to exit of the measuring process (tools that do not
   * say when they count). Absent in records made before CPU was taken over a window.
   */
  window?: 'measured' | 'process';
  /** Length of that window, seconds. */
  windowS?: number | null;
  /** The CPUs of the path (CPU plan and pinning) the softirq/irq and foreign figures cover. */
  cpus?: number[];
  /** The path's processes (user + system, all threads), cores. */
  processCores?: number | null;
  /**
   * A busy poller's CPU time taken by others while it held its CPU (it would have spun there), cores;
   * counted in coresBusy so a poller shows its full core, and flagged by foreignCores.
   */
  pollerHeldCores?: number | null;
  /** softirq + irq on the path's CPUs above their idle baseline, cores. */
  irqCores?: number | null;
  /** Busy cores on the path's CPUs in a short idle sample (`baselineHow`), the trial's processes and the orchestrator subtracted. */
  baselineCores?: number | null;
  /**
   * When that sample was taken: before the trial's processes started, or in the measuring tool's
   * quiet lead (sockperf UDP sleeps 2 s before its traffic: the services were up and idle).
   */
  baselineHow?: 'before-trial' | 'tool-quiet-lead';
  /** The baseline sample's length, s. */
  baselineS?: number;
  /** Busy time on the path's CPUs no path process accounts for (other users of the machine), cores. */
  foreignCores?: number | null;
  /** The orchestrator's own CPU during the window (sampling, bookkeeping), cores; not the path's. */
  orchestratorCores?: number | null;
  /**
   * Lab mode: each host's figures by host name (its own CPUs, processes, noise; the orchestrator
   * there is the remote CPU sampler); the top-level figures are their sums.
   */
  hosts?: Record<string, CpuCost>;
}

/** What a driver's parse() can say about one measurement. The runner adds identity and context. */
export interface Measurement {
  status: 'ok' | 'failed';
  /** Why the measurement failed, in the tool's words where possible. */
  error: string | null;
  msgSizeBytes: number | null;
  /** Packets (or messages) per second the client actually sent. */
  achievedPps: number | null;
  /**
   * How achievedPps was computed: 'window' = requests sent within the requested window ÷ that
   * window (open-loop clients that know it); 'elapsed' = sent ÷ the tool's own elapsed time,
   * which can run past the window and read a full schedule as short. null/absent: not said.
   */
  achievedFrom?: 'window' | 'elapsed' | null;
  sentPackets: number | null;
  receivedPackets: number | null;
  /** Fraction of expected replies that never came back, 0..1. */
  lossRatio: number | null;
  latencyUs: LatencyUs | null;
  throughputGbps: number | null;
  msgRateMpps: number | null;
  /** Measured duration the tool reports (excluding its own warm-up), in seconds. */
  measuredS: number | null;
  /** The warm-up the measuring process sent but did not count, as the tool reports it, in seconds. */
  warmupS?: number | null;
  /**
   * Requests the client's schedule called for in the measured window that it never sent (it fell
   * behind and skipped slots); null when the tool does not say.
   */
  unsentRequests?: number | null;
  /**
   * Where each latency sample starts: at the time the schedule said the request was due
   * ('schedule', no coordinated omission: a client that falls behind shows the delay) or at its
   * actual send ('send': a slow client hides part of the delay it caused). null: unknown.
   */
  latencyFrom?: 'schedule' | 'send' | null;
  /**
   * How the measuring client waited for its replies: 'block' (a blocking receive: every reply
   * wakes it, as sockperf's default client) or 'spin' (non-blocking receives in a loop: it never
   * sleeps, as the busy-polling references). The probe-vs-kernel check compares like with like.
   * null/absent: not applicable or not recorded.
   */
  receiveMode?: ReceiveMode | null;
  /** The tool's numbers with the tool's own meaning (for example sockperf's half round trip). */
  native: Record<string, unknown>;
}

export type ReceiveMode = 'block' | 'spin';

export interface TrialRecord extends Omit<Measurement, 'status'> {
  trialId: string;
  runId: string;
  path: PathName;
  /** The suite's label for this path entry (two entries may share a path with other options). */
  pathLabel: string;
  driver: string;
  mode: string;
  /** null = closed loop (as fast as replies allow). */
  offeredPps: number | null;
  latencyKind: 'rtt';
  cpu: CpuCost | null;
  repetition: number;
  status: TrialStatus;
  /** Results measured under emulation (QEMU TCG) say nothing about real hardware. */
  emulated: boolean;
  /** Files under the run folder holding each process's argv, stdout, stderr and exit code. */
  raw: string[];
  startedAt: string;
  durationS: number;
  /**
   * Whether the path sustained the offered rate: achieved ≥ offered × (1 − RATE_SHORTFALL_MAX).
   * false: its latency was not measured at the offered rate and must not be read as such.
   * null: closed loop, or no achieved rate.
   */
  rateReached?: boolean | null;
  /**
   * Why the trial's figures are disturbed (foreign load on the path's CPUs during its window), or
   * null. A noisy trial is kept and shown as such; it is not silently dropped.
   */
  noisy?: string | null;
  /**
   * Lab mode: seconds from the trial's start to its measuring tool's traffic starting (the tool's
   * start line, as it streamed back over ssh): what starting processes over SSH costs per trial.
   * null: the tool prints no start line; absent in local runs.
   */
  trafficStartS?: number | null;
  /** Set by throughput searches: which search the trial belongs to. */
  search?: { kind: 'ndr' | 'pdr' | 'mrr'; step: number } | null;
  /** Where the trial's wall time went, by step (core/trial-steps.ts); absent in older runs. */
  stepsS?: TrialSteps;
}

export function emptyLatency(): LatencyUs {
  return { min: null, p50: null, p90: null, p99: null, p999: null, max: null, mean: null, stddev: null, samples: null };
}

export function failedMeasurement(error: string, native: Record<string, unknown> = {}): Measurement {
  return {
    status: 'failed',
    error,
    msgSizeBytes: null,
    achievedPps: null,
    sentPackets: null,
    receivedPackets: null,
    lossRatio: null,
    latencyUs: null,
    throughputGbps: null,
    msgRateMpps: null,
    measuredS: null,
    native,
  };
}

/** A measurement with nothing measured: the runner's answer when a trial produced no result. */
export function noMeasurement(msgSizeBytes: number | null, error: string | null): Omit<Measurement, 'status'> {
  const { status: _status, ...m } = failedMeasurement(error ?? '');
  return { ...m, msgSizeBytes, error };
}

/** A trial whose achieved rate falls more than this short of the offered rate did not sustain it. */
export const RATE_SHORTFALL_MAX = 0.02;

/** Did a trial sustain its offered rate? null when there was none (closed loop) or nothing was achieved. */
export function rateReached(offeredPps: number | null, achievedPps: number | null): boolean | null {
  if (offeredPps === null || !(offeredPps > 0) || achievedPps === null || !Number.isFinite(achievedPps)) return null;
  return achievedPps >= offeredPps * (1 - RATE_SHORTFALL_MAX);
}
