// The analysis stage of a saved run: verdicts.json from trials.jsonl, search.json and the suite's
// verdict settings in run.json. Run at the end of `run` and again by `report`, so a saved run
// always gets the current rule.
import { computeVerdicts } from '../analysis/verdicts.js';
import type { Verdict } from '../analysis/selective-win.js';
import { RunFolder } from '../core/run-folder.js';

export function analyzeRun(runDir: string): { verdicts: Verdict[]; file: string } {
  const folder = RunFolder.open(runDir);
  const meta = folder.readMeta();
  const verdicts = computeVerdicts(folder.readTrials(), folder.readSearches() ?? [], meta.suite.verdict ?? {});
  return { verdicts, file: folder.writeVerdicts(verdicts) };
}
