import type { Argv } from 'yargs';
import { compareRuns, environmentDifferences, environmentOf, type EnvironmentDifference } from '../analysis/compare.js';
import { EXIT, UserError } from '../core/errors.js';
import { loadRun } from '../core/run-folder.js';
import { renderCompareTable, writeCompare } from '../report/compare.js';
import { data, human } from './output.js';

export const command = 'compare <run-a> <run-b>';
export const describe = 'Compare two saved runs per path × size × rate: p50/p99 changes with a bootstrap interval; exit 3 when B regressed';

export function builder(y: Argv) {
  return y
    .positional('run-a', { type: 'string', demandOption: true, describe: 'the baseline run folder' })
    .positional('run-b', { type: 'string', demandOption: true, describe: 'the run to judge against it' })
    .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON on stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'compare even when kernel, CPU, haltpoll, governor or tool versions differ' })
    .option('min-change', { type: 'number', default: 0.1, describe: 'smallest relative change that is flagged (0.1 = 10 %)' })
    .option('alpha', {
      type: 'number',
      default: 0.05,
      describe: 'false-discovery rate over all the groups × metrics compared (permutation tests, Benjamini–Hochberg)',
    })
    .option('min-repetitions', { type: 'number', default: 3, describe: 'repetitions each run needs per group before it is tested' })
    .option('ci-level', { type: 'number', default: 0.95, describe: 'level of the descriptive bootstrap interval shown beside each change' })
    .option('resamples', { type: 'number', default: 2000, describe: 'bootstrap resamples per metric and group' })
    .option('seed', { type: 'number', default: 1, describe: 'seed of the bootstrap, so a comparison always gives the same answer' })
    .option('out', { type: 'string', describe: 'folder for compare.html, compare.md, compare.json and the chart (default ./compare-<A id>-vs-<B id>)' })
    .option('chart', { type: 'boolean', default: true, describe: 'render compare.svg/.png (--no-chart writes compare.json and the spec only)' })
    .example('$0 compare results/A results/B', 'flag regressions of B against A (exit 3 when there are any)')
    .example('$0 compare results/A results/B --min-change 0.2 --json', 'only changes of 20 % or more, as JSON')
    .epilog(
      'A change is flagged only when the bootstrap interval of median(B) − median(A) excludes 0 AND the relative change reaches --min-change. ' +
        'Exit codes: 0 no regression, 3 regressions found, 2 bad input (not a run folder, bad option, or environments that differ without --force).',
    );
}

function describeDifferences(diffs: EnvironmentDifference[]): string {
  return diffs.map((d) => `${d.field}: A ${d.a}, B ${d.b}`).join('; ');
}

/** The short id at the end of a run id (<time>-<suite>-<id>). */
function shortName(runId: string): string {
  return runId.split('-').at(-1) ?? 'run';
}

export async function handler(args: {
  runA: string;
  runB: string;
  json: boolean;
  force: boolean;
  minChange: number;
  alpha: number;
  minRepetitions: number;
  ciLevel: number;
  resamples: number;
  seed: number;
  out?: string;
  chart: boolean;
}): Promise<number> {
  const a = loadRun(args.runA);
  const b = loadRun(args.runB);
  const diffs = environmentDifferences(a, b);
  const blocking = diffs.filter((d) => d.blocking);
  if (blocking.length && !args.force) {
    throw new UserError(
      `the runs were measured in different environments, so their numbers are not comparable: ${describeDifferences(blocking)}`,
      'compare runs from the same machine setup, or pass --force to compare anyway',
    );
  }
  const result = compareRuns(
    a,
    b,
    {
      minRelChange: args.minChange,
      alpha: args.alpha,
      minRepetitions: args.minRepetitions,
      ciLevel: args.ciLevel,
      resamples: args.resamples,
      seed: args.seed,
    },
    blocking.length > 0,
  );
  const outDir = args.out ?? `compare-${shortName(a.meta.runId)}-vs-${shortName(b.meta.runId)}`;
  const written = await writeCompare(result, outDir, args.chart, { a: environmentOf(a.meta), b: environmentOf(b.meta) });
  for (const w of written.warnings) human(`warning: ${w}`);

  if (args.json) data({ ...result, files: written.files });
  else {
    human(`A: ${a.meta.runId}`);
    human(`B: ${b.meta.runId}`);
    if (blocking.length) human(`forced despite: ${describeDifferences(blocking)}`);
    const notes = diffs.filter((d) => !d.blocking);
    if (notes.length) human(`also differs (not blocking): ${notes.map((d) => d.field).join(', ')}`);
    human('');
    human(renderCompareTable(result));
    human('');
    human(
      `${result.regressions} regression(s), ${result.improvements} improvement(s) over ${result.groups.length} groups ` +
        `(flagged when a permutation test over repetitions, adjusted for the ${result.groups.length * result.options.metrics.length} comparisons, gives p ≤ ${result.options.alpha} and |change| ≥ ${Math.round(result.options.minRelChange * 100)} %; intervals are descriptive bootstrap ranges)`,
    );
    for (const f of written.files) human(`wrote ${f}`);
  }
  // 3 is the tool's "finished, but something is worse" code (for run: failed trials).
  return result.regressions > 0 ? EXIT.trialsFailed : EXIT.ok;
}
