// What the preflight found on one lab host (runners/lab-preflight.ts gathers it over ssh), and the
// pure readers of the tools' outputs. Reported and recorded in run.json, never changed: a lab
// engineer decides whether a governor, an IRQ spread or a cross-node CPU choice is acceptable.

export interface LabPreflight {
  host: string;
  role: 'client' | 'server';
  reachable: boolean;
  /** ssh's own words when the host could not be reached. */
  error: string | null;
  hostname: string | null;
  kernelRelease: string | null;
  cpuModel: string | null;
  cpuCount: number | null;
  governor: string | null;
  /** /sys/devices/system/cpu/smt/active: 1 = sibling threads online. */
  smtActive: boolean | null;
  /** isolcpus= and nohz_full= from /proc/cmdline (null when not set). */
  isolcpus: string | null;
  nohzFull: string | null;
  /** Interrupts of the test NIC (its MSI vectors) and the CPUs each may run on. */
  nicIrqs: { irq: number; cpus: string }[];
  /** ethtool -i: driver, version, firmware, bus address. */
  nic: { driver: string | null; firmware: string | null; busInfo: string | null } | null;
  /** ethtool IF: "10000Mb/s", and whether the link is up. */
  speed: string | null;
  linkDetected: boolean | null;
  /** ethtool -k: each feature on/off (sub-features included). */
  offloads: Record<string, boolean>;
  /** ethtool -c: coalescing settings, or null when the driver has none ("Operation not supported"). */
  coalescing: Record<string, string> | null;
  /** ethtool -T: what timestamping the NIC offers. */
  timestamping: { hardwareTx: boolean; hardwareRx: boolean; ptpClock: string | null; capabilities: string[] } | null;
  /** NUMA node of the NIC (sysfs; -1 or null when the machine has one node) and the node of each chosen CPU. */
  nicNumaNode: number | null;
  cpuNodes: Record<string, number | null>;
  hugepages: { total: number; free: number; sizeKb: number | null };
  /** /sys/kernel/iommu_groups holds groups, and whether the vfio-pci driver is present. */
  iommuGroups: number;
  vfioPci: boolean;
  /** chronyc tracking's leap status / offset, and whether ptp4l or phc2sys run. */
  clock: { chrony: string | null; ptp4l: boolean; phc2sys: boolean };
  /** Tool paths and versions, like HostFacts (null path: not installed). */
  binaries: Record<string, { path: string | null; version: string | null }>;
  packages: Record<string, string | null>;
  warnings: string[];
}

/** "driver: mlx5_core" lines of ethtool -i, keyed. */
export function parseEthtoolInfo(text: string): LabPreflight['nic'] {
  // "firmware-version: 16.35.2000 (MT_0000000012)": key, colon, value (may be empty)
  const get = (key: string) => new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim() || null;
  const driver = get('driver');
  return driver === null ? null : { driver, firmware: get('firmware-version'), busInfo: get('bus-info') };
}

/** ethtool IF: speed and link. */
export function parseEthtoolSettings(text: string): { speed: string | null; linkDetected: boolean | null } {
  // "\tSpeed: 10000Mb/s" and "\tLink detected: no"
  const speed = /^\s*Speed:\s*(\S+)/m.exec(text)?.[1] ?? null;
  const link = /^\s*Link detected:\s*(yes|no)/m.exec(text)?.[1];
  return { speed, linkDetected: link === undefined ? null : link === 'yes' };
}

/** ethtool -k: "feature: on|off [fixed]" per line. */
export function parseEthtoolFeatures(text: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  // "\ttx-checksum-ipv4: off [fixed]" or "rx-checksumming: on"
  for (const m of text.matchAll(/^\s*([a-z0-9_-]+):\s+(on|off)\b/gm)) out[m[1]!] = m[2] === 'on';
  return out;
}

/** ethtool -c: "rx-usecs: 8" per line; null when the driver does not support coalescing. */
export function parseEthtoolCoalesce(text: string, exitCode: number): Record<string, string> | null {
  if (exitCode !== 0) return null;
  const out: Record<string, string> = {};
  // "rx-usecs:\t8" or "Adaptive RX: on  TX: on"
  for (const m of text.matchAll(/^([A-Za-z][A-Za-z0-9 -]*):\s*(\S.*)$/gm)) if (!m[1]!.startsWith('Coalesce parameters')) out[m[1]!.trim()] = m[2]!.trim();
  return out;
}

/** ethtool -T: capabilities and whether hardware TX/RX timestamps exist. */
export function parseEthtoolTimestamping(text: string): LabPreflight['timestamping'] {
  if (!/Capabilities:/.test(text)) return null;
  // "\thardware-transmit" under "Capabilities:" (older ethtool: "\thardware-transmit     (SOF_TIMESTAMPING_TX_HARDWARE)")
  const caps = [...text.matchAll(/^\s+([a-z-]+(?:-[a-z]+)*)\s*(?:\(SOF_[A-Z_]+\))?\s*$/gm)].map((m) => m[1]!);
  // "PTP Hardware Clock: 0" or "PTP Hardware Clock: none"
  const ptp = /PTP Hardware Clock:\s*(\S+)/.exec(text)?.[1] ?? null;
  return {
    hardwareTx: caps.includes('hardware-transmit'),
    hardwareRx: caps.includes('hardware-receive'),
    ptpClock: ptp === 'none' ? null : ptp,
    capabilities: caps,
  };
}

/** A key=value of /proc/cmdline ("isolcpus=2-5" → "2-5"). */
export function cmdlineValue(cmdline: string, key: string): string | null {
  // "… isolcpus=managed_irq,2-5 nohz_full=2-5 …"
  return new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(cmdline)?.[1] ?? null;
}

/** Warnings for one host: what makes its numbers doubtful. */
export function hostWarnings(p: LabPreflight, chosenCpus: number[]): string[] {
  const w: string[] = [];
  if (p.governor !== null && p.governor !== 'performance')
    w.push(`${p.host}: CPU frequency governor is ${p.governor}, not performance (latency varies with frequency)`);
  if (p.smtActive) w.push(`${p.host}: SMT is on: a sibling thread can share the measuring core`);
  if (p.nicNumaNode !== null && p.nicNumaNode >= 0) {
    const far = chosenCpus.filter((c) => p.cpuNodes[String(c)] !== undefined && p.cpuNodes[String(c)] !== null && p.cpuNodes[String(c)] !== p.nicNumaNode);
    if (far.length > 0) w.push(`${p.host}: CPU(s) ${far.join(',')} are on another NUMA node than the test NIC (node ${p.nicNumaNode})`);
  }
  if (p.isolcpus === null && p.nohzFull === null) w.push(`${p.host}: no isolated CPUs (isolcpus/nohz_full): other tasks may run on the measuring cores`);
  if (!p.clock.chrony && !p.clock.ptp4l) w.push(`${p.host}: no clock synchronisation seen (chronyc or ptp4l): one-way times across hosts are meaningless`);
  return w;
}

/** Tool or package versions that differ between the two hosts of a pair. */
export function versionMismatches(a: LabPreflight, b: LabPreflight): string[] {
  const out: string[] = [];
  for (const [name, va] of Object.entries(a.packages)) {
    const vb = b.packages[name];
    if (va && vb && va !== vb) out.push(`package ${name}: ${a.host} has ${va}, ${b.host} has ${vb}`);
  }
  for (const [name, fa] of Object.entries(a.binaries)) {
    const fb = b.binaries[name];
    if (fa.version && fb?.version && fa.version !== fb.version) out.push(`${name}: ${a.host} has ${fa.version}, ${b.host} has ${fb.version}`);
  }
  return out;
}
