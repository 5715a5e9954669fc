// Soft-RoCE on a real host (one whose kernel has rdma_rxe): the argv that adds or deletes an rxe
// link, the verdict on whether the kernel can do it at all, and the ibv_devinfo parser that
// verifies the result. Pure; runners/softroce-vm.ts runs the commands.

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/; // "veth0", "rxe0", "enp1s0f1" (Linux names are at most 15 bytes)

function checkName(what: string, name: string): void {
  if (!IFNAME_RE.test(name)) throw new Error(`${what} must be an interface-style name (letters, digits, . _ -; at most 15), got ${JSON.stringify(name)}`);
}

export function rxeLinkAddArgv(name: string, netdev: string): string[] {
  checkName('rxe device name', name);
  checkName('netdev', netdev);
  return ['rdma', 'link', 'add', name, 'type', 'rxe', 'netdev', netdev];
}

export function rxeLinkDeleteArgv(name: string): string[] {
  checkName('rxe device name', name);
  return ['rdma', 'link', 'delete', name];
}

export interface HostRxeFacts {
  kernelRelease: string;
  /** /sys/class/infiniband exists (some RDMA core is in the kernel). */
  infinibandClass: boolean;
  /** /sys/module/rdma_rxe exists: built in, or loaded. */
  rxeModuleLoaded: boolean;
  /** modules.dep of the running kernel lists rdma_rxe.ko. */
  rxeModuleAvailable: boolean;
  /** The `rdma` program (iproute2) is installed. */
  rdmaTool: boolean;
}

export type HostRxeVerdict = { ok: true; needsModprobe: boolean } | { ok: false; reason: string; fix: string };

export function hostRxeVerdict(facts: HostRxeFacts): HostRxeVerdict {
  if (!facts.rxeModuleLoaded && !facts.rxeModuleAvailable) {
    return {
      ok: false,
      reason: `kernel ${facts.kernelRelease} has no rdma_rxe (not built in, no loadable module)${facts.infinibandClass ? '' : ' and no /sys/class/infiniband'}`,
      fix: 'run perftest inside the Soft-RoCE QEMU VM instead (runners/softroce-vm.ts runPlanInVm), or boot a kernel with CONFIG_RDMA_RXE',
    };
  }
  if (!facts.rdmaTool) return { ok: false, reason: 'the rdma program is missing', fix: 'apt-get install iproute2 rdma-core ibverbs-providers' };
  return { ok: true, needsModprobe: !facts.rxeModuleLoaded };
}

export interface RdmaPortInfo {
  port: number;
  /** "PORT_ACTIVE", "PORT_DOWN" … */
  state: string;
  linkLayer: string | null;
  activeMtu: number | null;
}

export interface RdmaDeviceInfo {
  name: string;
  transport: string | null;
  nodeGuid: string | null;
  ports: RdmaPortInfo[];
}

/** Devices and ports from `ibv_devinfo` (plain or -v). */
export function parseIbvDevinfo(text: string): RdmaDeviceInfo[] {
  const devices: RdmaDeviceInfo[] = [];
  let device: RdmaDeviceInfo | null = null;
  let port: RdmaPortInfo | null = null;
  for (const line of text.split('\n')) {
    // "hca_id:\trxe0"
    const hca = /^hca_id:\s*(\S+)/.exec(line);
    if (hca) {
      device = { name: hca[1]!, transport: null, nodeGuid: null, ports: [] };
      devices.push(device);
      port = null;
      continue;
    }
    if (!device) continue;
    // "\t\tport:\t1"
    const portLine = /^\s+port:\s*(\d+)\s*$/.exec(line);
    if (portLine) {
      port = { port: Number(portLine[1]), state: 'unknown', linkLayer: null, activeMtu: null };
      device.ports.push(port);
      continue;
    }
    // "\ttransport:\t\t\tInfiniBand (0)" / "\t\t\tstate:\t\t\tPORT_ACTIVE (4)" / "\t\t\tactive_mtu:\t\t1024 (3)" (bytes)
    const kv = /^\s+([a-z_]+):\s*(.*?)\s*$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (!port) {
      if (key === 'transport') device.transport = value.replace(/\s*\(\d+\)$/, '');
      if (key === 'node_guid') device.nodeGuid = value;
      continue;
    }
    // "PORT_ACTIVE (4)" -> "PORT_ACTIVE"
    if (key === 'state') port.state = value.replace(/\s*\(\d+\)$/, '');
    if (key === 'link_layer') port.linkLayer = value;
    // "1024 (3)": bytes, then the enum value
    if (key === 'active_mtu') port.activeMtu = /^\d+/.test(value) ? Number(/^\d+/.exec(value)![0]) : null;
  }
  return devices;
}
