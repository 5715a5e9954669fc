// Facts about the machine a run happens on. Gathered once by runners/host-probe.ts (which spawns
// the look-ups), recorded in run.json, and handed to drivers' pure detect().

export interface BinaryFact {
  /** Absolute path, or null when the program is not installed. */
  path: string | null;
  /** Version as the tool or its Debian package reports it. */
  version: string | null;
}

export interface HostFacts {
  hostname: string;
  kernelRelease: string;
  kernelVersion: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  /** /sys/module/haltpoll/parameters/guest_halt_poll_ns; null when haltpoll is not loaded. */
  haltpollNs: number | null;
  /** cpufreq governor of cpu0; null when the VM exposes no cpufreq. */
  governor: string | null;
  isRoot: boolean;
  nodeVersion: string;
  /** Keyed by program name (sockperf, dpdk-testpmd, ib_write_lat …). */
  binaries: Record<string, BinaryFact>;
  /** Keyed by Debian package name: installed version, or null. */
  packages: Record<string, string | null>;
  features: KernelFeatures;
}

export interface KernelFeatures {
  netns: boolean;
  veth: boolean;
  /** AF_XDP sockets can be created (CONFIG_XDP_SOCKETS). */
  afXdp: boolean;
  hugepages: { supported: boolean; total: number; free: number; sizeKb: number | null };
  /** Devices under /sys/class/infiniband (rxe0, mlx5_0 …). */
  rdmaDevices: string[];
  /** rdma_rxe built in or loadable on this kernel. */
  rxe: boolean;
  soTimestamping: boolean;
  kvm: boolean;
  tracefs: boolean;
}
