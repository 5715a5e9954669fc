// Comparing two saved runs: per path × size × offered rate, how did p50 and p99 move, and is the
// move larger than the noise between repetitions?
//
// For each metric, the repetitions of both runs go through an exact rank-sum permutation test
// (analysis/significance.ts: valid at any n, no distribution assumed), and the
// p-values of every group × metric of the comparison are adjusted together (Benjamini–Hochberg),
// because testing dozens of groups at α = 0.05 each would flag some by chance. A change is flagged
// only when its adjusted p-value is ≤ alpha AND the relative change |Δ| / median(A) reaches
// minRelChange: on a shared VM p99 moves tens of per cent between identical runs, so "statistically
// different" alone would flag noise that nobody cares about. Too few repetitions to ever reach
// alpha (3 per side: smallest possible p = 0.1) give insufficient-data, never "unchanged".
// A seeded percentile-bootstrap interval of the difference is reported beside the test as a
// description of the spread; it decides nothing (at n = 2–3 its nominal 95 % is far from true).
//
// Runs measured on different kernels, CPUs, haltpoll settings or tool versions are not comparable:
// environmentDifferences() (run-environment.ts) lists what differs and which block a comparison.
import { median, sampleWithReplacement, quantile } from 'simple-statistics';
import { UserError } from '../core/errors.js';
import type { PathName, TrialRecord, TrialStatus } from '../core/trial.js';
import { environmentDifferences, type EnvironmentDifference } from './run-environment.js';
import { benjaminiHochberg, permutationTest, type PermutationTest } from './significance.js';
import { groupTrials, seededRandom, type TrialGroup } from './stats.js';
import type { RunMeta } from '../core/run-meta.js';

export { environmentDifferences, environmentOf, type EnvironmentDifference, type RunEnvironment } from './run-environment.js';

export const COMPARED_METRICS = ['p50', 'p99'] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

export interface CompareOptions {
  /** Smallest |B − A| / A that counts as a change, e.g. 0.1 = 10 %. Default 0.1. */
  minRelChange: number;
  /** Confidence level of the bootstrap interval. Default 0.95. */
  ciLevel: number;
  /** Bootstrap resamples per metric and group. Default 2000. */
  resamples: number;
  /** Seed of the bootstrap's RNG. Default 1. */
  seed: number;
  /** Repetitions each side needs before anything is computed. Default 3. */
  minRepetitions: number;
  /** False-discovery rate over all group × metric tests of one comparison. Default 0.05. */
  alpha: number;
  metrics: readonly ComparedMetric[];
}

export const DEFAULT_COMPARE_OPTIONS: Readonly<CompareOptions> = Object.freeze({
  minRelChange: 0.1,
  ciLevel: 0.95,
  resamples: 2000,
  seed: 1,
  minRepetitions: 3,
  alpha: 0.05,
  metrics: COMPARED_METRICS,
});

export function resolveCompareOptions(partial: Partial<CompareOptions> = {}): CompareOptions {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<CompareOptions>;
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...given };
  if (!(Number.isFinite(o.minRelChange) && o.minRelChange >= 0))
    throw new UserError(`min-change must be a number ≥ 0 (a fraction, 0.1 = 10 %), got ${o.minRelChange}`);
  if (!(o.ciLevel > 0 && o.ciLevel < 1)) throw new UserError(`ci-level must be in (0, 1), got ${o.ciLevel}`);
  if (!(Number.isInteger(o.resamples) && o.resamples >= 100)) throw new UserError(`resamples must be an integer ≥ 100, got ${o.resamples}`);
  if (!Number.isInteger(o.seed)) throw new UserError(`seed must be an integer, got ${o.seed}`);
  if (!(Number.isInteger(o.minRepetitions) && o.minRepetitions >= 2)) throw new UserError(`min-repetitions must be an integer ≥ 2, got ${o.minRepetitions}`);
  if (!(o.alpha > 0 && o.alpha < 1)) throw new UserError(`alpha must be in (0, 1), got ${o.alpha}`);
  for (const m of o.metrics) if (!COMPARED_METRICS.includes(m)) throw new UserError(`metric must be one of ${COMPARED_METRICS.join(', ')}, got ${String(m)}`);
  return o;
}

