// The throughput search phase: for each searched path × size, NDR/PDR/MRR found by
// analysis/search.ts, each of its trials a real open-loop trial of the path, recorded in
// trials.jsonl (with `search: {kind, step}`) like any other. Results go to search.json.
// It runs after the grid, so it never delays the grid's trials.
import { availableParallelism, loadavg } from 'node:os';
import type { PlannedTrial } from '../suites/plan.js';
import type { PathSearch } from '../core/search-result.js';
import type { TrialRecord } from '../core/trial.js';
import { searchThroughput } from '../analysis/search.js';
import { findRecipe } from '../paths/registry.js';
import type { LoadedSuite } from '../suites/load.js';
import type { OpenRun } from './open-run.js';
import type { PathBlocks } from './path-blocks.js';
import { unsupportedRecord, type RunRecorder } from './recorder.js';
import { unavailableReason } from './trial.js';

/** The searches a suite asks for, as (entry, size) pairs, in suite order. */
export function plannedSearches(loaded: LoadedSuite): { pathIndex: number; msgSizeBytes: number; options: unknown }[] {
  const { suite, pathOptions } = loaded;
  if (!suite.search) return [];
  const wanted = suite.search.paths;
  const out: { pathIndex: number; msgSizeBytes: number; options: unknown }[] = [];
  suite.paths.forEach((entry, pathIndex) => {
    const label = entry.label ?? entry.path;
    const named = wanted?.some((w) => w === label || w === entry.path) ?? false;
    if (!entry.enabled && !named) return;
    if (wanted && !named) return;
    const recipe = findRecipe(entry.path);
    if (!recipe?.openLoop) return;
    for (const msgSizeBytes of suite.search!.sizes ?? suite.sizes) {
      out.push({ pathIndex, msgSizeBytes, options: recipe.openLoop(pathOptions[pathIndex]) });
    }
  });
  return out;
}

export async function runSearches(
  loaded: LoadedSuite,
  firstIndex: number,
  /** Runs one trial inside the path's prepared environment; null when interrupted. */
  runOne: (planned: PlannedTrial, durationS: number) => Promise<TrialRecord | null>,
  onRecord: (planned: PlannedTrial, record: TrialRecord) => void,
): Promise<PathSearch[]> {
  const settings = loaded.suite.search;
  if (!settings) return [];
  const results: PathSearch[] = [];
  let index = firstIndex;
  for (const s of plannedSearches(loaded)) {
    const entry = loaded.suite.paths[s.pathIndex]!;
    const pathLabel = entry.label ?? entry.path;
    let interrupted = false;
    const loadBefore = loadavg()[0]!;
    const result = await searchThroughput(
      {
        minPps: settings.minPps,
        maxPps: settings.maxPps,
        goalWidth: settings.goalWidth,
        maxTrials: settings.maxTrials,
        lossTargets: { ndr: 0, pdr: settings.pdrLossRatio },
        trialDurationS: settings.trialDurationS,
        phaseDurationsS: settings.phaseDurationsS,
        exceedRatio: settings.exceedRatio,
        ...(settings.durationSumS === undefined ? {} : { durationSumS: settings.durationSumS }),
        ...(settings.generatorTolerance === undefined ? {} : { generatorTolerance: settings.generatorTolerance }),
      },
      async (offeredPps, step, ctx) => {
        const planned: PlannedTrial = {
          index: index++,
          trialId: `s${String(s.pathIndex + 1).padStart(2, '0')}-${s.msgSizeBytes}B-${String(step).padStart(2, '0')}`,
          pathIndex: s.pathIndex,
          path: entry.path,
          pathLabel,
          driver: entry.driver ?? findRecipe(entry.path)!.drivers[0]!,
          mode: (s.options as { mode?: string }).mode ?? 'open-loop',
          options: s.options,
          msgSizeBytes: s.msgSizeBytes,
          offeredPps,
          repetition: 1,
        };
        const record = await runOne(planned, ctx.trialDurationS);
        if (!record) {
          interrupted = true;
          return { achievedPps: null, lossRatio: null, status: 'failed', error: 'interrupted' };
        }
        const tagged: TrialRecord = { ...record, search: { kind: ctx.kind, step } };
        onRecord(planned, tagged);
        return { achievedPps: record.achievedPps, lossRatio: record.lossRatio, status: record.status, error: record.error };
      },
    );
    // What else ran: on a shared machine, loss follows other processes' CPU use (a fact for the reader, not a verdict).
    const machine = `1-min load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs during the search`;
    // A search stopped by a signal did not fail to measure: say what happened.
    const ended = interrupted
      ? {
          stopReason: 'interrupted' as const,
          stopDetail: `interrupted by a signal; the step it was running is not counted; so far: ${result.stopDetail}; ${machine}`,
        }
      : { stopDetail: `${result.stopDetail}; ${machine}` };
    results.push({ ...result, ...ended, pathLabel, path: entry.path, msgSizeBytes: s.msgSizeBytes });
    if (interrupted) break;
  }
  return results;
}

/** The suite's searches, each trial in its path's block, recorded as it finishes; then search.json. */
export async function runSearchPhase(run: OpenRun, blocks: PathBlocks, recorder: RunRecorder): Promise<void> {
  const searches = await runSearches(
    run.loaded,
    run.plan.length,
    (planned, durationS) => {
      const reason = unavailableReason(planned, run.host);
      if (reason) return Promise.resolve(unsupportedRecord(planned, run.runId, reason));
      run.emit({ type: 'trial:start', trial: planned, position: recorder.position, total: run.plan.length, phase: 'search' });
      return blocks.runTrial(planned, 'search', durationS, 0);
    },
    (planned, record) => recorder.record(planned, record),
  );
  run.folder.writeSearches(searches);
}
