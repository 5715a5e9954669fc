// compareRuns on the real fixture runs (test/fixtures/runs/quick-a, quick-b) and on copies of
// quick-a with a planted change (derived in a temp dir by test/report/fixture-runs.ts; the
// committed fixtures are never modified), plus the bootstrap and flag rules on seeded numbers.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootstrapMedianDiffCi,
  compareMetric,
  compareRuns,
  environmentDifferences,
  resolveCompareOptions,
  type RunForCompare,
} from '../../analysis/compare.js';
import type { TrialRecord } from '../../core/trial.js';
import { seededRandom } from '../../analysis/stats.js';
import { UserError } from '../../core/errors.js';
import { loadRun } from '../../core/run-folder.js';
import { copyFixtureRun, plantRegression, readTrials, removeTempDirs, runsDir, setRunJson, writeTrials } from '../report/fixture-runs.js';

const runA = () => loadRun(join(runsDir, 'quick-a'));

/**
 * A run of seeded synthetic repetitions for the statistics' tests: every group of quick-a, with
 * p50/p99 drawn around the group's first real value (10 % spread); `shift` multiplies one group.
 */
function syntheticRun(repetitions: number, seed: number, shift?: { key: string; factor: number }): RunForCompare {
  const real = runA();
  const random = seededRandom(seed);
  const seen = new Map<string, TrialRecord>();
  for (const t of real.trials) {
    if (t.status !== 'ok') continue;
    const key = `${t.pathLabel}/${t.msgSizeBytes}/${t.offeredPps ?? 'closed'}`;
    if (!seen.has(key)) seen.set(key, t);
  }
  const trials: TrialRecord[] = [];
  for (const [key, t] of seen) {
    const factor = shift?.key === key ? shift.factor : 1;
    for (let r = 1; r <= repetitions; r++) {
      const jitter = () => factor * (1 + 0.1 * (random() - 0.5) * 2);
      trials.push({
        ...t,
        trialId: `${key}-${r}`,
        repetition: r,
        latencyUs: { ...t.latencyUs!, p50: t.latencyUs!.p50! * jitter(), p99: t.latencyUs!.p99! * jitter() },
      });
    }
  }
  return { dir: real.dir, meta: real.meta, trials };
}

afterAll(removeTempDirs);

