// Default and tuned kernel side by side: for each size × rate, the default kernel path's p50, p99
// and cores next to each tuned reference's (busy polling), so a reader sees what tuning the kernel
// alone buys before asking what bypass buys beyond it. Pure; rows come from the summary rows.
import { pathFamily } from '../core/trial.js';
import type { SummaryRow } from '../core/run-summary.js';
import { fmtNum, fmtRel, fmtUs, MISSING, rateLabel, sizeLabel } from './format.js';

export interface KernelSideBySide {
  msgSizeBytes: number | null;
  offeredPps: number | null;
  defaultKernel: SummaryRow;
  tuned: SummaryRow;
  /** (tuned p99 − default p99) / default p99; negative = tuning helped. */
  p99ChangeRel: number | null;
}

/** One entry per default kernel row × tuned reference row of the same protocol's size and rate. */
export function kernelSideBySide(rows: readonly SummaryRow[]): KernelSideBySide[] {
  const defaults = rows.filter((r) => pathFamily(r.path) === 'kernel');
  const tuned = rows.filter((r) => pathFamily(r.path) === 'kernel-tuned');
  const out: KernelSideBySide[] = [];
  for (const t of tuned) {
    // The default path of the same protocol: kernel-udp-busypoll pairs with kernel-udp.
    const d = defaults.find((r) => t.path.startsWith(r.path) && r.msgSizeBytes === t.msgSizeBytes && r.offeredPps === t.offeredPps);
    if (!d) continue;
    const p99ChangeRel = d.p99Us !== null && t.p99Us !== null && d.p99Us > 0 ? (t.p99Us - d.p99Us) / d.p99Us : null;
    out.push({ msgSizeBytes: t.msgSizeBytes, offeredPps: t.offeredPps, defaultKernel: d, tuned: t, p99ChangeRel });
  }
  return out.sort((a, b) => (a.msgSizeBytes ?? -1) - (b.msgSizeBytes ?? -1) || (a.offeredPps ?? -1) - (b.offeredPps ?? -1));
}

export const KERNEL_SIDE_BY_SIDE_HEADER = [
  'size',
  'offered',
  'default kernel',
  'p50 µs',
  'p99 µs',
  'cores',
  'tuned kernel',
  'p50 µs',
  'p99 µs',
  'cores',
  'achieved pps',
  'p99 change',
];

/** Cells of one side-by-side row, formatted the same in every document. */
export function kernelSideBySideCells(e: KernelSideBySide): string[] {
  const achieved = e.tuned.achievedPps === null ? MISSING : String(Math.round(e.tuned.achievedPps));
  return [
    sizeLabel(e.msgSizeBytes),
    rateLabel(e.offeredPps),
    e.defaultKernel.pathLabel,
    fmtUs(e.defaultKernel.p50Us),
    fmtUs(e.defaultKernel.p99Us),
    fmtNum(e.defaultKernel.coresBusy),
    e.tuned.pathLabel,
    fmtUs(e.tuned.p50Us),
    fmtUs(e.tuned.p99Us),
    fmtNum(e.tuned.coresBusy),
    achieved,
    fmtRel(e.p99ChangeRel),
  ];
}

/** A plain-text table for the terminal summary; empty when no tuned reference ran. */
export function renderKernelSideBySide(rows: readonly SummaryRow[]): string {
  const entries = kernelSideBySide(rows);
  if (entries.length === 0) return '';
  const body = entries.map(kernelSideBySideCells);
  const header = KERNEL_SIDE_BY_SIDE_HEADER;
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return ['Kernel, default vs tuned (busy polling):', line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
