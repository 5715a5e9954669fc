// Binding a lab host's test NIC to vfio-pci for DPDK testpmd (path dpdk-pci), and giving it back.
// Read first (driver, routes, addresses, IOMMU, vfio), then a plan of set-up commands whose undo
// goes into the host's ledger *before* each change: the original driver is rebound and the
// interface's addresses are put back on undo, on cleanup, and by `cleanup --inventory`.
// The plan is pure (tested on exact argv); what it reads comes through one runner (ssh on a lab
// host, or a local runner against a fake sysfs tree and a fake dpdk-devbind.py in tests).
import { parseDevbindStatus, type DevbindDevice } from '../core/devbind.js';
import type { EndpointHardware } from '../core/topology.js';
import type { LabHost } from '../core/inventory.js';
import type { LabPreflight } from '../core/inventory-preflight.js';
import type { SetupCommand } from '../paths/types.js';
import type { CommandResult } from './exec.js';

/** What runs a read-only command on the host (SshHost in lab mode). */
export interface HostRunner {
  name: string;
  run(argv: readonly string[], opts?: { timeoutMs?: number; allowFailure?: boolean }): Promise<CommandResult>;
}

export interface PciBindOptions {
  /** The suite allows taking the NIC from its kernel driver (dpdk-pci option allowBind). */
  allowBind: boolean;
  /** Without an IOMMU, use vfio's no-IOMMU mode (no DMA isolation; dpdk-pci option unsafeNoIommu). */
  unsafeNoIommu: boolean;
}

/** Drivers DPDK uses alongside the kernel (bifurcated): never rebound. */
const BIFURCATED = new Set(['mlx5_core', 'mlx4_core']);
const DPDK_DRIVERS = new Set(['vfio-pci', 'igb_uio', 'uio_pci_generic']);

/** The read-only look-ups, by name; sysfs is a parameter so tests can point at a fake tree. */
export function pciFactCommands(pci: string, sysfs = '/sys'): Record<string, string[]> {
  return {
    devbindPath: ['sh', '-c', 'command -v dpdk-devbind.py || command -v dpdk-devbind || true'],
    // "$0" is sysfs, "$1" the PCI address: the bound driver's link, and the kernel interfaces of the device.
    driver: ['sh', '-c', 'readlink "$0/bus/pci/devices/$1/driver" || true', sysfs, pci],
    netdevs: ['sh', '-c', 'ls "$0/bus/pci/devices/$1/net" 2>/dev/null || true', sysfs, pci],
    iommuGroups: ['sh', '-c', 'ls "$0/kernel/iommu_groups" 2>/dev/null | wc -l', sysfs],
    vfio: [
      'sh',
      '-c',
      '[ -d "$0/bus/pci/drivers/vfio-pci" ] && echo vfio-pci-loaded; cat "$0/module/vfio/parameters/enable_unsafe_noiommu_mode" 2>/dev/null; true',
      sysfs,
    ],
    // "192.0.2.9 51234 10.1.0.5 22": the address this ssh session arrived on is the host's management address.
    sshConnection: ['sh', '-c', 'echo "$SSH_CONNECTION"'],
    defaultRoutes: ['ip', '-j', 'route', 'show', 'default'],
  };
}

export interface PciFacts {
  pci: string;
  devbind: string | null;
  /** The device as dpdk-devbind.py --status-dev net lists it (null: not listed). */
  status: DevbindDevice | null;
  /** Basename of /sys/bus/pci/devices/ADDR/driver (null: no driver bound). */
  driver: string | null;
  netdevs: string[];
  /** Addresses on the NIC's interface, to put back after the kernel driver returns. */
  addresses: { local: string; prefixlen: number }[];
  iommuGroups: number;
  vfioLoaded: boolean;
  /** enable_unsafe_noiommu_mode: "Y"/"N" (null: vfio not loaded). */
  noIommuMode: boolean | null;
  managementIp: string | null;
  defaultRouteDevs: string[];
}

