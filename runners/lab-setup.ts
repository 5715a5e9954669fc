// A path's set-up on lab hosts, for one block of its trials: hugepages for testpmd (on each host
// that runs one), the DPDK runtime folders, tracefs for a tracer, and the recipe's adjustments.
// Every change is in the host's ledger, with the remote argv that undoes it, before it is made;
// the block's end (or `cleanup --inventory` after a kill) runs the undos in reverse.
import { getNetnsRecipe } from '../paths/registry.js';
import type { CpuPlan, ProcessSpec, SetupCommand } from '../paths/types.js';
import type { PlannedTrial } from '../suites/plan.js';
import type { LabPairSession } from './lab-executor.js';
import { NOTHING_PREPARED } from './path-setup.js';
import { trialPort } from './trial.js';

type Role = 'client' | 'server';

/** The lock folder runners/hugepages.ts takes on a machine: a lab host's local runs and ours never race. */
const POOL_LOCK = '/run/bypassbench-hugepages.lock';

/**
 * Adds $1 (negative: removes) 2 MiB pages to the host's pool under the pool lock ($0), prints the
 * pool size before and after ("256 512"). A constant script: the lock path and the count are arguments, never code.
 * A lock whose owner is dead is taken over, as runners/hugepages.ts does.
 */
const POOL_SCRIPT = [
  'i=0',
  'while ! mkdir "$0" 2>/dev/null; do',
  '  o=$(cat "$0/owner" 2>/dev/null); p=${o%% *}',
  '  if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then rm -rf "$0"; continue; fi',
  '  i=$((i+1)); if [ $i -gt 1000 ]; then echo "hugepage pool lock $0 held for over 10 s" >&2; exit 1; fi',
  '  sleep 0.01',
  'done',
  'echo $$ > "$0/owner"',
  'n=$(cat /proc/sys/vm/nr_hugepages); t=$((n + $1)); [ $t -lt 0 ] && t=0',
  'echo $t > /proc/sys/vm/nr_hugepages; r=$?',
  'echo "$n $(cat /proc/sys/vm/nr_hugepages)"',
  'rm -rf "$0"',
  'exit $r',
].join('\n');

export function hugepagePoolArgv(deltaPages: number): string[] {
  return ['sh', '-c', POOL_SCRIPT, POOL_LOCK, String(deltaPages)];
}

const TRACEFS = '/sys/kernel/tracing';

/** Where each process of the block's path runs, planned once with the block's first trial. */
function plannedProcesses(s: LabPairSession, planned: PlannedTrial, cpu: CpuPlan): ProcessSpec[] {
  const recipe = getNetnsRecipe(planned.path);
  const ctx = {
    topology: s.topology,
    prepared: NOTHING_PREPARED,
    cpu,
    msgSizeBytes: planned.msgSizeBytes,
    offeredPps: planned.offeredPps,
    durationS: 1,
    warmupS: 0,
    port: trialPort(planned.index),
    artifactPath: (name: string) => name,
  };
  return recipe.plan(ctx, planned.options).processes;
}

const roleOfPlace = (place: string): Role | null => (place === 'client' || place === 'server' ? place : null);

/**
 * Sets the block up on the hosts; returns its undo. On failure, undoes what it did and throws
 * (the block's trials then fail with that reason).
 */
