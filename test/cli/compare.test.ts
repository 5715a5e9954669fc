// `bypassbench compare` as a user runs it (the built CLI), on the real fixture runs and on copies
// of quick-a with a planted regression or a changed environment (derived in a temp dir by
// test/report/fixture-runs.ts; the committed fixtures are never modified).
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../analysis/compare.js';
import { startCli } from '../helpers/system.js';
import { copyFixtureRun, multiplyRepetitions, plantRegression, removeTempDirs, runsDir, setRunJson, tempDir } from '../report/fixture-runs.js';

const runA = join(runsDir, 'quick-a');
const outDir = () => join(tempDir('bb-h7-compare-'), 'out');

afterAll(removeTempDirs);

describe('bypassbench compare', () => {
  it('exits 0 and flags nothing for two identical runs, and writes the chart into --out', async () => {
    const out = outDir();
    const result = await startCli(['compare', runA, runA, '--out', out]);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('0 regression(s), 0 improvement(s) over 12 groups');
    for (const f of ['compare.json', 'compare.vl.json', 'compare.svg', 'compare.png', 'compare.html', 'compare.md'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'compare.png')).length).toBeGreaterThan(10_000);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toContain('## Environments');
  });

  it('exits 3 and names the group when B regressed (planted in a copy of A, 6 repetitions each)', async () => {
    const base = copyFixtureRun('quick-a');
    multiplyRepetitions(base, 2, 1);
    const copy = copyFixtureRun('quick-a');
    multiplyRepetitions(copy, 2, 2);
    plantRegression(copy, 'kernel-tcp', 1024, 20000);
    const result = await startCli(['compare', base, copy, '--out', outDir(), '--json']);
    expect(result.exitCode).toBe(3);
    const json = JSON.parse(result.stdout) as CompareResult & { files: string[] };
    expect(json.regressions).toBe(1);
    const g = json.groups.find((x) => x.flag === 'regression')!;
    expect([g.pathLabel, g.msgSizeBytes, g.offeredPps]).toEqual(['kernel-tcp', 1024, 20000]);
    expect(json.files.some((f) => f.endsWith('compare.svg'))).toBe(true);
  });

  it('prints the regression in the human table', async () => {
    const base = copyFixtureRun('quick-a');
    multiplyRepetitions(base, 2, 1);
    const copy = copyFixtureRun('quick-a');
    multiplyRepetitions(copy, 2, 2);
    plantRegression(copy, 'kernel-udp', 64, 2000);
    const result = await startCli(['compare', base, copy, '--out', outDir(), '--no-chart']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/REGRESSION: kernel-udp · 64 B · 2000 pps: p50 .* rank-sum permutation p = .* ≤ α = 0.05/);
    expect(result.stdout).toBe('');
  });

  it('says when 3 repetitions per run cannot show even a planted regression, and exits 0', async () => {
    const copy = copyFixtureRun('quick-a');
    plantRegression(copy, 'kernel-udp', 64, 2000);
    const result = await startCli(['compare', runA, copy, '--out', outDir(), '--no-chart']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/cannot show a difference at α = 0.05 \(smallest possible p = 0.1\)/);
  });

  it('refuses runs from different environments with exit 2, saying what differs; --force compares anyway', async () => {
    const copy = copyFixtureRun('quick-a');
    setRunJson(copy, 'host.cpuCount', 64);
    setRunJson(copy, 'host.cpuModel', 'Other CPU');
    const refused = await startCli(['compare', runA, copy, '--out', outDir()]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('host.cpuModel: A AMD EPYC, B Other CPU');
    expect(refused.stderr).toContain('host.cpuCount: A 2, B 64');
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).not.toContain('    at ');

    const forced = await startCli(['compare', runA, copy, '--out', outDir(), '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.stderr).toContain('forced despite: host.cpuModel');
  });

  it('compares two real runs of the same suite', async () => {
    const result = await startCli(['compare', runA, join(runsDir, 'quick-b'), '--out', outDir(), '--json']);
    expect([0, 3]).toContain(result.exitCode);
    const json = JSON.parse(result.stdout) as CompareResult;
    expect(json.groups).toHaveLength(12);
    expect(json.environment.filter((d) => d.blocking)).toEqual([]);
  });

  it('exits 2 for a folder that is not a run', async () => {
    const result = await startCli(['compare', runA, tmpdir(), '--out', outDir()]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/not a run folder/);
  });

  it('exits 2 for a bad option value', async () => {
    const result = await startCli(['compare', runA, runA, '--min-change', '-0.5', '--out', outDir()]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/min-change must be/);
  });
});
