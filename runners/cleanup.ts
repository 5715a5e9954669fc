// Finishing the job after a hard kill: remove what dead runs left behind, from their ledgers,
// then sweep namespaces and veths that carry the project's naming pattern but no live owner.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunFolder } from '../core/run-folder.js';
import { HUGETLBFS_MOUNT_ROOT, POOL_LOCK } from './hugepages.js';
import { isSameProcessAlive, liveOwnerRunIds, readLedgers, readStartTicks, type LedgerData } from './ledger.js';
import { deleteNetns, NETNS_PATTERN, netnsPids } from './netns.js';
import { killGroup, run, tryRun } from './exec.js';
import { sweepJvmLogs } from './jvm-log.js';
import { sweepNodeInspectors } from './node-gc-inspector.js';

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

/** Processes lead their own group (pgid recorded): the group goes, with any child the tool left. */
function killLedgerProcess(p: LedgerData['processes'][number]): void {
  if (p.pgid !== undefined && killGroup(p.pgid, 'SIGKILL')) return;
  process.kill(p.pid, 'SIGKILL');
}

/**
 * A process in the namespace whose parent lives outside it: the orchestrator of a live run. After
 * a kill -9 of the orchestrator its children are re-parented to init (pid 1).
 */
async function liveParentOf(ns: string): Promise<number | null> {
  const pids = await netnsPids(ns);
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "123 (bb-afxdp) S 456 …": state, then the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid > 1 && !pids.includes(ppid) && ppid !== process.pid) return ppid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** A run killed before it could close: run.json says so instead of `running` for ever. */
function markKilled(d: LedgerData): void {
  if (!d.resultsDir) return;
  const folder = new RunFolder(d.resultsDir);
  if (!folder.has('meta')) return;
  const meta = folder.readMeta();
  if (meta.status !== 'running') return;
  meta.status = 'killed';
  meta.error = `the orchestrator (pid ${d.ownerPid}) ended without closing the run; \`bypassbench cleanup\` removed what it left`;
  folder.writeMeta(meta);
}

async function cleanLedger(d: LedgerData, file: string, dryRun: boolean, actions: CleanupAction[]): Promise<void> {
  for (const p of d.processes) {
    const leaderAlive = isSameProcessAlive(p.pid, p.startTicks);
    // A dead leader's group can still hold children (kill(-pgid, 0) says whether it exists).
    const groupAlive = p.pgid !== undefined && killGroup(p.pgid, 0);
    if (!leaderAlive && !groupAlive) continue;
    await act(actions, `kill ${p.program} (${p.role}, pid ${p.pid}${p.pgid !== undefined ? ' and its process group' : ''})`, dryRun, () =>
      killLedgerProcess(p),
    );
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
    // Give back only what the run added: others may be using the pool too. The ledger names the
    // pages before the pool grows, so a run killed in between added nothing: never go below the
    // pool it found.
    const now = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
    const release = Math.max(0, Math.min(addedPages, now - d.hugepages.previousTotal));
    if (release > 0) {
      await act(actions, `release ${release} hugepages`, dryRun, () => {
        const current = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
        writeFileSync('/proc/sys/vm/nr_hugepages', String(Math.max(0, current - release)));
      });
    }
  }
  if (d.resultsDir) await act(actions, `mark run ${d.runId} as killed in ${join(d.resultsDir, 'run.json')}`, dryRun, () => markKilled(d));
  await act(actions, `forget ledger of run ${d.runId}`, dryRun, () => rmSync(file, { force: true }));
}

/** A ledger that cannot be read: say so, and sweep what its run's names identify (namespaces and veths follow below). */
async function cleanBadLedger(
  bad: { file: string; runId: string; error: string },
  dryRun: boolean,
  actions: CleanupAction[],
  warnings: string[],
): Promise<void> {
  warnings.push(
    `ledger ${bad.file} cannot be read (${bad.error}); swept what its run's names identify (namespaces, veths, DPDK folders, dead runs' hugetlbfs mounts), but not the hugepages it may have added: check /proc/sys/vm/nr_hugepages`,
  );
  if (/^[0-9a-f]{6}$/.test(bad.runId)) {
    for (const suffix of ['', 'g', 's']) {
      const dir = `/var/run/dpdk/bb${bad.runId}${suffix}`;
      if (existsSync(dir)) await act(actions, `remove ${dir}`, dryRun, () => rmSync(dir, { recursive: true, force: true }));
    }
  }
  await act(actions, `forget unreadable ledger ${bad.file}`, dryRun, () => rmSync(bad.file, { force: true }));
}

