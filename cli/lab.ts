// Lab-mode options shared by run, doctor and cleanup (--inventory and the SSH settings), and the
// dry run that prints every remote argv per host without connecting to any.
import type { Argv } from 'yargs';
import { UnsupportedError } from '../core/errors.js';
import type { Inventory, LabHost, LabPair } from '../core/inventory.js';
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
import { lookupMac, type MacLookup } from '../runners/lab-macs.js';
import { endpointHardware, pciFactCommands, planPciBind, type PciBindOptions } from '../runners/lab-pci.js';

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

/** Stand-ins for MACs a dry run could not read: clearly not real (locally administered, 00:…). */
const PLACEHOLDER_MAC = { client: '00:00:00:00:00:01', server: '00:00:00:00:00:02' } as const;

/** What the dry run knows of each host's test-interface MAC: read from the host, or why not. */
export type DryRunMacs = Record<'client' | 'server', MacLookup>;

/** The topology a dry run plans with: addresses from the inventory, MACs as read (or placeholders). */
function dryTopology(pair: LabPair, mtu: number, macs: DryRunMacs): TopologyInfo {
  const mac = (r: 'client' | 'server') => ('mac' in macs[r] ? macs[r].mac : PLACEHOLDER_MAC[r]);
  return {
    kind: 'lab',
    runTag: 'dryrun',
    mtu,
    client: { netns: pair.client.name, ifname: pair.client.testIface, ip: pair.client.testIp, mac: mac('client'), hw: endpointHardware(pair.client, null).hw },
    server: { netns: pair.server.name, ifname: pair.server.testIface, ip: pair.server.testIp, mac: mac('server'), hw: endpointHardware(pair.server, null).hw },
  };
}

/** One line per host: the MAC the plan uses and where it came from. */
export function macLines(pair: LabPair, macs: DryRunMacs): string[] {
  return (['client', 'server'] as const).map((r) => {
    const m = macs[r];
    const what = `  MAC of ${pair[r].testIface} on ${pair[r].name}:`;
    return 'mac' in m
      ? `${what} ${m.mac} (read from the host now with ip -j link show dev ${pair[r].testIface})`
      : `${what} PLACEHOLDER ${PLACEHOLDER_MAC[r]}: the host did not answer (${m.error}); the run reads the real one with ip -j link show dev ${pair[r].testIface} when it connects`;
  });
}

/** Reads both hosts' MACs for the dry run (one short connection each, nothing left behind). */
export async function dryRunMacs(pair: LabPair, settings: SshSettings): Promise<DryRunMacs> {
  const [client, server] = await Promise.all([lookupMac(pair.client, settings), lookupMac(pair.server, settings)]);
  return { client, server };
}

/**
 * The dpdk-pci binding as a dry run can show it: the look-ups, then bind and restore with the
 * driver the run reads at that time (the host is not asked here; refusals and IOMMU checks happen then).
 */
export function pciBindLines(host: LabHost, o: PciBindOptions): string[] {
  if (!host.pci) return [`    dpdk-pci: ${host.name} has no bypassbench_pci: the path is unsupported on this pair`];
  const show = (argv: string[]) => JSON.stringify(argv);
  const lines = Object.entries(pciFactCommands(host.pci)).map(([name, argv]) => `    dpdk-pci look-up on ${host.name} ${name}: ${show(argv)}`);
  lines.push(`    dpdk-pci look-up on ${host.name} status: ${show(['dpdk-devbind.py', '--status-dev', 'net'])}`);
  if (!o.allowBind) {
    lines.push(
      `    dpdk-pci on ${host.name}: allowBind is false: ${host.pci} is used only if it is already on vfio-pci (or bifurcated, mlx5); nothing is bound`,
    );
    return lines;
  }
  const DRIVER = 'ORIGINAL_DRIVER';
  const plan = planPciBind(
    host,
    {
      pci: host.pci,
      devbind: 'dpdk-devbind.py',
      status: null,
      driver: DRIVER,
      netdevs: [host.testIface],
      addresses: [{ local: host.testIp, prefixlen: 24 }],
      iommuGroups: 1,
      vfioLoaded: false,
      noIommuMode: null,
      managementIp: null,
      defaultRouteDevs: [],
    },
    o,
  );
  if (plan.status !== 'ready')
    return [...lines, `    dpdk-pci on ${host.name}: ${plan.status === 'refused' ? plan.reason : `${plan.reason} (fix: ${plan.fix})`}`];
  lines.push(`    (${DRIVER}: the driver read from the host at run time; the address and /24 stand for what ip -j addr shows then)`);
  for (const c of plan.commands) lines.push(`    dpdk-pci set-up on ${host.name} (${c.why}): ${show(c.do)}${c.undo ? `, undo ${show(c.undo)}` : ''}`);
  return lines;
}

