import type { Argv } from 'yargs';
import { EXIT } from '../core/errors.js';
import { planTrials } from '../suites/plan.js';
import { enablePaths, loadSuite } from '../suites/load.js';
import { data, human } from './output.js';
import { runToReport } from './run-flow.js';

export const command = 'run <suite>';
export const describe = 'Run a suite: every path × size × offered rate × repetition, saved to a run folder, ending in a report';

export function builder(y: Argv) {
  return y
    .positional('suite', { type: 'string', demandOption: true, describe: 'suite YAML file, e.g. suites/quick.yaml' })
    .option('out', { type: 'string', describe: 'run folder (default results/<UTC time>-<suite>-<id>)' })
    .option('results', { type: 'string', describe: 'parent folder for run folders', default: undefined })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan and exit without running anything' })
    .option('json', { type: 'boolean', default: false, describe: 'print the run summary as JSON on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('enable', {
      type: 'string',
      array: true,
      default: [],
      describe: 'also run path entries the suite leaves disabled (by label or path), e.g. --enable rdma-rxe',
    })
    .example('$0 run suites/quick.yaml', 'the default suite on the local two-namespace topology')
    .example('$0 run suites/quick.yaml --dry-run', 'show the trials it would run')
    .example('$0 run suites/quick.yaml --enable rdma-rxe', 'add the Soft-RoCE path (emulated; the first run downloads a Debian kernel)');
}

export async function handler(args: {
  suite: string;
  out?: string;
  results?: string;
  dryRun: boolean;
  json: boolean;
  quiet: boolean;
  enable: string[];
}): Promise<number> {
  const loaded = enablePaths(loadSuite(args.suite), args.enable);
  if (args.dryRun) {
    const plan = planTrials(loaded);
    if (args.json) data(plan);
    else {
      human(`${loaded.file}: ${plan.length} trials, ${loaded.suite.durationS} s each (+${loaded.suite.warmupS} s warm-up)`);
      for (const t of plan) {
        human(
          `${t.trialId}  rep ${t.repetition}  ${t.pathLabel.padEnd(14)} ${String(t.msgSizeBytes).padStart(5)} B  ${t.offeredPps === null ? 'closed loop' : `${t.offeredPps} pps`}`,
        );
      }
    }
    return EXIT.ok;
  }

  return runToReport({ loaded, outDir: args.out, resultsRoot: args.results, json: args.json, quiet: args.quiet }, ({ summary, report }) => {
    if (args.json) {
      data({
        runId: summary.runId,
        runDir: summary.runDir,
        status: summary.status,
        counts: summary.counts,
        error: summary.error ?? null,
        report: report.files,
        rows: report.rows,
      });
    } else {
      human('');
      human(report.table);
      human('');
    }
  });
}
