// Executing a whole suite: host facts, run folder, topology, every planned trial in order, and
// teardown on success, error or interruption. Reports progress as typed events; drawing them is
// the CLI's job.
import { join, resolve } from 'node:path';
import type { HostFacts } from '../core/host.js';
import { UserError } from '../core/errors.js';
import { runFolderName, shortId } from '../core/ids.js';
import { planTrials, type PlannedTrial } from '../suites/plan.js';
import { projectRoot, projectVersion } from '../core/project.js';
import { RunFolder } from '../core/run-folder.js';
import { RUN_META_SCHEMA_VERSION, type RunMeta, type RunStatus as RecordedRunStatus } from '../core/run-meta.js';
import type { LoadedSuite } from '../suites/load.js';
import type { CpuPlan } from '../core/topology.js';
import { tryRun } from './exec.js';
import { probeHost } from './host-probe.js';
import { Ledger } from './ledger.js';
import { createNetnsTopology, type NetnsTopology } from './netns.js';
import { NOTHING_PREPARED, setUpPath, type PathSetUp } from './path-setup.js';
import { runTrial, unavailableReason } from './trial.js';
import { noMeasurement, type TrialRecord, type TrialStatus } from '../core/trial.js';
import { getNetnsRecipe } from '../paths/registry.js';
import { isVmTrial, runVmBatch } from './vm-batch.js';
import { runSearches } from './search-phase.js';

export type RunEvent =
  | { type: 'run:start'; runId: string; runDir: string; total: number }
  | { type: 'topology:ready'; description: string }
  | { type: 'trial:start'; trial: PlannedTrial; position: number; total: number; phase: TrialPhase }
  | { type: 'trial:done'; trial: PlannedTrial; record: TrialRecord; position: number; total: number; phase: TrialPhase }
  | { type: 'warning'; message: string }
  | { type: 'run:done'; status: RunStatus; counts: Record<TrialStatus, number> };

/** How a finished run ended (run.json says "running" until then). */
export type RunStatus = Exclude<RecordedRunStatus, 'running'>;

/** grid: the planned trials (counted in total); search: throughput-search trials, as many as it takes. */
export type TrialPhase = 'grid' | 'search';

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

