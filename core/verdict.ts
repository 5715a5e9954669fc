// A verdict of the selective-win rule (analysis/selective-win.ts decides it) and the settings that
// steer the rule. Declared here because verdicts.json stores verdicts and run.json the settings
// (the suite's `verdict:`), and every stage reads them from there (core/run-folder.ts).
import { UserError } from './errors.js';
import { isNumberOrNull } from './json-access.js';
import { checkRecordArray } from './validate.js';

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
  /**
   * Repetitions each side needs before check 4 and the agreement can be judged. Default 3: with 2
   * per side no test can tell two identical paths apart from different ones often enough.
   */
  minRepetitions: number;
  /**
   * False-discovery rate of check 4's tests, over every size × rate of one verdict set
   * (Benjamini–Hochberg). Default 0.05. Absent in settings written before it existed.
   */
  alpha?: number;
  /** Results measured under emulation (QEMU TCG) say nothing about real hardware. Default false. */
  includeEmulated: boolean;
}

/**
 * Check 4's test: is the best bypass path's p99 lower than the best kernel's by more than the
 * noise between repetitions? (analysis/significance.ts, shiftTest)
 */
export interface ShiftTest {
  /** Welch's t-test on the natural log of each repetition's p99 (a ratio test: log-normal-ish p99s). */
  method: 'welch-t-log';
  /** One-sided: the alternative is "bypass p99 lower than kernel p99". */
  alternative: 'less';
  kernelN: number;
  bypassN: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** One-sided p-value of this comparison alone. */
  pValue: number;
  /** Benjamini–Hochberg adjusted p-value over `comparisons` tests of the verdict set; null when not adjusted. */
  qValue: number | null;
  comparisons: number;
  alpha: number;
  /** Geometric-mean p99 ratio, bypass / kernel (0.6 = bypass 40 % lower). */
  ratio: number;
  /** Confidence interval of `ratio` (Welch t, level 1 − 2α, so its upper end is below 1 exactly when p < α); per comparison, not corrected. */
  ci: { level: number; low: number; high: number; what: string };
}

export interface P99Comparison {
  /**
   * With a test (`test` set): true when the test finds bypass lower at the corrected level.
   * Without one (per-repetition values not given): true when the p99 ranges over repetitions do
   * not overlap (a description, not a test); false: they overlap; null: fewer than minRepetitions on a side.
   * With 3 repetitions each, two identical paths separate by chance 10 % of the time (2 · 3!3!/6!);
   * with 2 each, 33 %: use 3 or more repetitions for decisions.
   */
  differs: boolean | null;
  /** b's median p99 − a's median p99, µs; negative = b is faster. */
  deltaUs: number | null;
  /** deltaUs / a's median p99. */
  deltaRel: number | null;
  /** One sentence with the numbers. */
  reason: string;
  /** The test that decided `differs`, when per-repetition values were given. */
  test?: ShiftTest;
}

export type CheckStatus = 'passed' | 'failed' | 'unknown';

export interface KernelBottleneckCheck {
  status: CheckStatus;
  detail: string;
  /** Kernel share of p99 as the attribution gives it (wake-up included). */
  kernelShareP99: number | null;
  /** Wake-up share of p99 (waiting to run), when measured: busy polling removes it too. */
  wakeupShareP99?: number | null;
  /**
   * The share the check judged: the kernel share without wake-up when a tuned (busy-polling)
   * kernel reference was measured, else the kernel share itself.
   */
  kernelShareJudgedP99?: number | null;
  kernelShareMin: number;
  /** The largest non-kernel component of p99, when attribution names one ("says": its sentence, e.g. "GC pauses dominate"). */
  dominantNonKernel: { name: string; shareP99: number; says?: string } | null;
  /** The best kernel configuration exceeds the loss goal at R while the best bypass path holds it. */
  kernelLosesWhereBypassHolds: boolean | null;
}

