// The selective-win rule's vocabulary: its thresholds, what it reads about each path at one
// size × rate, and the verdict it gives with the checks behind it (rule: selective-win.ts).
import { UserError } from '../core/errors.js';
import type { P99Comparison } from './stats.js';

export interface SelectiveWinThresholds {
  /** Kernel share of the kernel path's p99 (kernel TX + RX, both sides) that makes the kernel the bottleneck. */
  kernelShareMin: number;
  /** Required p99 improvement, as a fraction of the kernel path's end-to-end p99. */
  gainMin: number;
  /** Highest coefficient of variation of the arrival rate that still counts as steady load. */
  steadyCvMax: number;
  /**
   * A path "holds" rate R when its loss ratio at R is ≤ lossGoal. Default 0.005 (0.5 %), the same
   * bar as the PDR search, so "sustains a rate the kernel cannot" means "R is below its PDR".
   */
  lossGoal: number;
  /**
   * Repetitions disagree when (max − min) / median of p99 over repetitions exceeds this; the
   * verdict is then insufficient-data. Default 0.5: a shared 2-vCPU VM easily moves p99 by tens of
   * per cent between runs, but beyond 50 % the median means little.
   */
  maxSpreadRel: number;
  /** Repetitions each side needs before a spread (check 4, agreement) can be judged. Default 2. */
  minRepetitions: number;
  /** Results measured under emulation (QEMU TCG) say nothing about real hardware. Default false. */
  includeEmulated: boolean;
}

export const DEFAULT_THRESHOLDS: Readonly<SelectiveWinThresholds> = Object.freeze({
  kernelShareMin: 0.5,
  gainMin: 0.25,
  steadyCvMax: 0.25,
  lossGoal: 0.005,
  maxSpreadRel: 0.5,
  minRepetitions: 2,
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
  kernelShareP50: number | null;
  kernelShareP99: number | null;
  components: { name: string; shareP99: number | null }[];
}

/** What the rule needs to know about one path at S and R (medians over ok repetitions). */
export interface PathSummary {
  pathLabel: string;
  p50Us: number | null;
  p99Us: number | null;
  /** p99 over repetitions; null when no repetition had one. */
  p99RangeUs: { min: number; max: number } | null;
  repetitionsOk: number;
  lossRatio: number | null;
  lossRange: { min: number; max: number } | null;
  coresBusy: number | null;
  nsPerPacket: number | null;
  emulated: boolean;
  /** From a throughput search at this size, when one ran. */
  ndrPps?: number | null;
  pdrPps?: number | null;
}

export interface DecisionInput {
  msgSizeBytes: number | null;
  /** null = closed loop. */
  offeredPps: number | null;
  kernel: PathSummary | null;
  attribution: KernelAttribution | null;
  bypass: PathSummary[];
  /** CV of the per-interval arrival rate at the receiver; null = not measured. */
  loadCv: number | null;
}

export type CheckStatus = 'passed' | 'failed' | 'unknown';

export interface KernelBottleneckCheck {
  status: CheckStatus;
  detail: string;
  kernelShareP99: number | null;
  kernelShareMin: number;
  /** The largest non-kernel component of p99, when attribution names one. */
  dominantNonKernel: { name: string; shareP99: number } | null;
  /** Kernel path exceeds the loss goal at R while the best bypass path holds it. */
  kernelLosesWhereBypassHolds: boolean | null;
}

export interface GainCheck {
  status: CheckStatus;
  detail: string;
  /** (kernel p99 − bypass p99) / kernel p99. */
  gainRel: number | null;
  gainMin: number;
  sustainsRateKernelCannot: boolean | null;
}

export interface SteadyLoadCheck {
  status: CheckStatus;
  detail: string;
  cv: number | null;
  steadyCvMax: number;
}

export interface BeyondSpreadCheck {
  status: CheckStatus;
  detail: string;
  /** Which difference was tested: p99 ranges, or loss ranges when the win is a sustained rate. */
  basis: 'p99' | 'loss';
  p99: P99Comparison | null;
}

export interface RuleChecks {
  kernelBottleneck: KernelBottleneckCheck;
  gain: GainCheck;
  steadyLoad: SteadyLoadCheck;
  beyondSpread: BeyondSpreadCheck;
}

export interface CpuComparison {
  kernelCoresBusy: number | null;
  bypassCoresBusy: number | null;
  /** bypass − kernel: > 0 means bypass spends that many more cores, < 0 saves them. */
  coresDelta: number | null;
  kernelNsPerPacket: number | null;
  bypassNsPerPacket: number | null;
}

export interface RepetitionAgreement {
  /** false: some path's p99 varies more than maxSpreadRel; null: too few repetitions to tell. */
  agree: boolean | null;
  kernelSpreadRel: number | null;
  bypassSpreadRel: number | null;
  maxSpreadRel: number;
}

export interface VerdictBase {
  msgSizeBytes: number | null;
  offeredPps: number | null;
  /** The sentence that decided the verdict, with its numbers. */
  reason: string;
  /** Every failed or unknown check's sentence, in rule order. */
  reasons: string[];
  bestBypassPath: string | null;
  kernelP99Us: number | null;
  bypassP99Us: number | null;
  /** kernel p99 − best bypass p99 (medians), µs; negative = bypass is slower. */
  expectedP99SavingUs: number | null;
  /** The same as a percentage of the kernel path's end-to-end p99. */
  expectedP99SavingPct: number | null;
  /** The most any bypass could save: kernel share of p99 × kernel p99, µs. */
  kernelAttributableP99Us: number | null;
  coresDelta: number | null;
  cpu: CpuComparison;
  checks: RuleChecks;
  repetitions: RepetitionAgreement;
  /** Bypass paths left out, and why (emulated, no p99). */
  excludedPaths: { pathLabel: string; why: string }[];
  thresholds: SelectiveWinThresholds;
  /** Which of the suite's verdict scenarios this belongs to (e.g. "bare", "app-heavy"); absent with one. */
  scenario?: string;
}

export type Verdict = (VerdictBase & { verdict: 'bypass-wins' }) | (VerdictBase & { verdict: 'no-win' }) | (VerdictBase & { verdict: 'insufficient-data' });

export type VerdictKind = Verdict['verdict'];
