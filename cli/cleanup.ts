import type { Argv } from 'yargs';
import { EXIT } from '../core/errors.js';
import { cleanup } from '../runners/cleanup.js';
import { data, human } from './output.js';
import { cleanupLab } from '../runners/lab-cleanup.js';
import { ledgerDir } from '../runners/ledger.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { labOptions, loadLab, sshSettingsOf, type LabArgs } from './lab.js';

export const command = 'cleanup';
export const describe = 'Remove what a killed run left behind: namespaces, veths, processes, XDP programs, hugepages, mounts';

export function builder(y: Argv) {
  return labOptions(y)
    .option('dry-run', { type: 'boolean', default: false, describe: 'only list what would be removed' })
    .option('force', { type: 'boolean', default: false, describe: 'also clean runs whose orchestrator is still alive' })
    .option('json', { type: 'boolean', default: false, describe: 'print the actions as JSON' });
}

export async function handler(args: { dryRun: boolean; force: boolean; json: boolean } & LabArgs): Promise<number> {
  const inventory = loadLab(args);
  const result = await cleanup({ dryRun: args.dryRun, force: args.force });
  if (inventory) {
    // Then every lab host of the inventory that a run's ledger names.
    const settings = sshSettingsOf(args, join(ledgerDir(), `ssh-cleanup-${process.pid}`));
    const lab = await cleanupLab(inventory, settings, { dryRun: args.dryRun, force: args.force });
    rmSync(settings.controlDir, { recursive: true, force: true });
    result.actions.push(...lab.actions);
    result.skipped.push(...lab.skipped);
  }
  if (args.json) data(result);
  else {
    for (const w of result.warnings) human(`warning: ${w}`);
    for (const s of result.skipped) human(`skipped: ${s}`);
    for (const a of result.actions) human(`${args.dryRun ? 'would ' : a.done ? '' : 'FAILED: '}${a.what}${a.error ? ` (${a.error})` : ''}`);
    if (result.actions.length === 0 && result.skipped.length === 0 && result.warnings.length === 0) human('nothing to clean up');
  }
  return result.actions.some((a) => a.error) ? EXIT.crash : EXIT.ok;
}
