// What the preflight found on one lab host (runners/lab-preflight.ts gathers it over ssh), and the
// pure readers of the tools' outputs. Reported and recorded in run.json, never changed: a lab
// engineer decides whether a governor, an IRQ spread or a cross-node CPU choice is acceptable.

import type { RdmaFacts } from './rdma-devices.js';

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
  timestamping: {
    hardwareTx: boolean;
    hardwareRx: boolean;
    /** hardware-raw-clock: stamps come back raw (SOF_TIMESTAMPING_RAW_HARDWARE), which the probe asks for. */
    hardwareRawClock: boolean;
    ptpClock: string | null;
    capabilities: string[];
    /** HWTSTAMP_TX_* modes ("off", "on", "onestep-sync") and RX filters ("all" stamps every packet, "ptpv2-event" only PTP). */
    txModes: string[];
    rxFilters: string[];
  } | null;
  /** ibv_devinfo and `rdma link show`: the host's RDMA devices (null: neither tool answered). */
  rdma?: RdmaFacts | null;
  /** ethtool -l: the NIC's queue counts (null: no channel support; absent in records made before it was read). */
  channels?: EthtoolChannels | null;
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

/**
 * ethtool -c: "rx-usecs: 8" per line; null when the driver does not support coalescing. Values
 * the driver does not have ("n/a") are left out, never 0; the paired lines ("Adaptive RX: on  TX:
 * off", "CQE mode RX: n/a  TX: n/a") become adaptive-rx/adaptive-tx and cqe-mode-rx/cqe-mode-tx.
 */
export function parseEthtoolCoalesce(text: string, exitCode: number): Record<string, string> | null {
  if (exitCode !== 0) return null;
  const out: Record<string, string> = {};
  const keep = (key: string, value: string) => {
    if (value !== 'n/a') out[key] = value;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // "Adaptive RX: on  TX: off" (older ethtool: one space) and "CQE mode RX: n/a  TX: n/a"
    const pair = /^(Adaptive|CQE mode)\s+RX:\s*(\S+)\s+TX:\s*(\S+)$/.exec(line);
    if (pair) {
      const base = pair[1]!.toLowerCase().replace(' ', '-');
      keep(`${base}-rx`, pair[2]!);
      keep(`${base}-tx`, pair[3]!);
      continue;
    }
    // "rx-usecs:\t8", "pkt-rate-low:\t\tn/a"
    const kv = /^([a-z][a-z0-9-]*):\s*(\S.*)$/.exec(line);
    if (kv) keep(kv[1]!, kv[2]!.trim());
  }
  return out;
}

type ChannelCounts = Record<'rx' | 'tx' | 'other' | 'combined', number | null>;

export interface EthtoolChannels {
  /** "Pre-set maximums" and "Current hardware settings"; null where the driver prints n/a. */
  max: ChannelCounts;
  current: ChannelCounts;
}

/** ethtool -l: queue (channel) counts, maximum and current; null when the driver has none. */
export function parseEthtoolChannels(text: string, exitCode: number): EthtoolChannels | null {
  if (exitCode !== 0 || !/Current hardware settings:/.test(text)) return null;
  const empty = (): ChannelCounts => ({ rx: null, tx: null, other: null, combined: null });
  const out: EthtoolChannels = { max: empty(), current: empty() };
  let section: keyof EthtoolChannels | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('Pre-set maximums')) section = 'max';
    else if (line.startsWith('Current hardware settings')) section = 'current';
    // "RX:\t\t64", "Combined:       n/a"
    const m = /^(RX|TX|Other|Combined):\s*(\d+|n\/a)$/.exec(line);
    if (m && section) out[section][m[1]!.toLowerCase() as keyof ChannelCounts] = m[2] === 'n/a' ? null : Number(m[2]);
  }
  return out;
}

/**
 * ethtool -T: what the NIC can stamp. Read by section ("Capabilities:", "Hardware Transmit
 * Timestamp Modes:", "Hardware Receive Filter Modes:"), because the modes ("off", "on", "all") are
 * indented words too; a paste that lost its indentation still reads.
 */
export function parseEthtoolTimestamping(text: string): LabPreflight['timestamping'] {
  if (!/Capabilities:/.test(text)) return null;
  const sections: Record<'caps' | 'tx' | 'rx', string[]> = { caps: [], tx: [], rx: [] };
  let section: keyof typeof sections | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // A header: "Capabilities:", "Hardware Transmit Timestamp Modes:" (or "…: none" on one line), "PTP Hardware Clock: 0"
    const header = /^([A-Z][A-Za-z ]+):\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1]!;
      section = name === 'Capabilities' ? 'caps' : name.startsWith('Hardware Transmit') ? 'tx' : name.startsWith('Hardware Receive') ? 'rx' : null;
      continue;
    }
    // "hardware-transmit     (SOF_TIMESTAMPING_TX_HARDWARE)", "off", "ptpv2-l4-event        (HWTSTAMP_FILTER_PTP_V2_L4_EVENT)"
    const item = /^([a-z][a-z0-9-]*)\s*(?:\([A-Z0-9_]+\))?$/.exec(line);
    if (item && section) sections[section].push(item[1]!);
  }
  // "PTP Hardware Clock: 0" or "PTP Hardware Clock: none"
  const ptp = /PTP Hardware Clock:\s*(\S+)/.exec(text)?.[1] ?? null;
  return {
    hardwareTx: sections.caps.includes('hardware-transmit'),
    hardwareRx: sections.caps.includes('hardware-receive'),
    hardwareRawClock: sections.caps.includes('hardware-raw-clock'),
    ptpClock: ptp === null || ptp === 'none' ? null : ptp,
    capabilities: sections.caps,
    txModes: sections.tx,
    rxFilters: sections.rx,
  };
}

/**
 * Whether the probe can get NIC stamps on both directions for every packet: hardware TX and RX,
 * raw hardware clock, TX mode "on" and RX filter "all" (a PTP-only filter stamps nothing the probe
 * sends). The reason says what is missing, for the record and `doctor`.
 */
export function hardwareTimestampSupport(ts: LabPreflight['timestamping']): { usable: boolean; reason: string } {
  if (ts === null) return { usable: false, reason: 'ethtool -T printed no timestamping capabilities' };
  const missing = [
    ...(ts.hardwareTx ? [] : ['hardware-transmit']),
    ...(ts.hardwareRx ? [] : ['hardware-receive']),
    ...(ts.hardwareRawClock ? [] : ['hardware-raw-clock']),
    ...(ts.txModes.length === 0 || ts.txModes.includes('on') ? [] : ['TX mode "on"']),
    ...(ts.rxFilters.length === 0 || ts.rxFilters.includes('all') ? [] : [`RX filter "all" (has ${ts.rxFilters.join(', ')})`]),
  ];
  return missing.length === 0
    ? { usable: true, reason: `hardware stamps offered (PTP clock ${ts.ptpClock ?? 'not reported'})` }
    : { usable: false, reason: `the NIC lacks ${missing.join(', ')}` };
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