// ── Per-group changes ─────────────────────────────────────────────────────────────────────────

export type ChangeFlag = 'regression' | 'improvement' | 'unchanged' | 'insufficient-data';

export interface DiffCi {
  /** What the interval is: a description of the spread, not the test that decides. */
  method: 'percentile bootstrap over repetitions (descriptive)';
  level: number;
  /** Bounds of median(B) − median(A), µs. */
  lowUs: number;
  highUs: number;
  /** The same relative to median(A). */
  lowRel: number | null;
  highRel: number | null;
  resamples: number;
  seed: number;
}

export interface MetricChange {
  metric: ComparedMetric;
  aMedianUs: number | null;
  bMedianUs: number | null;
  /** Repetitions with a value. */
  aN: number;
  bN: number;
  /** median(B) − median(A), µs; positive = B is slower. */
  deltaUs: number | null;
  deltaRel: number | null;
  ci: DiffCi | null;
  /** The test that decides: exact rank-sum (Wilcoxon–Mann–Whitney) permutation test over repetitions. */
  test: (PermutationTest & { method: 'exact rank-sum permutation test over repetitions'; adjustedP: number | null }) | null;
  flag: ChangeFlag;
  /** One sentence with the numbers. */
  reason: string;
}

export interface RunSide {
  ok: number;
  total: number;
  byStatus: Partial<Record<TrialStatus, number>>;
}

export interface GroupComparison {
  key: string;
  pathLabel: string;
  path: PathName;
  msgSizeBytes: number | null;
  offeredPps: number | null;
  emulated: boolean;
  a: RunSide;
  b: RunSide;
  metrics: MetricChange[];
  /** regression if any metric regressed, else improvement if any improved, else unchanged when all are, else insufficient-data. */
  flag: ChangeFlag;
  reason: string;
}

export interface CompareResult {
  runA: { runId: string | null; dir: string };
  runB: { runId: string | null; dir: string };
  environment: EnvironmentDifference[];
  /** Environment differences were blocking and the comparison went ahead anyway. */
  forced: boolean;
  groups: GroupComparison[];
  /** Group keys measured in only one run. */
  onlyInA: string[];
  onlyInB: string[];
  regressions: number;
  improvements: number;
  options: CompareOptions;
}

export interface RunForCompare {
  dir: string;
  meta: RunMeta;
  trials: readonly TrialRecord[];
}

/** Percentile-bootstrap CI of median(b) − median(a), resampling each side independently. */
export function bootstrapMedianDiffCi(
  a: readonly number[],
  b: readonly number[],
  options: { resamples: number; level: number; seed: number },
): { low: number; high: number } | null {
  if (a.length < 2 || b.length < 2) return null;
  const random = seededRandom(options.seed);
  const diffs: number[] = [];
  for (let i = 0; i < options.resamples; i++) {
    diffs.push(median(sampleWithReplacement([...b], b.length, random)) - median(sampleWithReplacement([...a], a.length, random)));
  }
  const tail = (1 - options.level) / 2;
  const [low, high] = quantile(diffs, [tail, 1 - tail]) as [number, number];
  return { low, high };
}

function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function pct(rel: number): string {
  return `${rel >= 0 ? '+' : '−'}${fmt(Math.abs(rel * 100))} %`;
}

