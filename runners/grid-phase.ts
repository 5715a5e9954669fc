// The grid: every planned trial of a local (netns) path, in plan order, each in its path's
// block. Trials of VM paths are set aside for one boot of the Soft-RoCE VM afterwards.
import type { PlannedTrial } from '../suites/plan.js';
import type { OpenRun } from './open-run.js';
import type { PathBlocks } from './path-blocks.js';
import type { RunRecorder } from './recorder.js';
import { isVmTrial } from './vm-batch.js';

/** Runs the netns trials of the plan; returns the VM trials it left for the VM phase. */
export async function runGrid(run: OpenRun, blocks: PathBlocks, recorder: RunRecorder): Promise<PlannedTrial[]> {
  const { suite } = run.loaded;
  const vmTrials: PlannedTrial[] = [];
  for (const planned of run.plan) {
    if (run.signal.aborted) break;
    if (isVmTrial(planned)) {
      vmTrials.push(planned);
      continue;
    }
    const position = recorder.advance();
    run.emit({ type: 'trial:start', trial: planned, position, total: run.plan.length, phase: 'grid' });
    const record = await blocks.runTrial(planned, 'grid', suite.durationS, suite.warmupS);
    if (!record) break; // interrupted mid-trial: nothing half-measured is recorded
    recorder.record(planned, record);
  }
  return vmTrials;
}
