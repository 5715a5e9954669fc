// A suite on one pair of lab hosts over SSH: the same run folder, records and report as a local
// run, with the trials' processes on the hosts (runners/lab-executor.ts). Each pair of an
// inventory is its own run (folder name and run.json name the pair), one after the other.
// The grid, then the suite's throughput searches; the Soft-RoCE VM phase is not run in lab mode
// (it emulates RDMA in a VM on this machine, which says nothing about the hosts): its trials are
// `unsupported` with that reason (RDMA between the hosts' devices is paths/rdma.ts's lab side).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { Inventory, LabPair } from '../core/inventory.js';
import { closeRun, releaseMounts, type RunOutcome } from './close-run.js';
import { ledgerDir } from './ledger.js';
import { labExecutor, openPair, type LabPairSession } from './lab-executor.js';
import { preparePciBlock } from './lab-pci-block.js';
import { applyLabBlockSetup } from './lab-setup.js';
import { runSearches } from './search-phase.js';
import type { DpdkPciOptions } from '../paths/dpdk-pci.js';
import type { PlannedTrial } from '../suites/plan.js';
import { openRun, type RunOptions } from './open-run.js';
import { NOTHING_PREPARED } from './path-setup.js';
import { RunRecorder } from './recorder.js';
import type { RunSummary } from './run.js';
import { defaultSshSettings, type SshSettings } from './ssh.js';
import { runTrial } from './trial.js';

export interface LabOptions {
  inventory: Inventory;
  pair: LabPair;
  ssh: Partial<Omit<SshSettings, 'controlDir'>>;
}

export function labSshSettings(runTag: string, o: LabOptions['ssh']): SshSettings {
  // Control sockets in a private folder per run; its path must stay short (sockets allow ~100 bytes).
  return { ...defaultSshSettings(join(ledgerDir(), `ssh-${runTag}`)), ...o };
}

