// Finishing the job after a hard kill: remove what dead runs left behind, from their ledgers,
// then sweep namespaces and veths that carry the project's naming pattern but no live owner.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUGETLBFS_MOUNT_ROOT } from './hugepages.js';
import { isSameProcessAlive, listLedgers, type LedgerData } from './ledger.js';
import { deleteNetns, NETNS_PATTERN } from './netns.js';
import { run, tryRun } from './exec.js';

export interface CleanupAction {
  what: string;
  done: boolean;
  error?: string;
}

/** veths the project names "bb" + 6 hex + c|s|x|y + digit; see runners/netns.ts and path-setup.ts. */
export const VETH_PATTERN = /^bb[0-9a-f]{6}[csxy]\d+$/;

function ownerAlive(d: LedgerData): boolean {
  return d.ownerPid !== process.pid && isSameProcessAlive(d.ownerPid, d.ownerStartTicks);
}

async function act(actions: CleanupAction[], what: string, dryRun: boolean, fn: () => unknown): Promise<void> {
  if (dryRun) {
    actions.push({ what, done: false });
    return;
  }
  try {
    await fn();
    actions.push({ what, done: true });
  } catch (err) {
    actions.push({ what, done: false, error: (err as Error).message });
  }
}

async function cleanLedger(d: LedgerData, file: string, dryRun: boolean, actions: CleanupAction[]): Promise<void> {
  for (const p of d.processes) {
    if (!isSameProcessAlive(p.pid, p.startTicks)) continue;
    await act(actions, `kill ${p.program} (${p.role}, pid ${p.pid})`, dryRun, () => process.kill(p.pid, 'SIGKILL'));
  }
  for (const x of d.xdp) {
    const argv = x.netns ? ['ip', '-n', x.netns, 'link', 'set', 'dev', x.ifname, 'xdp', 'off'] : ['ip', 'link', 'set', 'dev', x.ifname, 'xdp', 'off'];
    await act(actions, `detach XDP from ${x.ifname}`, dryRun, () => tryRun(argv));
  }
  for (const ns of d.namespaces) await act(actions, `delete namespace ${ns}`, dryRun, () => deleteNetns(ns));
  for (const v of d.veths) await act(actions, `delete veth ${v}`, dryRun, () => tryRun(['ip', 'link', 'del', v]));
  for (const m of d.mounts) await act(actions, `unmount ${m}`, dryRun, () => tryRun(['umount', m]));
  for (const p of d.paths ?? []) {
    if (!p.startsWith('/var/run/dpdk/')) continue;
    await act(actions, `remove ${p}`, dryRun, () => rmSync(p, { recursive: true, force: true }));
  }
  if (d.hugepages) {
    const { addedPages, mountPoint } = d.hugepages;
    if (mountPoint) {
      await act(actions, `unmount hugetlbfs ${mountPoint}`, dryRun, async () => {
        await tryRun(['umount', mountPoint]);
        if (existsSync(mountPoint)) rmdirSync(mountPoint);
      });
    }
    // Give back only what the run added: others may be using the pool too.
    await act(actions, `release ${addedPages} hugepages`, dryRun, () => {
      const now = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
      writeFileSync('/proc/sys/vm/nr_hugepages', String(Math.max(0, now - addedPages)));
    });
  }
  await act(actions, `forget ledger of run ${d.runId}`, dryRun, () => rmSync(file, { force: true }));
}

export async function cleanup(opts: { dryRun?: boolean; force?: boolean } = {}): Promise<{ actions: CleanupAction[]; skipped: string[] }> {
  const dryRun = opts.dryRun ?? false;
  const actions: CleanupAction[] = [];
  const skipped: string[] = [];
  const liveIds = new Set<string>();
  for (const { file, data } of listLedgers()) {
    if (!opts.force && ownerAlive(data)) {
      liveIds.add(data.runId);
      skipped.push(`run ${data.runId} is still running (pid ${data.ownerPid}); use --force to clean it anyway`);
      continue;
    }
    await cleanLedger(data, file, dryRun, actions);
  }
  // Orphans: objects with our names whose ledger is gone (or was never written).
  let namespaces: string[] = [];
  try {
    namespaces = readdirSync('/run/netns');
  } catch {
    // no namespaces at all
  }
  for (const ns of namespaces) {
    const m = NETNS_PATTERN.exec(ns);
    if (!m || liveIds.has(m[1]!)) continue;
    await act(actions, `delete orphaned namespace ${ns}`, dryRun, () => deleteNetns(ns));
  }
  // hugetlbfs mount points of killed runs (runners/hugepages.ts makes them): empty and unmounted.
  const mounted = readFileSync('/proc/mounts', 'utf8');
  let entries: string[] = [];
  try {
    entries = readdirSync(HUGETLBFS_MOUNT_ROOT).filter((n) => /^hugetlbfs-\d+-\d+$/.test(n));
  } catch {
    // no mount root
  }
  for (const name of entries) {
    const dir = join(HUGETLBFS_MOUNT_ROOT, name);
    if (mounted.includes(` ${dir} `)) continue;
    await act(actions, `remove empty hugetlbfs mount point ${dir}`, dryRun, () => rmdirSync(dir));
  }
  const links = await run(['ip', '-o', 'link', 'show', 'type', 'veth'], { allowFailure: true }).catch(() => ({ stdout: '' }));
  for (const line of links.stdout.split('\n')) {
    // "12: bba1b2c3c0@if11: <BROADCAST,…>": index, name@peer
    const name = /^\d+:\s+([^@:]+)/.exec(line)?.[1];
    if (!name || !VETH_PATTERN.test(name) || liveIds.has(name.slice(2, 8))) continue;
    await act(actions, `delete orphaned veth ${name}`, dryRun, () => tryRun(['ip', 'link', 'del', name]));
  }
  return { actions, skipped };
}