/** Changes on the hosts, each undo ledgered before its change; `undoAll` reverses them in order. */
function hostChanges(s: LabPairSession, what: string) {
  const done: { role: Role; argv: string[]; why: string }[] = [];
  const undoAll = async () => {
    for (const u of done.reverse()) {
      await s.ssh[u.role].run(u.argv, { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
      s.ledgers[u.role].update((d) => (d.undo = d.undo.filter((x) => x.argv.join('\0') !== u.argv.join('\0'))));
    }
    done.length = 0;
  };
  /** Ledgers the undo, then runs `argv` on the host; a failure names the host and the step. */
  const change = async (role: Role, argv: string[], undo: string[] | null, why: string) => {
    if (undo) {
      s.ledgers[role].update((d) => d.undo.push({ argv: undo, why }));
      done.push({ role, argv: undo, why });
    }
    return s.ssh[role].run(argv, { timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`setting up ${what} on ${s.pair[role].name} (${why}) failed: ${err.message}`);
    });
  };
  /** A recipe's set-up commands, on the host of each command's place. */
  const commands = async (list: SetupCommand[]) => {
    for (const cmd of list) {
      const role = roleOfPlace(cmd.place);
      if (!role) throw new Error(`set-up "${cmd.why}" runs in "${cmd.place}", which lab mode has no host for (only client and server)`);
      await change(role, cmd.do, cmd.undo ?? null, cmd.why);
    }
  };
  return { done, undoAll, change, commands };
}

/** Runs set-up commands with their undo ledgered first; returns the undo of all of them (none left on failure). */
export async function applySetupCommands(s: LabPairSession, list: SetupCommand[], what = 'a block'): Promise<() => Promise<void>> {
  const c = hostChanges(s, what);
  try {
    await c.commands(list);
  } catch (err) {
    await c.undoAll();
    throw err;
  }
  return c.undoAll;
}

export async function applyLabBlockSetup(s: LabPairSession, planned: PlannedTrial, cpu: CpuPlan): Promise<() => Promise<void>> {
  const recipe = getNetnsRecipe(planned.path);
  const setup = recipe.setup?.(planned.options, s.topology);
  const processes = plannedProcesses(s, planned, cpu);
  const hostsOf = (pick: (p: ProcessSpec) => boolean) => [...new Set(processes.filter(pick).flatMap((p) => roleOfPlace(p.place) ?? []))];
  const { done, undoAll, change, commands } = hostChanges(s, planned.path);
  try {
    // A previous block that took an address off an interface flushed its neighbour entries.
    for (const role of ['client', 'server'] as const) await s.ssh[role].run(s.neighbourArgv[role], { timeoutMs: 15_000 });
    const dpdkHosts = hostsOf((p) => p.driver === 'testpmd');
    for (const role of dpdkHosts) {
      for (const prefix of setup?.dpdkPrefixes ?? []) {
        // DPDK keeps /var/run/dpdk/<prefix> after exit, even in --in-memory mode.
        const dir = `/var/run/dpdk/${prefix}`;
        s.ledgers[role].update((d) => d.undo.push({ argv: ['rm', '-rf', '--', dir], why: `DPDK runtime folder ${dir}` }));
        done.push({ role, argv: ['rm', '-rf', '--', dir], why: `DPDK runtime folder ${dir}` });
      }
    }
    if (setup?.hugepages) {
      // The path's pages are for all its testpmd processes: each host gets its share.
      const pages = Math.ceil(setup.hugepages / Math.max(1, dpdkHosts.length));
      for (const role of dpdkHosts) {
        const why = `${pages} hugepages reserved for testpmd`;
        const r = await change(role, hugepagePoolArgv(pages), hugepagePoolArgv(-pages), why);
        // "256 512": the pool before and after; the kernel grants fewer pages than asked when memory is fragmented.
        const [before, after] = r.stdout.trim().split(/\s+/).map(Number);
        const granted = (after ?? NaN) - (before ?? NaN);
        if (!(granted >= pages)) {
          // Give back only what was added, not what was asked for.
          const undo = hugepagePoolArgv(-Math.max(0, granted || 0));
          const entry = done.find((d) => d.role === role && d.why === why)!;
          s.ledgers[role].update((d) => d.undo.filter((u) => u.why === why).forEach((u) => (u.argv = undo)));
          entry.argv = undo;
          throw new Error(`${s.pair[role].name}: asked the kernel for ${pages} more hugepages, it granted ${granted} (pool ${before} → ${after})`);
        }
        // DPDK needs a hugetlbfs mount; one is made (in the run's folder) only when the host has none.
        const mounted = await s.ssh[role].run(['grep', '-q', ' hugetlbfs ', '/proc/mounts'], { allowFailure: true });
        if (mounted.exitCode !== 0) {
          const mountPoint = `${s.remoteRunDirs[role]}/hugetlbfs`;
          await change(
            role,
            ['sh', '-c', 'mkdir -p "$0" && mount -t hugetlbfs nodev "$0"', mountPoint],
            ['umount', mountPoint],
            `hugetlbfs mounted at ${mountPoint}`,
          );
        }
      }
    }
    for (const role of hostsOf((p) => p.tracefs === true)) {
      // Only a mount this block makes is undone: one that was there stays.
      const there = await s.ssh[role].run(['grep', '-q', ' /sys/kernel/tracing tracefs ', '/proc/mounts'], { allowFailure: true });
      if (there.exitCode === 0) continue;
      await change(role, ['mount', '-t', 'tracefs', 'nodev', TRACEFS], ['umount', TRACEFS], 'tracefs mounted for the wake-up tracer');
    }
    await commands(recipe.setupCommands?.(s.topology, NOTHING_PREPARED, planned.options) ?? []);
  } catch (err) {
    await undoAll();
    throw err;
  }
  return undoAll;
}
