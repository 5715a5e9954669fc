// Trials run in blocks of consecutive trials of one path: the path's extra set-up (links,
// namespaces, hugepages …) is made when a block starts and undone when it ends, so the next path
// finds the default topology as it was.
import type { TrialRecord } from '../core/trial.js';
import { getNetnsRecipe } from '../paths/registry.js';
import type { PlannedTrial } from '../suites/plan.js';
import type { NetnsTopology } from './netns.js';
import { timed, type OpenRun } from './open-run.js';
import { NOTHING_PREPARED, setUpPath, type PathSetUp } from './path-setup.js';
import type { TrialPhase } from './run-events.js';
import { runTrial, unavailableReason } from './trial.js';

type BlockSetUp = { kind: 'ready'; setUp: PathSetUp } | { kind: 'skipped' } | { kind: 'failed'; error: string };

export class PathBlocks {
  private block: { key: string; setUp: BlockSetUp } | null = null;

  constructor(
    private readonly run: OpenRun,
    private readonly topology: NetnsTopology,
  ) {}

  /** One trial inside its path's set-up (made when the block changes); null when interrupted. */
  async runTrial(planned: PlannedTrial, phase: TrialPhase, durationS: number, warmupS: number): Promise<TrialRecord | null> {
    const { run } = this;
    const key = `${phase}/${planned.repetition}/${planned.pathIndex}`;
    if (this.block?.key !== key) {
      await this.end();
      this.block = { key, setUp: await timed(run, 'pathSetupS', () => this.setUp(planned)) };
    }
    const { setUp } = this.block;
    return runTrial(planned, {
      runId: run.runId,
      runDir: run.folder.dir,
      rawDir: run.folder.rawDir,
      topology: this.topology,
      cpu: run.cpu,
      host: run.host,
      ledger: run.ledger,
      durationS,
      warmupS,
      // The suite's own value is used as given (load checks it exceeds every trial's duration).
      trialTimeoutS: run.loaded.suite.trialTimeoutS ?? durationS * 2 + 20,
      signal: run.signal,
      prepared: setUp.kind === 'ready' ? setUp.setUp.prepared : NOTHING_PREPARED,
      setupError: setUp.kind === 'failed' ? setUp.error : null,
    });
  }

  /** Undoes the current block's set-up, if any. */
  async end(): Promise<void> {
    const setUp = this.block?.setUp;
    if (setUp?.kind === 'ready') await timed(this.run, 'pathSetupS', () => setUp.setUp.teardown());
    this.block = null;
  }

  /** A path whose drivers are unavailable is not set up; a failed set-up fails its trials, not the run. */
  private async setUp(planned: PlannedTrial): Promise<BlockSetUp> {
    const { run } = this;
    if (unavailableReason(planned, run.host)) return { kind: 'skipped' };
    try {
      return { kind: 'ready', setUp: await setUpPath(getNetnsRecipe(planned.path), planned.options, this.topology, run.ledger, run.shortId) };
    } catch (err) {
      return { kind: 'failed', error: (err as Error).message };
    }
  }
}
