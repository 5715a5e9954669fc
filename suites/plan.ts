// Expanding a suite into the ordered list of trials. Pure: the same suite gives the same plan,
// which `run --dry-run` prints and run.json records.
import type { PathName } from '../core/trial.js';
import type { LoadedSuite } from './load.js';
import type { RateSweep } from './schema.js';
import { findRecipe } from '../paths/registry.js';

export interface PlannedTrial {
  /** 0-based position in the plan; also decides the trial's port. */
  index: number;
  trialId: string;
  pathIndex: number;
  path: PathName;
  pathLabel: string;
  driver: string;
  mode: string;
  options: unknown;
  msgSizeBytes: number;
  offeredPps: number | null;
  repetition: number;
}

/** `points` log-spaced rates from `from` to `to`, rounded, duplicates dropped. */
export function logSweep({ from, to, points }: RateSweep): number[] {
  const ratio = Math.log(to / from) / (points - 1);
  const rates = Array.from({ length: points }, (_, i) => Math.round(from * Math.exp(ratio * i)));
  rates[rates.length - 1] = to;
  return [...new Set(rates)];
}

export function offeredRates(loaded: LoadedSuite): (number | null)[] {
  const { rates, closedLoop } = loaded.suite;
  const list: (number | null)[] = rates === undefined ? [] : Array.isArray(rates) ? [...rates] : logSweep(rates);
  if (closedLoop) list.push(null);
  return list;
}

/**
 * Repetitions are the outer loop so that slow drift on a shared machine spreads over every
 * path and rate instead of biasing whichever ran last.
 */
export function planTrials(loaded: LoadedSuite): PlannedTrial[] {
  const { suite, pathOptions } = loaded;
  const rates = offeredRates(loaded);
  const trials: PlannedTrial[] = [];
  for (let repetition = 1; repetition <= suite.repetitions; repetition++) {
    suite.paths.forEach((entry, pathIndex) => {
      if (!entry.enabled) return;
      const options = pathOptions[pathIndex];
      const mode = typeof (options as { mode?: unknown })?.mode === 'string' ? (options as { mode: string }).mode : 'default';
      const label = entry.label ?? entry.path;
      // A path without a rate limiter (perftest latency tests) runs closed loop once per size.
      const recipe = findRecipe(entry.path);
      let pathRates = recipe && !recipe.acceptsOfferedRate(options) ? [null] : rates;
      if (recipe?.acceptsClosedLoop && !recipe.acceptsClosedLoop(options)) pathRates = pathRates.filter((r) => r !== null);
      for (const msgSizeBytes of suite.sizes) {
        for (const offeredPps of pathRates) {
          const index = trials.length;
          trials.push({
            index,
            trialId: `t${String(index + 1).padStart(4, '0')}`,
            pathIndex,
            path: entry.path,
            pathLabel: label,
            driver: entry.driver ?? findRecipe(entry.path)?.drivers[0] ?? entry.path,
            mode,
            options,
            msgSizeBytes,
            offeredPps,
            repetition,
          });
        }
      }
    });
  }
  return trials;
}
