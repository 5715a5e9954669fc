// The run's context as a reader of a report needs it: where and how it was measured, from
// run.json (core/run-meta.ts). Every field a run did not record is null.
import { environmentOf, type RunEnvironment } from '../analysis/compare.js';
import { isRecord } from '../core/json-access.js';
import type { RunMeta } from '../core/run-meta.js';

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
  error: string | null;
}

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.push([prefix, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
}

export function metadataOf(meta: RunMeta): RunMetadata {
  const binaries = Object.entries(meta.host.binaries)
    .map(([name, info]) => ({ name, version: info.version, path: info.path }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const packages = Object.entries(meta.host.packages)
    .map(([name, version]) => ({ name, version }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const topology: [string, string][] = [];
  flatten(meta.topology, '', topology);
  return {
    runId: meta.runId,
    status: meta.status,
    suiteName: meta.suite.name,
    suiteFile: meta.suiteFile,
    description: meta.suite.description ?? null,
    startedAt: meta.startedAt,
    endedAt: meta.endedAt,
    command: meta.command,
    env: environmentOf(meta),
    arch: meta.host.arch,
    projectVersion: meta.tool.version,
    binaries,
    packages,
    cpuPlan: { ...meta.cpuPlan },
    topology,
    sizes: meta.suite.sizes,
    durationS: meta.suite.durationS,
    warmupS: meta.suite.warmupS,
    repetitions: meta.suite.repetitions,
    counts: meta.counts ?? null,
    error: meta.error ?? null,
  };
}

/** haltpoll as a reader needs it: the value, and what it means for cross-CPU wake-ups. */
export function haltpollText(ns: number | null): string {
  if (ns === null) return 'not present (no haltpoll cpuidle driver)';
  return `guest_halt_poll_ns=${ns}${ns === 0 ? ' (waking the other vCPU costs tens of µs)' : ''}`;
}
