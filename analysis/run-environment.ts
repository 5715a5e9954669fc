// The environment a run was measured in, and what differs between two runs' environments: runs
// measured on different kernels, CPUs, haltpoll settings or tool versions are not comparable.
import type { RunMeta } from '../core/run-meta.js';
import type { TrialRecord } from '../core/trial.js';

/** What a run's results depend on, read from its run.json (fields missing there are null). */
export interface RunEnvironment {
  hostname: string | null;
  kernelRelease: string | null;
  cpuModel: string | null;
  cpuCount: number | null;
  /** guest_halt_poll_ns of the haltpoll cpuidle driver; null when the machine has none. */
  haltpollNs: number | null;
  governor: string | null;
  nodeVersion: string | null;
  gitRevision: string | null;
  gitDirty: boolean | null;
  /** Binary name → version, from host.binaries. */
  toolVersions: Record<string, string | null>;
  /** Debian package → version, from host.packages. */
  packageVersions: Record<string, string | null>;
  durationS: number | null;
  warmupS: number | null;
}

export function environmentOf(meta: RunMeta): RunEnvironment {
  const { host, tool, suite } = meta;
  return {
    hostname: host.hostname,
    kernelRelease: host.kernelRelease,
    cpuModel: host.cpuModel,
    cpuCount: host.cpuCount,
    haltpollNs: host.haltpollNs,
    governor: host.governor,
    nodeVersion: host.nodeVersion,
    gitRevision: tool.gitRevision,
    gitDirty: tool.gitDirty,
    toolVersions: Object.fromEntries(Object.entries(host.binaries).map(([name, info]) => [name, info.version])),
    packageVersions: { ...host.packages },
    durationS: suite.durationS,
    warmupS: suite.warmupS,
  };
}

export interface EnvironmentDifference {
  /** Dotted name of what differs, e.g. "host.kernelRelease" or "tool sockperf". */
  field: string;
  a: string;
  b: string;
  /** true: the runs are not comparable unless forced. */
  blocking: boolean;
}

/**
 * The binaries each driver runs, for deciding which tool versions matter. A driver not listed
 * here matches binaries whose name contains the driver's name.
 */
const DRIVER_BINARIES: Readonly<Record<string, readonly string[]>> = {
  sockperf: ['sockperf'],
  testpmd: ['dpdk-testpmd'],
  perftest: ['ib_write_lat', 'ib_send_lat', 'ib_read_lat', 'ib_write_bw', 'ib_send_bw', 'ib_read_bw'],
};

/** Drivers used by ok-or-failed trials, and the tool versions those trials themselves recorded. */
function toolsOfTrials(trials: readonly TrialRecord[]): { drivers: Set<string>; nativeVersions: Map<string, Set<string>> } {
  const drivers = new Set<string>();
  const nativeVersions = new Map<string, Set<string>>();
  for (const t of trials) {
    if (t.status === 'unsupported' || t.status === 'skipped') continue;
    drivers.add(t.driver);
    const version = t.native?.version;
    if (typeof version === 'string') {
      const set = nativeVersions.get(t.driver) ?? new Set<string>();
      set.add(version);
      nativeVersions.set(t.driver, set);
    }
  }
  return { drivers, nativeVersions };
}

const show = (v: unknown): string => (v === null || v === undefined ? 'unknown' : String(v));

/**
 * Everything that differs between two runs' environments. Blocking: kernel release, CPU model and
 * count, haltpoll, governor, and the versions of the tools the trials ran (host.binaries for the
 * drivers used, and the version each trial recorded). Informational: hostname, Node.js, git
 * revision, other binaries and packages, trial duration and warm-up.
 */
export function environmentDifferences(
  a: { meta: RunMeta; trials: readonly TrialRecord[] },
  b: { meta: RunMeta; trials: readonly TrialRecord[] },
): EnvironmentDifference[] {
  const ea = environmentOf(a.meta);
  const eb = environmentOf(b.meta);
  const out: EnvironmentDifference[] = [];
  const check = (field: string, va: unknown, vb: unknown, blocking: boolean) => {
    if (va !== vb) out.push({ field, a: show(va), b: show(vb), blocking });
  };
  check('host.kernelRelease', ea.kernelRelease, eb.kernelRelease, true);
  check('host.cpuModel', ea.cpuModel, eb.cpuModel, true);
  check('host.cpuCount', ea.cpuCount, eb.cpuCount, true);
  check('host.haltpollNs', ea.haltpollNs, eb.haltpollNs, true);
  check('host.governor', ea.governor, eb.governor, true);

  const ta = toolsOfTrials(a.trials);
  const tb = toolsOfTrials(b.trials);
  const drivers = new Set([...ta.drivers, ...tb.drivers]);
  const relevant = new Set<string>();
  const binaryNames = new Set([...Object.keys(ea.toolVersions), ...Object.keys(eb.toolVersions)]);
  for (const d of drivers) {
    for (const name of DRIVER_BINARIES[d] ?? [...binaryNames].filter((n) => n.includes(d))) relevant.add(name);
  }
  for (const name of [...binaryNames].sort()) {
    check(`tool ${name}`, ea.toolVersions[name] ?? null, eb.toolVersions[name] ?? null, relevant.has(name));
  }
  for (const d of [...drivers].sort()) {
    const va = [...(ta.nativeVersions.get(d) ?? [])].sort().join(', ') || null;
    const vb = [...(tb.nativeVersions.get(d) ?? [])].sort().join(', ') || null;
    // Only when both runs' trials say which version ran: an absent version is not a difference.
    if (va !== null && vb !== null) check(`trials' ${d} version`, va, vb, true);
  }

  check('host.hostname', ea.hostname, eb.hostname, false);
  check('host.nodeVersion', ea.nodeVersion, eb.nodeVersion, false);
  check('tool.gitRevision', ea.gitRevision, eb.gitRevision, false);
  check('tool.gitDirty', ea.gitDirty, eb.gitDirty, false);
  check('suite.durationS', ea.durationS, eb.durationS, false);
  check('suite.warmupS', ea.warmupS, eb.warmupS, false);
  const packageNames = new Set([...Object.keys(ea.packageVersions), ...Object.keys(eb.packageVersions)]);
  for (const name of [...packageNames].sort()) check(`package ${name}`, ea.packageVersions[name] ?? null, eb.packageVersions[name] ?? null, false);
  return out;
}
