// Where a run's wall time went: how much of it the tools spent counting (their measured windows)
// and how much went on start-up, warm-up, pauses, set-up and teardown. Written into run.json when
// the run ends and shown in the closing summary; the breakdown by step (`stepsS`, `runStepsS`,
// `byPath`) says which fixed costs surround the measured windows (`run --verbose` prints the largest).
import type { TrialRecord } from './trial.js';
import { TRIAL_STEPS, type TrialStep } from './trial-steps.js';

/** The run's own steps outside its trials, seconds. */
export interface RunSteps {
  /** Host check, plan, run folder, run.json. */
  openS: number;
  /** The default topology (namespaces, veth pair) made and, at the end, removed. */
  topologyS: number;
  /** Paths' extra set-up for a block of trials, and its undoing (runners/path-blocks.ts). */
  pathSetupS: number;
  /** Each finished trial appended to trials.jsonl and trials.csv. */
  recordS: number;
}

export type RunStep = keyof RunSteps;

export function emptyRunSteps(): RunSteps {
  return { openS: 0, topologyS: 0, pathSetupS: 0, recordS: 0 };
}

/** Adds up the run's own steps as they happen (one per run, on OpenRun). */
export class RunClock {
  readonly steps = emptyRunSteps();

  add(step: RunStep, seconds: number): void {
    this.steps[step] += Math.max(0, seconds);
  }

  /** Runs `fn`, charging its time to `step`. */
  async time<T>(step: RunStep, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(step, (performance.now() - t0) / 1000);
    }
  }
}

export interface PathTiming {
  trials: number;
  /** Mean wall time of one trial of the path, s. */
  trialS: number;
  /** Mean measured window of its ok trials with one, s; null when none has. */
  measuredS: number | null;
}

