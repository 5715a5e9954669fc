// dpdk-testpmd's output as a measurement: whether it forwarded at all (it exits 0 with no ports),
// packets handled per second, loss at the port and on transmit, throughput when the PMD counts bytes.
import { failedMeasurement } from '../../core/trial.js';
import type { Measurement } from '../../core/trial.js';
import type { ToolOutput } from '../types.js';
import { activeMean, CAUSE_LINE, cleanLines, parseTestpmdNative, type TestpmdNative } from './parse-native.js';

export interface TestpmdParseOptions {
  /** Seconds forwarding ran (the runner's wall clock from start to SIGINT), for rates from the
   * final counters. Without it, rates come from the periodic blocks. */
  forwardingS?: number;
}

function sumOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
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

/** Like the driver's parse, with the forwarding time the runner measured (see TestpmdParseOptions). */
export function parseTestpmdOutput(output: ToolOutput, options: TestpmdParseOptions = {}): Measurement[] {
  const native = parseTestpmdNative(output.stdout, output.stderr);
  const failure = failureReason(native, output.stderr, output.exitCode);
  if (failure !== null) return [failedMeasurement(failure, { ...native })];

  const acc = native.final?.accumulated ?? null;
  const txonly = native.forwardMode === 'txonly';
  const rxonly = native.forwardMode === 'rxonly';
  // The packets this testpmd handled: sent for a generator, received for everything else.
  const handledPackets = txonly ? (acc?.txPackets ?? null) : (acc?.rxPackets ?? null);
  const forwardingS = options.forwardingS !== undefined && options.forwardingS > 0 ? options.forwardingS : null;
  const achievedPps = forwardingS !== null && handledPackets !== null ? handledPackets / forwardingS : txonly ? native.meanTxPps : native.meanRxPps;

  let lossRatio: number | null = null;
  if (acc) {
    if (txonly) {
      lossRatio = acc.txTotal ? (acc.txDropped ?? 0) / acc.txTotal : null;
    } else if (acc.rxTotal) {
      // Dropped at the port (ring full / missed) plus, when forwarding, dropped on transmit.
      const dropped = (acc.rxDropped ?? 0) + (rxonly ? 0 : (acc.txDropped ?? 0));
      lossRatio = Math.min(1, dropped / acc.rxTotal);
    }
  }

  // Bits per second from the periodic blocks; a PMD that counts no bytes (net_null) gives null.
  const countsBytes = native.periodic.some((s) => s.some((p) => ((txonly ? p.txBytes : p.rxBytes) ?? 0) > 0));
  const bpsPerBlock = native.periodic.map((s) => s.reduce((sum, p) => sum + ((txonly ? p.txBps : p.rxBps) ?? 0), 0));
  const meanBps = countsBytes ? activeMean(bpsPerBlock) : null;

  return [
    {
      status: 'ok',
      error: null,
      msgSizeBytes: null,
      achievedPps,
      sentPackets: acc?.txPackets ?? sumOrNull(native.periodic.at(-1)?.map((p) => p.txPackets) ?? []),
      receivedPackets: acc?.rxPackets ?? sumOrNull(native.periodic.at(-1)?.map((p) => p.rxPackets) ?? []),
      lossRatio,
      latencyUs: null,
      throughputGbps: meanBps === null ? null : meanBps / 1e9,
      msgRateMpps: achievedPps === null ? null : achievedPps / 1e6,
      measuredS: forwardingS,
      native: { ...native },
    },
  ];
}
