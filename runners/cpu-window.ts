// CPU cost over the measuring tool's counted window, not over its whole life: sockperf lives about
// 2.5 s longer than it measures (start pause, warm-up, exit pause), so spawn-to-exit accounting
// would show a client that used a full core as a third of one. A snapshot holds every path
// process's CPU time and the per-CPU counters of /proc/stat; the cost is the difference between
// the snapshots at the window's start and end, split into the path's own processes, the kernel's
// softirq/irq work on the path's CPUs (minus what those CPUs did before the trial, with nothing of
// it running), and foreign load: busy time on the path's CPUs that no path process accounts for.
import type { CpuCost, PerCpuUsage } from '../core/trial.js';
import { cpuUsageBetween, readCpuTimes, readProcessCpu, type CpuTimes, type ProcessCpu } from './cpu.js';

/** USER_HZ: /proc/stat counts clock ticks, 100 per second. */
const TICKS_PER_S = 100;

/**
 * Foreign load on the path's CPUs above this many cores marks the trial noisy. /proc counts in
 * 10 ms ticks, so over a 1 s window a few ticks of rounding (and the orchestrator's own sampling)
 * must not count as interference.
 */
export const FOREIGN_CORES_TOLERANCE = 0.1;

export interface CpuSnapshot {
  /** performance.now() when it was taken, ms. */
  atMs: number;
  cpus: CpuTimes[];
  /** Each path process's CPU time (all its threads); null when it had already exited. */
  processes: (SampledProcess & { pid: number; cpu: ProcessCpu | null })[];
  /** The orchestrator's own CPU time, µs (it runs the sampling; not the path's cost). */
  orchestratorUs: number;
}

export interface SampledProcess {
  role: string;
  pid: number | null;
  /** The CPU it is pinned to, if any. */
  pinnedCpu: number | null;
  /** It spins by design (never sleeps while it has its CPU). */
  busyPoll: boolean;
}

export function takeSnapshot(processes: readonly SampledProcess[]): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    atMs: performance.now(),
    cpus: readCpuTimes(),
    processes: processes.filter((p) => p.pid !== null).map((p) => ({ ...p, pid: p.pid!, cpu: readProcessCpu(p.pid!) })),
    orchestratorUs: usage.user + usage.system,
  };
}

/**
 * When the idle baseline was taken: before anything of the trial started, or inside the measuring
 * tool's quiet lead (it sleeps before its traffic, the services idle), the trial's processes and
 * the orchestrator subtracted (runners/trial-cpu.ts).
 */
export type BaselineHow = 'before-trial' | 'tool-quiet-lead';

