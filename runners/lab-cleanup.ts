// `cleanup --inventory`: finishing on every lab host what dead or cut-off runs left there, from
// the per-host ledgers (runners/lab-ledger.ts). A host still unreachable keeps its ledger, so the
// next cleanup tries again; a live run's hosts are left alone unless forced.
import type { Inventory } from '../core/inventory.js';
import type { CleanupAction } from './cleanup.js';
import { isSameProcessAlive } from './ledger.js';
import { cleanHost } from './lab-executor.js';
import { LabLedger, readLabLedgers } from './lab-ledger.js';
import { SshHost, type SshSettings } from './ssh.js';

export interface LabCleanupResult {
  actions: CleanupAction[];
  skipped: string[];
}

export async function cleanupLab(inventory: Inventory, settings: SshSettings, opts: { dryRun: boolean; force: boolean }): Promise<LabCleanupResult> {
  const actions: CleanupAction[] = [];
  const skipped: string[] = [];
  const byName = new Map(inventory.hosts.map((h) => [h.name, h]));
  for (const { file, data } of readLabLedgers()) {
    const known = byName.get(data.host.name);
    if (!known) continue;
    if (!opts.force && data.ownerPid !== process.pid && isSameProcessAlive(data.ownerPid, data.ownerStartTicks)) {
      skipped.push(`${data.host.name}: run ${data.runId} is still running (pid ${data.ownerPid}); use --force to clean it anyway`);
      continue;
    }
    // The inventory's connection settings win (a lab may have fixed a key since); the ledger's role and folder stay.
    const ssh = new SshHost({ ...data.host, ...known, role: data.host.role }, settings);
    const what = [
      ...data.processes.map((p) => `kill ${p.program} (${p.role}${p.pid ? `, pid ${p.pid}` : ''}) and its process group`),
      ...[...data.undo].reverse().map((u) => `undo "${u.why}": ${u.argv.join(' ')}`),
      `remove ${data.remoteRunDir}`,
    ];
    if (opts.dryRun) {
      for (const w of what) actions.push({ what: `${data.host.name}: ${w}`, done: false });
      continue;
    }
    const ledger = new LabLedger(data.runId, data.host, data.remoteRunDir, { file, data });
    const problems = await cleanHost(ssh, ledger).catch((err: Error) => [err.message]);
    if (problems.length === 0) {
      for (const w of what) actions.push({ what: `${data.host.name}: ${w}`, done: true });
      ledger.close();
    } else {
      actions.push({
        what: `${data.host.name}: clean run ${data.runId}`,
        done: false,
        error: `${problems.join('; ')} (the ledger ${file} is kept; run cleanup again when the host is back)`,
      });
    }
  }
  return { actions, skipped };
}