/** One metric of one group: medians, the descriptive interval, the permutation test and its flag. */
export function compareMetric(metric: ComparedMetric, aValues: readonly number[], bValues: readonly number[], o: CompareOptions): MetricChange {
  const aMedianUs = aValues.length ? median([...aValues]) : null;
  const bMedianUs = bValues.length ? median([...bValues]) : null;
  const deltaUs = aMedianUs !== null && bMedianUs !== null ? bMedianUs - aMedianUs : null;
  const deltaRel = deltaUs !== null && aMedianUs !== null && aMedianUs !== 0 ? deltaUs / aMedianUs : null;
  const base = { metric, aMedianUs, bMedianUs, aN: aValues.length, bN: bValues.length, deltaUs, deltaRel };
  if (aValues.length === 0 || bValues.length === 0) {
    const side = aValues.length === 0 && bValues.length === 0 ? 'either run' : aValues.length === 0 ? 'run A' : 'run B';
    return { ...base, ci: null, test: null, flag: 'insufficient-data', reason: `no ${metric} in ${side}` };
  }
  if (aValues.length < o.minRepetitions || bValues.length < o.minRepetitions) {
    return {
      ...base,
      ci: null,
      test: null,
      flag: 'insufficient-data',
      reason: `${metric} ${pct(deltaRel ?? 0)}, but ${Math.min(aValues.length, bValues.length)} repetition(s) cannot be tested (need ${o.minRepetitions} per run)`,
    };
  }
  const raw = bootstrapMedianDiffCi(aValues, bValues, { resamples: o.resamples, level: o.ciLevel, seed: o.seed });
  const ci: DiffCi | null = raw && {
    method: 'percentile bootstrap over repetitions (descriptive)',
    level: o.ciLevel,
    lowUs: raw.low,
    highUs: raw.high,
    lowRel: aMedianUs ? raw.low / aMedianUs : null,
    highRel: aMedianUs ? raw.high / aMedianUs : null,
    resamples: o.resamples,
    seed: o.seed,
  };
  const perm = permutationTest(aValues, bValues);
  const test = perm && { ...perm, method: 'exact rank-sum permutation test over repetitions' as const, adjustedP: null };
  const tested: MetricChange = { ...base, ci, test, flag: 'insufficient-data', reason: `${metric}: no test` };
  // Alone, a metric is one test (its p-value is its own adjusted value); compareRuns re-flags it
  // with the adjustment over every test of the comparison.
  return test ? flagMetric(tested, test.pValue, o) : tested;
}

/** The flag of a tested metric once its p-value has been adjusted with the rest of the comparison. */
export function flagMetric(m: MetricChange, adjustedP: number, o: CompareOptions): MetricChange {
  if (!m.test || m.deltaUs === null || m.aMedianUs === null || m.bMedianUs === null) return m;
  const test = { ...m.test, adjustedP };
  const moved = `${m.metric} ${fmt(m.aMedianUs)} → ${fmt(m.bMedianUs)} µs (${m.deltaRel === null ? `${fmt(m.deltaUs)} µs` : pct(m.deltaRel)})`;
  const stats = `rank-sum permutation p = ${fmt(test.pValue)} (exact over ${test.permutations} relabellings), adjusted ${fmt(adjustedP)}`;
  if (test.minPValue > o.alpha) {
    return {
      ...m,
      test,
      flag: 'insufficient-data',
      reason: `${moved}, but ${m.aN} + ${m.bN} repetitions cannot show a difference at α = ${o.alpha} (smallest possible p = ${fmt(test.minPValue)}); run ≥ 5 repetitions per side`,
    };
  }
  const significant = adjustedP <= o.alpha;
  const bigEnough = m.deltaRel !== null && Math.abs(m.deltaRel) >= o.minRelChange;
  if (significant && bigEnough) return { ...m, test, flag: m.deltaUs > 0 ? 'regression' : 'improvement', reason: `${moved}, ${stats} ≤ α = ${o.alpha}` };
  const why = !significant ? `${stats} > α = ${o.alpha}` : `below the ${fmt(o.minRelChange * 100)} % minimum change`;
  return { ...m, test, flag: 'unchanged', reason: `${moved}: ${why}` };
}

function side(group: TrialGroup | undefined): RunSide {
  return group ? { ...group.repetitions } : { ok: 0, total: 0, byStatus: {} };
}

