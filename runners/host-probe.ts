// Gathering HostFacts: what machine this is, which tools are installed (and which versions), and
// which kernel features exist. Read-only: nothing here changes the machine.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, release, version, arch } from 'node:os';
import type { HostFacts, KernelFeatures } from '../core/host.js';
import { run, tryRun, which } from './exec.js';
import { nativeBinary } from '../core/project.js';

/** Programs the drivers run, with the Debian package that ships each. */
export const KNOWN_BINARIES: Record<string, string> = {
  sockperf: 'sockperf',
  'dpdk-testpmd': 'dpdk-dev',
  ib_write_lat: 'perftest',
  ib_send_bw: 'perftest',
  ibv_devinfo: 'ibverbs-utils',
  'qemu-system-x86_64': 'qemu-system-x86',
  bpftrace: 'bpftrace',
  ethtool: 'ethtool',
  taskset: 'util-linux',
  ip: 'iproute2',
  gcc: 'gcc',
  java: 'openjdk-17-jre-headless',
};

/** Packages whose versions go into run.json even when no binary maps to them (libraries, PMDs). */
export const KNOWN_PACKAGES = [
  'sockperf',
  'dpdk',
  'dpdk-dev',
  'librte-net-af-xdp23',
  'librte-net-af-packet23',
  'librte-net-null23',
  'libxdp1',
  'libbpf1',
  'perftest',
  'rdma-core',
  'qemu-system-x86',
  'iproute2',
  'linux-image-amd64',
];

/** The project's own programs (native/build/), built by ./setup.sh; they print "NAME VERSION" for --version. */
export const NATIVE_BINARIES = ['bb-afxdp', 'bb-tsprobe'] as const;

function readTrim(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

export function readMeminfoHugepages(text: string): KernelFeatures['hugepages'] {
  // "HugePages_Total:       0" (pages) and "Hugepagesize:       2048 kB"
  const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const sizeKb = num('Hugepagesize');
  return {
    supported: Number.isFinite(sizeKb),
    total: Number.isFinite(num('HugePages_Total')) ? num('HugePages_Total') : 0,
    free: Number.isFinite(num('HugePages_Free')) ? num('HugePages_Free') : 0,
    sizeKb: Number.isFinite(sizeKb) ? sizeKb : null,
  };
}

/** Looks for a kernel symbol by streaming /proc/kallsyms (the only check without a syscall). */
function kernelHasSymbol(symbols: string[]): Record<string, boolean> {
  const found: Record<string, boolean> = Object.fromEntries(symbols.map((s) => [s, false]));
  const text = readTrim('/proc/kallsyms');
  if (!text) return found;
  for (const line of text.split('\n')) {
    // "ffffffff81c1e2a0 T xsk_socket_create": address, type, name
    const name = line.slice(line.lastIndexOf(' ') + 1);
    if (name in found) found[name] = true;
  }
  return found;
}

export async function packageVersions(names: string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = Object.fromEntries(names.map((n) => [n, null]));
  // dpkg-query prints installed ones and complains (exit 1) about the rest; keep what it printed.
  const r = await run(['dpkg-query', '-W', '-f', '${Package}\t${Version}\t${db:Status-Status}\n', ...names], { allowFailure: true }).catch(() => ({
    stdout: '',
  }));
  for (const line of r.stdout.split('\n')) {
    const [name, ver, status] = line.split('\t');
    if (name && ver && status === 'installed') out[name.split(':')[0]!] = ver;
  }
  return out;
}

export function kernelFeatures(): KernelFeatures {
  const syms = kernelHasSymbol(['xsk_socket_create', 'xsk_create', 'veth_newlink', 'rxe_net_init']);
  const rdmaDevices = existsSync('/sys/class/infiniband') ? readdirSync('/sys/class/infiniband') : [];
  const moduleDep = readTrim(`/lib/modules/${release()}/modules.dep`) ?? '';
  return {
    netns: existsSync('/proc/self/ns/net'),
    veth: syms.veth_newlink === true || existsSync('/sys/module/veth') || moduleDep.includes('/veth.ko'),
    afXdp: syms.xsk_socket_create === true || syms.xsk_create === true,
    hugepages: readMeminfoHugepages(readTrim('/proc/meminfo') ?? ''),
    rdmaDevices,
    rxe: syms.rxe_net_init === true || existsSync('/sys/module/rdma_rxe') || moduleDep.includes('rdma_rxe.ko'),
    // Software RX/TX timestamps exist on every kernel this tool targets; hardware ones are per NIC.
    soTimestamping: true,
    kvm: existsSync('/dev/kvm'),
    tracefs: existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events'),
  };
}

async function binaryVersion(program: string, path: string | null, packages: Record<string, string | null>): Promise<string | null> {
  if (!path) return null;
  if (program === 'sockperf') {
    // "sockperf, version 3.7-no.git" (the run banner says "== version #3.7-no.git ==")
    const r = await tryRun([path, '--version'], 5000);
    const m = /version #?([0-9][^\s=]*)/.exec(`${r?.stdout ?? ''}${r?.stderr ?? ''}`);
    if (m) return m[1]!;
  }
  const pkg = KNOWN_BINARIES[program];
  return pkg ? (packages[pkg] ?? null) : null;
}

export async function probeHost(): Promise<HostFacts> {
  const packages = await packageVersions([...new Set([...KNOWN_PACKAGES, ...Object.values(KNOWN_BINARIES)])]);
  const binaries: HostFacts['binaries'] = {};
  for (const program of Object.keys(KNOWN_BINARIES)) {
    const path = which(program);
    binaries[program] = { path, version: await binaryVersion(program, path, packages) };
  }
  for (const program of NATIVE_BINARIES) {
    const path = nativeBinary(program);
    if (!existsSync(path)) {
      binaries[program] = { path: null, version: null };
      continue;
    }
    // "bb-afxdp 0.1.0"
    const r = await tryRun([path, '--version'], 5000);
    binaries[program] = { path, version: /\s(\d[^\s]*)/.exec(r?.stdout ?? '')?.[1] ?? null };
  }
  const haltpoll = readTrim('/sys/module/haltpoll/parameters/guest_halt_poll_ns');
  return {
    hostname: hostname(),
    kernelRelease: release(),
    kernelVersion: version(),
    arch: arch(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    haltpollNs: haltpoll === null ? null : Number(haltpoll),
    governor: readTrim('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
    isRoot: process.getuid?.() === 0,
    nodeVersion: process.version,
    binaries,
    packages,
    features: kernelFeatures(),
  };
}
