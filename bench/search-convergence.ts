// Bench (not a test): does the throughput search converge on this machine, and do repeated
// searches agree? Runs a search suite (default suites/throughput.yaml: kernel UDP, kernel→AF_XDP,
// AF_XDP and the two DPDK reflectors at 64 B) `--runs` times through the real CLI, then prints per
// search: trials, full-length-equivalent trials, bracket widths, NDR/PDR bounds, stop reason, and
// the relative difference of NDR and PDR between runs.
// Goals (issue 16): ≥ 7 of 8 converge to 0.5 % within 12 full-length-equivalent trials; repeated
// searches agree within 2 %. Numbers from a shared, loaded VM are directional; the bench prints
// the load average next to them.
// Usage: node dist/bench/search-convergence.js [--suite suites/throughput.yaml] [--runs 2] [--out DIR]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearches, type PathSearch } from '../core/search-result.js';
import { run } from '../runners/exec.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const suite = arg('suite', 'suites/throughput.yaml');
const runs = Number(arg('runs', '2'));
const outRoot = arg('out', mkdtempSync(join(tmpdir(), 'bb-search-bench-')));
/** Repeated searches agree when NDR and PDR differ by at most this, relative to the larger. */
const AGREEMENT = 0.02;

function pct(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(2)} %`;
}

function relDiff(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return Math.abs(a - b) / Math.max(a, b);
}

async function main(): Promise<void> {
  const perRun: { dir: string; searches: PathSearch[]; wallS: number; load: string }[] = [];
  for (let i = 1; i <= runs; i++) {
    const dir = join(outRoot, `run-${i}`);
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const started = Date.now();
    // The real CLI, as a user runs it; a long timeout because a search runs as many trials as it takes.
    await run([process.execPath, 'dist/cli/main.js', 'run', suite, '--out', dir, '--quiet'], { timeoutMs: 60 * 60_000, allowFailure: true });
    const file = join(dir, 'search.json');
    perRun.push({ dir, searches: parseSearches(JSON.parse(readFileSync(file, 'utf8')), file), wallS: (Date.now() - started) / 1000, load });
  }

  const lines: string[] = [];
  lines.push(`suite ${suite}; ${runs} runs; load average (1/5/15 min) at each run's start: ${perRun.map((r) => r.load).join(' | ')}`);
  lines.push('');
  lines.push('| run | path | stop | trials | full-length eq. | NDR pps | NDR bracket | NDR width | PDR pps | PDR bracket | PDR width | MRR pps |');
  lines.push('|---|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|');
  perRun.forEach((r, i) => {
    for (const s of r.searches) {
      lines.push(
        `| ${i + 1} | ${s.pathLabel} ${s.msgSizeBytes} B | ${s.stopReason} | ${s.trialCount} | ${s.fullLengthEquivalentTrials} | ${s.ndrPps ?? '–'} | ${s.ndr.lowerPps ?? '–'}–${s.ndr.upperPps ?? '–'} ${s.ndr.state} | ${pct(s.ndr.widthRel)} | ${s.pdrPps ?? '–'} | ${s.pdr.lowerPps ?? '–'}–${s.pdr.upperPps ?? '–'} ${s.pdr.state} | ${pct(s.pdr.widthRel)} | ${s.mrrPps === null ? '–' : Math.round(s.mrrPps)} |`,
      );
    }
  });
  const all = perRun.flatMap((r) => r.searches);
  const goalMet = all.filter((s) => s.stopReason === 'converged' && s.fullLengthEquivalentTrials <= 12).length;
  lines.push('');
  lines.push(`converged within 12 full-length-equivalent trials: ${goalMet} of ${all.length} searches`);
  if (perRun.length >= 2) {
    lines.push('');
    lines.push('| path | NDR run 1 | NDR run 2 | NDR diff | PDR run 1 | PDR run 2 | PDR diff | agree (≤ 2 %) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
    let agreeing = 0;
    for (const a of perRun[0]!.searches) {
      const b = perRun[1]!.searches.find((x) => x.pathLabel === a.pathLabel && x.msgSizeBytes === a.msgSizeBytes);
      if (!b) continue;
      const dn = relDiff(a.ndrPps, b.ndrPps);
      const dp = relDiff(a.pdrPps, b.pdrPps);
      const agree = dn !== null && dp !== null && dn <= AGREEMENT && dp <= AGREEMENT;
      if (agree) agreeing++;
      lines.push(
        `| ${a.pathLabel} ${a.msgSizeBytes} B | ${a.ndrPps ?? '–'} | ${b.ndrPps ?? '–'} | ${pct(dn)} | ${a.pdrPps ?? '–'} | ${b.pdrPps ?? '–'} | ${pct(dp)} | ${agree ? 'yes' : 'no'} |`,
      );
    }
    lines.push('');
    lines.push(`repeated searches agreeing within 2 %: ${agreeing} of ${perRun[0]!.searches.length}`);
  }
  lines.push('');
  lines.push(`wall time per run: ${perRun.map((r) => `${r.wallS.toFixed(0)} s`).join(', ')}; run folders: ${perRun.map((r) => r.dir).join(', ')}`);
  const text = lines.join('\n');
  writeFileSync(join(outRoot, 'search-convergence.md'), `${text}\n`);
  console.log(text);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
