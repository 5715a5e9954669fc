// dpdk-testpmd's output as measurements, one per run in the capture: whether it forwarded at all
// (it exits 0 with no ports, and a run may forward nothing), packets handled per second, loss at
// the port and on transmit, throughput when the PMD counts bytes. Figures come from the forward
// statistics a `stop` prints, else from the last port-statistics snapshot, else from xstats.
import { failedMeasurement } from '../../core/trial.js';
import type { Measurement } from '../../core/trial.js';
import type { ToolOutput } from '../types.js';
import { activeMean, CAUSE_LINE, cleanLines, parseTestpmdNative, type TestpmdForwardStats, type TestpmdNative, type TestpmdPortStats } from './parse-native.js';
import { splitTestpmdRuns } from './runs.js';

export interface TestpmdParseOptions {
  /** Seconds forwarding ran (the runner's wall clock from start to SIGINT), for rates from the
   * final counters. Without it, rates come from the periodic blocks. */
  forwardingS?: number;
}

/** Modes that generate traffic rather than forward what arrives: their work is what they send. */
const GENERATORS = new Set(['txonly', 'flowgen']);

function sumOrNull(values: (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== null && v !== undefined);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** Why the run failed, or null when it forwarded. */
function failureReason(native: TestpmdNative, stderr: string, exitCode: number | null): string | null {
  const cause = cleanLines(stderr)
    .map((l) => CAUSE_LINE.exec(l)?.[1]?.trim())
    .find((c) => c !== undefined);
  // The most specific line is the first one that is not the generic "Cause" summary.
  const detail = native.problems.find((p) => p !== cause && !/^testpmd: No probed/.test(p));
  const explain = (headline: string) => (detail && detail !== headline ? `${headline} (${detail})` : headline);

  if (exitCode !== null && exitCode !== 0) {
    return explain(cause ?? `dpdk-testpmd exited with code ${exitCode}`);
  }
  if (native.portCount === 0 || /No probed ethernet devices/.test(stderr)) {
    return explain('testpmd: No probed ethernet devices');
  }
  if (native.periodic.length === 0 && native.final === null && native.extendedStats.length === 0) {
    return explain(exitCode === null ? 'dpdk-testpmd was killed before printing any statistics' : 'dpdk-testpmd printed no statistics');
  }
  return null;
}

/** Port counters summed over the ports of the last snapshot: cumulative since the process started. */
function lastSnapshotTotals(native: TestpmdNative) {
  const last = native.periodic.at(-1) ?? [];
  const sum = (key: keyof Omit<TestpmdPortStats, 'xstats' | 'port'>) => sumOrNull(last.map((p) => p[key]));
  return {
    rxPackets: sum('rxPackets'),
    txPackets: sum('txPackets'),
    rxMissed: sum('rxMissed'),
    rxErrors: sum('rxErrors'),
    txErrors: sum('txErrors'),
  };
}

/** The same counters from "show port xstats" (the NIC block absent): good packets, or the per-queue sums. */
function xstatsTotals(native: TestpmdNative) {
  // The last xstats print per port holds the latest counters.
  const perPort = new Map(native.extendedStats.map((x) => [x.port, x.values]));
  const values = [...perPort.values()];
  const counter = (name: string, queue: RegExp) =>
    sumOrNull(values.map((v) => v[name] ?? sumOrNull(Object.entries(v).flatMap(([k, n]) => (queue.test(k) ? [n] : [])))));
  return {
    // "rx_good_packets" (all queues), else "rx_q0_packets" + "rx_q1_packets" + …
    rxPackets: counter('rx_good_packets', /^rx_q\d+_packets$/),
    txPackets: counter('tx_good_packets', /^tx_q\d+_packets$/),
    rxMissed: counter('rx_missed_errors', /^$/),
    rxErrors: counter('rx_errors', /^rx_q\d+_errors$/),
    txErrors: counter('tx_errors', /^$/),
  };
}

function outputForm(native: TestpmdNative, interactive: boolean, periodic: boolean, fwdStatsWhileRunning = false): string {
  const parts: string[] = [];
  const ports = native.periodic.flat();
  if (native.final) parts.push(fwdStatsWhileRunning ? 'forward statistics (show fwd stats, while forwarding)' : 'forward statistics (stop)');
  if (native.streams.length > 0) parts.push('per-stream forward stats');
  const statsKind = interactive ? 'show port stats' : periodic ? 'periodic port statistics (--stats-period)' : 'port statistics';
  if (ports.length > 0) parts.push(`${statsKind} (${native.periodic.length} block(s))`);
  if (ports.length > 0 && ports.every((p) => p.rxMissed === null && p.rxPps === null)) parts.push('legacy two-line layout');
  else if (ports.some((p) => p.rxPps !== null) && ports.every((p) => p.rxBps === null)) parts.push('pps-only throughput');
  if (native.extendedStats.length > 0) parts.push('show port xstats');
  if (native.cycles) parts.push('cycles/packet');
  return parts.join(', ') || 'no statistics';
}

/** Like the driver's parse, with the forwarding time the runner measured (see TestpmdParseOptions). */
export function parseTestpmdOutput(output: ToolOutput, options: TestpmdParseOptions = {}): Measurement[] {
  const runs = splitTestpmdRuns(output.stdout);
  // EAL and PMD lines on stderr belong to the process, told with its first run.
  // A prompt anywhere makes the whole capture interactive ("show port stats" snapshots, not periodic blocks).
  const interactive = /testpmd> /.test(output.stdout);
  return runs.map((stdout, i) => parseRun({ ...output, stdout, stderr: i === 0 ? output.stderr : '' }, runs.length === 1 ? options : {}, interactive));
}

/** The per-port forward statistics added up as an accumulated block; null without any port block. */
function summedPorts(ports: TestpmdForwardStats[]): TestpmdForwardStats | null {
  if (ports.length === 0) return null;
  const sum = (key: 'rxPackets' | 'rxDropped' | 'rxTotal' | 'txPackets' | 'txDropped' | 'txTotal' | 'rxError' | 'rxNombufs') =>
    sumOrNull(ports.map((p) => p[key]));
  return {
    port: 'all',
    rxPackets: sum('rxPackets'),
    rxDropped: sum('rxDropped'),
    rxTotal: sum('rxTotal'),
    txPackets: sum('txPackets'),
    txDropped: sum('txDropped'),
    txTotal: sum('txTotal'),
    rxError: sum('rxError'),
    rxNombufs: sum('rxNombufs'),
    rxBursts: null,
    txBursts: null,
  };
}

function parseRun(output: ToolOutput, options: TestpmdParseOptions, interactive: boolean): Measurement {
  const parsed = parseTestpmdNative(output.stdout, output.stderr);
  // "testpmd> show fwd stats all" prints the forward-statistics blocks while forwarding goes on;
  // "stop" prints them after "Telling cores to stop..." — same blocks, different moment.
  const whileRunning = /show fwd stats/.test(output.stdout) && !/Telling cores to stop/.test(output.stdout);
  const native = { ...parsed, outputForm: outputForm(parsed, interactive, /Port statistics =+/.test(output.stdout), whileRunning), warnings: [] as string[] };
  const warnings = native.warnings;
  const failure = failureReason(parsed, output.stderr, output.exitCode);
  if (failure !== null) return failedMeasurement(failure, { ...native });

  // Older testpmd builds (and hand-trimmed pastes) print no "Accumulated forward statistics" block:
  // the totals are then the sum of the per-port "Forward statistics for port N" blocks.
  const acc = parsed.final?.accumulated ?? summedPorts(parsed.final?.ports ?? []);
  if (parsed.final !== null && parsed.final.accumulated === null && acc !== null)
    warnings.push(`no accumulated forward statistics in the capture: totals summed over the ${parsed.final.ports.length} port block(s)`);
  const generator = GENERATORS.has(parsed.forwardMode ?? '');
  const rxonly = parsed.forwardMode === 'rxonly';
  const port = parsed.periodic.length > 0 ? lastSnapshotTotals(parsed) : xstatsTotals(parsed);
  // The packets this testpmd handled: sent for a generator, received for everything else.
  const rxPackets = acc?.rxPackets ?? port.rxPackets;
  const txPackets = acc?.txPackets ?? port.txPackets;
  const handledPackets = generator ? txPackets : rxPackets;
  const forwardingS = options.forwardingS !== undefined && options.forwardingS > 0 ? options.forwardingS : null;
  const snapshotPps = generator ? parsed.meanTxPps : parsed.meanRxPps;
  const achievedPps = forwardingS !== null && handledPackets !== null ? handledPackets / forwardingS : snapshotPps;
  if (achievedPps === null) {
    warnings.push(
      parsed.periodic.length === 0
        ? 'no port statistics with a rate (Rx-pps/Tx-pps) and no forwarding time: packet rate unknown'
        : 'every Rx-pps/Tx-pps in the capture is 0 or not printed (a process\'s first "since last show" has no baseline): packet rate unknown',
    );
  }

  let lossRatio: number | null = null;
  if (acc) {
    if (generator) {
      lossRatio = acc.txTotal ? (acc.txDropped ?? 0) / acc.txTotal : null;
    } else if (acc.rxTotal) {
      // Dropped at the port (ring full / missed, RX-error) plus, when forwarding, dropped on transmit.
      const dropped = (acc.rxDropped ?? 0) + (sumOrNull(parsed.final!.ports.map((p) => p.rxError)) ?? 0) + (rxonly ? 0 : (acc.txDropped ?? 0));
      lossRatio = Math.min(1, dropped / acc.rxTotal);
    }
  } else {
    // Port counters: missed and errored arrivals, and, when forwarding, transmits that failed.
    const rxLost = (port.rxMissed ?? 0) + (port.rxErrors ?? 0);
    const offered = generator ? (port.txPackets ?? 0) + (port.txErrors ?? 0) : (port.rxPackets ?? 0) + rxLost;
    const lost = generator ? (port.txErrors ?? 0) : rxLost + (rxonly ? 0 : (port.txErrors ?? 0));
    if (offered > 0) lossRatio = Math.min(1, lost / offered);
    if (port.rxMissed === null && !generator)
      warnings.push('RX-missed not printed (older layout or xstats without rx_missed_errors): loss counts RX-errors only');
    if (port.txErrors === null && !rxonly) warnings.push('TX-errors not printed: transmit failures unknown');
  }

  // Bits per second from the snapshots; a PMD that counts no bytes (net_null) gives null.
  const countsBytes = parsed.periodic.some((s) => s.some((p) => ((generator ? p.txBytes : p.rxBytes) ?? 0) > 0));
  const bpsPerBlock = parsed.periodic.map((s) => s.reduce((sum, p) => sum + ((generator ? p.txBps : p.rxBps) ?? 0), 0));
  const meanBps = countsBytes ? activeMean(bpsPerBlock) : null;
  if (parsed.periodic.length > 0 && parsed.periodic.flat().every((p) => p.rxBps === null)) warnings.push('Rx-bps/Tx-bps not printed: throughput unknown');

  const measurement: Measurement = {
    status: 'ok',
    error: null,
    msgSizeBytes: null,
    achievedPps,
    sentPackets: txPackets,
    receivedPackets: rxPackets,
    lossRatio,
    latencyUs: null,
    throughputGbps: meanBps === null ? null : meanBps / 1e9,
    msgRateMpps: achievedPps === null ? null : achievedPps / 1e6,
    measuredS: forwardingS,
    native: { ...native },
  };
  // A run that moved no packet measured nothing about the path, whatever the exit code says.
  if ((rxPackets ?? 0) === 0 && (txPackets ?? 0) === 0 && (rxPackets !== null || txPackets !== null)) {
    const errors = acc ? sumOrNull(parsed.final!.ports.map((p) => p.rxError)) : port.rxErrors;
    return {
      ...measurement,
      status: 'failed',
      error: `testpmd forwarded no packets (RX 0, TX 0${errors ? `, RX-errors ${errors}` : ''})`,
      achievedPps: null,
      msgRateMpps: null,
      lossRatio: null,
    };
  }
  return measurement;
}