describe('compareRuns', () => {
  it('stays quiet on two identical runs', () => {
    const a = runA();
    const result = compareRuns(a, runA(), { alpha: 0.1 });
    expect(result.environment).toEqual([]);
    expect(result.groups).toHaveLength(12);
    expect(result.regressions).toBe(0);
    expect(result.improvements).toBe(0);
    for (const g of result.groups) {
      expect(g.flag).toBe('unchanged');
      for (const m of g.metrics) {
        expect(m.deltaUs).toBe(0);
        expect(m.test!.pValue).toBe(1);
        expect(m.ci!.lowUs).toBeLessThanOrEqual(0);
        expect(m.ci!.highUs).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('says that 3 repetitions per run cannot show a difference at α = 0.05, even a planted 3× one', () => {
    const copy = copyFixtureRun('quick-a');
    plantRegression(copy, 'kernel-udp', 64, 20000);
    const result = compareRuns(runA(), loadRun(copy));
    expect(result.regressions).toBe(0);
    const g = result.groups.find((x) => x.pathLabel === 'kernel-udp' && x.msgSizeBytes === 64 && x.offeredPps === 20000)!;
    expect(g.flag).toBe('insufficient-data');
    expect(g.metrics[0]!.reason).toMatch(/3 \+ 3 repetitions cannot show a difference at α = 0.05 \(smallest possible p = 0.1\)/);
  });

  it('flags a planted regression with enough repetitions, and only that group', () => {
    const a = syntheticRun(6, 1);
    const b = syntheticRun(6, 2, { key: 'kernel-udp/64/20000', factor: 1.5 });
    const result = compareRuns(a, b);
    expect(result.regressions).toBe(1);
    const flagged = result.groups.filter((g) => g.flag !== 'unchanged');
    expect(flagged.map((g) => [g.pathLabel, g.msgSizeBytes, g.offeredPps, g.flag])).toEqual([['kernel-udp', 64, 20000, 'regression']]);
    for (const m of flagged[0]!.metrics) {
      expect(m.flag).toBe('regression');
      expect(m.test!.adjustedP!).toBeLessThanOrEqual(0.05);
      expect(m.reason).toMatch(/permutation p = .* adjusted .* ≤ α = 0.05/);
    }
  });

  it('calls the same change an improvement when the runs are swapped', () => {
    const a = syntheticRun(6, 1);
    const b = syntheticRun(6, 2, { key: 'kernel-tcp/1024/closed', factor: 1.5 });
    const result = compareRuns(b, a);
    expect(result.regressions).toBe(0);
    expect(result.improvements).toBe(1);
    expect(result.groups.find((g) => g.flag === 'improvement')!.offeredPps).toBeNull();
  });

  it('does not flag a separated change smaller than the minimum relative change', () => {
    const a = syntheticRun(6, 1);
    const b = syntheticRun(6, 2, { key: 'kernel-udp/64/20000', factor: 1.5 });
    const result = compareRuns(a, b, { minRelChange: 2 });
    expect(result.regressions).toBe(0);
    const g = result.groups.find((x) => x.pathLabel === 'kernel-udp' && x.msgSizeBytes === 64 && x.offeredPps === 20000)!;
    expect(g.metrics[0]!.reason).toMatch(/below the .* minimum change/);
  });

  it('treats a group that stopped measuring as a regression', () => {
    const copy = copyFixtureRun('quick-a');
    writeTrials(
      copy,
      readTrials(copy).map((t) =>
        t.pathLabel === 'kernel-tcp' && t.msgSizeBytes === 64 && t.offeredPps === 2000
          ? { ...t, status: 'failed' as const, latencyUs: null, error: 'planted failure' }
          : t,
      ),
    );
    const result = compareRuns(runA(), loadRun(copy));
    expect(result.regressions).toBe(1);
    expect(result.groups.find((g) => g.flag === 'regression')!.reason).toMatch(/nothing ok in B \(3 failed\)/);
  });

  it('lists groups measured in only one run', () => {
    const copy = copyFixtureRun('quick-a');
    writeTrials(
      copy,
      readTrials(copy).filter((t) => t.msgSizeBytes !== 1024),
    );
    const result = compareRuns(runA(), loadRun(copy));
    expect(result.groups).toHaveLength(6);
    expect(result.onlyInA).toHaveLength(6);
    expect(result.onlyInB).toEqual([]);
  });

  it('compares two real runs of the same suite without crashing on their noise', () => {
    const result = compareRuns(runA(), loadRun(join(runsDir, 'quick-b')), { alpha: 0.1 });
    expect(result.groups).toHaveLength(12);
    for (const g of result.groups) {
      expect(['regression', 'improvement', 'unchanged']).toContain(g.flag);
      for (const m of g.metrics) {
        expect(m.ci!.lowUs).toBeLessThanOrEqual(m.ci!.highUs);
        expect(m.aN).toBe(3);
      }
    }
  });
});

describe('environmentDifferences', () => {
  it('blocks on kernel, CPU, haltpoll and the versions of tools the trials used', () => {
    const copy = copyFixtureRun('quick-a');
    setRunJson(copy, 'host.kernelRelease', '6.1.0-99-amd64');
    setRunJson(copy, 'host.haltpollNs', 200000);
    setRunJson(copy, 'host.binaries.sockperf.version', '3.10');
    setRunJson(copy, 'host.binaries.qemu-system-x86_64.version', '9.0');
    setRunJson(copy, 'tool.gitRevision', 'abc');
    const diffs = environmentDifferences(runA(), loadRun(copy));
    const blocking = diffs.filter((d) => d.blocking).map((d) => d.field);
    expect(blocking).toEqual(['host.kernelRelease', 'host.haltpollNs', 'tool sockperf']);
    const notes = diffs.filter((d) => !d.blocking).map((d) => d.field);
    expect(notes).toContain('tool qemu-system-x86_64');
    expect(notes).toContain('tool.gitRevision');
    expect(diffs.find((d) => d.field === 'host.kernelRelease')).toMatchObject({ a: '6.18.44-fc-v669', b: '6.1.0-99-amd64' });
  });

  it('blocks when the trials themselves recorded different tool versions', () => {
    const copy = copyFixtureRun('quick-a');
    writeTrials(
      copy,
      readTrials(copy).map((t) => ({ ...t, native: { ...t.native, version: '3.99' } })),
    );
    const diffs = environmentDifferences(runA(), loadRun(copy));
    expect(diffs).toEqual([{ field: "trials' sockperf version", a: '3.7-no.git', b: '3.99', blocking: true }]);
  });
});

describe('compareMetric and the bootstrap', () => {
  const o = resolveCompareOptions();

  it('needs two repetitions per run for an interval', () => {
    const m = compareMetric('p99', [10], [30, 31], o);
    expect(m.flag).toBe('insufficient-data');
    expect(m.ci).toBeNull();
    expect(m.deltaRel).toBeCloseTo(2.05, 6);
  });

  it('says which run lacks the metric', () => {
    expect(compareMetric('p50', [], [1, 2], o).reason).toBe('no p50 in run A');
  });

  it('is reproducible for a seed and brackets the observed difference', () => {
    const random = seededRandom(7);
    const a = Array.from({ length: 10 }, () => 10 + random());
    const b = Array.from({ length: 10 }, () => 12 + random());
    const first = bootstrapMedianDiffCi(a, b, { resamples: 2000, level: 0.95, seed: 3 })!;
    const second = bootstrapMedianDiffCi(a, b, { resamples: 2000, level: 0.95, seed: 3 })!;
    expect(second).toEqual(first);
    expect(first.low).toBeGreaterThan(1);
    expect(first.high).toBeLessThan(3);
  });

  it('flags a clear slowdown and leaves overlapping samples alone', () => {
    expect(compareMetric('p99', [10, 11, 12, 10.5, 11.5], [20, 21, 22, 20.5, 21.5], o).flag).toBe('regression');
    expect(compareMetric('p99', [10, 11, 12, 10.5, 11.5], [5, 5.5, 6, 5.2, 5.7], o).flag).toBe('improvement');
    expect(compareMetric('p99', [10, 20, 30, 15, 25], [12, 22, 28, 17, 24], o).flag).toBe('unchanged');
    // Three per side: no relabelling test can reach 0.05.
    expect(compareMetric('p99', [10, 11, 12], [20, 21, 22], o).flag).toBe('insufficient-data');
  });

  it('rejects bad options with the option named', () => {
    expect(() => resolveCompareOptions({ minRelChange: -1 })).toThrow(UserError);
    expect(() => resolveCompareOptions({ ciLevel: 1 })).toThrow(/ci-level/);
    expect(() => resolveCompareOptions({ resamples: 10 })).toThrow(/resamples/);
  });
});
