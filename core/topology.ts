// Where a run's trials happen: the default topology's two ends and the CPUs each role is pinned
// to. Declared here, not in paths/, because run.json records both (core/run-meta.ts).

export interface TopologyInfo {
  /** netns: two namespaces on this machine; lab: two hosts over SSH (runners/lab-executor.ts). */
  kind: 'netns' | 'lab';
  /** The run's short id: part of every name the run creates (namespaces, veths, DPDK prefixes). */
  runTag: string;
  client: EndpointInfo;
  server: EndpointInfo;
  mtu: number;
}

export interface EndpointInfo {
  /** Network namespace name; in lab mode the inventory's host name (processes run in its own namespace). */
  netns: string;
  ifname: string;
  ip: string;
  mac: string;
  /** Lab mode: the test NIC's hardware as the inventory and the host's preflight give it. */
  hw?: EndpointHardware;
}

/** What a lab host's inventory says about its test NIC (bypassbench_pci, _numa_node, _rdma_dev, _gid_index). */
export interface EndpointHardware {
  pci: string | null;
  numaNode: number | null;
  rdmaDev: string | null;
  gidIndex: number | null;
  /** DPDK lcores from the host's CPU lists, on the NIC's NUMA node where known (null: the run's CPU plan). */
  lcores: { main: number; forwarding: number[] } | null;
}

/** What the default topology named its namespaces and veth ends (runners/netns.ts). */
export interface NetnsNames {
  clientNs: string;
  serverNs: string;
  clientIf: string;
  serverIf: string;
}

export interface CpuPlan {
  client: number;
  server: number;
  poller: number;
  /** The CPU the orchestrator itself may use (recorded, not enforced). */
  orchestrator: number;
}
