// The run's context as a reader of a report needs it: where and how it was measured. Read from
// run.json, which is loosely typed on disk; every field a run did not record is null.
import { environmentOf, type RunEnvironment } from '../analysis/compare.js';
import { at, num, obj, str } from '../core/json-access.js';

export interface RunMetadata {
  runId: string | null;
  status: string | null;
  suiteName: string | null;
  suiteFile: string | null;
  description: string | null;
  startedAt: string | null;
  endedAt: string | null;
  command: string[] | null;
  env: RunEnvironment;
  arch: string | null;
  projectVersion: string | null;
  /** Binary name → { version, path }. */
  binaries: { name: string; version: string | null; path: string | null }[];
  packages: { name: string; version: string | null }[];
  cpuPlan: Record<string, number | null> | null;
  /** Flattened topology: "client.ip" → "10.77.0.1". */
  topology: [string, string][];
  sizes: number[] | null;
  durationS: number | null;
  warmupS: number | null;
  repetitions: number | null;
  counts: Record<string, number> | null;
  /** Selective-win thresholds recorded with the run (suite or run.json), when there are any. */
  thresholds: Record<string, unknown> | null;
  error: string | null;
}

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  const o = obj(value);
  if (o) {
    for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.push([prefix, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
}

export function metadataOf(meta: Record<string, unknown>): RunMetadata {
  const binaries = Object.entries(obj(at(meta, 'host', 'binaries')) ?? {})
    .map(([name, info]) => ({ name, version: str(at(info, 'version')), path: str(at(info, 'path')) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const packages = Object.entries(obj(at(meta, 'host', 'packages')) ?? {})
    .map(([name, version]) => ({ name, version: str(version) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const cpuPlanRaw = obj(meta.cpuPlan);
  const cpuPlan = cpuPlanRaw ? Object.fromEntries(Object.entries(cpuPlanRaw).map(([k, v]) => [k, num(v)])) : null;
  const topology: [string, string][] = [];
  flatten(meta.topology, '', topology);
  const counts = obj(meta.counts);
  const command = Array.isArray(meta.command) ? meta.command.map(String) : null;
  const sizes = at(meta, 'suite', 'sizes');
  return {
    runId: str(meta.runId),
    status: str(meta.status),
    suiteName: str(at(meta, 'suite', 'name')),
    suiteFile: str(meta.suiteFile),
    description: str(at(meta, 'suite', 'description')),
    startedAt: str(meta.startedAt),
    endedAt: str(meta.endedAt),
    command,
    env: environmentOf(meta),
    arch: str(at(meta, 'host', 'arch')),
    projectVersion: str(at(meta, 'tool', 'version')),
    binaries,
    packages,
    cpuPlan,
    topology,
    sizes: Array.isArray(sizes) ? sizes.filter((s): s is number => typeof s === 'number') : null,
    durationS: num(at(meta, 'suite', 'durationS')),
    warmupS: num(at(meta, 'suite', 'warmupS')),
    repetitions: num(at(meta, 'suite', 'repetitions')),
    counts: counts ? (Object.fromEntries(Object.entries(counts).filter(([, v]) => typeof v === 'number')) as Record<string, number>) : null,
    thresholds: obj(at(meta, 'suite', 'thresholds')) ?? obj(meta.thresholds),
    error: str(meta.error),
  };
}

/** haltpoll as a reader needs it: the value, and what it means for cross-CPU wake-ups. */
export function haltpollText(ns: number | null): string {
  if (ns === null) return 'not present (no haltpoll cpuidle driver)';
  return `guest_halt_poll_ns=${ns}${ns === 0 ? ' (waking the other vCPU costs tens of µs)' : ''}`;
}
