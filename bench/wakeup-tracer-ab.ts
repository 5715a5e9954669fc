// Bench (not a test): what does measuring wake-up cost the probe? The bare probe (bb-tsprobe,
// blocking receivers, the attribution path's defaults) at one size and rate, with the bpftrace
// wake-up tracer off and on, alternated (the plan runs entries in order within each
// repetition), in one real `bypassbench run`. Reports each side's median RTT p50/p99 over the
// repetitions and the on/off ratio (goal: p50 ratio ≤ 1.2, the probe-vs-kernel check's
// tolerance being 50 %). On a shared VM the numbers are directional; run it on a quiet machine.
// Usage: node dist/bench/wakeup-tracer-ab.js [--pairs 5] [--rate 10000] [--duration 2] [--size 64]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from 'simple-statistics';
import type { TrialRecord } from '../core/trial.js';
import { projectRoot } from '../core/project.js';
import { run } from '../runners/exec.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${name} must be a positive number, got ${process.argv[i + 1]}`);
  return v;
}

const pairs = arg('pairs', 5);
const ratePps = arg('rate', 10000);
const durationS = arg('duration', 2);
const sizeBytes = arg('size', 64);

function suiteText(): string {
  return [
    'name: wakeup-tracer-ab',
    `sizes: [${sizeBytes}]`,
    `rates: [${ratePps}]`,
    `durationS: ${durationS}`,
    'warmupS: 0',
    `repetitions: ${pairs}`,
    'paths:',
    '  - path: attribution',
    '    label: tracer-off',
    '    options: { wakeup: off }',
    '  - path: attribution',
    '    label: tracer-on',
    '    options: { wakeup: tracepoints }',
    '',
  ].join('\n');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bb-wake-ab-'));
  const suite = join(dir, 'suite.yaml');
  writeFileSync(suite, suiteText());
  const out = join(dir, 'run');
  const t0 = Date.now();
  await run([join(projectRoot(), 'bypassbench'), 'run', suite, '--out', out, '--quiet'], { timeoutMs: pairs * 2 * (durationS + 30) * 1000 + 120_000 });
  const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
  const side = (label: string) => trials.filter((t) => t.pathLabel === label && t.status === 'ok' && t.latencyUs?.p50 != null);
  const rows = (label: string) => side(label).map((t) => ({ rep: t.repetition, p50: t.latencyUs!.p50!, p99: t.latencyUs!.p99 ?? NaN }));
  const off = rows('tracer-off');
  const on = rows('tracer-on');
  for (let r = 1; r <= pairs; r++) {
    const a = off.find((x) => x.rep === r);
    const b = on.find((x) => x.rep === r);
    const f = (x: { p50: number; p99: number } | undefined) => (x ? `p50 ${x.p50.toFixed(1)} µs p99 ${x.p99.toFixed(1)} µs` : 'failed');
    console.log(`pair ${r}: tracer off ${f(a)} | tracer on ${f(b)}`);
  }
  if (off.length === 0 || on.length === 0) throw new Error(`no ok trials on a side (off ${off.length}, on ${on.length}); see ${out}`);
  const m = (xs: { p50: number; p99: number }[], k: 'p50' | 'p99') => median(xs.map((x) => x[k]));
  console.log(
    `${sizeBytes} B at ${ratePps} pps, ${durationS} s × ${pairs} pairs (${((Date.now() - t0) / 1000).toFixed(0)} s wall): ` +
      `median p50 off ${m(off, 'p50').toFixed(1)} µs, on ${m(on, 'p50').toFixed(1)} µs (on/off ${(m(on, 'p50') / m(off, 'p50')).toFixed(2)}); ` +
      `median p99 off ${m(off, 'p99').toFixed(1)} µs, on ${m(on, 'p99').toFixed(1)} µs (on/off ${(m(on, 'p99') / m(off, 'p99')).toFixed(2)}); run folder ${out}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
