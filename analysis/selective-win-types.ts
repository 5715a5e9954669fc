// The selective-win rule's vocabulary: its thresholds, what it reads about each path at one
// size × rate, and the verdict it gives with the checks behind it (rule: selective-win.ts).
import { UserError } from '../core/errors.js';
import type { SelectiveWinThresholds } from '../core/verdict.js';

// A verdict's types are declared with verdicts.json, which stores them (core/verdict.ts).
export type {
  BeyondSpreadCheck,
  CheckStatus,
  CpuComparison,
  GainCheck,
  KernelBottleneckCheck,
  RepetitionAgreement,
  RuleChecks,
  ScenarioSaving,
  SelectiveWinThresholds,
  ServiceShares,
  ServiceVerdictDetail,
  SteadyLoadCheck,
  Verdict,
  VerdictSource,
  VerdictBase,
  VerdictKind,
} from '../core/verdict.js';

export const DEFAULT_THRESHOLDS: Readonly<SelectiveWinThresholds> = Object.freeze({
  kernelShareMin: 0.5,
  gainMin: 0.25,
  steadyCvMax: 0.25,
  lossGoal: 0.005,
  maxSpreadRel: 0.5,
  minRepetitions: 3,
  alpha: 0.05,
  includeEmulated: false,
});

/** Defaults filled in and every field range-checked; a bad value names its field. */
export function resolveThresholds(partial: Partial<SelectiveWinThresholds> = {}, field = 'thresholds'): SelectiveWinThresholds {
  // An explicit undefined (an absent YAML key) keeps the default rather than erasing it.
  const given = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<SelectiveWinThresholds>;
  const t: SelectiveWinThresholds = { ...DEFAULT_THRESHOLDS, ...given };
  const ratio = (name: 'kernelShareMin' | 'gainMin' | 'lossGoal', hi: number) => {
    const v = t[name];
    if (!(typeof v === 'number' && v >= 0 && v <= hi)) throw new UserError(`${field}.${name} must be a number in [0, ${hi}], got ${String(v)}`);
  };
  ratio('kernelShareMin', 1);
  ratio('gainMin', 1);
  ratio('lossGoal', 1);
  if (!(typeof t.steadyCvMax === 'number' && t.steadyCvMax >= 0))
    throw new UserError(`${field}.steadyCvMax must be a number ≥ 0, got ${String(t.steadyCvMax)}`);
  if (!(typeof t.maxSpreadRel === 'number' && t.maxSpreadRel > 0))
    throw new UserError(`${field}.maxSpreadRel must be a number > 0, got ${String(t.maxSpreadRel)}`);
  if (!(Number.isInteger(t.minRepetitions) && t.minRepetitions >= 1)) {
    throw new UserError(`${field}.minRepetitions must be an integer ≥ 1, got ${String(t.minRepetitions)}`);
  }
  if (!(typeof t.alpha === 'number' && t.alpha > 0 && t.alpha < 0.5))
    throw new UserError(`${field}.alpha must be a number in (0, 0.5), got ${String(t.alpha)}`);
  if (typeof t.includeEmulated !== 'boolean') throw new UserError(`${field}.includeEmulated must be true or false, got ${String(t.includeEmulated)}`);
  return t;
}

/**
 * Where the kernel path's latency goes, at S and R (from the attribution stage). Shares are
 * fractions of end-to-end latency, 0..1. Components whose name starts with "kernel" are the
 * kernel's own (TX/RX); the rest (serialization, application, runtime-pauses, hops, nic-wire …)
 * are the alternatives to blame.
 */
export interface KernelAttribution {
  /** Kernel TX + RX (both sides) of p50/p99, wake-up included (kernel RX counts waiting to run). */
  kernelShareP50: number | null;
  kernelShareP99: number | null;
  /** says: the sentence naming it when it dominates, e.g. "GC pauses dominate" (else "<name> is x % of p99"). */
  components: { name: string; shareP99: number | null; says?: string }[];
  /**
   * The part of kernelShareP99 that is waiting to run (sched_wakeup → sched_switch, measured):
   * removable by busy polling, so not credited to bypass when a tuned kernel reference was
   * measured. null/absent = not measured.
   */
  wakeupShareP99?: number | null;
  /** Why kernelShareP99 is null although attribution ran (too few requests in the p99 band). */
  shareP99Reason?: string;
  /** Independent attribution checks that failed (timestamp order, NIC/wire ≥ 0, probe vs kernel RTT): non-empty → insufficient-data. */
  checkFailures?: string[];
  /** The probe's own end-to-end RTT in this experiment (medians over repetitions), µs: what its shares are shares of. */
  rttP50Us?: number | null;
  rttP99Us?: number | null;
  wakeupShareP50?: number | null;
  /** The experiment: the attribution entry's label and its trials. */
  source?: ExperimentRef | null;
  /** What the experiment is called in sentences ("service java"); absent = the probe. */
  subject?: string;
}

/** One experiment a number came from: a path entry (its label) and its trials at this size × rate. */
export interface ExperimentRef {
  pathLabel: string;
  trialIds: string[];
}

/** What the rule needs to know about one path at S and R (medians over ok repetitions). */
export interface PathSummary {
  pathLabel: string;
  p50Us: number | null;
  p99Us: number | null;
  /** p99 over repetitions; null when no repetition had one. */
  p99RangeUs: { min: number; max: number } | null;
  /** Each ok repetition's p99, for check 4's test; absent = only the range is known (then check 4 compares ranges, descriptively). */
  p99ValuesUs?: number[];
  repetitionsOk: number;
  lossRatio: number | null;
  lossRange: { min: number; max: number } | null;
  coresBusy: number | null;
  nsPerPacket: number | null;
  /** Median achieved rate; a tuned reference more than 2 % below R is not used as a latency at R. */
  achievedPps?: number | null;
  emulated: boolean;
  /** From a throughput search at this size, when one ran. */
  ndrPps?: number | null;
  pdrPps?: number | null;
  /** The trials the medians come from. */
  trialIds?: string[];
}

export interface DecisionInput {
  msgSizeBytes: number | null;
  /** null = closed loop. */
  offeredPps: number | null;
  /** The default kernel path (its attribution describes it). */
  kernel: PathSummary | null;
  /** Tuned kernel references (busy-polling sockets); the rule compares bypass with the best kernel. */
  tunedKernels?: PathSummary[];
  attribution: KernelAttribution | null;
  bypass: PathSummary[];
  /** CV of the per-interval arrival rate at the receiver; null = not measured. */
  loadCv: number | null;
  /**
   * Scenario mode (verdict.scenarios): the attribution describes an application scenario, so the
   * saving is judged against that scenario's own RTT (see selective-win-scenario.ts).
   */
  scenario?: string;
}
