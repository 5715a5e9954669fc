// The closing table: one row per path × size × offered rate, medians over the repetitions that
// finished ok (grouping and statistics from analysis/stats.ts). Plain text, so it reads the same
// in a terminal, a log file and a CI transcript.
import type { SummaryRow } from '../core/run-summary.js';
import type { TrialRecord, TrialStatus } from '../core/trial.js';
import { groupTrials, type TrialGroup } from '../analysis/stats.js';
import { tailText } from '../core/tail.js';
import { fmtPct, fmtPps, fmtUs, pathDisplay } from './format.js';
import { renderKernelSideBySide } from './kernel-compare.js';

// Declared with summary.json, which stores the rows (core/run-summary.ts).
export type { SummaryRow } from '../core/run-summary.js';

export function rowFromGroup(g: TrialGroup, byId: Map<string, TrialRecord>): SummaryRow {
  const members = g.trialIds.map((id) => byId.get(id)).filter((t): t is TrialRecord => t !== undefined);
  const p99 = g.latencyUs.p99;
  return {
    pathLabel: g.pathLabel,
    path: g.path,
    msgSizeBytes: g.msgSizeBytes,
    offeredPps: g.offeredPps,
    repetitions: g.repetitions.total,
    ok: g.repetitions.ok,
    statuses: Object.keys(g.repetitions.byStatus) as TrialStatus[],
    achievedPps: g.achievedPps?.median ?? null,
    rateShortRepetitions: members.filter((t) => t.status === 'ok' && t.rateReached === false).length,
    lossRatio: g.lossRatio?.median ?? null,
    p50Us: g.latencyUs.p50?.median ?? null,
    p99Us: p99?.median ?? null,
    p999Us: g.latencyUs.p999?.median ?? null,
    latencySamples: g.tail?.minSamples ?? null,
    p99Reliable: g.tail?.p99Reliable ?? null,
    p999Reliable: g.tail?.p999Reliable ?? null,
    p99RangeUs: p99 ? { min: p99.min, max: p99.max } : null,
    coresBusy: g.coresBusy?.median ?? null,
    nsPerPacket: g.nsPerPacket?.median ?? null,
    emulated: g.emulated,
    error: members.find((t) => t.status !== 'ok')?.error ?? null,
    trialIds: g.trialIds,
  };
}

/** Summary rows in the order the suite ran them (first trial seen first), so tables follow the suite. */
export function rowsInRunOrder(groups: readonly TrialGroup[], trials: readonly TrialRecord[]): SummaryRow[] {
  const byId = new Map(trials.map((t) => [t.trialId, t]));
  const order = new Map(trials.map((t, i) => [t.trialId, i]));
  const firstIndex = (g: TrialGroup) => Math.min(...g.trialIds.map((id) => order.get(id) ?? Infinity));
  return [...groups].sort((a, b) => firstIndex(a) - firstIndex(b)).map((g) => rowFromGroup(g, byId));
}

/**
 * Summary rows of a run's trials. Throughput-search trials are not repetitions of anything and
 * are left out (see search.json).
 */
export function summarizeTrials(trials: readonly TrialRecord[]): SummaryRow[] {
  // Only the medians and ranges are used here; a small bootstrap keeps the table fast.
  return rowsInRunOrder(groupTrials(trials, { bootstrapResamples: 100 }), trials);
}

/** The achieved rate, marked where repetitions fell short of the offered one: "15.4k (short ×2)". */
export function achievedText(r: Pick<SummaryRow, 'achievedPps' | 'rateShortRepetitions'>): string {
  return fmtPps(r.achievedPps) + (r.rateShortRepetitions ? ` (short ×${r.rateShortRepetitions})` : '');
}

export const RATE_SHORT_NOTE = '(short ×N) = N repetitions fell more than 2 % short of the offered rate: their latency was not measured at that rate.';

export const TAIL_NOTE = 'n/a (N samples) = too few samples for that percentile: p99 needs ≥ 1000, p99.9 ≥ 10000 (10 beyond it).';

export function renderTable(rows: readonly SummaryRow[]): string {
  const header = ['path', 'size B', 'offered pps', 'achieved pps', 'loss', 'p50 µs', 'p99 µs', 'p99.9 µs', 'cores', 'ok/reps'];
  const body = rows.map((r) => [
    pathDisplay(r.pathLabel, r.emulated),
    r.msgSizeBytes === null ? '—' : String(r.msgSizeBytes),
    r.offeredPps === null ? 'closed loop' : fmtPps(r.offeredPps),
    achievedText(r),
    fmtPct(r.lossRatio),
    fmtUs(r.p50Us),
    tailText(r.p99Us, r.latencySamples, 99, fmtUs),
    tailText(r.p999Us, r.latencySamples, 99.9, fmtUs),
    r.coresBusy === null ? '—' : r.coresBusy.toFixed(2),
    `${r.ok}/${r.repetitions}` + (r.ok < r.repetitions ? ` ${r.statuses.filter((s) => s !== 'ok').join(',')}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  const notes = rows
    .filter((r) => r.error)
    .map((r) => `  ${r.pathLabel} ${r.msgSizeBytes ?? ''} B ${r.offeredPps === null ? 'closed loop' : `${r.offeredPps} pps`}: ${r.error}`);
  if (notes.length) out.push('', 'Not measured / failed:', ...[...new Set(notes)]);
  if (rows.some((r) => r.p99Reliable === false || r.p999Reliable === false)) out.push('', TAIL_NOTE);
  if (rows.some((r) => r.rateShortRepetitions)) out.push('', RATE_SHORT_NOTE);
  if (rows.some((r) => r.emulated)) out.push('', '(emulated) = measured under emulation (QEMU TCG): says nothing about real hardware.');
  const kernels = renderKernelSideBySide(rows);
  if (kernels) out.push('', kernels);
  return out.join('\n');
}