/** Reads the facts the plan needs. Each look-up that fails leaves its field empty. */
export async function gatherPciFacts(host: HostRunner, pci: string, sysfs = '/sys'): Promise<PciFacts> {
  const cmds = pciFactCommands(pci, sysfs);
  const out = async (name: string) => {
    const r = await host.run(cmds[name]!, { allowFailure: true, timeoutMs: 15_000 }).catch(() => null);
    return r && r.exitCode === 0 ? r.stdout : '';
  };
  const devbind = (await out('devbindPath')).trim().split('\n')[0] || null;
  const status = devbind ? await host.run([devbind, '--status-dev', 'net'], { allowFailure: true, timeoutMs: 30_000 }).catch(() => null) : null;
  const device = status && status.exitCode === 0 ? (parseDevbindStatus(status.stdout).find((d) => d.pci === pci.toLowerCase()) ?? null) : null;
  const netdevs = (await out('netdevs')).split(/\s+/).filter(Boolean);
  const addresses: PciFacts['addresses'] = [];
  for (const dev of netdevs) {
    const r = await host.run(['ip', '-j', 'addr', 'show', 'dev', dev], { allowFailure: true, timeoutMs: 15_000 }).catch(() => null);
    // [{"ifname":"ens1f0",…,"addr_info":[{"family":"inet","local":"198.18.0.2","prefixlen":24,…}]}]
    const parsed =
      r && r.exitCode === 0 ? (JSON.parse(r.stdout || '[]') as { addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[] }[]) : [];
    for (const a of parsed[0]?.addr_info ?? []) if (a.scope !== 'link') addresses.push({ local: a.local, prefixlen: a.prefixlen });
  }
  const vfio = (await out('vfio')).split('\n').map((l) => l.trim());
  const noIommu = vfio.find((l) => l === 'Y' || l === 'N' || l === '1' || l === '0');
  // [{"dst":"default","gateway":"10.1.0.1","dev":"eno1",…}]
  const routes = JSON.parse((await out('defaultRoutes')) || '[]') as { dev?: string }[];
  return {
    pci: pci.toLowerCase(),
    devbind,
    status: device,
    driver: (await out('driver')).trim().split('/').at(-1) || null,
    netdevs,
    addresses,
    iommuGroups: Number((await out('iommuGroups')).trim()) || 0,
    vfioLoaded: vfio.includes('vfio-pci-loaded'),
    noIommuMode: noIommu === undefined ? null : noIommu === 'Y' || noIommu === '1',
    managementIp: (await out('sshConnection')).trim().split(/\s+/)[2] ?? null,
    defaultRouteDevs: routes.map((r) => r.dev).filter((d): d is string => typeof d === 'string'),
  };
}

export type PciBindPlan =
  | { status: 'ready'; commands: SetupCommand[]; notes: string[] }
  | { status: 'unsupported'; reason: string; fix: string }
  | { status: 'refused'; reason: string };

/** The commands that bind the NIC to vfio-pci (each with its undo), or why not. Pure. */
export function planPciBind(host: Pick<LabHost, 'name'>, facts: PciFacts, o: PciBindOptions, sysfs = '/sys'): PciBindPlan {
  const { pci } = facts;
  const driver = facts.driver ?? facts.status?.driver ?? null;
  if (driver !== null && DPDK_DRIVERS.has(driver))
    return { status: 'ready', commands: [], notes: [`${host.name}: ${pci} is already on ${driver}; nothing to bind or restore`] };
  if (driver !== null && BIFURCATED.has(driver)) {
    return { status: 'ready', commands: [], notes: [`${host.name}: ${pci} is on ${driver}, which DPDK drives alongside the kernel (bifurcated): not rebound`] };
  }
  const ifs = [...new Set([...facts.netdevs, ...(facts.status?.ifname ? [facts.status.ifname] : [])])];
  const carriesRoute = ifs.filter((i) => facts.defaultRouteDevs.includes(i));
  if (carriesRoute.length > 0)
    return {
      status: 'refused',
      reason: `${host.name}: ${pci} (${carriesRoute.join(', ')}) carries the host's default route; binding it to vfio-pci would cut the host off`,
    };
  if (facts.managementIp && facts.addresses.some((a) => a.local === facts.managementIp)) {
    return {
      status: 'refused',
      reason: `${host.name}: ${pci} (${ifs.join(', ')}) carries the management address ${facts.managementIp} this run reaches the host on; binding it to vfio-pci would cut the ssh connection`,
    };
  }
  if (facts.status?.active) {
    return {
      status: 'refused',
      reason: `${host.name}: dpdk-devbind.py marks ${pci} (${ifs.join(', ')}) *Active* (the routing table uses it); it is not taken`,
    };
  }
  if (!o.allowBind) {
    return {
      status: 'unsupported',
      reason: `${host.name}: ${pci} is on ${driver ?? 'no driver'}; DPDK needs it on vfio-pci, and the suite does not allow binding`,
      fix: 'set the dpdk-pci option allowBind: true (the NIC leaves the kernel for the path and is given back to its driver after), or bind it yourself with dpdk-devbind.py -b vfio-pci',
    };
  }
  if (!facts.devbind) return { status: 'unsupported', reason: `${host.name}: dpdk-devbind.py is not installed`, fix: 'apt-get install dpdk' };
  const commands: SetupCommand[] = [];
  const notes: string[] = [];
  const noiommuFile = `${sysfs}/module/vfio/parameters/enable_unsafe_noiommu_mode`;
  if (facts.iommuGroups === 0 && !(facts.noIommuMode ?? false)) {
    if (!o.unsafeNoIommu) {
      return {
        status: 'unsupported',
        reason: `${host.name}: the IOMMU is off (no /sys/kernel/iommu_groups), so vfio-pci cannot take ${pci}`,
        fix: 'boot the host with intel_iommu=on iommu=pt (AMD: amd_iommu=on) and reboot, or set the dpdk-pci option unsafeNoIommu: true (vfio without DMA isolation)',
      };
    }
  }
  if (!facts.vfioLoaded) commands.push({ place: 'server', why: 'load vfio-pci', do: ['modprobe', 'vfio-pci'], undo: ['modprobe', '-r', 'vfio-pci'] });
  if (facts.iommuGroups === 0 && !(facts.noIommuMode ?? false)) {
    notes.push(`${host.name}: no IOMMU: vfio runs in no-IOMMU mode (unsafeNoIommu: true), without DMA isolation`);
    const write = (v: string) => ['sh', '-c', 'echo "$1" > "$0"', noiommuFile, v];
    commands.push({ place: 'server', why: 'vfio no-IOMMU mode', do: write('1'), undo: write('0') });
  }
  // Put back after the kernel driver returns (undo runs in reverse, so these run after the rebind).
  for (const ifname of ifs) {
    commands.push({
      place: 'server',
      why: `bring ${ifname} up again after ${pci} returns to ${driver}`,
      do: ['true'],
      undo: ['ip', 'link', 'set', 'dev', ifname, 'up'],
    });
    for (const a of facts.addresses) {
      commands.push({
        place: 'server',
        why: `put ${a.local}/${a.prefixlen} back on ${ifname}`,
        do: ['true'],
        undo: ['ip', 'addr', 'replace', `${a.local}/${a.prefixlen}`, 'dev', ifname],
      });
    }
  }
  commands.push({
    place: 'server',
    why: `bind ${pci} to vfio-pci (was ${driver ?? 'unbound'})`,
    do: [facts.devbind, '-b', 'vfio-pci', pci],
    undo: driver ? [facts.devbind, '-b', driver, pci] : [facts.devbind, '-u', pci],
  });
  return { status: 'ready', commands, notes };
}