function metricValues(group: TrialGroup | undefined, byId: Map<string, TrialRecord>, metric: ComparedMetric): number[] {
  if (!group) return [];
  const out: number[] = [];
  for (const id of group.trialIds) {
    const t = byId.get(id);
    const v = t && t.status === 'ok' ? t.latencyUs?.[metric] : null;
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function overall(metrics: MetricChange[], a: RunSide, b: RunSide): { flag: ChangeFlag; reason: string } {
  // A measurement that worked in A and produced nothing in B is a regression of its own kind.
  if (a.ok > 0 && b.ok === 0 && b.total > 0) {
    const statuses = Object.entries(b.byStatus)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    return { flag: 'regression', reason: `measured in A (${a.ok} ok), nothing ok in B (${statuses})` };
  }
  if (a.ok === 0 && a.total > 0 && b.ok > 0) return { flag: 'improvement', reason: `nothing ok in A, measured in B (${b.ok} ok)` };
  for (const flag of ['regression', 'improvement'] as const) {
    const hits = metrics.filter((m) => m.flag === flag);
    if (hits.length) return { flag, reason: hits.map((m) => m.reason).join('; ') };
  }
  if (metrics.length && metrics.every((m) => m.flag === 'unchanged')) return { flag: 'unchanged', reason: metrics.map((m) => m.reason).join('; ') };
  return {
    flag: 'insufficient-data',
    reason: metrics
      .filter((m) => m.flag === 'insufficient-data')
      .map((m) => m.reason)
      .join('; '),
  };
}

/**
 * Compares two runs group by group (path label × size × offered rate, as analysis/stats groups
 * them; throughput-search trials are left out). Pure: the caller loads the runs and decides what
 * to do about environment differences (see environmentDifferences).
 */
export function compareRuns(a: RunForCompare, b: RunForCompare, options: Partial<CompareOptions> = {}, forced = false): CompareResult {
  const o = resolveCompareOptions(options);
  const groupsA = new Map(groupTrials(a.trials, { bootstrapResamples: 100 }).map((g) => [g.key, g]));
  const groupsB = new Map(groupTrials(b.trials, { bootstrapResamples: 100 }).map((g) => [g.key, g]));
  const byIdA = new Map(a.trials.map((t) => [t.trialId, t]));
  const byIdB = new Map(b.trials.map((t) => [t.trialId, t]));
  const keys = [...new Set([...groupsA.keys(), ...groupsB.keys()])];
  const groups: GroupComparison[] = [];
  const onlyInA: string[] = [];
  const onlyInB: string[] = [];
  for (const key of keys) {
    const ga = groupsA.get(key);
    const gb = groupsB.get(key);
    if (!ga) {
      onlyInB.push(key);
      continue;
    }
    if (!gb) {
      onlyInA.push(key);
      continue;
    }
    const metrics = o.metrics.map((m) => compareMetric(m, metricValues(ga, byIdA, m), metricValues(gb, byIdB, m), o));
    groups.push({
      key,
      pathLabel: ga.pathLabel,
      path: ga.path,
      msgSizeBytes: ga.msgSizeBytes,
      offeredPps: ga.offeredPps,
      emulated: ga.emulated || gb.emulated,
      a: side(ga),
      b: side(gb),
      metrics,
      flag: 'insufficient-data',
      reason: '',
    });
  }
  // Every tested metric of every group is one of many tests: adjust them together, then flag.
  const tested = groups.flatMap((g) => g.metrics.filter((m) => m.test !== null));
  const adjusted = benjaminiHochberg(tested.map((m) => m.test!.pValue));
  const adjustedOf = new Map(tested.map((m, i) => [m, adjusted[i]!]));
  for (const g of groups) {
    g.metrics = g.metrics.map((m) => (adjustedOf.has(m) ? flagMetric(m, adjustedOf.get(m)!, o) : m));
    Object.assign(g, overall(g.metrics, g.a, g.b));
  }
  groups.sort(
    (x, y) =>
      (x.pathLabel < y.pathLabel ? -1 : x.pathLabel > y.pathLabel ? 1 : 0) ||
      (x.msgSizeBytes ?? -1) - (y.msgSizeBytes ?? -1) ||
      (x.offeredPps ?? -1) - (y.offeredPps ?? -1),
  );
  return {
    runA: { runId: a.meta.runId, dir: a.dir },
    runB: { runId: b.meta.runId, dir: b.dir },
    environment: environmentDifferences(a, b),
    forced,
    groups,
    onlyInA,
    onlyInB,
    regressions: groups.filter((g) => g.flag === 'regression').length,
    improvements: groups.filter((g) => g.flag === 'improvement').length,
    options: o,
  };
}