export interface RunTiming {
  /** From the run's start to its close (topology, set-up, every trial, teardown; not the report). */
  wallS: number;
  /** Sum of the measured windows the tools report (measuredS of every ok trial that has one). */
  measuredS: number;
  /** wallS / measuredS; null when nothing was measured. */
  wallToMeasured: number | null;
  /** Sum of the trials' own wall times (services, warm-up, the measuring process, teardown). */
  trialsS: number;
  /** Trials counted in measuredS, and ok trials whose tool reports no measured window (they only cost). */
  trialsMeasured: number;
  trialsWithoutWindow: number;
  /** Σ over the trials of each step (core/trial-steps.ts), s; toolStartS and toolExitS are parts of toolS. */
  stepsS?: Record<TrialStep, number>;
  /** Σ toolS − measuredS over the trials: what the measuring tools spend outside the window they count (all of it when they count none). */
  toolOutsideWindowS?: number;
  /** The run's own steps outside trials (absent for runs closed without a clock). */
  runStepsS?: RunSteps;
  /** Per path label, in the order the paths first ran. */
  byPath?: Record<string, PathTiming>;
  /** Analysis and report after the run closed (set once the report is written). */
  reportS?: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

function hasWindow(r: TrialRecord): boolean {
  return r.status === 'ok' && r.measuredS !== null && r.measuredS > 0;
}

function stepSums(records: readonly TrialRecord[]): Record<TrialStep, number> {
  const sums = Object.fromEntries(TRIAL_STEPS.map((s) => [s, 0])) as Record<TrialStep, number>;
  for (const r of records) for (const s of TRIAL_STEPS) sums[s] += r.stepsS?.[s] ?? 0;
  for (const s of TRIAL_STEPS) sums[s] = round2(sums[s]);
  return sums;
}

function byPath(records: readonly TrialRecord[]): Record<string, PathTiming> {
  const out: Record<string, PathTiming> = {};
  const groups = new Map<string, TrialRecord[]>();
  for (const r of records) groups.set(r.pathLabel, [...(groups.get(r.pathLabel) ?? []), r]);
  for (const [label, rs] of groups) {
    const windows = rs.filter(hasWindow);
    out[label] = {
      trials: rs.length,
      trialS: round3(rs.reduce((s, r) => s + r.durationS, 0) / rs.length),
      measuredS: windows.length ? round3(windows.reduce((s, r) => s + r.measuredS!, 0) / windows.length) : null,
    };
  }
  return out;
}

export function runTiming(wallS: number, records: readonly TrialRecord[], runSteps?: RunSteps): RunTiming {
  const ok = records.filter((r) => r.status === 'ok');
  const measured = ok.filter(hasWindow);
  const measuredS = measured.reduce((s, r) => s + r.measuredS!, 0);
  const timed = records.filter((r) => r.stepsS?.toolS !== undefined);
  return {
    wallS: round2(wallS),
    measuredS: round2(measuredS),
    wallToMeasured: measuredS > 0 ? round2(wallS / measuredS) : null,
    trialsS: round2(records.reduce((s, r) => s + r.durationS, 0)),
    trialsMeasured: measured.length,
    trialsWithoutWindow: ok.length - measured.length,
    stepsS: stepSums(records),
    ...(timed.length ? { toolOutsideWindowS: round2(timed.reduce((s, r) => s + Math.max(0, r.stepsS!.toolS! - (hasWindow(r) ? r.measuredS! : 0)), 0)) } : {}),
    ...(runSteps
      ? {
          runStepsS: {
            openS: round2(runSteps.openS),
            topologyS: round2(runSteps.topologyS),
            pathSetupS: round2(runSteps.pathSetupS),
            recordS: round2(runSteps.recordS),
          },
        }
      : {}),
    byPath: byPath(records),
  };
}

/** One line for people: "wall 152 s for 101 s measured (1.50×)". */
export function formatRunTiming(t: RunTiming): string {
  const ratio = t.wallToMeasured === null ? 'nothing measured' : `${t.wallToMeasured.toFixed(2)}× the measured time`;
  const setup = Math.max(0, t.wallS - t.trialsS);
  return (
    `time: ${t.wallS.toFixed(0)} s wall for ${t.measuredS.toFixed(1)} s measured (${ratio}); ` +
    `${setup.toFixed(0)} s outside trials (topology, path set-up)` +
    (t.trialsWithoutWindow > 0 ? `; ${t.trialsWithoutWindow} ok trials report no measured window` : '')
  );
}

/** What each fixed cost is, for people. */
const COST_NAMES: Record<string, string> = {
  toolOutsideWindow: "measuring tools outside their counted window (start-up, warm-up, the tool's own pauses, exit)",
  baselineS: 'idle CPU baseline before each trial',
  servicesStartS: 'services started and ready',
  servicesStopS: 'services stopped',
  parseS: 'outputs parsed',
  analysisS: 'artifacts read and analysed (per-request records)',
  trialOther: 'rest of the trials (plan, checks, CPU accounting)',
  openS: 'run opened (host check, run folder)',
  topologyS: 'topology up and down',
  pathSetupS: 'path set-up and teardown',
  recordS: 'records appended',
  runOther: 'rest of the run (between trials)',
};

/** The costs outside the measured windows, largest first: [what, seconds]. */
export function fixedCosts(t: RunTiming): [string, number][] {
  if (!t.stepsS) return [];
  const steps = t.stepsS;
  const named = steps.baselineS + steps.servicesStartS + steps.toolS + steps.servicesStopS + steps.parseS + steps.analysisS;
  const costs: [string, number][] = [
    ['toolOutsideWindow', t.toolOutsideWindowS ?? 0],
    ['baselineS', steps.baselineS],
    ['servicesStartS', steps.servicesStartS],
    ['servicesStopS', steps.servicesStopS],
    ['parseS', steps.parseS],
    ['analysisS', steps.analysisS],
    // Trial wall time no step accounts for (the plan, availability checks, CPU bookkeeping).
    ['trialOther', t.trialsS - named],
  ];
  if (t.runStepsS) {
    const run = t.runStepsS;
    costs.push(['openS', run.openS], ['topologyS', run.topologyS], ['pathSetupS', run.pathSetupS], ['recordS', run.recordS]);
    costs.push(['runOther', t.wallS - t.trialsS - (run.openS + run.topologyS + run.pathSetupS + run.recordS)]);
  }
  return costs
    .filter(([, s]) => s > 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([k, s]) => [COST_NAMES[k] ?? k, round2(s)]);
}

/** The breakdown for `run --verbose`: the largest fixed costs and each path's trial against its window. */
export function formatTimingDetail(t: RunTiming, top = 6): string[] {
  const lines = fixedCosts(t)
    .slice(0, top)
    .map(([what, s]) => `  ${s.toFixed(1).padStart(6)} s  ${what}`);
  if (lines.length) lines.unshift('fixed costs outside the measured windows (largest first):');
  // The measuring tools' own lives (start-up, warm-up, pauses, exit included) against what they
  // counted: the floor of wall ÷ measured for trials run one after another, whatever the orchestrator does.
  if (t.stepsS && t.stepsS.toolS > 0 && t.measuredS > 0) {
    lines.push(
      `  the measuring tools alone ran ${t.stepsS.toolS.toFixed(1)} s, ${(t.stepsS.toolS / t.measuredS).toFixed(2)}× the measured time (the floor for trials in sequence)`,
    );
  }
  // Parts of the tools' time, not extra: what ran while a tool slept before its traffic (runners/trial.ts).
  const overlapped = (t.stepsS?.leadServicesStartS ?? 0) + (t.stepsS?.leadBaselineS ?? 0);
  if (overlapped > 0.005) {
    lines.push(
      `  (${overlapped.toFixed(1)} s of service start-up and idle baseline ran inside the tools' quiet lead, sockperf's sleep before its traffic: no wall time of their own)`,
    );
  }
  for (const [label, p] of Object.entries(t.byPath ?? {})) {
    const window = p.measuredS === null ? 'no counted window' : `${p.measuredS.toFixed(2)} s counted`;
    lines.push(`  ${label}: ${p.trials} trials, ${p.trialS.toFixed(2)} s each for ${window}`);
  }
  if (t.reportS !== undefined) lines.push(`  report: ${t.reportS.toFixed(1)} s (after the run closed; not in wall)`);
  return lines;
}
