// Preflight of a lab host over ssh: the facts that decide whether its numbers mean anything
// (core/inventory-preflight.ts), read-only. Each look-up is one remote argv (constant scripts take
// the interface as an argument, never spliced in); a look-up that fails leaves its field null.
import type { HostFacts } from '../core/host.js';
import type { LabHost } from '../core/inventory.js';
import {
  cmdlineValue,
  parseEthtoolChannels,
  parseEthtoolCoalesce,
  parseEthtoolFeatures,
  parseEthtoolInfo,
  parseEthtoolSettings,
  parseEthtoolTimestamping,
  type LabPreflight,
} from '../core/inventory-preflight.js';
import { parseIbvDevinfo, parseRdmaLink } from '../core/rdma-devices.js';
import { KNOWN_BINARIES, KNOWN_PACKAGES, NATIVE_BINARIES, readMeminfoHugepages } from './host-probe.js';
import type { SshHost } from './ssh.js';

/** Every remote command the preflight runs on a host, by name (also what `--dry-run` prints). */
export function preflightCommands(host: LabHost, nativeDir: string): Record<string, string[]> {
  const dev = host.testIface;
  const programs = Object.keys(KNOWN_BINARIES);
  return {
    hostname: ['uname', '-n'],
    kernel: ['uname', '-r'],
    cpuinfo: ['cat', '/proc/cpuinfo'],
    nproc: ['nproc', '--all'],
    governor: ['cat', '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'],
    smt: ['cat', '/sys/devices/system/cpu/smt/active'],
    cmdline: ['cat', '/proc/cmdline'],
    // "$0" is the interface: each MSI vector of its device, with the CPUs it may run on.
    irqs: [
      'sh',
      '-c',
      'for f in /sys/class/net/"$0"/device/msi_irqs/*; do [ -e "$f" ] || continue; i=${f##*/}; echo "$i $(cat /proc/irq/$i/smp_affinity_list 2>/dev/null)"; done',
      dev,
    ],
    ethtoolInfo: ['ethtool', '-i', dev],
    ethtoolSettings: ['ethtool', dev],
    ethtoolFeatures: ['ethtool', '-k', dev],
    ethtoolCoalesce: ['ethtool', '-c', dev],
    ethtoolTimestamping: ['ethtool', '-T', dev],
    ethtoolChannels: ['ethtool', '-l', dev],
    ibvDevinfo: ['ibv_devinfo'],
    rdmaLink: ['rdma', 'link', 'show'],
    nicNuma: ['cat', `/sys/class/net/${dev}/device/numa_node`],
    // "node0 0-15": each NUMA node and its CPU list.
    cpuNodes: ['sh', '-c', 'for d in /sys/devices/system/node/node[0-9]*; do [ -e "$d" ] && echo "${d##*/} $(cat "$d"/cpulist)"; done'],
    meminfo: ['cat', '/proc/meminfo'],
    iommu: [
      'sh',
      '-c',
      'ls /sys/kernel/iommu_groups 2>/dev/null | wc -l; [ -d /sys/bus/pci/drivers/vfio-pci ] || modinfo vfio-pci >/dev/null 2>&1 && echo vfio-pci',
    ],
    chrony: ['chronyc', '-n', 'tracking'],
    ptp: ['sh', '-c', 'for p in ptp4l phc2sys; do pgrep -x "$p" >/dev/null && echo "$p"; done; true'],
    // "$@" are program names: the path of each, or "-" when it is not installed.
    which: ['sh', '-c', 'for p in "$@"; do command -v "$p" || echo -; done', 'sh', ...programs, ...NATIVE_BINARIES.map((b) => `${nativeDir}/${b}`)],
    packages: ['dpkg-query', '-W', '-f', '${Package}\t${Version}\t${db:Status-Status}\n', ...new Set([...KNOWN_PACKAGES, ...Object.values(KNOWN_BINARIES)])],
    sockperfVersion: ['sockperf', '--version'],
    afxdp: ['sh', '-c', 'grep -qwE "xsk_create|xsk_socket_create" /proc/kallsyms && echo yes; true'],
    features: [
      'sh',
      '-c',
      '[ -d /sys/kernel/tracing/events ] && echo tracefs; [ -e /dev/kvm ] && echo kvm; ls /sys/class/infiniband 2>/dev/null | sed "s/^/rdma /"; true',
    ],
    uid: ['id', '-u'],
  };
}

