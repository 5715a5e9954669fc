// Number formatting shared by the text table, the Markdown summary and the HTML report, so one
// value reads the same everywhere. Missing values print as "—", never as 0.

export const MISSING = '—';

/** Latency in µs with three significant digits: 4.21, 37.5, 1250. */
export function fmtUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return MISSING;
  if (Math.abs(us) >= 1000) return Math.round(us).toString();
  return Number(us.toPrecision(3)).toString();
}

/** Packets per second, compact: 950, 12.5k, 1.25M. */
export function fmtPps(pps: number | null | undefined): string {
  if (pps === null || pps === undefined || !Number.isFinite(pps)) return MISSING;
  if (Math.abs(pps) >= 1e6) return `${Number((pps / 1e6).toPrecision(3))}M`;
  if (Math.abs(pps) >= 1e4) return `${Number((pps / 1e3).toPrecision(3))}k`;
  return Math.round(pps).toString();
}

/** A ratio 0..1 as a percentage; tiny non-zero losses keep enough digits to stay non-zero. */
export function fmtPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return MISSING;
  return `${(ratio * 100).toFixed(ratio !== 0 && Math.abs(ratio) < 0.001 ? 3 : 2)}%`;
}

/** A signed relative change: +12.3%, −4.0%. */
export function fmtRel(rel: number | null | undefined): string {
  if (rel === null || rel === undefined || !Number.isFinite(rel)) return MISSING;
  const pct = (rel * 100).toFixed(1);
  return rel > 0 ? `+${pct}%` : rel < 0 ? `−${pct.slice(1)}%` : '0.0%';
}

export function fmtNum(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return MISSING;
  return n.toFixed(digits);
}

/** How an offered rate reads in tables and chart labels; null is closed loop. */
export function rateLabel(offeredPps: number | null): string {
  return offeredPps === null ? 'closed loop' : `${fmtPps(offeredPps)} pps`;
}

export function sizeLabel(msgSizeBytes: number | null): string {
  return msgSizeBytes === null ? MISSING : `${msgSizeBytes} B`;
}

/** The row label of a verdict: its size, prefixed by its scenario when the suite has several. */
export function verdictRowLabel(v: { msgSizeBytes: number | null; scenario?: string | undefined }): string {
  return v.scenario ? `${v.scenario} · ${sizeLabel(v.msgSizeBytes)}` : sizeLabel(v.msgSizeBytes);
}

/** Verdicts in display order: scenario (as written), then size, then rate. */
export function sortVerdicts<V extends { msgSizeBytes: number | null; offeredPps: number | null; scenario?: string | undefined }>(verdicts: readonly V[]): V[] {
  const scenarios = [...new Set(verdicts.map((v) => v.scenario ?? ''))];
  return [...verdicts].sort(
    (a, b) =>
      scenarios.indexOf(a.scenario ?? '') - scenarios.indexOf(b.scenario ?? '') ||
      (a.msgSizeBytes ?? -1) - (b.msgSizeBytes ?? -1) ||
      (a.offeredPps ?? Infinity) - (b.offeredPps ?? Infinity),
  );
}

/** The label a path carries wherever it is shown: emulated results say so. */
export function pathDisplay(pathLabel: string, emulated: boolean): string {
  return emulated ? `${pathLabel} (emulated)` : pathLabel;
}
