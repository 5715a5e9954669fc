// Repetition statistics: trials of the same path, message size and offered rate are repetitions
// of one measurement. Their summary is the median (robust to one noisy repetition on a shared VM)
// with min/max, and the spread of p99 across repetitions tells later stages whether a difference
// between two paths is real. Everything here is pure; randomness (bootstrap) is seeded.
import { median, min, max, quantile, sampleWithReplacement, coefficientOfVariation as ssCv } from 'simple-statistics';
import { tailReliable } from '../core/tail.js';
import type { PathName, TrialRecord, TrialStatus } from '../core/trial.js';
// Declared with the verdicts that carry it (core/verdict.ts).
import type { P99Comparison } from '../core/verdict.js';

export interface MetricSummary {
  median: number;
  min: number;
  max: number;
  /** How many repetitions had a value. */
  n: number;
  /** (max − min) / median: the spread between repetitions (a descriptive range, not an interval); null when the median is 0. */
  spreadRel: number | null;
  /** Each repetition's value, in trial order (what tests over repetitions need). */
  values?: number[];
}

export interface BootstrapCi {
  /** What the interval is: with a handful of repetitions it describes their spread; it decides nothing. */
  what: 'percentile bootstrap of the median over repetitions (descriptive: at n < 10 its coverage is below its level)';
  /** Nominal confidence level, e.g. 0.95. */
  level: number;
  low: number;
  high: number;
  resamples: number;
  seed: number;
}

export interface TrialGroup {
  /** Stable identity: JSON of [pathLabel, msgSizeBytes, offeredPps]. */
  key: string;
  pathLabel: string;
  path: PathName;
  driver: string;
  msgSizeBytes: number | null;
  /** null = closed loop. */
  offeredPps: number | null;
  /** True when any repetition ran under emulation (QEMU TCG). */
  emulated: boolean;
  repetitions: {
    ok: number;
    total: number;
    byStatus: Partial<Record<TrialStatus, number>>;
  };
  trialIds: string[];
  /** Medians and ranges over the ok repetitions; null when no repetition had the value. */
  latencyUs: {
    p50: MetricSummary | null;
    p99: MetricSummary | null;
    p999: MetricSummary | null;
    /** Latency samples per repetition (the tool's count); the fewest decides whether a tail is shown. */
    samples?: MetricSummary | null;
  };
  /**
   * Whether p99 and p99.9 rest on enough samples in every ok repetition (core/tail.ts: ≥ 10
   * beyond the percentile); null when a repetition's count is unknown.
   */
  tail?: { minSamples: number | null; p99Reliable: boolean | null; p999Reliable: boolean | null };
  achievedPps: MetricSummary | null;
  lossRatio: MetricSummary | null;
  coresBusy: MetricSummary | null;
  nsPerPacket: MetricSummary | null;
  /** Spread of p99 between repetitions: relative range (descriptive) and a bootstrap interval of the median p99 (labelled). */
  p99Spread: {
    relRange: number | null;
    ciUs: BootstrapCi | null;
  };
}

export interface GroupOptions {
  /**
   * Throughput-search trials run once each at rates the search chose, so they are not
   * repetitions of anything; they are left out unless asked for. Default false.
   */
  includeSearchTrials?: boolean;
  /** Bootstrap resamples for the CI of the median p99. Default 2000. */
  bootstrapResamples?: number;
  /** Default 0.95. */
  ciLevel?: number;
  /** Seed of the bootstrap's RNG, so the same trials always give the same CI. Default 1. */
  seed?: number;
}

const DEFAULT_GROUP_OPTIONS = { includeSearchTrials: false, bootstrapResamples: 2000, ciLevel: 0.95, seed: 1 } as const;