/**
 * DPDK lcores for a host: main and forwarding CPUs from the inventory's lists (server first, then
 * poller), preferring the NIC's NUMA node; a choice that crosses nodes says so.
 */
export function chooseLcores(
  host: Pick<LabHost, 'name' | 'cpus'>,
  preflight: Pick<LabPreflight, 'nicNumaNode' | 'cpuNodes'> | null,
): {
  lcores: EndpointHardware['lcores'];
  warning: string | null;
} {
  const main = host.cpus.server ?? [];
  const fwd = host.cpus.poller ?? [];
  if (main.length === 0 && fwd.length === 0) return { lcores: null, warning: null };
  const node = preflight?.nicNumaNode ?? null;
  const nodeOf = (c: number) => preflight?.cpuNodes[String(c)] ?? null;
  const near = (list: number[]) => (node !== null && node >= 0 ? [...list.filter((c) => nodeOf(c) === node), ...list.filter((c) => nodeOf(c) !== node)] : list);
  const mainCpu = near(main.length > 0 ? main : fwd)[0]!;
  const forwarding = near((fwd.length > 0 ? fwd : main).filter((c) => c !== mainCpu)).slice(0, 1);
  if (forwarding.length === 0) return { lcores: null, warning: `${host.name}: DPDK needs two CPUs (main and forwarding); the inventory lists only ${mainCpu}` };
  const far = [mainCpu, ...forwarding].filter((c) => node !== null && node >= 0 && nodeOf(c) !== null && nodeOf(c) !== node);
  return {
    lcores: { main: mainCpu, forwarding },
    warning:
      far.length > 0
        ? `${host.name}: DPDK lcore(s) ${far.join(',')} are on another NUMA node than the test NIC (node ${node}): no CPU of the lists is on that node`
        : null,
  };
}

/** The inventory's view of a host's NIC, for the topology the recipes read. */
export function endpointHardware(host: LabHost, preflight: LabPreflight | null): { hw: EndpointHardware; warning: string | null } {
  const { lcores, warning } = chooseLcores(host, preflight);
  return {
    hw: { pci: host.pci, numaNode: host.numaNode ?? preflight?.nicNumaNode ?? null, rdmaDev: host.rdmaDev, gidIndex: host.gidIndex, lcores },
    warning,
  };
}