export interface RunSummary {
  runId: string;
  runDir: string;
  status: RunStatus;
  records: TrialRecord[];
  counts: Record<TrialStatus, number>;
  error?: string;
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

function unsupportedRecord(t: PlannedTrial, runId: string, reason: string): TrialRecord {
  return {
    ...noMeasurement(t.msgSizeBytes, reason),
    trialId: t.trialId,
    runId,
    path: t.path,
    pathLabel: t.pathLabel,
    driver: t.driver,
    mode: t.mode,
    offeredPps: t.offeredPps,
    latencyKind: 'rtt',
    cpu: null,
    repetition: t.repetition,
    status: 'unsupported',
    emulated: false,
    raw: [],
    startedAt: new Date().toISOString(),
    durationS: 0,
  };
}

function emptyCounts(): Record<TrialStatus, number> {
  return { ok: 0, failed: 0, 'timed-out': 0, unsupported: 0, skipped: 0 };
}

type PathPreparation = { kind: 'ready'; path: PathSetUp } | { kind: 'skipped' } | { kind: 'failed'; error: string };

/** A path whose drivers are unavailable is not prepared; a failed set-up fails its trials, not the run. */
async function preparePathSafely(planned: PlannedTrial, topology: NetnsTopology, ledger: Ledger, id: string, host: HostFacts): Promise<PathPreparation> {
  if (unavailableReason(planned, host)) return { kind: 'skipped' };
  try {
    return { kind: 'ready', path: await setUpPath(getNetnsRecipe(planned.path), planned.options, topology, ledger, id) };
  } catch (err) {
    return { kind: 'failed', error: (err as Error).message };
  }
}

export async function executeRun(opts: RunOptions): Promise<RunSummary> {
  const { loaded, signal } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const { suite } = loaded;
  const host = opts.host ?? (await probeHost());
  if (!host.isRoot) throw new UserError('bypassbench run needs root: it creates network namespaces and pins processes', 'run it as root (sudo)');
  const cpu = resolveCpuPlan(suite.cpu, host.cpuCount, loaded.file);
  const plan = planTrials(loaded);
  const id = shortId();
  const startedAt = new Date();
  const runId = runFolderName(suite.name, startedAt, id);
  const runDir = resolve(opts.outDir ?? join(opts.resultsRoot ?? join(projectRoot(), 'results'), runId));
  const store = RunFolder.create(runDir);
  const ledger = new Ledger(id, runDir);
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
  store.writeMeta(meta);
  emit({ type: 'run:start', runId, runDir, total: plan.length });

  const records: TrialRecord[] = [];
  const counts = emptyCounts();
  let topology: NetnsTopology | null = null;
  const cleanups: (() => Promise<void>)[] = [];
  let status: RunStatus = 'completed';
  let error: string | undefined;
  const cpuAtStart = process.cpuUsage();
  try {
    topology = await createNetnsTopology({ shortId: id, subnet: suite.topology.subnet, mtu: suite.topology.mtu, ledger });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- destroy is dropped, never called
    const { destroy: _destroy, ...topologyInfo } = topology;
    meta.topology = topologyInfo;
    store.writeMeta(meta);
    emit({
      type: 'topology:ready',
      description: `${topology.client.netns} (${topology.client.ip}) ⇄ ${topology.server.netns} (${topology.server.ip}) over veth, MTU ${topology.mtu}`,
    });

    // Each path's extra set-up lives for one block of consecutive trials of that path.
    let block = null as { key: string; prepared: PathPreparation } | null;
    const endBlock = async () => {
      if (block?.prepared.kind === 'ready') await block.prepared.path.teardown();
      block = null;
    };
    cleanups.push(endBlock);
    let position = 0;
    const record = (planned: PlannedTrial, r: TrialRecord) => {
      store.appendTrial(r);
      records.push(r);
      counts[r.status]++;
      emit({ type: 'trial:done', trial: planned, record: r, position, total: plan.length, phase: r.search ? 'search' : 'grid' });
    };
    const topo = topology;
    /** One trial inside its path's prepared environment (set up when the path changes). */
    const runInBlock = async (planned: PlannedTrial, phase: TrialPhase, durationS: number, warmupS: number): Promise<TrialRecord | null> => {
      const key = `${phase}/${planned.repetition}/${planned.pathIndex}`;
      if (block?.key !== key) {
        await endBlock();
        block = { key, prepared: await preparePathSafely(planned, topo, ledger, id, host) };
      }
      return runTrial(planned, {
        runId,
        runDir,
        rawDir: store.rawDir,
        topology: topo,
        cpu,
        host,
        ledger,
        durationS,
        warmupS,
        trialTimeoutS: Math.max(trialTimeoutS, durationS * 2 + 20),
        signal,
        prepared: block.prepared.kind === 'ready' ? block.prepared.path.prepared : NOTHING_PREPARED,
        setupError: block.prepared.kind === 'failed' ? block.prepared.error : null,
      });
    };
    const vmTrials: PlannedTrial[] = [];
    for (const planned of plan) {
      if (signal.aborted) break;
      if (isVmTrial(planned)) {
        vmTrials.push(planned);
        continue;
      }
      position++;
      emit({ type: 'trial:start', trial: planned, position, total: plan.length, phase: 'grid' });
      const result = await runInBlock(planned, 'grid', suite.durationS, suite.warmupS);
      if (!result) break; // interrupted mid-trial: nothing half-measured is recorded
      record(planned, result);
    }
    // Throughput searches (NDR/PDR/MRR), after the grid so they never delay its trials.
    if (!signal.aborted && suite.search) {
      const searches = await runSearches(
        loaded,
        plan.length,
        (planned, durationS) => {
          if (unavailableReason(planned, host)) return Promise.resolve(unsupportedRecord(planned, runId, unavailableReason(planned, host)!));
          emit({ type: 'trial:start', trial: planned, position, total: plan.length, phase: 'search' });
          return runInBlock(planned, 'search', durationS, 0);
        },
        (planned, r) => record(planned, r),
      );
      store.writeSearches(searches);
    }
    await endBlock();
    // VM paths: every such trial in one boot of the Soft-RoCE VM.
    const runnable = vmTrials.filter((t) => !unavailableReason(t, host));
    for (const t of vmTrials.filter((x) => unavailableReason(x, host))) {
      position++;
      record(t, unsupportedRecord(t, runId, unavailableReason(t, host)!));
    }
    if (runnable.length > 0 && !signal.aborted) {
      emit({ type: 'warning', message: `running ${runnable.length} Soft-RoCE trials in the QEMU VM (emulated; the first run builds the image)` });
      try {
        const batch = await runVmBatch(runnable, { runId, runDir, rawDir: store.rawDir, durationS: suite.durationS, signal });
        meta.softRoceVm = batch.meta;
        for (const [k, r] of batch.records.entries()) {
          position++;
          record(runnable[k]!, r);
        }
      } catch (err) {
        if (err instanceof UserError) throw err;
        for (const t of runnable) {
          position++;
          record(t, { ...unsupportedRecord(t, runId, (err as Error).message), status: 'failed' });
        }
      }
    }
    if (signal.aborted) status = 'interrupted';
  } catch (err) {
    status = signal.aborted ? 'interrupted' : 'failed';
    error = (err as Error).message;
    if (err instanceof UserError) throw err;
  } finally {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (topology) await topology.destroy();
    ledger.close();
    const used = process.cpuUsage(cpuAtStart);
    meta.endedAt = new Date().toISOString();
    meta.status = status;
    meta.error = error ?? null;
    meta.counts = counts;
    meta.orchestratorCpuS = Math.round(((used.user + used.system) / 1e6) * 1000) / 1000;
    store.writeMeta(meta);
    emit({ type: 'run:done', status, counts });
  }
  return { runId, runDir, status, records, counts, ...(error ? { error } : {}) };
}
