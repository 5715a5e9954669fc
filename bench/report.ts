// Bench (not a test): how long and how much memory does the full report of a saved run take?
// Copies the run folder to a temp dir (the original is never rewritten), then times writeReport
// (table, CSV, summary, Vega-Lite specs, SVG + PNG per chart, report.html, report.md) `repeat`
// times in this process. Goal for a 500-trial run: < 5 s and < 300 MB peak RSS. For the whole
// CLI including Node's start-up, also run `/usr/bin/time -v ./bypassbench report <copy>`.
// Usage: node dist/bench/report.js <run-dir> [--repeat 3]
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from 'simple-statistics';
import { writeReport } from '../report/write.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main() {
  const source = process.argv[2];
  if (!source || source.startsWith('--')) {
    process.stderr.write('usage: node dist/bench/report.js <run-dir> [--repeat 3]\n');
    process.exitCode = 2;
    return;
  }
  const repeat = arg('repeat', 3);
  const scratch = mkdtempSync(join(tmpdir(), 'bb-bench-report-'));
  const copy = join(scratch, basename(source));
  cpSync(source, copy, { recursive: true });
  try {
    const wallMs: number[] = [];
    let trials = 0;
    let charts: string[] = [];
    for (let i = 0; i < repeat; i++) {
      const start = performance.now();
      const report = await writeReport(copy);
      wallMs.push(performance.now() - start);
      trials = report.rows.reduce((n, r) => n + r.repetitions, 0);
      charts = report.charts;
      if (report.warnings.length) process.stderr.write(`warnings: ${report.warnings.join('; ')}\n`);
    }
    const size = (f: string) => statSync(join(copy, f)).size;
    const chartBytes = readdirSync(join(copy, 'charts')).reduce((n, f) => n + size(join('charts', f)), 0);
    const result = {
      run: source,
      trials,
      charts,
      repeat,
      wallMs: wallMs.map((v) => Math.round(v)),
      firstMs: Math.round(wallMs[0] as number),
      medianMs: Math.round(median(wallMs)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      bytes: { reportHtml: size('report.html'), reportMd: size('report.md'), charts: chartBytes },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
