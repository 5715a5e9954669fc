// Opening a run: the host must allow it, the suite is planned, the run folder is created with
// its run.json, and the default topology comes up (recorded in run.json once it is). Everything a
// later phase needs travels in one OpenRun.
import { join, resolve } from 'node:path';
import type { HostFacts } from '../core/host.js';
import { UserError } from '../core/errors.js';
import { runFolderName, shortId } from '../core/ids.js';
import { projectRoot, projectVersion } from '../core/project.js';
import { RunFolder } from '../core/run-folder.js';
import { RUN_META_SCHEMA_VERSION, type RunMeta } from '../core/run-meta.js';
import { RunClock, type RunStep } from '../core/run-timing.js';
import type { CpuPlan } from '../core/topology.js';
import type { LoadedSuite } from '../suites/load.js';
import { planTrials, type PlannedTrial } from '../suites/plan.js';
import { tryRun } from './exec.js';
import { probeHost } from './host-probe.js';
import { Ledger } from './ledger.js';
import { createNetnsTopology, type NetnsTopology } from './netns.js';
import type { RunEvent } from './run-events.js';

export interface RunOptions {
  loaded: LoadedSuite;
  /** Folder for this run; default results/<UTC time>-<suite>-<short id>. */
  outDir?: string;
  resultsRoot?: string;
  host?: HostFacts;
  signal: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** The command line that started the run, for run.json. */
  argv?: string[];
}

export interface OpenRun {
  loaded: LoadedSuite;
  host: HostFacts;
  cpu: CpuPlan;
  plan: PlannedTrial[];
  /** Part of every name the run creates on the machine (namespaces, veths, DPDK prefixes). */
  shortId: string;
  runId: string;
  folder: RunFolder;
  ledger: Ledger;
  /** run.json as written so far. */
  meta: RunMeta;
  trialTimeoutS: number;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** The run's own steps outside trials, timed for run.json `timing` (absent: not timed). */
  clock?: RunClock;
}

/** Runs `fn`, charging its time to the run's own step (run.json timing.runStepsS). */
export function timed<T>(run: OpenRun, step: RunStep, fn: () => Promise<T>): Promise<T> {
  return run.clock ? run.clock.time(step, fn) : fn();
}

/** Default placement on this kind of machine: see "CPU placement" in the README. */
export function resolveCpuPlan(requested: { client?: number; server?: number; poller?: number }, cpuCount: number, file: string): CpuPlan {
  const last = Math.max(0, cpuCount - 1);
  const plan: CpuPlan = {
    // Client and server share the last CPU: a cross-CPU wake-up costs 13–40 µs on a VM with
    // haltpoll off, which would swamp the few µs the kernel path takes.
    client: requested.client ?? last,
    server: requested.server ?? last,
    // Busy pollers need a CPU of their own; on a 2-vCPU machine that is the orchestrator's.
    poller: requested.poller ?? (cpuCount > 2 ? last - 1 : 0),
    orchestrator: 0,
  };
  for (const [role, cpu] of Object.entries(requested)) {
    if (cpu !== undefined && cpu > last) throw new UserError(`${file}: cpu.${role} must be a CPU of this machine (0–${last}), got ${cpu}`);
  }
  return plan;
}

async function gitRevision(): Promise<{ revision: string | null; dirty: boolean | null }> {
  const rev = await tryRun(['git', '-C', projectRoot(), 'rev-parse', 'HEAD']);
  const status = await tryRun(['git', '-C', projectRoot(), 'status', '--porcelain', '--untracked-files=no']);
  return { revision: rev?.stdout.trim() ?? null, dirty: status ? status.stdout.trim().length > 0 : null };
}

export async function openRun(opts: RunOptions): Promise<OpenRun> {
  const { loaded } = opts;
  const { suite } = loaded;
  const emit = opts.onEvent ?? (() => undefined);
  const host = opts.host ?? (await probeHost());
  if (!host.isRoot) throw new UserError('bypassbench run needs root: it creates network namespaces and pins processes', 'run it as root (sudo)');
  const cpu = resolveCpuPlan(suite.cpu, host.cpuCount, loaded.file);
  const plan = planTrials(loaded);
  const id = shortId();
  const startedAt = new Date();
  const runId = runFolderName(suite.name, startedAt, id);
  const folder = RunFolder.create(resolve(opts.outDir ?? join(opts.resultsRoot ?? join(projectRoot(), 'results'), runId)));
  const ledger = new Ledger(id, folder.dir);
  const git = await gitRevision();
  const trialTimeoutS = suite.trialTimeoutS ?? suite.durationS * 2 + 20;
  const meta: RunMeta = {
    schemaVersion: RUN_META_SCHEMA_VERSION,
    runId,
    tool: { name: 'bypassbench', version: projectVersion(), gitRevision: git.revision, gitDirty: git.dirty },
    command: opts.argv ?? null,
    suiteFile: loaded.file,
    suite,
    pathOptions: loaded.pathOptions,
    host,
    cpuPlan: cpu,
    trialTimeoutS,
    plan: plan.map((t) => ({ trialId: t.trialId, pathLabel: t.pathLabel, msgSizeBytes: t.msgSizeBytes, offeredPps: t.offeredPps, repetition: t.repetition })),
    startedAt: startedAt.toISOString(),
    endedAt: null,
    status: 'running',
    topology: null,
    ledgerFile: ledger.file,
  };
  folder.writeMeta(meta);
  emit({ type: 'run:start', runId, runDir: folder.dir, total: plan.length });
  const clock = new RunClock();
  clock.add('openS', (Date.now() - startedAt.getTime()) / 1000);
  return { loaded, host, cpu, plan, shortId: id, runId, folder, ledger, meta, trialTimeoutS, signal: opts.signal, emit, clock };
}

/** The default topology, recorded in run.json once it is up. */
export async function setUpTopology(run: OpenRun): Promise<NetnsTopology> {
  const { subnet, mtu } = run.loaded.suite.topology;
  const topology = await createNetnsTopology({ shortId: run.shortId, subnet, mtu, ledger: run.ledger });
  // eslint-disable-next-line @typescript-eslint/unbound-method -- destroy is dropped, never called
  const { destroy: _destroy, ...recorded } = topology;
  run.meta.topology = recorded;
  run.folder.writeMeta(run.meta);
  run.emit({
    type: 'topology:ready',
    description: `${topology.client.netns} (${topology.client.ip}) ⇄ ${topology.server.netns} (${topology.server.ip}) over veth, MTU ${topology.mtu}`,
  });
  return topology;
}
