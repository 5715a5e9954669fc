// Bench (not a test): where a saved run's wall time went, from its run.json `timing` — the wall
// time against the measured windows, the largest fixed costs and each path's trial time against its
// counted window (what `run --verbose` prints at the end of a run).
// Usage: node dist/bench/run-timing.js <run-dir> [--json]
// The run it reads, measured without other benches overlapping (issue 16: wall ≤ 1.5× measured):
//   npm run build && flock /tmp/bb-bench.lock ./bypassbench run suites/quick.yaml --verbose --out DIR
//   node dist/bench/run-timing.js DIR
import { RunFolder } from '../core/run-folder.js';
import { formatRunTiming, formatTimingDetail } from '../core/run-timing.js';

function main(): void {
  const dir = process.argv[2];
  if (!dir || dir.startsWith('--')) {
    process.stderr.write('usage: node dist/bench/run-timing.js <run-dir> [--json]\n');
    process.exitCode = 2;
    return;
  }
  const { timing } = RunFolder.open(dir).readMeta();
  if (!timing) {
    process.stderr.write(`${dir}/run.json has no timing (a run from before bypassbench wrote it, or one that never closed)\n`);
    process.exitCode = 1;
    return;
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(timing, null, 2)}\n`);
    return;
  }
  process.stdout.write([formatRunTiming(timing), ...formatTimingDetail(timing, 10)].join('\n') + '\n');
}

main();