export async function executeLabRun(opts: RunOptions, lab: LabOptions): Promise<RunSummary> {
  const run = await openRun(opts);
  const { signal } = run;
  const recorder = new RunRecorder(run);
  const cpuAtStart = process.cpuUsage();
  let session: LabPairSession | null = null;
  let outcome: RunOutcome = { status: 'completed' };
  const block: { undo: (() => Promise<void>) | null } = { undo: null };
  const settings = labSshSettings(run.shortId, lab.ssh);
  try {
    // The inventory's CPU lists win over the suite's (which were checked against this machine, not the hosts).
    const first = (l: number[] | null) => l?.[0];
    run.cpu = {
      ...run.cpu,
      client: first(lab.pair.client.cpus.client) ?? run.cpu.client,
      server: first(lab.pair.server.cpus.server) ?? run.cpu.server,
      poller: first(lab.pair.client.cpus.poller) ?? first(lab.pair.server.cpus.poller) ?? run.cpu.poller,
    };
    run.meta.cpuPlan = run.cpu;
    const cpus = [run.cpu.client, run.cpu.server, run.cpu.poller];
    session = await openPair(lab.pair, run.shortId, settings, run.loaded.suite.topology.mtu, cpus);
    const s = session;
    run.meta.topology = {
      ...s.topology,
      names: { clientNs: lab.pair.client.name, serverNs: lab.pair.server.name, clientIf: lab.pair.client.testIface, serverIf: lab.pair.server.testIface },
    };
    run.meta.lab = {
      inventoryFile: lab.inventory.file,
      pair: lab.pair.name,
      hosts: { client: lab.pair.client.name, server: lab.pair.server.name },
      remoteRunDirs: s.remoteRunDirs,
      preflight: { client: s.remote.client.preflight, server: s.remote.server.preflight },
      warnings: s.warnings,
    };
    run.folder.writeMeta(run.meta);
    for (const w of s.warnings) run.emit({ type: 'warning', message: w });
    run.emit({
      type: 'topology:ready',
      description: `${lab.pair.client.name} ${s.topology.client.ifname} (${s.topology.client.ip}) ⇄ ${lab.pair.server.name} ${s.topology.server.ifname} (${s.topology.server.ip}) over SSH`,
    });
    const executor = labExecutor(s, run.folder.rawDir);
    // A path's set-up lives for one block of its consecutive trials (as runners/path-blocks.ts does locally).
    let blockKey: string | null = null;
    let setupError: string | null = null;
    // A block whose hardware is not there (dpdk-pci without binding allowed, no IOMMU …): its trials are unsupported.
    let blockUnsupported: string | null = null;
    const enterBlock = async (key: string, planned: PlannedTrial) => {
      if (key === blockKey) return;
      if (block.undo) await block.undo();
      block.undo = null;
      setupError = null;
      blockUnsupported = null;
      blockKey = key;
      if (executor.unavailableReason(planned)) return;
      try {
        const pci = planned.path === 'dpdk-pci' ? await preparePciBlock(s, planned.options as DpdkPciOptions) : null;
        for (const message of pci?.notes ?? []) run.emit({ type: 'warning', message });
        blockUnsupported = pci?.unsupported ?? null;
        const undoPci = pci?.undo ?? null;
        block.undo = undoPci;
        if (blockUnsupported) return;
        const undoSetup = await applyLabBlockSetup(s, planned, run.cpu);
        // The path's own adjustments first, then the NIC goes back to its driver.
        block.undo = async () => {
          await undoSetup();
          if (undoPci) await undoPci();
        };
      } catch (err) {
        setupError = (err as Error).message;
      }
    };
    const blockExecutor = () => (blockUnsupported ? { ...executor, unavailableReason: () => blockUnsupported } : executor);
    for (const planned of run.plan) {
      if (signal.aborted) break;
      await enterBlock(`grid/${planned.repetition}/${planned.pathIndex}`, planned);
      const position = recorder.advance();
      run.emit({ type: 'trial:start', trial: planned, position, total: run.plan.length, phase: 'grid' });
      const record = await runTrial(planned, labEnv(run, s, blockExecutor(), setupError));
      if (!record) break;
      recorder.record(planned, record);
    }
    if (!signal.aborted && run.loaded.suite.search) {
      // The throughput searches, each trial through the same executor, after the grid (as locally).
      const searches = await runSearches(
        run.loaded,
        run.plan.length,
        async (planned, durationS) => {
          await enterBlock(`search/${planned.pathIndex}`, planned);
          run.emit({ type: 'trial:start', trial: planned, position: recorder.position, total: run.plan.length, phase: 'search' });
          return runTrial(planned, { ...labEnv(run, s, blockExecutor(), setupError), durationS, warmupS: 0 });
        },
        (planned, record) => recorder.record(planned, record),
      );
      run.folder.writeSearches(searches);
    }
    if (signal.aborted) outcome = { status: 'interrupted' };
  } catch (err) {
    outcome = { status: signal.aborted ? 'interrupted' : 'failed', error: (err as Error).message };
    if (err instanceof UserError) throw err;
  } finally {
    if (block.undo) await block.undo().catch(() => undefined);
    if (session) {
      await session.close().catch((err: Error) => {
        outcome = { ...outcome, error: [outcome.error, err.message].filter(Boolean).join('\n') };
      });
    }
    // The masters are gone (session.close): their socket folder goes too.
    rmSync(settings.controlDir, { recursive: true, force: true });
    await releaseMounts(run.ledger).catch(() => undefined);
    closeRun(run, outcome, recorder.counts, cpuAtStart, recorder.records);
  }
  return { runId: run.runId, runDir: run.folder.dir, ...outcome, records: recorder.records, counts: recorder.counts, timing: run.meta.timing ?? null };
}

function labEnv(run: Awaited<ReturnType<typeof openRun>>, s: LabPairSession, executor: ReturnType<typeof labExecutor>, setupError: string | null) {
  const { suite } = run.loaded;
  return {
    runId: run.runId,
    runDir: run.folder.dir,
    rawDir: run.folder.rawDir,
    topology: s.topology,
    cpu: run.cpu,
    host: s.remote.client.facts,
    ledger: run.ledger,
    durationS: suite.durationS,
    warmupS: suite.warmupS,
    trialTimeoutS: run.trialTimeoutS,
    signal: run.signal,
    prepared: NOTHING_PREPARED,
    setupError,
    executor,
  };
}
