// Lab-mode options shared by run, doctor and cleanup (--inventory and the SSH settings), and the
// dry run that prints every remote argv per host without connecting to any.
import type { Argv } from 'yargs';
import type { Inventory, LabPair } from '../core/inventory.js';
import { hostArgv, prepareArgv, remoteRunDir } from '../runners/lab-executor.js';
import { preflightCommands } from '../runners/lab-preflight.js';
import { hugepagePoolArgv } from '../runners/lab-setup.js';
import { pinnedArgv, remoteProcessArgv } from '../runners/lab-process.js';
import { defaultSshSettings, sshArgv, type SshSettings } from '../runners/ssh.js';
import { trialPort } from '../runners/trial.js';
import { getNetnsRecipe, getRecipe } from '../paths/registry.js';
import { NOTHING_PREPARED } from '../runners/path-setup.js';
import type { TopologyInfo } from '../core/topology.js';
import type { PlannedTrial } from '../suites/plan.js';
import { loadInventory } from '../suites/inventory.js';

export interface LabArgs {
  inventory?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  /** Overrides the suite's `lab.pairs`. */
  pairs?: 'sequential' | 'parallel';
}

export function labOptions<T>(y: Argv<T>) {
  return y
    .option('inventory', { type: 'string', describe: 'Ansible YAML inventory of lab hosts (client and server): run over SSH on them (see README "Lab mode")' })
    .option('known-hosts', { type: 'string', describe: 'lab mode: UserKnownHostsFile holding the hosts’ keys (default: ssh’s own)' })
    .option('accept-new-host-keys', {
      type: 'boolean',
      default: false,
      describe: 'lab mode: record the key of a host seen for the first time (StrictHostKeyChecking=accept-new); a changed key still fails',
    })
    .option('pairs', {
      type: 'string',
      choices: ['sequential', 'parallel'] as const,
      describe: "lab mode: run the inventory's pairs one after the other or all at once (pairs sharing a host are refused); default: the suite's lab.pairs",
    });
}

export function loadLab(args: LabArgs): Inventory | null {
  return args.inventory ? loadInventory(args.inventory) : null;
}

export function sshSettingsOf(args: LabArgs, controlDir: string): SshSettings {
  return { ...defaultSshSettings(controlDir), knownHostsFile: args.knownHosts ?? null, acceptNewHostKeys: args.acceptNewHostKeys === true };
}

/** The topology a dry run plans with: addresses from the inventory; MACs are read from the hosts at run time. */
function dryTopology(pair: LabPair, mtu: number): TopologyInfo {
  return {
    kind: 'lab',
    runTag: 'dryrun',
    mtu,
    client: { netns: pair.client.name, ifname: pair.client.testIface, ip: pair.client.testIp, mac: '00:00:00:00:00:01' },
    server: { netns: pair.server.name, ifname: pair.server.testIface, ip: pair.server.testIp, mac: '00:00:00:00:00:02' },
  };
}

/** Lines of the lab dry run for one pair: set-up, preflight and every trial process, as the argv each host runs. */
export function labDryRun(
  pair: LabPair,
  plan: PlannedTrial[],
  settings: SshSettings,
  o: { durationS: number; warmupS: number; mtu: number; cpu: { client: number; server: number; poller: number; orchestrator: number } },
): string[] {
  const lines: string[] = [];
  const topology = dryTopology(pair, o.mtu);
  const dirs = { client: remoteRunDir(pair.client, 'RUNID'), server: remoteRunDir(pair.server, 'RUNID') };
  const native = { client: pair.client.nativeDir ?? `${dirs.client}/bin`, server: pair.server.nativeDir ?? `${dirs.server}/bin` };
  const show = (argv: string[]) => JSON.stringify(argv);
  lines.push(
    `pair ${pair.name}: ${pair.client.name} (${pair.client.address}, ${pair.client.testIface} ${pair.client.testIp}) ⇄ ${pair.server.name} (${pair.server.address}, ${pair.server.testIface} ${pair.server.testIp})`,
  );
  lines.push(`  (MAC addresses 00:00:00:00:00:01/02 stand for the ones read from the hosts at run time; RUNID for the run's id)`);
  for (const role of ['client', 'server'] as const) {
    const host = pair[role];
    lines.push(`  ${role} ${host.name}: ssh argv prefix ${show(sshArgv(host, settings, ['true']).slice(0, -1))}`);
    lines.push(`    prepare  ${show(prepareArgv(dirs[role], `${dirs.client}/artifacts`))}`);
    for (const [name, argv] of Object.entries(preflightCommands(host, native[role]))) lines.push(`    preflight ${name}: ${show(argv)}`);
  }
  for (const planned of plan) {
    const recipe = getRecipe(planned.path);
    if (recipe.runner !== 'netns') {
      lines.push(`  ${planned.trialId} ${planned.pathLabel}: unsupported in lab mode (runs in the Soft-RoCE VM)`);
      continue;
    }
    const netns = getNetnsRecipe(planned.path);
    const setup = netns.setup?.(planned.options, topology);
    if (setup && ((setup.namespaces?.length ?? 0) > 0 || (setup.links?.length ?? 0) > 0)) {
      lines.push(`  ${planned.trialId} ${planned.pathLabel}: unsupported in lab mode with these options (extra namespaces or links)`);
      continue;
    }
    lines.push(
      `  ${planned.trialId} ${planned.pathLabel} ${planned.msgSizeBytes} B ${planned.offeredPps === null ? 'closed loop' : `${planned.offeredPps} pps`}`,
    );
    if (setup?.hugepages) {
      lines.push(
        `    set-up: ${setup.hugepages} hugepages shared among the hosts running testpmd, ${show(hugepagePoolArgv(setup.hugepages))}, undo with the negative count`,
      );
    }
    for (const cmd of netns.setupCommands?.(topology, NOTHING_PREPARED, planned.options) ?? []) {
      lines.push(`    set-up on ${cmd.place}: ${show(cmd.do)}${cmd.undo ? `, undo ${show(cmd.undo)}` : ''}`);
    }
    const { processes } = netns.plan(
      {
        topology,
        prepared: NOTHING_PREPARED,
        cpu: o.cpu,
        msgSizeBytes: planned.msgSizeBytes,
        offeredPps: planned.offeredPps,
        durationS: o.durationS,
        warmupS: o.warmupS,
        port: trialPort(planned.index),
        artifactPath: (name) => `${dirs.client}/artifacts/${planned.trialId}-${name}`,
      },
      planned.options,
    );
    for (const p of processes) {
      const role = p.place === 'server' ? 'server' : 'client';
      const argv = pinnedArgv({ ...p, argv: hostArgv(p.argv, native[role]) });
      lines.push(`    ${p.kind} ${p.role} on ${pair[role].name}: ${show(remoteProcessArgv(`${dirs[role]}/pids/${planned.trialId}-${p.role}.pid`, argv))}`);
    }
  }
  return lines;
}