export interface CpuBaseline {
  /** Busy cores on the path's CPUs that neither the trial's processes nor the orchestrator account for (other users of the machine). */
  busyCores: number;
  /** Of which softirq + irq: the kernel's background work the path's share is corrected by. */
  irqCores: number;
  windowS: number;
  how?: BaselineHow;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function ticksOn(a: CpuTimes[], b: CpuTimes[], cpus: readonly number[], keys: readonly (keyof CpuTimes)[]): number {
  let ticks = 0;
  for (const after of b) {
    if (!cpus.includes(after.cpu)) continue;
    const before = a.find((x) => x.cpu === after.cpu);
    if (!before) continue;
    for (const k of keys) ticks += Math.max(0, after[k] - before[k]);
  }
  return ticks;
}

const BUSY_KEYS = ['user', 'nice', 'system', 'irq', 'softirq'] as const;
const IRQ_KEYS = ['irq', 'softirq'] as const;

/**
 * The path's CPUs' load between two snapshots taken with nothing of the trial measuring: what the
 * snapshots' processes (the trial's, idle or spinning, when taken in the tool's quiet lead) and the
 * orchestrator used is not load of others, so it is subtracted.
 */
export function baselineBetween(a: CpuSnapshot, b: CpuSnapshot, cpus: readonly number[]): CpuBaseline {
  const windowS = (b.atMs - a.atMs) / 1000;
  const cores = (keys: readonly (keyof CpuTimes)[]) => (windowS > 0 ? ticksOn(a.cpus, b.cpus, cpus, keys) / TICKS_PER_S / windowS : 0);
  let ownS = Math.max(0, (b.orchestratorUs - a.orchestratorUs) / 1e6);
  for (const end of b.processes) {
    const start = a.processes.find((p) => p.pid === end.pid);
    if (start?.cpu && end.cpu) ownS += Math.max(0, end.cpu.userS - start.cpu.userS) + Math.max(0, end.cpu.systemS - start.cpu.systemS);
  }
  const busyCores = Math.max(0, cores(BUSY_KEYS) - (windowS > 0 ? ownS / windowS : 0));
  return { busyCores: round3(busyCores), irqCores: round3(cores(IRQ_KEYS)), windowS: round3(windowS) };
}

export interface WindowCost {
  cost: CpuCost;
  /** Why the trial is noisy (foreign load on the path's CPUs), or null. */
  noisy: string | null;
}

/**
 * The path's CPU cost between two snapshots. coresBusy = the path's processes (user + system, all
 * threads) + softirq/irq on its CPUs above the idle baseline: a busy poller shows its full core, a
 * blocking client what it really used while it measured.
 */
export function windowCost(
  a: CpuSnapshot,
  b: CpuSnapshot,
  opts: { cpus: readonly number[]; baseline: CpuBaseline | null; window: 'measured' | 'process' },
): WindowCost {
  const windowS = (b.atMs - a.atMs) / 1000;
  const perCpu: PerCpuUsage[] = cpuUsageBetween(a.cpus, b.cpus);
  if (!(windowS > 0)) return { cost: { coresBusy: null, nsPerPacket: null, perCpu, window: opts.window, windowS: round3(Math.max(0, windowS)) }, noisy: null };
  const perProcess: NonNullable<CpuCost['perProcess']> = [];
  const used: { p: SampledProcess; cores: number }[] = [];
  let processCores = 0;
  for (const end of b.processes) {
    const found = a.processes.find((p) => p.pid === end.pid);
    // A 'process' window opens when the measuring tool is spawned: a process not yet seen then
    // started inside the window (a lab host's pid file appears a few ms after the spawn), so all
    // its CPU is the window's. In a 'measured' window it may have run before: not counted.
    const start = found ?? (opts.window === 'process' ? { cpu: { userS: 0, systemS: 0 } } : undefined);
    if (!start?.cpu || !end.cpu) continue;
    const userS = Math.max(0, end.cpu.userS - start.cpu.userS);
    const systemS = Math.max(0, end.cpu.systemS - start.cpu.systemS);
    processCores += (userS + systemS) / windowS;
    used.push({ p: end, cores: (userS + systemS) / windowS });
    perProcess.push({ role: end.role, pid: end.pid, userS: round3(userS), systemS: round3(systemS), cores: round3((userS + systemS) / windowS) });
  }
  const cores = (keys: readonly (keyof CpuTimes)[]) => ticksOn(a.cpus, b.cpus, opts.cpus, keys) / TICKS_PER_S / windowS;
  // A busy poller holds its CPU whenever it is scheduled: when other work preempts it, that CPU is
  // still spent on the design (the poller cannot give it back), so it counts as the busy share of
  // its CPU, less what the path's other processes pinned there used; the preemption itself is
  // foreign load and marks the trial noisy.
  let heldCores = 0;
  for (const u of used) {
    if (!u.p.busyPoll || u.p.pinnedCpu === null) continue;
    const cpu = u.p.pinnedCpu;
    const others = used.filter((o) => o !== u && o.p.pinnedCpu === cpu).reduce((sum, o) => sum + o.cores, 0);
    const cpuBusy = ticksOn(a.cpus, b.cpus, [cpu], BUSY_KEYS) / TICKS_PER_S / windowS;
    heldCores += Math.max(0, Math.min(1, cpuBusy - others) - u.cores);
  }
  const irqCores = Math.max(0, cores(IRQ_KEYS) - (opts.baseline?.irqCores ?? 0));
  const orchestratorCores = Math.max(0, (b.orchestratorUs - a.orchestratorUs) / 1e6 / windowS);
  // Busy time on the path's CPUs that neither the path's processes, the kernel's softirq/irq work,
  // nor the orchestrator account for: somebody else was running there.
  const foreignCores = Math.max(0, cores(BUSY_KEYS) - cores(IRQ_KEYS) - processCores - orchestratorCores);
  // Per-process and per-CPU times are sampled at different instants and tick granularity, so the
  // sum can overshoot a little; never report more than the whole machine was busy in the window.
  const machineBusyCores =
    ticksOn(
      a.cpus,
      b.cpus,
      b.cpus.map((c) => c.cpu),
      BUSY_KEYS,
    ) /
    TICKS_PER_S /
    windowS;
  const coresBusy = round3(Math.min(processCores + heldCores + irqCores, machineBusyCores));
  const noisy =
    foreignCores > FOREIGN_CORES_TOLERANCE
      ? `foreign load on the path's CPUs (${opts.cpus.join(',')}): ${foreignCores.toFixed(2)} cores busy outside the path's processes during the ${opts.window} window` +
        ` (tolerance ${FOREIGN_CORES_TOLERANCE}; ${opts.baseline?.how === 'tool-quiet-lead' ? "in the tool's quiet lead" : 'before the trial'}: ${opts.baseline ? opts.baseline.busyCores.toFixed(2) : '?'} cores)`
      : null;
  return {
    cost: {
      coresBusy,
      nsPerPacket: null,
      perCpu,
      perProcess,
      window: opts.window,
      windowS: round3(windowS),
      cpus: [...opts.cpus],
      processCores: round3(processCores),
      pollerHeldCores: round3(heldCores),
      irqCores: round3(irqCores),
      baselineCores: opts.baseline?.busyCores ?? null,
      ...(opts.baseline?.how ? { baselineHow: opts.baseline.how, baselineS: opts.baseline.windowS } : {}),
      foreignCores: round3(foreignCores),
      orchestratorCores: round3(orchestratorCores),
    },
    noisy,
  };
}
