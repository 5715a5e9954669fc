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
