// Bench (not a test): does the throughput search converge on this machine, and do repeated
// searches agree? Runs the searches of a suite (default suites/throughput.yaml: kernel UDP,
// kernel→AF_XDP, AF_XDP and the two DPDK reflectors at 64 B) `--runs` times through the real CLI
// and prints the convergence table of issue 16: per search, whether it converged and why it
// stopped, trials in full-length equivalents, NDR/PDR brackets and widths; per path, how many
// runs converged and how far the repeated NDR and PDR lie apart, in %.
// Goals (issue 16): ≥ 7 of 8 converge to 0.5 % within 12 full-length-equivalent trials; repeated
// searches agree within 2 %. Numbers from a shared, loaded VM are directional; the bench prints
// the load average next to them.
// The suite's grid is skipped: the bench runs a copy of the suite whose entries are all disabled
// and named in search.paths (a disabled entry named there is searched, not gridded).
// Usage: node dist/bench/search-convergence.js [--suite suites/throughput.yaml] [--runs 2]
//          [--paths kernel-udp,afxdp] [--out DIR]
// On a shared machine: flock /tmp/bb-bench.lock node dist/bench/search-convergence.js --runs 2 --out DIR
// (DIR must not hold an earlier bench's runs; ~8 min per run with 4 s trials and a 1 s phase under load).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseSearches, type PathSearch } from '../core/search-result.js';
import { run } from '../runners/exec.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const suiteFile = arg('suite', 'suites/throughput.yaml');
const runs = Number(arg('runs', '2'));
const wantedPaths = arg('paths', '')
  .split(',')
  .map((p) => p.trim())
  .filter((p) => p !== '');
const outRoot = arg('out', mkdtempSync(join(tmpdir(), 'bb-search-bench-')));
/** Repeated searches agree when NDR and PDR lie at most this far apart, relative to the larger. */
const AGREEMENT = 0.02;
/** The issue's budget for a converged search, in full-length-equivalent trials. */
const GOAL_TRIALS = 12;

