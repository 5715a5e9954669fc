import { cpus } from 'node:os';
import type { Argv } from 'yargs';
import { EXIT, UserError } from '../core/errors.js';
import { planTrials } from '../suites/plan.js';
import { enablePaths, loadSuite } from '../suites/load.js';
import { data, human } from './output.js';
import { runToReport, type FinishedRun } from './run-flow.js';
import { dryRunMacs, labDryRun, labOptions, loadLab, sshSettingsOf, type LabArgs } from './lab.js';
import { resolveCpuPlan } from '../runners/open-run.js';
import { checkParallelPairs, runPairs, type PairsMode } from '../runners/lab-pairs.js';
import type { Inventory } from '../core/inventory.js';

/** --pairs wins over the suite's lab.pairs; parallel pairs must share no host. */
function pairsMode(args: LabArgs, suiteMode: PairsMode, inventory: Inventory): PairsMode {
  const mode = args.pairs ?? suiteMode;
  if (mode === 'parallel') checkParallelPairs(inventory.file, inventory.pairs);
  return mode;
}

/** A bigger plan is usually a typo in rates or sizes: it runs only with --yes. */
export const MAX_TRIALS_WITHOUT_YES = 1000;

/** Lower bound of a plan's wall time: measured and warm-up seconds only (set-up and start-up come on top). */
export function estimatedMinimumS(trials: number, durationS: number, warmupS: number): number {
  return trials * (durationS + warmupS);
}

function formatDuration(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export const command = 'run <suite>';
export const describe = 'Run a suite: every path × size × offered rate × repetition, saved to a run folder, ending in a report';

export function builder(y: Argv) {
  return labOptions(y)
    .positional('suite', { type: 'string', demandOption: true, describe: 'suite YAML file, e.g. suites/quick.yaml' })
    .option('out', { type: 'string', describe: 'run folder (default results/<UTC time>-<suite>-<id>)' })
    .option('results', { type: 'string', describe: 'parent folder for run folders', default: undefined })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan and exit without running anything' })
    .option('json', { type: 'boolean', default: false, describe: 'print the run summary as JSON on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('verbose', { type: 'boolean', default: false, describe: 'the closing summary also says where the wall time went (largest fixed costs, per path)' })
    .option('yes', { type: 'boolean', default: false, describe: `run a plan of more than ${MAX_TRIALS_WITHOUT_YES} trials` })
    .option('enable', {
      type: 'string',
      array: true,
      default: [],
      describe: 'also run path entries the suite leaves disabled (by label or path), e.g. --enable rdma-rxe',
    })
    .example('$0 run suites/quick.yaml', 'the default suite on the local two-namespace topology')
    .example('$0 run suites/quick.yaml --dry-run', 'show the trials it would run')
    .example('$0 run suites/lab.yaml --inventory lab.yml --dry-run', 'every remote argv per lab host (MACs read from the hosts when they answer)')
    .example('$0 run suites/quick.yaml --enable rdma-rxe', 'add the Soft-RoCE path (emulated; the first run downloads a Debian kernel)');
}

export async function handler(
  args: {
    suite: string;
    out?: string;
    results?: string;
    dryRun: boolean;
    json: boolean;
    quiet: boolean;
    verbose?: boolean;
    enable: string[];
    yes?: boolean;
  } & LabArgs,
): Promise<number> {
  const loaded = enablePaths(loadSuite(args.suite), args.enable);
  const inventory = loadLab(args);
  const plan = planTrials(loaded);
  const { durationS, warmupS } = loaded.suite;
  const estimate = `at least ${formatDuration(estimatedMinimumS(plan.length, durationS, warmupS))} (measured + warm-up time only${loaded.suite.search ? ', plus the searches' : ''})`;
  if (args.dryRun && inventory) {
    const settings = sshSettingsOf(args, '/run/bypassbench/ssh-RUNID');
    // As the run will: the suite's CPUs, else this machine's defaults, unless the inventory names CPUs.
    const cpu = resolveCpuPlan(loaded.suite.cpu, cpus().length, loaded.file);
    const mode = pairsMode(args, loaded.suite.lab.pairs, inventory);
    human(
      `${loaded.file}: ${plan.length} trials per pair, ${inventory.pairs.length} pair(s) from ${inventory.file}, ${mode === 'parallel' ? 'all at once' : 'one after the other'}`,
    );
    for (const pair of inventory.pairs) {
      const first = (l: number[] | null) => l?.[0];
      const pairCpu = { ...cpu, client: first(pair.client.cpus.client) ?? cpu.client, server: first(pair.server.cpus.server) ?? cpu.server };
      const macs = await dryRunMacs(pair, settings);
      for (const line of labDryRun(pair, plan, settings, { durationS, warmupS: loaded.suite.warmupS, mtu: loaded.suite.topology.mtu, cpu: pairCpu }, macs))
        human(line);
    }
    return EXIT.ok;
  }
  if (args.dryRun) {
    if (args.json) data(plan);
    else {
      human(`${loaded.file}: ${plan.length} trials, ${durationS} s each (+${warmupS} s warm-up); estimated duration ${estimate}`);
      for (const t of plan) {
        human(
          `${t.trialId}  rep ${t.repetition}  ${t.pathLabel.padEnd(14)} ${String(t.msgSizeBytes).padStart(5)} B  ${t.offeredPps === null ? 'closed loop' : `${t.offeredPps} pps`}`,
        );
      }
    }
    return EXIT.ok;
  }
  if (plan.length > MAX_TRIALS_WITHOUT_YES && args.yes !== true) {
    throw new UserError(
      `${loaded.file}: the plan has ${plan.length} trials (more than ${MAX_TRIALS_WITHOUT_YES}), estimated duration ${estimate}`,
      'check rates, sizes and repetitions (`--dry-run` lists the plan); add --yes to run it anyway',
    );
  }

  if (inventory) {
    // Each pair is a run of its own (its folder and run.json name the pair): one after the other, or all at once.
    const mode = pairsMode(args, loaded.suite.lab.pairs, inventory);
    const codes = await runPairs(
      inventory.pairs,
      mode,
      (pair) => {
        const ssh = { knownHostsFile: args.knownHosts ?? null, acceptNewHostKeys: args.acceptNewHostKeys === true };
        const outDir = args.out && inventory.pairs.length > 1 ? `${args.out}-${pair.name}` : args.out;
        // Progress lines of runs going at once would interleave: parallel pairs report at their end.
        const quiet = args.quiet || (mode === 'parallel' && inventory.pairs.length > 1);
        return runToReport(
          { loaded, outDir, resultsRoot: args.results, json: args.json, quiet, verbose: args.verbose === true, lab: { inventory, pair, ssh } },
          present(args),
        );
      },
      EXIT.interrupted,
    );
    if (codes.includes(EXIT.interrupted)) return EXIT.interrupted;
    return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
  }
  return runToReport(
    { loaded, outDir: args.out, resultsRoot: args.results, json: args.json, quiet: args.quiet, verbose: args.verbose === true },
    present(args),
  );
}

function present(args: { json: boolean }) {
  return ({ summary, report }: FinishedRun) => {
    if (args.json) {
      data({
        runId: summary.runId,
        runDir: summary.runDir,
        status: summary.status,
        counts: summary.counts,
        error: summary.error ?? null,
        timing: summary.timing,
        report: report.files,
        rows: report.rows,
      });
    } else {
      human('');
      human(report.table);
      human('');
    }
  };
}
