// RDMA devices of a lab host as ibv_devinfo and `rdma link show` print them: which devices exist,
// the state and link layer (InfiniBand or Ethernet = RoCE) of each port, and the netdev a RoCE
// port sits on. Preflight checks the inventory's bypassbench_rdma_dev against them.

export interface IbvPort {
  port: number;
  /** "PORT_ACTIVE", "PORT_DOWN" … */
  state: string;
  /** "InfiniBand" or "Ethernet" (RoCE). */
  linkLayer: string | null;
  activeMtu: number | null;
}

export interface IbvDevice {
  device: string;
  firmware: string | null;
  ports: IbvPort[];
}

/** ibv_devinfo: one block per hca_id, its ports indented under it. */
export function parseIbvDevinfo(text: string): IbvDevice[] {
  const out: IbvDevice[] = [];
  let dev: IbvDevice | null = null;
  let port: IbvPort | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // "hca_id: mlx5_0"
    const hca = /^hca_id:\s*(\S+)/.exec(line);
    if (hca) {
      dev = { device: hca[1]!, firmware: null, ports: [] };
      out.push(dev);
      port = null;
      continue;
    }
    if (!dev) continue;
    // "fw_ver:                         28.39.2048"
    const fw = /^fw_ver:\s*(\S+)/.exec(line);
    if (fw) dev.firmware = fw[1]!;
    // "port:   1"
    const p = /^port:\s*(\d+)$/.exec(line);
    if (p) {
      port = { port: Number(p[1]), state: 'unknown', linkLayer: null, activeMtu: null };
      dev.ports.push(port);
      continue;
    }
    if (!port) continue;
    // "state:                  PORT_ACTIVE (4)", "active_mtu:             1024 (3)", "link_layer:             Ethernet"
    const kv = /^(state|active_mtu|link_layer):\s*(\S+)/.exec(line);
    if (kv?.[1] === 'state') port.state = kv[2]!;
    else if (kv?.[1] === 'active_mtu') port.activeMtu = Number(kv[2]) || null;
    else if (kv?.[1] === 'link_layer') port.linkLayer = kv[2]!;
  }
  return out;
}

export interface RdmaLink {
  device: string;
  port: number;
  /** "ACTIVE", "DOWN" … */
  state: string;
  physicalState: string | null;
  netdev: string | null;
}

/** `rdma link show`: "link mlx5_0/1 state ACTIVE physical_state LINK_UP netdev p1p1" per port. */
export function parseRdmaLink(text: string): RdmaLink[] {
  const out: RdmaLink[] = [];
  for (const raw of text.split(/\r?\n/)) {
    // "link rxe_0/1 state ACTIVE physical_state LINK_UP netdev p1p1"
    const m = /^link\s+(\S+)\/(\d+)\s+state\s+(\S+)(.*)$/.exec(raw.trim());
    if (!m) continue;
    const rest = m[4]!;
    out.push({
      device: m[1]!,
      port: Number(m[2]),
      state: m[3]!,
      physicalState: /physical_state\s+(\S+)/.exec(rest)?.[1] ?? null,
      netdev: /netdev\s+(\S+)/.exec(rest)?.[1] ?? null,
    });
  }
  return out;
}

export interface RdmaFacts {
  devices: IbvDevice[];
  links: RdmaLink[];
}

/**
 * Why the inventory's RDMA device cannot carry a trial on this host (null: it can), plus a warning
 * when its RoCE port is not on the test interface (traffic would leave through another NIC).
 */
export function rdmaDeviceCheck(
  host: { name: string; rdmaDev: string | null; testIface: string },
  facts: RdmaFacts | null,
): { problem: { reason: string; fix: string } | null; warning: string | null } {
  if (!host.rdmaDev) {
    return {
      problem: {
        reason: `${host.name} has no bypassbench_rdma_dev in the inventory`,
        fix: 'set bypassbench_rdma_dev (a device ibv_devinfo lists, e.g. mlx5_0) and bypassbench_gid_index for the host',
      },
      warning: null,
    };
  }
  const names = [...new Set([...(facts?.devices ?? []).map((d) => d.device), ...(facts?.links ?? []).map((l) => l.device)])];
  if (!names.includes(host.rdmaDev)) {
    return {
      problem: {
        reason: `${host.name}: RDMA device ${host.rdmaDev} is not there (ibv_devinfo / rdma link list ${names.length > 0 ? names.join(', ') : 'none'})`,
        fix:
          names.length > 0
            ? `set bypassbench_rdma_dev to one of ${names.join(', ')}`
            : 'load the NIC’s RDMA driver (mlx5_ib, irdma, bnxt_re …) and install rdma-core and ibverbs-providers',
      },
      warning: null,
    };
  }
  const port = facts?.devices.find((d) => d.device === host.rdmaDev)?.ports[0];
  const link = facts?.links.find((l) => l.device === host.rdmaDev);
  const state = port?.state ?? link?.state ?? 'unknown';
  if (!/ACTIVE/.test(state)) {
    return {
      problem: {
        reason: `${host.name}: RDMA device ${host.rdmaDev} port is ${state}, not active`,
        fix: 'check the cable and link (rdma link show; ethtool on its netdev)',
      },
      warning: null,
    };
  }
  const warning =
    link?.netdev && link.netdev !== host.testIface
      ? `${host.name}: RDMA device ${host.rdmaDev} sits on ${link.netdev}, not on the test interface ${host.testIface}: its traffic takes another NIC`
      : null;
  return { problem: null, warning };
}