/** mulberry32: a small, fast, seedable PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function finiteValues(values: readonly (number | null | undefined)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Median and range of the values that exist; null when none does (missing is not zero). */
export function summarize(values: readonly (number | null | undefined)[]): MetricSummary | null {
  const present = finiteValues(values);
  if (present.length === 0) return null;
  const med = median(present);
  const lo = min(present);
  const hi = max(present);
  return { median: med, min: lo, max: hi, n: present.length, spreadRel: med === 0 ? null : (hi - lo) / Math.abs(med), values: present };
}

/**
 * Percentile bootstrap CI of the median. With 3–5 repetitions it is coarse (it cannot leave the
 * observed range), which is honest: few repetitions cannot pin the median down. null below 2 values.
 */
export function bootstrapMedianCi(
  values: readonly (number | null | undefined)[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): BootstrapCi | null {
  const present = finiteValues(values);
  if (present.length < 2) return null;
  const resamples = options.resamples ?? DEFAULT_GROUP_OPTIONS.bootstrapResamples;
  const level = options.level ?? DEFAULT_GROUP_OPTIONS.ciLevel;
  const seed = options.seed ?? DEFAULT_GROUP_OPTIONS.seed;
  const random = seededRandom(seed);
  const medians: number[] = [];
  for (let i = 0; i < resamples; i++) medians.push(median(sampleWithReplacement(present, present.length, random)));
  const tail = (1 - level) / 2;
  const [low, high] = quantile(medians, [tail, 1 - tail]) as [number, number];
  return {
    what: 'percentile bootstrap of the median over repetitions (descriptive: at n < 10 its coverage is below its level)',
    level,
    low,
    high,
    resamples,
    seed,
  };
}

/** Sample CV (stddev / mean), e.g. of per-interval arrival rates; null below 2 values or mean 0. */
export function coefficientOfVariation(values: readonly (number | null | undefined)[]): number | null {
  const present = finiteValues(values);
  if (present.length < 2) return null;
  const mean = present.reduce((sum, v) => sum + v, 0) / present.length;
  if (mean === 0) return null;
  return ssCv(present);
}

export function groupKey(pathLabel: string, msgSizeBytes: number | null, offeredPps: number | null): string {
  return JSON.stringify([pathLabel, msgSizeBytes, offeredPps]);
}

/**
 * Groups trials by (pathLabel, msgSizeBytes, offeredPps) and summarizes each group over its ok
 * repetitions. Failed, timed-out and skipped repetitions count in `repetitions.total` only.
 * Groups come back sorted by path label, size, then rate (closed loop first).
 */
export function groupTrials(trials: readonly TrialRecord[], options: GroupOptions = {}): TrialGroup[] {
  const opts: Required<GroupOptions> = {
    includeSearchTrials: options.includeSearchTrials ?? DEFAULT_GROUP_OPTIONS.includeSearchTrials,
    bootstrapResamples: options.bootstrapResamples ?? DEFAULT_GROUP_OPTIONS.bootstrapResamples,
    ciLevel: options.ciLevel ?? DEFAULT_GROUP_OPTIONS.ciLevel,
    seed: options.seed ?? DEFAULT_GROUP_OPTIONS.seed,
  };
  const byKey = new Map<string, TrialRecord[]>();
  for (const trial of trials) {
    if (!opts.includeSearchTrials && trial.search) continue;
    const key = groupKey(trial.pathLabel, trial.msgSizeBytes, trial.offeredPps);
    const list = byKey.get(key);
    if (list) list.push(trial);
    else byKey.set(key, [trial]);
  }
  const groups = [...byKey.entries()].map(([key, members]) => summarizeGroup(key, members, opts));
  return groups.sort(compareGroups);
}

function summarizeGroup(key: string, members: TrialRecord[], opts: Required<GroupOptions>): TrialGroup {
  const first = members[0] as TrialRecord;
  const ok = members.filter((t) => t.status === 'ok');
  const byStatus: Partial<Record<TrialStatus, number>> = {};
  for (const t of members) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
  const p99Values = ok.map((t) => t.latencyUs?.p99);
  const p99 = summarize(p99Values);
  return {
    key,
    pathLabel: first.pathLabel,
    path: first.path,
    driver: first.driver,
    msgSizeBytes: first.msgSizeBytes,
    offeredPps: first.offeredPps,
    emulated: members.some((t) => t.emulated),
    repetitions: { ok: ok.length, total: members.length, byStatus },
    trialIds: members.map((t) => t.trialId),
    latencyUs: {
      p50: summarize(ok.map((t) => t.latencyUs?.p50)),
      p99,
      p999: summarize(ok.map((t) => t.latencyUs?.p999)),
      samples: summarize(ok.map((t) => t.latencyUs?.samples)),
    },
    tail: tailOf(ok),
    achievedPps: summarize(ok.map((t) => t.achievedPps)),
    lossRatio: summarize(ok.map((t) => t.lossRatio)),
    coresBusy: summarize(ok.map((t) => t.cpu?.coresBusy)),
    nsPerPacket: summarize(ok.map((t) => t.cpu?.nsPerPacket)),
    p99Spread: {
      relRange: p99?.spreadRel ?? null,
      ciUs: bootstrapMedianCi(p99Values, { resamples: opts.bootstrapResamples, level: opts.ciLevel, seed: opts.seed }),
    },
  };
}

/** The fewest samples behind any ok repetition's latency, and what that allows (core/tail.ts). */
function tailOf(ok: readonly TrialRecord[]): NonNullable<TrialGroup['tail']> {
  const withLatency = ok.filter((t) => t.latencyUs?.p99 != null);
  const counts = withLatency.map((t) => t.latencyUs?.samples);
  const known = counts.every((c): c is number => typeof c === 'number') && counts.length > 0;
  const minSamples = known ? Math.min(...counts) : null;
  return { minSamples, p99Reliable: tailReliable(minSamples, 99), p999Reliable: tailReliable(minSamples, 99.9) };
}

function compareGroups(a: TrialGroup, b: TrialGroup): number {
  if (a.pathLabel !== b.pathLabel) return a.pathLabel < b.pathLabel ? -1 : 1;
  const size = (a.msgSizeBytes ?? -1) - (b.msgSizeBytes ?? -1);
  if (size !== 0) return size;
  return (a.offeredPps ?? -1) - (b.offeredPps ?? -1);
}

/** The range of a metric over repetitions, as the comparison below needs it. */
export interface RepetitionRange {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Do two repetition ranges differ by more than their spread? See P99Comparison.differs. */
export function compareRanges(a: RepetitionRange | null, b: RepetitionRange | null, minRepetitions = 2, unit = 'µs'): P99Comparison {
  if (a === null || b === null) {
    return { differs: null, deltaUs: null, deltaRel: null, reason: `p99 missing for ${a === null ? 'the first' : 'the second'} group` };
  }
  const deltaUs = b.median - a.median;
  const deltaRel = a.median === 0 ? null : deltaUs / a.median;
  if (a.n < minRepetitions || b.n < minRepetitions) {
    return {
      differs: null,
      deltaUs,
      deltaRel,
      reason: `spread unknown: ${Math.min(a.n, b.n)} repetition(s), need ${minRepetitions}`,
    };
  }
  const separate = a.max < b.min || b.max < a.min;
  const ranges = `${fmt(a.min)}–${fmt(a.max)} vs ${fmt(b.min)}–${fmt(b.max)} ${unit}`;
  return {
    differs: separate,
    deltaUs,
    deltaRel,
    reason: separate ? `ranges do not overlap (${ranges})` : `difference ${fmt(Math.abs(deltaUs))} ${unit} is within the repetition spread (${ranges})`,
  };
}

/** Whether two groups' p99 differ by more than the spread between their repetitions. */
export function differs(a: TrialGroup, b: TrialGroup, minRepetitions = 2): P99Comparison {
  return compareRanges(a.latencyUs.p99, b.latencyUs.p99, minRepetitions);
}

function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}
