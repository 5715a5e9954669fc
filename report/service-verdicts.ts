// The service verdicts' block of report.md / report.html: for each real service (a `service` path)
// at each size × rate, its verdict and where its RTT went (shares of the p50 band / the ≥ p99 tail,
// medians over repetitions), from the same trials that decided the verdict.
import type { ServiceTraceOverhead } from '../core/trace-overhead.js';
import type { ServiceShares, Verdict } from '../core/verdict.js';
import { fmtUs, MISSING, rateLabel, sizeLabel, sortVerdicts } from './format.js';

export const SERVICE_VERDICT_HEADER = [
  'service',
  'size',
  'offered',
  'verdict',
  'RTT p50 / p99 µs',
  'matched',
  'kernel',
  'wake-up',
  'queueing',
  'GC pauses',
  'application (serialization incl.)',
  'hops (downstream pauses)',
  'client + wire (remainder)',
] as const;

/** Columns holding numbers (right-aligned). */
export const SERVICE_VERDICT_NUMERIC: readonly boolean[] = SERVICE_VERDICT_HEADER.map((_, i) => i >= 4);

const share = (x: number | null) => (x === null ? MISSING : `${(x * 100).toFixed(Math.abs(x * 100) < 9.95 ? 1 : 0)}`);
const pair = (s: { sharesP50: ServiceShares; sharesP99: ServiceShares }, k: keyof ServiceShares) =>
  s.sharesP50[k] === null && s.sharesP99[k] === null ? 'not observed' : `${share(s.sharesP50[k])} / ${share(s.sharesP99[k])} %`;

export function serviceVerdicts(verdicts: readonly Verdict[] | null | undefined): Verdict[] {
  return sortVerdicts((verdicts ?? []).filter((v) => v.service));
}

/** Text cells of one service verdict (escape them for the document). */
export function serviceVerdictCells(v: Verdict): string[] {
  const s = v.service!;
  const hops = pair(s, 'hops');
  const down = s.downstreamPausesShareP99;
  return [
    s.label,
    sizeLabel(v.msgSizeBytes),
    rateLabel(v.offeredPps),
    v.verdict,
    `${fmtUs(s.rttP50Us)} / ${fmtUs(s.rttP99Us)}`,
    s.matchedRatio === null ? MISSING : `${(s.matchedRatio * 100).toFixed(1)} %`,
    pair(s, 'kernel'),
    pair(s, 'wakeup'),
    pair(s, 'queueing'),
    pair(s, 'pauses'),
    pair(s, 'application'),
    down === null || hops === 'not observed' ? hops : `${hops} (${share(down)} % at p99)`,
    pair(s, 'clientAndWire'),
  ];
}

export const SERVICE_VERDICT_NOTE =
  'Shares of each service’s own RTT: p50 band / ≥ p99 tail, medians over repetitions. Kernel = the service’s kernel RX work + TX (tracepoints); ' +
  'the verdict credits bypass with that (and wake-up unless a busy-polling kernel was measured). The client’s kernel and the wire are a remainder, not credited.';

const ratio = (x: number) => `${x.toFixed(2)}×`;

/**
 * One line per traced service: what tracing cost it in this run (run.json traceOverhead), e.g.
 * "java: tracing p50 1.04× [0.98, 1.10], p99 1.02× [0.95, 1.09] (2 pairs at 200 B, 1000 pps, 2 s each; 52 s)".
 */
export function traceOverheadLines(overhead: Readonly<Record<string, ServiceTraceOverhead>> | null | undefined): string[] {
  return Object.values(overhead ?? {}).map((o) => {
    const where = `${o.pairs} of ${o.pairsPlanned} pairs at ${sizeLabel(o.msgSizeBytes)}, ${rateLabel(o.offeredPps)}, ${o.durationS} s each; ${Math.round(o.wallS)} s`;
    if (o.p50Ratio === null || o.p99Ratio === null || !o.interval) return `${o.pathLabel}: tracing overhead not measured: ${o.reason ?? 'no ratio'} (${where})`;
    const [p50Low, p50High] = o.interval.p50;
    const [p99Low, p99High] = o.interval.p99;
    return (
      `${o.pathLabel}: tracing p50 ${ratio(o.p50Ratio)} [${ratio(p50Low)}, ${ratio(p50High)}], ` +
      `p99 ${ratio(o.p99Ratio)} [${ratio(p99Low)}, ${ratio(p99High)}] traced/untraced (${where})`
    );
  });
}

export const TRACE_OVERHEAD_NOTE =
  'What following each service with bpftrace cost it here: client-measured latency traced over untraced, ABBA pairs of short trials after the grid ' +
  '(95 % bootstrap interval over pairs; few pairs give a wide interval). The careful measurement is bench/service-trace-overhead.ts.';
