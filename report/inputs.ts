// What a report is made from: the saved run (core/run-folder.ts reads and validates each file)
// and what the report derives from it. Attribution results are trials with path "attribution"
// whose native.attribution holds an AttributionResult (analysis/attribution.ts).
import { loadRun, RunFolder, type LoadedRun } from '../core/run-folder.js';
import type { PathSearch, SearchResult } from '../core/search-result.js';
import type { TrialRecord } from '../core/trial.js';
import type { AttributionResult } from '../analysis/attribution.js';
import type { Verdict } from '../analysis/selective-win.js';

/** One throughput search as the report shows it. */
export interface SearchEntry {
  pathLabel: string;
  msgSizeBytes: number | null;
  /** Whether the search's trials ran under emulation (they say so in trials.jsonl). */
  emulated: boolean;
  result: SearchResult;
}

/** One attribution trial that produced a result. */
export interface AttributionPoint {
  trialId: string;
  pathLabel: string;
  msgSizeBytes: number | null;
  offeredPps: number | null;
  repetition: number;
  emulated: boolean;
  result: Extract<AttributionResult, { status: 'ok' }>;
}

/** An attribution trial whose result said insufficient-data (kept so the report can say why). */
export interface AttributionGap {
  trialId: string;
  msgSizeBytes: number | null;
  offeredPps: number | null;
  reason: string;
}

export interface ReportInputs {
  run: LoadedRun;
  /** null = no verdicts.json in the run folder. */
  verdicts: Verdict[] | null;
  /** null = no search.json in the run folder. */
  searches: SearchEntry[] | null;
  attribution: AttributionPoint[];
  attributionGaps: AttributionGap[];
}

/** search.json's entries with what their trials recorded about emulation. */
export function searchEntries(searches: readonly PathSearch[], trials: readonly TrialRecord[]): SearchEntry[] {
  return searches.map((search) => ({
    pathLabel: search.pathLabel,
    msgSizeBytes: search.msgSizeBytes,
    emulated: trials.some((t) => t.search && t.emulated && t.pathLabel === search.pathLabel && t.msgSizeBytes === search.msgSizeBytes),
    result: search,
  }));
}

function attributionOf(trials: readonly TrialRecord[]): { points: AttributionPoint[]; gaps: AttributionGap[] } {
  const points: AttributionPoint[] = [];
  const gaps: AttributionGap[] = [];
  for (const t of trials) {
    if (t.path !== 'attribution' || t.status !== 'ok') continue;
    const result = t.native?.attribution as AttributionResult | undefined;
    if (!result || typeof result !== 'object') continue;
    if (result.status === 'ok' && result.components && typeof result.components === 'object') {
      points.push({
        trialId: t.trialId,
        pathLabel: t.pathLabel,
        msgSizeBytes: t.msgSizeBytes,
        offeredPps: t.offeredPps,
        repetition: t.repetition,
        emulated: t.emulated,
        result,
      });
    } else if (result.status === 'insufficient-data') {
      gaps.push({ trialId: t.trialId, msgSizeBytes: t.msgSizeBytes, offeredPps: t.offeredPps, reason: result.reason });
    }
  }
  return { points, gaps };
}

export function inputsFromRun(run: LoadedRun, verdicts: Verdict[] | null, searches: SearchEntry[] | null): ReportInputs {
  const { points, gaps } = attributionOf(run.trials);
  return { run, verdicts, searches, attribution: points, attributionGaps: gaps };
}

export function loadReportInputs(runDir: string): ReportInputs {
  const run = loadRun(runDir);
  const folder = new RunFolder(runDir);
  const searches = folder.readSearches();
  return inputsFromRun(run, folder.readVerdicts(), searches && searchEntries(searches, run.trials));
}
