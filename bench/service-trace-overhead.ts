// Bench (not a test): what does following a service with bpftrace cost the service?
// Runs a demo service (Java under G1 by default, or Node) under the same open-loop load with the
// service tracer on and off, in pairs run back to back: each repetition of the suite runs
// on, off, off, on (ABBA), so every repetition gives two pairs and slow drift of the machine
// cancels. Reports the geometric mean of the per-pair traced/untraced p50 and p99 ratios with a
// 95 % bootstrap interval over pairs (goal ≤ 1.05× at p99; analysis/service-trace-overhead.ts).
// The run folder keeps every trial and service-trace-overhead.json. This bench is the careful
// measurement of the goal; a suite with `traceOverhead` records a short version of it in its own
// run (runners/trace-overhead-phase.ts: 2 pairs by default, wide interval).
// Usage: node dist/bench/service-trace-overhead.js [--service java|node] [--pairs 6] [--rate 500] [--duration 4] [--untraced-settle 3] [--out DIR]
// Measured for issue 15 item 5 (under flock, other jobs running, so directional):
//   flock /tmp/bb-bench.lock node dist/bench/service-trace-overhead.js --service java --pairs 6 --rate 200 --duration 5
//   flock /tmp/bb-bench.lock node dist/bench/service-trace-overhead.js --service node --pairs 6 --rate 200 --duration 5
// (p99 needs ≥ 1000 replies per trial: keep rate × duration ≥ 1000; pairs even, ≥ 6.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traceOverhead, type OverheadPair } from '../analysis/service-trace-overhead.js';
import { projectRoot } from '../core/project.js';
import { loadRun } from '../core/run-folder.js';
import type { TrialRecord } from '../core/trial.js';
import { run } from '../runners/exec.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : fallback;
}

const service = arg('service', 'java');
const pairs = Number(arg('pairs', '6'));
const ratePps = Number(arg('rate', '500'));
const durationS = Number(arg('duration', '4'));
const settleS = Number(arg('untraced-settle', '3'));

function usageError(message: string): never {
  process.stderr.write(`service-trace-overhead: ${message}\n`);
  process.exit(2);
}

if (service !== 'java' && service !== 'node') usageError(`--service must be java or node, got ${service}`);
if (!(Number.isInteger(pairs) && pairs >= 6 && pairs % 2 === 0))
  usageError(`--pairs must be an even integer ≥ 6 (ABBA: two pairs per repetition), got ${arg('pairs', '')}`);
if (!(ratePps > 0 && durationS > 0)) usageError('--rate and --duration must be positive numbers');
if (ratePps * durationS < 1000) usageError(`--rate × --duration = ${ratePps * durationS} replies per trial; p99 needs ≥ 1000`);

async function main() {
  const started = Date.now();
  const command = ['node', 'dist/bench/service-trace-overhead.js', ...process.argv.slice(2)].join(' ');
  process.stdout.write(`command: ${command}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bb-svc-overhead-'));
  const suitePath = join(dir, 'suite.json');
  // A traced trial's load starts once bpftrace is attached (2–3 s after the service listens); the
  // untraced one leaves its service alone as long (settleS), else it meets a busier JVM.
  const entry = (label: string, trace: 'on' | 'off') => ({ path: 'service', label, options: { service, trace, ...(trace === 'off' ? { settleS } : {}) } });
  const suite = {
    name: 'service-trace-overhead',
    description: `${service} demo service, tracer on vs off in ABBA pairs`,
    sizes: [200],
    rates: [ratePps],
    durationS,
    warmupS: 0,
    repetitions: pairs / 2,
    paths: [entry('on-a', 'on'), entry('off-a', 'off'), entry('off-b', 'off'), entry('on-b', 'on')],
  };
  writeFileSync(suitePath, JSON.stringify(suite));
  const out = arg('out', join(dir, 'run'));
  // Exit 3 (some trials failed) still leaves the other pairs; a pair with a failed side is dropped and counted.
  await run(['node', join(projectRoot(), 'dist', 'cli', 'main.js'), 'run', suitePath, '--out', out, '--quiet'], { timeoutMs: 3_600_000, allowFailure: true });
  const trials = loadRun(out).trials;
  const side = (t: TrialRecord | undefined) =>
    t?.status === 'ok' && t.latencyUs?.p50 != null && t.latencyUs.p99 != null ? { trialId: t.trialId, p50Us: t.latencyUs.p50, p99Us: t.latencyUs.p99 } : null;
  const complete: OverheadPair[] = [];
  let dropped = 0;
  for (let rep = 1; rep <= pairs / 2; rep++) {
    for (const k of ['a', 'b']) {
      const traced = side(trials.find((t) => t.repetition === rep && t.pathLabel === `on-${k}`));
      const untraced = side(trials.find((t) => t.repetition === rep && t.pathLabel === `off-${k}`));
      if (traced && untraced) complete.push({ pair: complete.length + dropped + 1, traced, untraced });
      else dropped++;
    }
  }
  const overhead = traceOverhead(complete);
  const wallS = (Date.now() - started) / 1000;
  const result = {
    command,
    wallS,
    service,
    ratePps,
    durationS,
    pairsPlanned: pairs,
    pairsDropped: dropped,
    ...overhead,
    pairList: complete,
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    runDir: out,
  };
  writeFileSync(join(out, 'service-trace-overhead.json'), JSON.stringify(result, null, 2) + '\n');
  const r = (s: typeof overhead.p50) => `${s.ratio.toFixed(3)}× [${s.ci.low.toFixed(3)}, ${s.ci.high.toFixed(3)}]`;
  process.stdout.write(
    `${service} at ${ratePps} req/s, ${durationS} s per trial, ${complete.length} pairs (${dropped} dropped): ` +
      `traced/untraced p50 ${r(overhead.p50)}, p99 ${r(overhead.p99)} (95 % bootstrap over pairs; goal p99 ≤ ${overhead.goalP99Ratio}×: ${overhead.meetsGoal ? 'met' : 'not shown'})\n` +
      `load average ${result.loadavg}; ${wallS.toFixed(0)} s wall; ${join(out, 'service-trace-overhead.json')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
