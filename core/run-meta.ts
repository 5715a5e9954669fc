// run.json: what a run measured, where, with which tools, and how it ended. Written when the run
// starts, again when its topology is up and when it ends; read by report and compare. Every
// run.json so far is schemaVersion 1; fields later versions added are optional here, so older
// files stay readable.
import type { ServiceTraceOverhead } from './trace-overhead.js';
import { UserError } from './errors.js';
import type { HostFacts } from './host.js';
import type { RunTiming } from './run-timing.js';
import type { LabPreflight } from './inventory-preflight.js';
import { isRecord } from './json-access.js';
import type { CpuPlan, NetnsNames, TopologyInfo } from './topology.js';
import type { TrialStatus } from './trial.js';
import type { VerdictSettings } from './verdict.js';

export const RUN_META_SCHEMA_VERSION = 1;

/** running: not finished yet, or killed before it could say (SIGKILL, power loss). */
/** killed: the orchestrator died without closing the run (kill -9); `cleanup` records it. */
export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed' | 'killed';

/**
 * The suite exactly as loaded (suites/schema.ts Suite, defaults filled in); typed here as far as
 * readers of a saved run use it.
 */
export interface RecordedSuite {
  name: string;
  description?: string;
  sizes: number[];
  durationS: number;
  warmupS: number;
  repetitions: number;
  /** Absent in runs recorded before the suite had verdict settings. */
  verdict?: VerdictSettings;
}

/** One planned trial, as `run --dry-run` lists it. */
export interface PlanEntry {
  trialId: string;
  pathLabel: string;
  msgSizeBytes: number;
  offeredPps: number | null;
  repetition: number;
}

/** The default topology as created (runners/netns.ts), with the names it gave its namespaces and veths. */
export type RecordedTopology = Omit<TopologyInfo, 'runTag'> & {
  /** Absent in runs recorded before topologies carried it. */
  runTag?: string;
  names: NetnsNames;
};

export interface RunMeta {
  schemaVersion: typeof RUN_META_SCHEMA_VERSION;
  runId: string;
  tool: { name: string; version: string; gitRevision: string | null; gitDirty: boolean | null };
  /** The command line that started the run; null when a program started it. */
  command: string[] | null;
  suiteFile: string;
  suite: RecordedSuite;
  /** Each path entry's options, validated and with defaults, in suite order. */
  pathOptions: unknown[];
  host: HostFacts;
  cpuPlan: CpuPlan;
  /**
   * The timeout the grid's trials used: the suite's trialTimeoutS as given, else 2 × durationS + 20.
   * Search trials use the suite's value too, else 2 × search.trialDurationS + 20.
   */
  trialTimeoutS: number;
  plan: PlanEntry[];
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  /** null until the topology is up, and for good when creating it failed. */
  topology: RecordedTopology | null;
  ledgerFile: string;
  /** Lab mode: the inventory, the pair of hosts this run used and each host's preflight (runners/lab-run.ts). */
  lab?: LabRunRecord;
  /** The Soft-RoCE VM boot (image, accel, timing: runners/vm-batch.ts), when VM trials ran. */
  softRoceVm?: Record<string, unknown>;
  // Written when the run ends: a run killed before that has none of them.
  error?: string | null;
  counts?: Record<TrialStatus, number>;
  /** CPU time the orchestrator itself used, seconds. */
  orchestratorCpuS?: number;
  /** Wall time against the tools' measured windows (core/run-timing.ts); absent in older runs. */
  timing?: RunTiming;
  /** Per service path entry (by label): what tracing cost it, from ABBA pairs after the grid (suite traceOverhead). */
  traceOverhead?: Record<string, ServiceTraceOverhead>;
}

export interface LabRunRecord {
  inventoryFile: string;
  pair: string;
  hosts: { client: string; server: string };
  /** Where the run's folder (native programs, pid files, artifacts) was on each host. */
  remoteRunDirs: { client: string; server: string };
  preflight: { client: LabPreflight; server: LabPreflight };
  /** Tool or package versions that differ between the two hosts, and other doubts about the numbers. */
  warnings: string[];
}

const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'interrupted', 'failed', 'killed'];

/**
 * run.json validated at the edge, as far as readers rely on it: a field that is wrong is named.
 * Fields only shown to people (host facts, topology) are taken as written.
 */
export function parseRunMeta(value: unknown, file: string): RunMeta {
  const fail = (field: string, what: string, got: unknown) => {
    throw new UserError(`${file}: ${field} must be ${what}, got ${JSON.stringify(got) ?? 'nothing'}`);
  };
  if (!isRecord(value)) return fail('the file', 'a JSON object', value);
  if (value.schemaVersion !== RUN_META_SCHEMA_VERSION) {
    fail('schemaVersion', `${RUN_META_SCHEMA_VERSION} (a newer bypassbench may have written it)`, value.schemaVersion);
  }
  for (const field of ['runId', 'suiteFile', 'startedAt'] as const) if (typeof value[field] !== 'string') fail(field, 'a string', value[field]);
  if (!RUN_STATUSES.includes(value.status as RunStatus)) fail('status', `one of ${RUN_STATUSES.join(', ')}`, value.status);
  for (const field of ['tool', 'suite', 'host', 'cpuPlan'] as const) if (!isRecord(value[field])) fail(field, 'an object', value[field]);
  const suite = value.suite as Record<string, unknown>;
  if (typeof suite.name !== 'string') fail('suite.name', 'a string', suite.name);
  if (!Array.isArray(suite.sizes)) fail('suite.sizes', 'an array', suite.sizes);
  if (suite.verdict !== undefined && !isRecord(suite.verdict)) fail('suite.verdict', 'an object', suite.verdict);
  if (!Array.isArray(value.plan)) fail('plan', 'an array', value.plan);
  if (value.command !== null && !Array.isArray(value.command)) fail('command', 'an array or null', value.command);
  if (value.topology !== null && !isRecord(value.topology)) fail('topology', 'an object or null', value.topology);
  return value as unknown as RunMeta;
}