/** hugetlbfs-<pid>-<n>: the pid of the run that made it; a live one's folder is not ours to touch. */
async function sweepHugetlbfs(dryRun: boolean, force: boolean, actions: CleanupAction[], skipped: string[]): Promise<void> {
  const mounted = readFileSync('/proc/mounts', 'utf8');
  let entries: string[] = [];
  try {
    entries = readdirSync(HUGETLBFS_MOUNT_ROOT).filter((n) => /^hugetlbfs-\d+-\d+$/.test(n));
  } catch {
    // no mount root
  }
  for (const name of entries) {
    const dir = join(HUGETLBFS_MOUNT_ROOT, name);
    const ownerPid = Number(name.split('-')[1]);
    if (!force && ownerPid !== process.pid && readStartTicks(ownerPid) !== null) {
      // Between its mkdir and its mount a live run's folder is empty and unmounted: leave it.
      skipped.push(`hugetlbfs folder ${dir} belongs to a live process (pid ${ownerPid})`);
      continue;
    }
    if (mounted.includes(` ${dir} `)) {
      await act(actions, `unmount hugetlbfs ${dir} (its run is gone)`, dryRun, async () => {
        await run(['umount', dir]);
        rmdirSync(dir);
      });
    } else await act(actions, `remove empty hugetlbfs mount point ${dir}`, dryRun, () => rmdirSync(dir));
  }
}

export async function cleanup(opts: { dryRun?: boolean; force?: boolean } = {}): Promise<{ actions: CleanupAction[]; skipped: string[]; warnings: string[] }> {
  const dryRun = opts.dryRun ?? false;
  const actions: CleanupAction[] = [];
  const skipped: string[] = [];
  const warnings: string[] = [];
  // Runs alive under another state folder keep their objects too (their ledgers are not read here).
  const liveIds = opts.force ? new Set<string>() : liveOwnerRunIds();
  const ledgers = readLedgers();
  for (const bad of ledgers.bad) await cleanBadLedger(bad, dryRun, actions, warnings);
  for (const { file, data } of ledgers.good) {
    if (!opts.force && ownerAlive(data)) {
      liveIds.add(data.runId);
      skipped.push(`run ${data.runId} is still running (pid ${data.ownerPid}); use --force to clean it anyway`);
      continue;
    }
    await cleanLedger(data, file, dryRun, actions);
  }
  // JVM logging a killed `attribute --pid` switched on (runners/jvm-log.ts).
  for (const what of await sweepJvmLogs(dryRun)) actions.push({ what, done: !dryRun });
  for (const what of await sweepNodeInspectors(dryRun)) actions.push({ what, done: !dryRun });
  // Orphans: objects with our names whose ledger is gone (or was never written).
  let namespaces: string[] = [];
  try {
    namespaces = readdirSync('/run/netns');
  } catch {
    // no namespaces at all
  }
  for (const ns of namespaces) {
    const m = NETNS_PATTERN.exec(ns);
    if (!m) continue;
    if (liveIds.has(m[1]!)) {
      if (!ledgers.good.some((l) => l.data.runId === m[1]))
        skipped.push(`namespace ${ns}: run ${m[1]} is still running (its ledger is in another state folder)`);
      continue;
    }
    const owner = await liveParentOf(ns);
    if (owner !== null && !opts.force) {
      // A live run whose ledger is elsewhere (another BYPASSBENCH_STATE_DIR): its processes still have their parent.
      skipped.push(`namespace ${ns}: its processes have a live parent (pid ${owner}), a run without a ledger here`);
      continue;
    }
    await act(actions, `delete orphaned namespace ${ns}`, dryRun, () => deleteNetns(ns));
  }
  // hugetlbfs mount points of killed runs (runners/hugepages.ts makes them).
  await sweepHugetlbfs(dryRun, opts.force ?? false, actions, skipped);
  // The hugepage pool's lock, left by a run killed while it resized the pool.
  if (existsSync(POOL_LOCK)) {
    let owner: string[] = [];
    try {
      owner = readFileSync(join(POOL_LOCK, 'owner'), 'utf8').split(' ');
    } catch {
      // no owner written: its run died between mkdir and write
    }
    const pid = Number(owner[0]);
    const ticks = owner[1] ? Number(owner[1]) : null;
    if (!(pid > 0 && pid !== process.pid && isSameProcessAlive(pid, ticks))) {
      await act(actions, `remove the hugepage pool lock ${POOL_LOCK} (its run is gone)`, dryRun, () => rmSync(POOL_LOCK, { recursive: true, force: true }));
    }
  }
  const links = await run(['ip', '-o', 'link', 'show', 'type', 'veth'], { allowFailure: true }).catch(() => ({ stdout: '' }));
  for (const line of links.stdout.split('\n')) {
    // "12: bba1b2c3c0@if11: <BROADCAST,…>": index, name@peer
    const name = /^\d+:\s+([^@:]+)/.exec(line)?.[1];
    if (!name || !VETH_PATTERN.test(name) || liveIds.has(name.slice(2, 8))) continue;
    await act(actions, `delete orphaned veth ${name}`, dryRun, () => tryRun(['ip', 'link', 'del', name]));
  }
  return { actions, skipped, warnings };
}