if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a whole number ≥ 1, got ${arg('runs', '')}`);
  process.exit(2);
}

interface SuiteEntry {
  path: string;
  label?: string;
  enabled?: boolean;
}

/** The suite with every entry disabled and the wanted ones named in search.paths: searches only. */
function benchSuite(): { file: string; labels: string[] } {
  const suite = parse(readFileSync(suiteFile, 'utf8')) as { name: string; paths: SuiteEntry[]; search?: Record<string, unknown> };
  if (!suite.search) throw new Error(`${suiteFile} has no search section: nothing to bench`);
  const all = suite.paths.map((p) => p.label ?? p.path);
  const chosen =
    wantedPaths.length > 0
      ? wantedPaths
      : ((suite.search['paths'] as string[] | undefined) ?? suite.paths.filter((p) => p.enabled !== false).map((p) => p.label ?? p.path));
  const unknown = chosen.filter((name) => !all.includes(name) && !suite.paths.some((p) => p.path === name));
  if (unknown.length > 0) throw new Error(`--paths: ${unknown.join(', ')} not in ${suiteFile} (its paths: ${all.join(', ')})`);
  suite.paths = suite.paths.map((p) => ({ ...p, enabled: false }));
  suite.search['paths'] = chosen;
  mkdirSync(outRoot, { recursive: true });
  const file = join(outRoot, 'bench-suite.yaml');
  writeFileSync(file, `# ${suiteFile} for bench/search-convergence.ts: searches of ${chosen.join(', ')}, no grid\n${stringify(suite)}`);
  return { file, labels: chosen };
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(2)} %`);
/** A bracket's width; search.json keeps 0 for a lower bound with no upper one above it, which is no width at all. */
const widthOf = (b: { upperPps: number | null; widthRel: number | null }): string => (b.upperPps === null ? 'no upper bound' : pct(b.widthRel));
const bracket = (b: PathSearch['ndr']): string => `${b.lowerPps ?? '–'}–${b.upperPps ?? '–'}`;
const goalMet = (s: PathSearch): boolean => s.stopReason === 'converged' && s.fullLengthEquivalentTrials <= GOAL_TRIALS;

/** How far repeated values lie apart: (max − min) / max; null when a run has none. */
function spread(values: readonly (number | null)[]): number | null {
  if (values.length < 2 || values.some((v) => v === null)) return null;
  const nums = values as number[];
  return (Math.max(...nums) - Math.min(...nums)) / Math.max(...nums);
}

/** Where the run put client, server, busy poller and orchestrator, as run.json records it. */
function cpuPlanOf(dir: string): string {
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { cpuPlan?: Record<string, number> };
  if (!meta.cpuPlan) return 'not recorded';
  return Object.entries(meta.cpuPlan)
    .map(([role, cpu]) => `${role} ${cpu}`)
    .join(', ');
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const { file, labels } = benchSuite();
  const perRun: { dir: string; searches: PathSearch[]; wallS: number; load: string }[] = [];
  for (let i = 1; i <= runs; i++) {
    const dir = join(outRoot, `run-${i}`);
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const started = Date.now();
    // The real CLI, as a user runs it; a long timeout because a search runs as many trials as it takes.
    // A folder left by an earlier bench would be read as this run's: refuse it.
    if (existsSync(dir)) throw new Error(`${dir} exists already (an earlier bench's run?): choose a fresh --out`);
    const cli = await run([process.execPath, 'dist/cli/main.js', 'run', file, '--out', dir, '--quiet'], { timeoutMs: 60 * 60_000, allowFailure: true });
    const searchFile = join(dir, 'search.json');
    if (!existsSync(searchFile)) throw new Error(`run ${i}: the CLI wrote no ${searchFile} (exit ${cli.exitCode}): ${cli.stderr.trim().slice(-2000)}`);
    perRun.push({ dir, searches: parseSearches(JSON.parse(readFileSync(searchFile, 'utf8')), searchFile), wallS: (Date.now() - started) / 1000, load });
  }

  const lines: string[] = [];
  lines.push(
    `suite ${suiteFile} (searches of ${labels.join(', ')}); ${runs} run(s); load average (1/5/15 min) at each run's start: ${perRun.map((r) => r.load).join(' | ')}`,
  );
  lines.push('');
  lines.push(
    '| run | path | converged (≤ 12) | stop | trials | full-length eq. | NDR pps | NDR bracket | NDR width | PDR pps | PDR bracket | PDR width | MRR pps |',
  );
  lines.push('|---|---|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|');
  perRun.forEach((r, i) => {
    for (const s of r.searches) {
      lines.push(
        `| ${i + 1} | ${s.pathLabel} ${s.msgSizeBytes} B | ${goalMet(s) ? 'yes' : 'no'} | ${s.stopReason} | ${s.trialCount} | ${s.fullLengthEquivalentTrials} | ${s.ndrPps ?? '–'} | ${bracket(s.ndr)} ${s.ndr.state} | ${widthOf(s.ndr)} | ${s.pdrPps ?? '–'} | ${bracket(s.pdr)} ${s.pdr.state} | ${widthOf(s.pdr)} | ${s.mrrPps === null ? '–' : Math.round(s.mrrPps)} |`,
      );
    }
  });
  const all = perRun.flatMap((r) => r.searches);
  lines.push('');
  lines.push(`converged to the goal width within ${GOAL_TRIALS} full-length-equivalent trials: ${all.filter(goalMet).length} of ${all.length} searches`);

  // Per path over the runs: convergence count and agreement of the repeated searches.
  const keys = [...new Set(all.map((s) => `${s.pathLabel}\u0000${s.msgSizeBytes}`))];
  lines.push('');
  lines.push('| path | converged | full-length eq. per run | NDR per run | NDR apart | PDR per run | PDR apart | agree (≤ 2 %) |');
  lines.push('|---|---:|---|---|---:|---|---:|---|');
  let agreeing = 0;
  for (const key of keys) {
    const [label, size] = key.split('\u0000') as [string, string];
    const each = perRun.map((r) => r.searches.find((s) => s.pathLabel === label && s.msgSizeBytes === Number(size)) ?? null);
    const found = each.filter((s): s is PathSearch => s !== null);
    const dn = spread(each.map((s) => s?.ndrPps ?? null));
    const dp = spread(each.map((s) => s?.pdrPps ?? null));
    const agree = dn !== null && dp !== null && dn <= AGREEMENT && dp <= AGREEMENT;
    if (agree) agreeing++;
    lines.push(
      `| ${label} ${size} B | ${found.filter(goalMet).length}/${each.length} | ${found.map((s) => s.fullLengthEquivalentTrials).join(', ')} | ${each.map((s) => s?.ndrPps ?? '–').join(', ')} | ${pct(dn)} | ${each.map((s) => s?.pdrPps ?? '–').join(', ')} | ${pct(dp)} | ${runs < 2 ? 'n/a (one run)' : agree ? 'yes' : 'no'} |`,
    );
  }
  if (runs >= 2) {
    lines.push('');
    lines.push(`repeated searches agreeing within 2 % (NDR and PDR): ${agreeing} of ${keys.length} paths`);
  }
  lines.push('');
  lines.push('why each search stopped:');
  perRun.forEach((r, i) => {
    for (const s of r.searches) lines.push(`  run ${i + 1} ${s.pathLabel} ${s.msgSizeBytes} B: ${s.stopReason}: ${s.stopDetail}`);
  });
  // Repeated searches that disagree with the same placement point at the machine, not the placement.
  lines.push('');
  lines.push(`CPU placement per run (run.json cpuPlan): ${perRun.map((r, i) => `run ${i + 1} ${cpuPlanOf(r.dir)}`).join('; ')}`);
  lines.push('');
  const totalS = (Date.now() - benchStarted) / 1000;
  lines.push(
    `wall time per run: ${perRun.map((r) => `${r.wallS.toFixed(0)} s`).join(', ')}; bench total ${totalS.toFixed(0)} s (${(totalS / 60).toFixed(1)} min)`,
  );
  lines.push(
    `run folders: ${perRun.map((r) => r.dir).join(', ')}; load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const text = lines.join('\n');
  writeFileSync(join(outRoot, 'search-convergence.md'), `${text}\n`);
  console.log(text);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
