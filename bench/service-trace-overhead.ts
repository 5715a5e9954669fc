// Bench (not a test): what does following a service with bpftrace cost the service?
// Runs the Java (or Node) demo service under the same open-loop load with the service tracer on
// and off, alternated (repetitions are the outer loop of a suite's plan, so on/off trials take
// turns), and reports the ratio of medians of the client-measured p50 and p99 (goal ≤ 1.05× at
// p99). The result is written into the run folder as service-trace-overhead.json.
// Usage: node dist/bench/service-trace-overhead.js [--service java|node] [--pairs 5] [--rate 200] [--duration 3]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from 'simple-statistics';
import { projectRoot } from '../core/project.js';
import type { TrialRecord } from '../core/trial.js';
import { run } from '../runners/exec.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : fallback;
}

const service = arg('service', 'java');
const pairs = Number(arg('pairs', '5'));
const ratePps = Number(arg('rate', '200'));
const durationS = Number(arg('duration', '3'));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bb-svc-overhead-'));
  const suitePath = join(dir, 'suite.json');
  const suite = {
    name: 'service-trace-overhead',
    description: `${service} demo service, tracer on vs off, alternated`,
    sizes: [200],
    rates: [ratePps],
    durationS,
    warmupS: 0,
    repetitions: pairs,
    paths: [
      { path: 'service', label: 'traced', options: { service, trace: 'on' } },
      { path: 'service', label: 'untraced', options: { service, trace: 'off' } },
    ],
  };
  writeFileSync(suitePath, JSON.stringify(suite));
  const out = join(dir, 'run');
  // Exit 3 (some trials failed) still leaves the others to compare; failed trials are counted below.
  await run(['node', join(projectRoot(), 'dist', 'cli', 'main.js'), 'run', suitePath, '--out', out, '--quiet'], { timeoutMs: 3_600_000, allowFailure: true });
  const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord)
    .filter((t) => t.status === 'ok');
  const pick = (label: string, k: 'p50' | 'p99') => trials.filter((t) => t.pathLabel === label && t.latencyUs?.[k] != null).map((t) => t.latencyUs![k]!);
  const result = {
    service,
    ratePps,
    durationS,
    pairs,
    trialsOk: { traced: pick('traced', 'p50').length, untraced: pick('untraced', 'p50').length },
    p50Us: { traced: median(pick('traced', 'p50')), untraced: median(pick('untraced', 'p50')) },
    p99Us: { traced: median(pick('traced', 'p99')), untraced: median(pick('untraced', 'p99')) },
    ratio: { p50: 0, p99: 0 },
    goalP99Ratio: 1.05,
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    runDir: out,
  };
  result.ratio = { p50: result.p50Us.traced / result.p50Us.untraced, p99: result.p99Us.traced / result.p99Us.untraced };
  writeFileSync(join(out, 'service-trace-overhead.json'), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
