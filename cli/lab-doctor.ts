// `doctor --inventory`: the preflight of every lab host (core/inventory-preflight.ts) and which
// paths each host can run, over SSH, read-only.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostWarnings, versionMismatches, type LabPreflight } from '../core/inventory-preflight.js';
import type { Inventory } from '../core/inventory.js';
import { ledgerDir } from '../runners/ledger.js';
import { preflightHost, unreachablePreflight } from '../runners/lab-preflight.js';
import { remoteRunDir } from '../runners/lab-executor.js';
import { SshHost } from '../runners/ssh.js';
import { checkPaths, type PathCheck } from './doctor.js';
import { sshSettingsOf, type LabArgs } from './lab.js';
import { data, human } from './output.js';

export interface LabDoctorHost {
  preflight: LabPreflight;
  paths: PathCheck[];
}

export async function labDoctor(inventory: Inventory, args: LabArgs & { json: boolean }): Promise<boolean> {
  const settings = sshSettingsOf(args, join(ledgerDir(), `ssh-doctor-${process.pid}`));
  const hosts: LabDoctorHost[] = [];
  for (const host of inventory.hosts) {
    const ssh = new SshHost(host, settings);
    try {
      await ssh.connect();
      const { preflight, facts } = await preflightHost(ssh, host.nativeDir ?? `${remoteRunDir(host, 'RUNID')}/bin`);
      const cpus = [...(host.cpus.client ?? []), ...(host.cpus.server ?? []), ...(host.cpus.poller ?? [])];
      preflight.warnings = hostWarnings(preflight, cpus);
      // The native programs are copied at run time unless the host has its own: not a problem here.
      hosts.push({ preflight, paths: checkPaths({ ...facts, binaries: { ...facts.binaries, ...(host.nativeDir ? {} : nativeCopied()) } }) });
    } catch (err) {
      hosts.push({ preflight: unreachablePreflight(host, (err as Error).message), paths: [] });
    } finally {
      await ssh.close();
    }
  }
  rmSync(settings.controlDir, { recursive: true, force: true });
  const mismatches = inventory.pairs.flatMap((p) => {
    const a = hosts.find((h) => h.preflight.host === p.client.name)?.preflight;
    const b = hosts.find((h) => h.preflight.host === p.server.name)?.preflight;
    return a?.reachable && b?.reachable ? versionMismatches(a, b) : [];
  });
  if (args.json) {
    data({ inventory: inventory.file, hosts, mismatches });
    return hosts.every((h) => h.preflight.reachable);
  }
  for (const { preflight: p, paths } of hosts) {
    human(`${p.role} ${p.host}`);
    if (!p.reachable) {
      human(`  unreachable: ${p.error}`);
      human('');
      continue;
    }
    human(
      `  kernel ${p.kernelRelease}, ${p.cpuModel}, ${p.cpuCount} CPUs, governor ${p.governor ?? 'n/a'}, SMT ${p.smtActive === null ? 'n/a' : p.smtActive ? 'on' : 'off'}`,
    );
    human(
      `  isolcpus ${p.isolcpus ?? 'none'}, nohz_full ${p.nohzFull ?? 'none'}, hugepages ${p.hugepages.total} × ${p.hugepages.sizeKb ?? '?'} kB, IOMMU groups ${p.iommuGroups}, vfio-pci ${p.vfioPci ? 'yes' : 'no'}`,
    );
    human(
      `  NIC ${p.nic ? `${p.nic.driver} firmware ${p.nic.firmware ?? 'n/a'} bus ${p.nic.busInfo ?? 'n/a'}` : 'unknown'}, speed ${p.speed ?? 'n/a'}, link ${p.linkDetected === null ? 'n/a' : p.linkDetected ? 'up' : 'down'}, NUMA node ${p.nicNumaNode ?? 'n/a'}`,
    );
    human(
      `  IRQs ${p.nicIrqs.length ? p.nicIrqs.map((i) => `${i.irq}→${i.cpus}`).join(' ') : 'none listed (virtual NIC?)'}, coalescing ${p.coalescing ? JSON.stringify(p.coalescing) : 'not supported'}`,
    );
    const off = ['rx-checksumming', 'tx-checksumming', 'generic-receive-offload', 'generic-segmentation-offload', 'tcp-segmentation-offload'].map(
      (k) => `${k} ${p.offloads[k] === undefined ? 'n/a' : p.offloads[k] ? 'on' : 'off'}`,
    );
    human(`  offloads ${off.join(', ')}`);
    human(
      `  timestamping ${p.timestamping ? `hardware TX ${p.timestamping.hardwareTx ? 'yes' : 'no'}, RX ${p.timestamping.hardwareRx ? 'yes' : 'no'}, PTP clock ${p.timestamping.ptpClock ?? 'none'}` : 'unknown'}; clock sync chrony ${p.clock.chrony ?? 'not running'}, ptp4l ${p.clock.ptp4l ? 'running' : 'no'}`,
    );
    for (const w of p.warnings) human(`  warning: ${w}`);
    for (const c of paths)
      human(`  ${c.path.padEnd(16)} ${c.status === 'available' ? 'available' : `unsupported: ${c.reason}${c.fix ? ` (fix: ${c.fix})` : ''}`}`);
    human('');
  }
  for (const m of mismatches) human(`warning: version mismatch: ${m}`);
  return hosts.every((h) => h.preflight.reachable);
}

/** bb-afxdp and bb-tsprobe are copied from this machine at run time: count them as present. */
function nativeCopied(): Record<string, { path: string; version: null }> {
  return { 'bb-afxdp': { path: '(copied at run time)', version: null }, 'bb-tsprobe': { path: '(copied at run time)', version: null } };
}
