// Where one trial's wall time goes, step by step, so a run can say which fixed costs surround
// its measured windows (run.json `timing`, core/run-timing.ts). The runner (runners/trial.ts)
// times each step with a StepClock; a step that did not happen (a failed trial) is absent.

/** A trial's wall time by step, seconds. */
export interface TrialSteps {
  /** The idle CPU baseline of the path's CPUs, nothing of the trial running (runners/trial-cpu.ts). */
  baselineS?: number;
  /** Services (servers, reflectors, tracers) spawned until each one is ready. */
  servicesStartS?: number;
  /** The measuring process, spawn to exit: its start-up, warm-up, counted window and exit pause. */
  toolS?: number;
  /** Of toolS: spawn to the start of the tool's counted window, when the recipe declares one. */
  toolStartS?: number;
  /** Of toolS: the counted window's end to the tool's exit, when the recipe declares one. */
  toolExitS?: number;
  /**
   * Of toolS: services started while the measuring tool slept in its quiet lead (sockperf UDP's
   * 2 s before its traffic), so no wall time of their own; servicesStartS is then absent.
   */
  leadServicesStartS?: number;
  /** Of toolS: the idle CPU baseline taken in the tool's quiet lead; baselineS is then absent. */
  leadBaselineS?: number;
  /** Services stopped after the measuring process exited. */
  servicesStopS?: number;
  /** The tools' outputs parsed (measuring process and services). */
  parseS?: number;
  /** Artifacts read and analysed (e.g. the probe's per-request records → attribution). */
  analysisS?: number;
}

export type TrialStep = keyof TrialSteps;

export const TRIAL_STEPS: readonly TrialStep[] = [
  'baselineS',
  'servicesStartS',
  'toolS',
  'toolStartS',
  'toolExitS',
  'leadServicesStartS',
  'leadBaselineS',
  'servicesStopS',
  'parseS',
  'analysisS',
];

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Times consecutive steps: each lap() charges the time since the previous lap to a step. */
export class StepClock {
  readonly steps: TrialSteps = {};
  private lastMs: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.lastMs = now();
  }

  /** Charges the time since the last lap (or the start) to `step`, adding to what it holds. */
  lap(step: TrialStep): void {
    const t = this.now();
    this.set(step, (this.steps[step] ?? 0) + (t - this.lastMs) / 1000);
    this.lastMs = t;
  }

  /** Sets a step measured elsewhere (seconds); not a lap, the clock does not move. */
  set(step: TrialStep, seconds: number): void {
    this.steps[step] = round3(Math.max(0, seconds));
  }

  /** Starts the next lap now without charging the time since the last one to any step. */
  skip(): void {
    this.lastMs = this.now();
  }
}
