// Executing a whole suite, in named steps: open the run (host check, plan, run folder, run.json),
// bring up the topology, run the grid of planned trials, the throughput searches and the VM
// trials, and close the run — tearing everything down on success, error or interruption.
// Progress is reported as typed events (runners/run-events.ts); drawing them is the CLI's job.
import { UserError } from '../core/errors.js';
import type { TrialRecord, TrialStatus } from '../core/trial.js';
import { closeRun, releaseMounts, type RunOutcome } from './close-run.js';
import type { RunTiming } from '../core/run-timing.js';
import { runGrid } from './grid-phase.js';
import type { NetnsTopology } from './netns.js';
import { openRun, setUpTopology, timed, type RunOptions } from './open-run.js';
import { PathBlocks } from './path-blocks.js';
import { RunRecorder } from './recorder.js';
import type { RunStatus } from './run-events.js';
import { runSearchPhase } from './search-phase.js';
import { runTraceOverheadPhase } from './trace-overhead-phase.js';
import { runVmPhase } from './vm-phase.js';

export interface RunSummary {
  runId: string;
  runDir: string;
  status: RunStatus;
  records: TrialRecord[];
  counts: Record<TrialStatus, number>;
  error?: string;
  /** Wall time against measured time (also in run.json). */
  timing: RunTiming | null;
}

export async function executeRun(opts: RunOptions): Promise<RunSummary> {
  const run = await openRun(opts);
  const { signal } = run;
  const recorder = new RunRecorder(run);
  const cpuAtStart = process.cpuUsage();
  let topology: NetnsTopology | null = null;
  let blocks: PathBlocks | null = null;
  let outcome: RunOutcome = { status: 'completed' };
  try {
    topology = await timed(run, 'topologyS', () => setUpTopology(run));
    blocks = new PathBlocks(run, topology);
    const vmTrials = await runGrid(run, blocks, recorder);
    if (!signal.aborted && run.loaded.suite.search) await runSearchPhase(run, blocks, recorder);
    if (!signal.aborted && run.loaded.suite.traceOverhead) await runTraceOverheadPhase(run, blocks, run.loaded.suite.traceOverhead);
    await blocks.end();
    await runVmPhase(run, vmTrials, recorder);
    if (signal.aborted) outcome = { status: 'interrupted' };
  } catch (err) {
    outcome = { status: signal.aborted ? 'interrupted' : 'failed', error: (err as Error).message };
    if (err instanceof UserError) throw err;
  } finally {
    await blocks?.end().catch(() => undefined);
    await timed(run, 'topologyS', async () => topology?.destroy());
    await releaseMounts(run.ledger).catch(() => undefined);
    closeRun(run, outcome, recorder.counts, cpuAtStart, recorder.records);
  }
  return { runId: run.runId, runDir: run.folder.dir, ...outcome, records: recorder.records, counts: recorder.counts, timing: run.meta.timing ?? null };
}