/** Lines of the lab dry run for one pair: set-up, preflight and every trial process, as the argv each host runs. */
export function labDryRun(
  pair: LabPair,
  plan: PlannedTrial[],
  settings: SshSettings,
  o: { durationS: number; warmupS: number; mtu: number; cpu: { client: number; server: number; poller: number; orchestrator: number } },
  macs: DryRunMacs,
): string[] {
  const lines: string[] = [];
  const topology = dryTopology(pair, o.mtu, macs);
  const dirs = { client: remoteRunDir(pair.client, 'RUNID'), server: remoteRunDir(pair.server, 'RUNID') };
  const native = { client: pair.client.nativeDir ?? `${dirs.client}/bin`, server: pair.server.nativeDir ?? `${dirs.server}/bin` };
  const show = (argv: string[]) => JSON.stringify(argv);
  lines.push(
    `pair ${pair.name}: ${pair.client.name} (${pair.client.address}, ${pair.client.testIface} ${pair.client.testIp}) ⇄ ${pair.server.name} (${pair.server.address}, ${pair.server.testIface} ${pair.server.testIp})`,
  );
  lines.push(...macLines(pair, macs));
  lines.push(`  (RUNID stands for the run's id)`);
  for (const role of ['client', 'server'] as const) {
    const host = pair[role];
    lines.push(`  ${role} ${host.name}: ssh argv prefix ${show(sshArgv(host, settings, ['true']).slice(0, -1))}`);
    lines.push(`    prepare  ${show(prepareArgv(dirs[role], `${dirs.client}/artifacts`))}`);
    for (const [name, argv] of Object.entries(preflightCommands(host, native[role]))) lines.push(`    preflight ${name}: ${show(argv)}`);
  }
  let pciShown = false;
  for (const planned of plan) {
    const recipe = getRecipe(planned.path);
    if (planned.path === 'dpdk-pci' && !pciShown) {
      pciShown = true;
      lines.push(...pciBindLines(pair.server, planned.options as PciBindOptions));
    }
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
    const ctx = {
      topology,
      prepared: NOTHING_PREPARED,
      cpu: o.cpu,
      msgSizeBytes: planned.msgSizeBytes,
      offeredPps: planned.offeredPps,
      durationS: o.durationS,
      warmupS: o.warmupS,
      port: trialPort(planned.index),
      artifactPath: (name: string) => `${dirs.client}/artifacts/${planned.trialId}-${name}`,
    };
    let processes;
    try {
      processes = netns.plan(ctx, planned.options).processes;
    } catch (err) {
      if (!(err instanceof UnsupportedError)) throw err;
      lines.push(`    unsupported on this pair: ${err.message} (fix: ${err.fix})`);
      continue;
    }
    for (const p of processes) {
      const role = p.place === 'server' ? 'server' : 'client';
      const argv = pinnedArgv({ ...p, argv: hostArgv(p.argv, native[role]) });
      lines.push(`    ${p.kind} ${p.role} on ${pair[role].name}: ${show(remoteProcessArgv(`${dirs[role]}/pids/${planned.trialId}-${p.role}.pid`, argv))}`);
    }
  }
  return lines;
}
