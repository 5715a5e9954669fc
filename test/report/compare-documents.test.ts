// compare.html and compare.md from a real comparison: copies of the fixture quick-a with 6
// repetitions per group and a planted regression (fixture-runs.ts), and run B's kernel changed in
// its run.json so the environments differ. The documents show every difference with its interval,
// p and adjusted p, say what those are, and put the two environments side by side.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, environmentDifferences, environmentOf, type CompareResult } from '../../analysis/compare.js';
import { loadRun } from '../../core/run-folder.js';
import { writeCompare, type WrittenCompare } from '../../report/compare.js';
import { copyFixtureRun, multiplyRepetitions, plantRegression, removeTempDirs, setRunJson, tempDir } from './fixture-runs.js';

afterAll(removeTempDirs);

describe('compare.html and compare.md', () => {
  let result: CompareResult;
  let written: WrittenCompare;
  let out: string;

  beforeAll(async () => {
    const a = copyFixtureRun('quick-a');
    multiplyRepetitions(a, 2, 1);
    const b = copyFixtureRun('quick-a');
    multiplyRepetitions(b, 2, 2);
    plantRegression(b, 'kernel-tcp', 1024, 20000);
    setRunJson(b, 'host.kernelRelease', '6.99.0-other');
    const runA = loadRun(a);
    const runB = loadRun(b);
    result = compareRuns(
      runA,
      runB,
      {},
      environmentDifferences(runA, runB).some((d) => d.blocking),
    );
    out = join(tempDir('bb-h-figures-compare-'), 'out');
    written = await writeCompare(result, out, true, { a: environmentOf(runA.meta), b: environmentOf(runB.meta) });
  });

  it('writes both documents next to compare.json, without warnings', () => {
    expect(written.warnings).toEqual([]);
    for (const f of ['compare.html', 'compare.md', 'compare.json', 'compare.svg', 'compare.png']) expect(written.files).toContain(join(out, f));
  });

  it('compare.md lists every group × metric with interval, p and adjusted p, and explains them', () => {
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    const rows = md.split('\n').filter((l) => /^\| kernel-/.test(l));
    expect(rows).toHaveLength(result.groups.length * 2);
    const planted = rows.filter((l) => l.includes('kernel-tcp · 1024 B · 20k pps'));
    expect(planted).toHaveLength(2);
    for (const l of planted) {
      const cells = l.split('|').map((c) => c.trim());
      // | group | metric | A | B | Δ µs | Δ % | interval | p | adjusted p | flag |
      expect(cells[6]).toMatch(/^\+[\d.]+%$/);
      expect(cells[7]).toMatch(/^[+−][\d.]+% … \+[\d.]+%$/);
      expect(Number(cells[8])).toBeGreaterThan(0);
      expect(Number(cells[9])).toBeGreaterThanOrEqual(Number(cells[8]));
      expect(cells[10]).toBe('**regression**');
    }
    expect(md).toMatch(/adjusted p: Benjamini–Hochberg over all 24 group × metric tests/);
    expect(md).toMatch(/Interval: 95 % percentile bootstrap .* decides nothing/);
    expect(md).toContain('![Latency change from run A to run B](compare.png)');
  });

  it('puts both environments side by side and marks the blocking difference', () => {
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    expect(md).toMatch(/\| kernel \*\*\(differs, blocking\)\*\* \| \S+ \| 6\.99\.0-other \|/);
    expect(md).toMatch(/\| CPU \| .+ \| .+ \|/);
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(html).toMatch(/<tr class="differs blocking"><td>kernel<\/td><td>[^<]+<\/td><td>6\.99\.0-other<\/td><\/tr>/);
    expect(html).toContain('class="banner">Forced');
  });

  it('compare.html is self-contained: no external scripts, styles or images', () => {
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(html).not.toMatch(/<(script|img|link)[^>]+(src|href)="(https?:)?\/\//);
    expect(html).toContain('id="chart-compare"');
    expect(html).toContain('id="bb-chart-specs"');
  });
});
