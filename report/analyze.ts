// The analysis stage of a saved run: verdicts.json from trials.jsonl, search.json and the suite's
// verdict settings in run.json. Run at the end of `run` and again by `report`, so a saved run
// always gets the current rule.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeVerdicts, type SearchSummary, type VerdictSettings } from '../analysis/verdicts.js';
import type { Verdict } from '../analysis/selective-win.js';
import { loadRun } from '../core/run-store.js';

export function analyzeRun(runDir: string): { verdicts: Verdict[]; file: string } {
  const run = loadRun(runDir);
  const searchFile = join(runDir, 'search.json');
  const searches = existsSync(searchFile) ? (JSON.parse(readFileSync(searchFile, 'utf8')) as SearchSummary[]) : [];
  const settings = (run.meta.suite as { verdict?: VerdictSettings } | undefined)?.verdict ?? {};
  const verdicts = computeVerdicts(run.trials, searches, settings);
  const file = join(runDir, 'verdicts.json');
  writeFileSync(file, `${JSON.stringify(verdicts, null, 2)}\n`);
  return { verdicts, file };
}