/** Expands "0-3,8" into CPU numbers. */
function cpuListOf(s: string): number[] {
  return s
    .trim()
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_x, i) => a + i);
    });
}

export interface RemoteFacts {
  preflight: LabPreflight;
  /** The same facts as HostFacts, for the drivers' detect() on this host. */
  facts: HostFacts;
}

export async function preflightHost(ssh: SshHost, nativeDir: string): Promise<RemoteFacts> {
  const cmds = preflightCommands(ssh.host, nativeDir);
  const out: Record<string, { stdout: string; stderr: string; exitCode: number }> = {};
  for (const [name, argv] of Object.entries(cmds)) {
    out[name] = await ssh.run(argv, { allowFailure: true, timeoutMs: 15_000 }).catch((err: Error) => ({ stdout: '', stderr: err.message, exitCode: -1 }));
  }
  const ok = (name: string) => (out[name]?.exitCode === 0 ? out[name].stdout : null);
  const cpuinfo = ok('cpuinfo') ?? '';
  // "model name\t: Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz"
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null;
  const cmdline = ok('cmdline') ?? '';
  const cpuNodes: Record<string, number | null> = {};
  for (const line of (ok('cpuNodes') ?? '').split('\n')) {
    // "node1 16-31"
    const m = /^node(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) for (const c of cpuListOf(m[2]!)) cpuNodes[String(c)] = Number(m[1]);
  }
  const packages: Record<string, string | null> = {};
  for (const line of (out.packages?.stdout ?? '').split('\n')) {
    const [name, ver, status] = line.split('\t');
    if (name && ver && status === 'installed') packages[name.split(':')[0]!] = ver;
  }
  const programs = [...Object.keys(KNOWN_BINARIES), ...NATIVE_BINARIES];
  const paths = (out.which?.stdout ?? '').split('\n');
  const binaries: LabPreflight['binaries'] = {};
  programs.forEach((program, i) => {
    const path = paths[i]?.trim();
    const pkg = KNOWN_BINARIES[program];
    binaries[program] = { path: path && path !== '-' ? path : null, version: path && path !== '-' && pkg ? (packages[pkg] ?? null) : null };
  });
  // "sockperf: == version #3.7-no.git =="
  const sockperfVersion = /version #?([0-9][^\s=]*)/.exec(`${out.sockperfVersion?.stdout ?? ''}${out.sockperfVersion?.stderr ?? ''}`)?.[1];
  if (sockperfVersion && binaries.sockperf?.path) binaries.sockperf.version = sockperfVersion;
  const hp = readMeminfoHugepages(ok('meminfo') ?? '');
  const iommuLines = (ok('iommu') ?? '').trim().split('\n');
  const ptp = ok('ptp') ?? '';
  const chrony = ok('chrony');
  const smt = ok('smt')?.trim();
  const nicNuma = ok('nicNuma');
  const coalesce = out.ethtoolCoalesce;
  const features = ok('features') ?? '';
  const preflight: LabPreflight = {
    host: ssh.name,
    role: ssh.host.role,
    reachable: true,
    error: null,
    hostname: ok('hostname')?.trim() ?? null,
    kernelRelease: ok('kernel')?.trim() ?? null,
    cpuModel,
    cpuCount: ok('nproc') ? Number(ok('nproc')!.trim()) : null,
    governor: ok('governor')?.trim() ?? null,
    smtActive: smt === undefined ? null : smt === '1',
    isolcpus: cmdlineValue(cmdline, 'isolcpus'),
    nohzFull: cmdlineValue(cmdline, 'nohz_full'),
    nicIrqs: (ok('irqs') ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p) => p.length === 2 && /^\d+$/.test(p[0]!))
      .map(([irq, cpus]) => ({ irq: Number(irq), cpus: cpus! })),
    nic: ok('ethtoolInfo') ? parseEthtoolInfo(ok('ethtoolInfo')!) : null,
    ...parseEthtoolSettings(ok('ethtoolSettings') ?? ''),
    offloads: parseEthtoolFeatures(ok('ethtoolFeatures') ?? ''),
    coalescing: coalesce ? parseEthtoolCoalesce(coalesce.stdout, coalesce.exitCode) : null,
    timestamping: ok('ethtoolTimestamping') ? parseEthtoolTimestamping(ok('ethtoolTimestamping')!) : null,
    channels: out.ethtoolChannels ? parseEthtoolChannels(out.ethtoolChannels.stdout, out.ethtoolChannels.exitCode) : null,
    rdma:
      ok('ibvDevinfo') === null && ok('rdmaLink') === null
        ? null
        : { devices: parseIbvDevinfo(ok('ibvDevinfo') ?? ''), links: parseRdmaLink(ok('rdmaLink') ?? '') },
    nicNumaNode: ssh.host.numaNode ?? (nicNuma !== null && /^-?\d+$/.test(nicNuma.trim()) ? Number(nicNuma.trim()) : null),
    cpuNodes,
    hugepages: { total: hp.total, free: hp.free, sizeKb: hp.sizeKb },
    iommuGroups: Number(iommuLines[0] ?? 0) || 0,
    vfioPci: iommuLines.includes('vfio-pci'),
    // "Leap status     : Normal" and "System time     : 0.000001234 seconds fast of NTP time"
    clock: {
      chrony: chrony
        ? [/^Leap status\s*:\s*(.+)$/m.exec(chrony)?.[1], /^System time\s*:\s*(.+)$/m.exec(chrony)?.[1]].filter(Boolean).join(', ') || 'running'
        : null,
      ptp4l: ptp.includes('ptp4l'),
      phc2sys: ptp.includes('phc2sys'),
    },
    binaries,
    packages,
    warnings: [],
  };
  const facts: HostFacts = {
    hostname: preflight.hostname ?? ssh.name,
    kernelRelease: preflight.kernelRelease ?? 'unknown',
    kernelVersion: 'unknown',
    arch: 'unknown',
    cpuModel: cpuModel ?? 'unknown',
    cpuCount: preflight.cpuCount ?? 1,
    haltpollNs: null,
    governor: preflight.governor,
    isRoot: ok('uid')?.trim() === '0',
    nodeVersion: 'n/a (remote host)',
    binaries,
    packages,
    features: {
      netns: true,
      veth: true,
      afXdp: (ok('afxdp') ?? '').includes('yes'),
      hugepages: hp,
      rdmaDevices: [...features.matchAll(/^rdma (\S+)$/gm)].map((m) => m[1]!),
      rxe: false,
      soTimestamping: true,
      kvm: /^kvm$/m.test(features),
      tracefs: /^tracefs$/m.test(features),
    },
  };
  return { preflight, facts };
}

/** A host that could not be reached: the preflight says why. */
export function unreachablePreflight(host: LabHost, error: string): LabPreflight {
  return {
    host: host.name,
    role: host.role,
    reachable: false,
    error,
    hostname: null,
    kernelRelease: null,
    cpuModel: null,
    cpuCount: null,
    governor: null,
    smtActive: null,
    isolcpus: null,
    nohzFull: null,
    nicIrqs: [],
    nic: null,
    speed: null,
    linkDetected: null,
    offloads: {},
    coalescing: null,
    timestamping: null,
    channels: null,
    rdma: null,
    nicNumaNode: null,
    cpuNodes: {},
    hugepages: { total: 0, free: 0, sizeKb: null },
    iommuGroups: 0,
    vfioPci: false,
    clock: { chrony: null, ptp4l: false, phc2sys: false },
    binaries: {},
    packages: {},
    warnings: [],
  };
}
