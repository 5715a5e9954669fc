// The VM phase: every trial of a VM path (Soft-RoCE) in one boot of the project's QEMU VM, after
// the local trials. Trials that cannot run here are recorded as unsupported; a VM that fails to
// run fails its trials, not the run.
import { UserError } from '../core/errors.js';
import type { PlannedTrial } from '../suites/plan.js';
import type { OpenRun } from './open-run.js';
import { unsupportedRecord, type RunRecorder } from './recorder.js';
import { unavailableReason } from './trial.js';
import { runVmBatch } from './vm-batch.js';

export async function runVmPhase(run: OpenRun, vmTrials: readonly PlannedTrial[], recorder: RunRecorder): Promise<void> {
  const runnable: PlannedTrial[] = [];
  for (const t of vmTrials) {
    const reason = unavailableReason(t, run.host);
    if (reason === null) {
      runnable.push(t);
      continue;
    }
    recorder.advance();
    recorder.record(t, unsupportedRecord(t, run.runId, reason));
  }
  if (runnable.length === 0 || run.signal.aborted) return;
  run.emit({ type: 'warning', message: `running ${runnable.length} Soft-RoCE trials in the QEMU VM (emulated; the first run builds the image)` });
  try {
    const batch = await runVmBatch(runnable, {
      runId: run.runId,
      runDir: run.folder.dir,
      rawDir: run.folder.rawDir,
      durationS: run.loaded.suite.durationS,
      signal: run.signal,
    });
    run.meta.softRoceVm = batch.meta;
    for (const [k, record] of batch.records.entries()) {
      recorder.advance();
      recorder.record(runnable[k]!, record);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    for (const t of runnable) {
      recorder.advance();
      recorder.record(t, { ...unsupportedRecord(t, run.runId, (err as Error).message), status: 'failed' });
    }
  }
}
