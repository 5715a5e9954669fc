// What a report is made from: the saved run plus the files later stages may have added to its
// folder. Each optional file is validated at the edge, so a malformed one is named with the
// field that is wrong instead of breaking a chart halfway.
//   verdicts.json  Verdict[] from analysis/selective-win.ts (each carries msgSizeBytes/offeredPps)
//   search.json    SearchEntry[]: one throughput search (analysis/search.ts) per path label × size
// Attribution results are trials with path "attribution" whose native.attribution holds an
// AttributionResult (analysis/attribution.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { loadRun, type LoadedRun } from '../core/run-store.js';
import type { TrialRecord } from '../core/trial.js';
import type { AttributionResult } from '../analysis/attribution.js';
import type { SearchResult } from '../analysis/search.js';
import type { Verdict, VerdictKind } from '../analysis/selective-win.js';

export const VERDICTS_FILE = 'verdicts.json';
export const SEARCH_FILE = 'search.json';

/** One throughput search as stored in search.json. */
export interface SearchEntry {
  pathLabel: string;
  msgSizeBytes: number | null;
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

const VERDICT_KINDS: readonly VerdictKind[] = ['bypass-wins', 'no-win', 'insufficient-data'];

const isNumOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

export function parseVerdicts(value: unknown, file: string): Verdict[] {
  if (!Array.isArray(value)) throw new UserError(`${file}: must be a JSON array of verdicts, got ${typeof value}`);
  value.forEach((v: unknown, i) => {
    const rec = v as Record<string, unknown> | null;
    const where = `${file}: [${i}]`;
    if (rec === null || typeof rec !== 'object') throw new UserError(`${where} must be an object`);
    if (!VERDICT_KINDS.includes(rec.verdict as VerdictKind))
      throw new UserError(`${where}.verdict must be one of ${VERDICT_KINDS.join(', ')}, got ${JSON.stringify(rec.verdict)}`);
    if (typeof rec.reason !== 'string') throw new UserError(`${where}.reason must be a string`);
    if (!isNumOrNull(rec.msgSizeBytes)) throw new UserError(`${where}.msgSizeBytes must be a number or null`);
    if (!isNumOrNull(rec.offeredPps)) throw new UserError(`${where}.offeredPps must be a number or null (null = closed loop)`);
    if (rec.reasons !== undefined && !(Array.isArray(rec.reasons) && rec.reasons.every((r) => typeof r === 'string'))) {
      throw new UserError(`${where}.reasons must be an array of strings`);
    }
  });
  // Display fields a writer may leave out read as "not known" rather than breaking a chart.
  return (value as Record<string, unknown>[]).map(
    (rec) =>
      ({
        bestBypassPath: null,
        kernelP99Us: null,
        bypassP99Us: null,
        expectedP99SavingUs: null,
        expectedP99SavingPct: null,
        coresDelta: null,
        ...rec,
        reasons: (rec.reasons as string[] | undefined) ?? [],
        excludedPaths: Array.isArray(rec.excludedPaths) ? rec.excludedPaths : [],
      }) as unknown as Verdict,
  );
}

/** Accepts { pathLabel, msgSizeBytes, result: SearchResult } or the SearchResult fields inline. */
export function parseSearches(value: unknown, file: string): SearchEntry[] {
  if (!Array.isArray(value)) throw new UserError(`${file}: must be a JSON array of searches, got ${typeof value}`);
  return value.map((v: unknown, i) => {
    const rec = v as Record<string, unknown> | null;
    const where = `${file}: [${i}]`;
    if (rec === null || typeof rec !== 'object') throw new UserError(`${where} must be an object`);
    if (typeof rec.pathLabel !== 'string') throw new UserError(`${where}.pathLabel must be a string`);
    if (!isNumOrNull(rec.msgSizeBytes ?? null)) throw new UserError(`${where}.msgSizeBytes must be a number or null`);
    const result = (rec.result ?? rec) as Record<string, unknown>;
    for (const field of ['ndrPps', 'pdrPps', 'mrrPps'] as const) {
      if (!isNumOrNull(result[field] ?? null)) throw new UserError(`${where}.${rec.result ? 'result.' : ''}${field} must be a number or null`);
    }
    if (!Array.isArray(result.trials)) throw new UserError(`${where}.${rec.result ? 'result.' : ''}trials must be an array`);
    return {
      pathLabel: rec.pathLabel,
      msgSizeBytes: (rec.msgSizeBytes as number | null | undefined) ?? null,
      emulated: rec.emulated === true,
      result: result as unknown as SearchResult,
    };
  });
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
  const verdictsFile = join(runDir, VERDICTS_FILE);
  const searchFile = join(runDir, SEARCH_FILE);
  const verdicts = existsSync(verdictsFile) ? parseVerdicts(readJson(verdictsFile), verdictsFile) : null;
  const searches = existsSync(searchFile) ? parseSearches(readJson(searchFile), searchFile) : null;
  return inputsFromRun(run, verdicts, searches);
}
