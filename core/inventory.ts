// Lab hosts, as an Ansible YAML inventory names them (suites/inventory.ts reads the file): where
// to reach each host over SSH (management network) and which address and interface carry the
// test traffic. Pairs of a client and a server host run a suite one after the other.

export type LabRole = 'client' | 'server';

export interface LabHost {
  /** The inventory's host name ("lab1a"); names raw/<name>/ and the host's ledger. */
  name: string;
  role: LabRole;
  /** ansible_host (defaults to the name): what ssh connects to. */
  address: string;
  /** ansible_user; null lets ssh choose (its config, then the local user). */
  user: string | null;
  /** ansible_port (22 unless set). */
  port: number;
  /** ansible_ssh_private_key_file; null uses ssh's default keys and agent. */
  keyFile: string | null;
  /** bypassbench_known_hosts_file: a UserKnownHostsFile holding the lab's host keys. */
  knownHostsFile: string | null;
  /** bypassbench_test_ip: this host's address on the test network (a private test address). */
  testIp: string;
  /** bypassbench_test_iface: the interface that carries test traffic. */
  testIface: string;
  /** bypassbench_cpus_client / _server / _poller: CPUs for that role's processes on this host. */
  cpus: { client: number[] | null; server: number[] | null; poller: number[] | null };
  /** bypassbench_pci: PCI address of the test NIC ("0000:3b:00.0"), for DPDK. */
  pci: string | null;
  /** bypassbench_numa_node: NUMA node of the test NIC (read from sysfs when not given). */
  numaNode: number | null;
  /** bypassbench_rdma_dev ("mlx5_0") and bypassbench_gid_index, for perftest. */
  rdmaDev: string | null;
  gidIndex: number | null;
  /** bypassbench_remote_dir: per-run folders on the host go under it (default /tmp/bypassbench-lab). */
  remoteDir: string;
  /** bypassbench_native_dir: where bb-afxdp and bb-tsprobe are on the host (null: copied per run). */
  nativeDir: string | null;
}

/** One client host and one server host, cabled (or switched) together on the test network. */
export interface LabPair {
  /** "client-host+server-host": tags the pair's results. */
  name: string;
  client: LabHost;
  server: LabHost;
}

export interface Inventory {
  file: string;
  pairs: LabPair[];
  /** Every host once (a host may serve in several pairs). */
  hosts: LabHost[];
}

export const DEFAULT_REMOTE_DIR = '/tmp/bypassbench-lab';
