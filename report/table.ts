// The closing table: one row per path × size × offered rate, medians over repetitions.
// Plain text, so it reads the same in a terminal, a log file and a CI transcript.
import { median } from 'simple-statistics';
import type { TrialRecord } from '../core/trial.js';

export interface SummaryRow {
  pathLabel: string;
  path: string;
  msgSizeBytes: number | null;
  offeredPps: number | null;
  repetitions: number;
  ok: number;
  statuses: string[];
  achievedPps: number | null;
  lossRatio: number | null;
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  coresBusy: number | null;
  emulated: boolean;
  error: string | null;
}

function medianOf(values: (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length ? median(xs) : null;
}

/** Groups in first-seen order, so the table follows the suite's order. */
export function summarizeTrials(trials: TrialRecord[]): SummaryRow[] {
  const groups = new Map<string, TrialRecord[]>();
  for (const t of trials) {
    const key = `${t.pathLabel}\u0000${t.msgSizeBytes}\u0000${t.offeredPps}`;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  return [...groups.values()].map((list) => {
    const first = list[0]!;
    const ok = list.filter((t) => t.status === 'ok');
    return {
      pathLabel: first.pathLabel,
      path: first.path,
      msgSizeBytes: first.msgSizeBytes,
      offeredPps: first.offeredPps,
      repetitions: list.length,
      ok: ok.length,
      statuses: [...new Set(list.map((t) => t.status))],
      achievedPps: medianOf(ok.map((t) => t.achievedPps)),
      lossRatio: medianOf(ok.map((t) => t.lossRatio)),
      p50Us: medianOf(ok.map((t) => t.latencyUs?.p50)),
      p99Us: medianOf(ok.map((t) => t.latencyUs?.p99)),
      p999Us: medianOf(ok.map((t) => t.latencyUs?.p999)),
      coresBusy: medianOf(ok.map((t) => t.cpu?.coresBusy)),
      emulated: list.some((t) => t.emulated),
      error: list.find((t) => t.status !== 'ok')?.error ?? null,
    };
  });
}

function fmt(n: number | null, digits = 1): string {
  if (n === null) return '—';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(digits);
}

function pct(n: number | null): string {
  return n === null ? '—' : `${(n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 2)}%`;
}

export function renderTable(rows: SummaryRow[]): string {
  const header = ['path', 'size B', 'offered pps', 'achieved pps', 'loss', 'p50 µs', 'p99 µs', 'p99.9 µs', 'cores', 'ok/reps'];
  const body = rows.map((r) => [
    r.pathLabel + (r.emulated ? ' (emulated)' : ''),
    r.msgSizeBytes === null ? '—' : String(r.msgSizeBytes),
    r.offeredPps === null ? 'closed loop' : fmt(r.offeredPps, 0),
    fmt(r.achievedPps, 0),
    pct(r.lossRatio),
    fmt(r.p50Us),
    fmt(r.p99Us),
    fmt(r.p999Us),
    r.coresBusy === null ? '—' : r.coresBusy.toFixed(2),
    `${r.ok}/${r.repetitions}` + (r.ok < r.repetitions ? ` ${r.statuses.filter((s) => s !== 'ok').join(',')}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  const notes = rows.filter((r) => r.error).map((r) => `  ${r.pathLabel} ${r.msgSizeBytes ?? ''} B: ${r.error}`);
  if (notes.length) out.push('', 'Not measured / failed:', ...[...new Set(notes)]);
  return out.join('\n');
}
