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

/** A p99 saving: "21 µs (50 %)"; negative = bypass is slower. */
export function fmtSaving(us: number | null | undefined, pct: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return MISSING;
  return `${fmtUs(us)} µs${pct === null || pct === undefined || !Number.isFinite(pct) ? '' : ` (${pct.toFixed(0)} %)`}`;
}

/** What a verdict says about the kernels it compared bypass with, formatted once for every document. */
export interface VerdictKernelCells {
  /** The best kernel configuration and its p99: "kernel-udp-busypoll 24 µs". */
  bestKernel: string;
  /** p99 saving of the best bypass path against the default kernel and against the best kernel. */
  savingVsDefault: string;
  savingVsBest: string;
  /** Cores busy: default kernel / best kernel / bypass. */
  cores: string;
}

interface VerdictKernelFields {
  kernelP99Us: number | null;
  bestKernelPath?: string | null | undefined;
  bestKernelP99Us?: number | null | undefined;
  expectedP99SavingUs: number | null;
  expectedP99SavingPct: number | null;
  savingVsDefaultUs?: number | null | undefined;
  savingVsDefaultPct?: number | null | undefined;
  cpu?: { kernelCoresBusy: number | null; bypassCoresBusy: number | null; defaultKernelCoresBusy?: number | null | undefined } | undefined;
}

export function verdictKernelCells(v: VerdictKernelFields): VerdictKernelCells {
  // Verdicts written before tuned references existed compared with the default kernel only.
  const bestP99 = v.bestKernelP99Us ?? v.kernelP99Us;
  const cores = (n: number | null | undefined) => fmtNum(n ?? null);
  return {
    bestKernel: v.bestKernelPath ? `${v.bestKernelPath} ${fmtUs(bestP99)} µs` : MISSING,
    savingVsDefault:
      v.savingVsDefaultUs === undefined ? fmtSaving(v.expectedP99SavingUs, v.expectedP99SavingPct) : fmtSaving(v.savingVsDefaultUs, v.savingVsDefaultPct),
    savingVsBest: fmtSaving(v.expectedP99SavingUs, v.expectedP99SavingPct),
    cores: v.cpu
      ? `${cores(v.cpu.defaultKernelCoresBusy ?? v.cpu.kernelCoresBusy)} / ${cores(v.cpu.kernelCoresBusy)} / ${cores(v.cpu.bypassCoresBusy)}`
      : MISSING,
  };
}