export interface GainCheck {
  status: CheckStatus;
  detail: string;
  /** (best kernel p99 − bypass p99) / best kernel p99: what decides. */
  gainRel: number | null;
  /** (default kernel p99 − bypass p99) / default kernel p99: shown beside it. */
  gainVsDefaultRel?: number | null;
  /**
   * Share of the default → bypass p99 gap that the best tuned kernel reference closes without
   * bypass ((default − tuned) / (default − bypass)); null without a tuned reference or a gap.
   */
  tunedClosesGapRel?: number | null;
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
  /** The best kernel configuration's cores (the default kernel when no tuned reference was measured). */
  kernelCoresBusy: number | null;
  bypassCoresBusy: number | null;
  /** bypass − best kernel: > 0 means bypass spends that many more cores, < 0 saves them. */
  coresDelta: number | null;
  /** The default kernel path's cores, and bypass − default. */
  defaultKernelCoresBusy?: number | null;
  coresDeltaVsDefault?: number | null;
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

/** What every verdict carries, whichever it is. */
export interface VerdictBase {
  msgSizeBytes: number | null;
  offeredPps: number | null;
  /** The sentence that decided the verdict, with its numbers. */
  reason: string;
  /** Every failed or unknown check's sentence, in rule order. */
  reasons: string[];
  bestBypassPath: string | null;
  /** The default kernel path's p99 (median over repetitions). */
  kernelP99Us: number | null;
  /**
   * The best kernel configuration at this size × rate: lowest p99 among the default kernel path
   * and the tuned references that hold the loss goal. Absent in verdicts written before tuned
   * references existed (read as the default kernel).
   */
  bestKernelPath?: string | null;
  bestKernelP99Us?: number | null;
  /** Whether the best kernel is a tuned reference (busy polling) rather than the default path. */
  bestKernelTuned?: boolean | null;
  bypassP99Us: number | null;
  /** best kernel p99 − best bypass p99 (medians), µs; negative = bypass is slower. What decides. */
  expectedP99SavingUs: number | null;
  /** The same as a percentage of the best kernel's end-to-end p99. */
  expectedP99SavingPct: number | null;
  /** default kernel p99 − best bypass p99, µs, and as a percentage of the default kernel's p99. */
  savingVsDefaultUs?: number | null;
  savingVsDefaultPct?: number | null;
  /** The most any bypass could save: kernel share of p99 × kernel p99, µs. */
  kernelAttributableP99Us: number | null;
  /** Bypass − best kernel cores (see cpu for both kernels). */
  coresDelta: number | null;
  cpu: CpuComparison;
  checks: RuleChecks;
  repetitions: RepetitionAgreement;
  /** Bypass paths left out, and why (emulated, no p99). */
  excludedPaths: { pathLabel: string; why: string }[];
  thresholds: SelectiveWinThresholds;
  /** Which of the suite's verdict scenarios this belongs to (e.g. "bare", "app-heavy"); absent with one. */
  scenario?: string;
  /** Scenario mode: the scenario's own RTT, its kernel part and the saving bypass would make of it (all from the scenario's probe trials). */
  scenarioSaving?: ScenarioSaving | null;
  /** Where each number came from: the path entry and trials at this size × rate, and how it was computed. */
  sources?: VerdictSource[];
  /** A service's verdict (a `service` path): its own attribution, from the same trials (scenario is then "service <label>"). */
  service?: ServiceVerdictDetail;
}

/** Shares of a service's RTT band (p50 band or ≥ p99 tail), medians over repetitions; null = not observed. */
export interface ServiceShares {
  /** Kernel RX work + kernel TX on the service side (measured by tracepoints). */
  kernel: number | null;
  /** Waiting to run (sched_wakeup → sched_switch) before the receive returned. */
  wakeup: number | null;
  queueing: number | null;
  /** Runtime (GC) pauses from the runtime's own log. */
  pauses: number | null;
  /** The handler, serialization included (an unmodified service does not expose it apart). */
  application: number | null;
  /** A chain's hop (downstream service and its network legs), downstream pauses included. */
  hops: number | null;
  /** The client's kernel and the wire: a remainder on the service side. */
  clientAndWire: number | null;
}

/** What a service's verdict was judged on (analysis/selective-win-service.ts). */
export interface ServiceVerdictDetail {
  label: string;
  trials: number;
  /** Repetitions whose attribution was ok. */
  attributed: number;
  /** Answered requests over the cell's trials, and the share matched to the service's events. */
  requests: number;
  matchedRatio: number | null;
  minMatchedRatio: number;
  rttP50Us: number | null;
  rttP99Us: number | null;
  sharesP50: ServiceShares;
  sharesP99: ServiceShares;
  /** A chain's downstream runtime pauses inside the hop, share of the p99 tail; null = not a chain or not observed. */
  downstreamPausesShareP99: number | null;
  /** Where the pauses came from; null = "pauses: not observed". */
  pausesObserved: string | null;
  serialization: string | null;
}

/** A verdict number and the experiments behind it. */
export interface VerdictSource {
  /** The verdict field, e.g. "bypassP99Us", "kernelAttributableP99Us". */
  field: string;
  from: { pathLabel: string; trialIds: string[] }[];
  /** How it was computed from them, in words with the operands. */
  how: string;
}

/**
 * One experiment per verdict, in a scenario: the probe's RTT in the scenario (p50, p99), the
 * kernel's part of it measured there (share × RTT), the part the rule credits to bypass (without
 * wake-up when a busy-polling kernel was measured: busy polling removes that too), and the saving
 * = the bypass path's relative p99 cut of the best kernel's network round trip, applied to that
 * part, as µs and as a share of the scenario's RTT p99.
 */
export interface ScenarioSaving {
  scenario: string;
  /** What the sentences call it ("scenario app-heavy", "service java"); absent = "scenario <name>". */
  subject?: string;
  rttP50Us: number | null;
  rttP99Us: number | null;
  kernelP50Us: number | null;
  kernelP99Us: number | null;
  /** The kernel part bypass could remove (kernelP99Us less wake-up when a tuned kernel was measured). */
  creditedKernelP99Us: number | null;
  /** (best kernel p99 − bypass p99) / best kernel p99, from the bare paths at this size × rate. */
  bypassCutRel: number | null;
  savingP99Us: number | null;
  /** savingP99Us as a % of the scenario's RTT p99: what the gain check judges in scenario mode. */
  savingPct: number | null;
}

export type Verdict = (VerdictBase & { verdict: 'bypass-wins' }) | (VerdictBase & { verdict: 'no-win' }) | (VerdictBase & { verdict: 'insufficient-data' });

export type VerdictKind = Verdict['verdict'];

export interface VerdictSettings {
  /** Label of the kernel reference path; default the first kernel-udp entry (else kernel-tcp). */
  kernelPath?: string;
  /** Labels of the tuned kernel references (busy polling); default every path of the kernel-tuned family. */
  tunedKernelPaths?: string[];
  /** Labels of the bypass candidates; default every path of the bypass family that measured latency. */
  bypassPaths?: string[];
  /** Label of the attribution entry describing the kernel path; default the first one in the run. */
  attributionPath?: string;
  thresholds?: Partial<SelectiveWinThresholds>;
  /** One verdict set per scenario, each with its own attribution entry. */
  scenarios?: { name: string; attributionPath: string }[];
}

export const VERDICT_KINDS: readonly VerdictKind[] = ['bypass-wins', 'no-win', 'insufficient-data'];

/** verdicts.json validated at the edge: a malformed verdict is named with the field that is wrong. */
export function parseVerdicts(value: unknown, file: string): Verdict[] {
  const verdicts = checkRecordArray(value, file, 'verdicts', (rec, where) => {
    if (!VERDICT_KINDS.includes(rec.verdict as VerdictKind))
      throw new UserError(`${where}.verdict must be one of ${VERDICT_KINDS.join(', ')}, got ${JSON.stringify(rec.verdict)}`);
    if (typeof rec.reason !== 'string') throw new UserError(`${where}.reason must be a string`);
    if (!isNumberOrNull(rec.msgSizeBytes)) throw new UserError(`${where}.msgSizeBytes must be a number or null`);
    if (!isNumberOrNull(rec.offeredPps)) throw new UserError(`${where}.offeredPps must be a number or null (null = closed loop)`);
    if (rec.reasons !== undefined && !(Array.isArray(rec.reasons) && rec.reasons.every((r) => typeof r === 'string'))) {
      throw new UserError(`${where}.reasons must be an array of strings`);
    }
  });
  // Display fields a writer may leave out read as "not known" rather than breaking a chart.
  return verdicts.map(
    (rec) =>
      ({
        bestBypassPath: null,
        kernelP99Us: null,
        bypassP99Us: null,
        expectedP99SavingUs: null,
        expectedP99SavingPct: null,
        coresDelta: null,
        ...rec,
        reasons: (rec.reasons as string[] | undefined) ?? [],
        excludedPaths: Array.isArray(rec.excludedPaths) ? rec.excludedPaths : [],
      }) as unknown as Verdict,
  );
}
