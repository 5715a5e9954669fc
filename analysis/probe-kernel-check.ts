// Input of the probe-vs-kernel check (analysis/verdicts.ts): which kernel UDP measurement the
// probe's round trip is compared with. The two must wait for replies the same way: a client that
// spins on a non-blocking socket never pays the wake-up a blocking one pays on every reply, which
// on a small VM is most of a round trip. So the check compares the probe with a kernel UDP path of
// its own receive mode at the same cell when the run has one (the default kernel path first), and
// says so when it has to compare across modes.
import { median } from 'simple-statistics';
import type { ReceiveMode, TrialRecord } from '../core/trial.js';

/** Kernel UDP paths the probe can be checked against, and how each waits for replies when its record does not say (older runs). */
const KERNEL_UDP_MODES: Record<string, ReceiveMode> = { 'kernel-udp': 'block', 'kernel-udp-busypoll': 'spin' };

/** A trial's receive mode: the record's, else what its path always used (the probe: blocking before receive modes existed). */
export function receiveModeOf(t: TrialRecord): ReceiveMode | null {
  if (t.receiveMode === 'block' || t.receiveMode === 'spin') return t.receiveMode;
  if (t.path === 'attribution') return (t.native['rxMode'] as ReceiveMode | undefined) === 'spin' ? 'spin' : 'block';
  return KERNEL_UDP_MODES[t.path] ?? null;
}

const inCell = (t: TrialRecord, size: number | null, rate: number | null) => t.status === 'ok' && !t.search && t.msgSizeBytes === size && t.offeredPps === rate;

/** The receive mode most of a label's ok trials at the cell used (ties: block); null without any. */
export function receiveModeForCell(trials: readonly TrialRecord[], size: number | null, rate: number | null, label: string): ReceiveMode | null {
  const modes = trials.filter((t) => t.pathLabel === label && inCell(t, size, rate)).map(receiveModeOf);
  const spin = modes.filter((m) => m === 'spin').length;
  const block = modes.filter((m) => m === 'block').length;
  if (spin + block === 0) return null;
  return spin > block ? 'spin' : 'block';
}

export interface ProbeKernelReference {
  /** The kernel path label the probe is compared with. */
  label: string;
  /** Its RTT p50 at the cell (median over its ok repetitions), µs; null when unknown. */
  p50Us: number | null;
  probeMode: ReceiveMode | null;
  kernelMode: ReceiveMode | null;
}

/**
 * The kernel UDP measurement to check the probe against at one cell: the default kernel path
 * (kernelLabel, whose p50 the caller has) when its receive mode is the probe's or either is
 * unknown; else another kernel UDP path at the cell in the probe's mode (the busy-polling reference
 * for a spinning probe); else the default kernel path anyway, with the modes for the sentence.
 */
export function probeKernelReference(
  trials: readonly TrialRecord[],
  size: number | null,
  rate: number | null,
  probeLabel: string | undefined,
  kernelLabel: string,
  kernelP50Us: number | null,
): ProbeKernelReference {
  const probeLabels = [
    ...new Set(trials.filter((t) => t.path === 'attribution' && (probeLabel === undefined || t.pathLabel === probeLabel)).map((t) => t.pathLabel)),
  ];
  const probeMode = probeLabels.length === 1 ? receiveModeForCell(trials, size, rate, probeLabels[0]!) : null;
  const kernelMode = receiveModeForCell(trials, size, rate, kernelLabel);
  const fallback = { label: kernelLabel, p50Us: kernelP50Us, probeMode, kernelMode };
  if (probeMode === null || kernelMode === null || probeMode === kernelMode) return fallback;
  const sameMode = trials.filter(
    (t) => t.path in KERNEL_UDP_MODES && t.pathLabel !== kernelLabel && inCell(t, size, rate) && receiveModeOf(t) === probeMode && t.latencyUs?.p50 != null,
  );
  const label = sameMode[0]?.pathLabel;
  if (label === undefined) return fallback;
  const p50s = sameMode.filter((t) => t.pathLabel === label).map((t) => t.latencyUs!.p50!);
  return { label, p50Us: median(p50s), probeMode, kernelMode: probeMode };
}

/** The clause the check's sentence ends with when the two sides waited for replies differently; '' when alike or unknown. */
export function receiveModeClause(ref: ProbeKernelReference): string {
  if (ref.probeMode === null || ref.kernelMode === null || ref.probeMode === ref.kernelMode) return '';
  const fix =
    ref.probeMode === 'spin'
      ? 'add kernel-udp-busypoll to the suite (it spins too) or give the attribution path rxMode: block'
      : 'give the attribution path rxMode: spin, or check against the default kernel-udp path';
  return `; receive modes differ (the probe's ${ref.probeMode}, ${ref.label}'s ${ref.kernelMode}), so this compares unlike clients: ${fix}`;
}
