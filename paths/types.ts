// A path recipe says, purely, which processes one trial of a data path needs, where they run and
// which one's output is the measurement. Runners execute recipes; recipes never spawn anything.
import type { z } from 'zod';
import type { Measurement, PathFamily, PathName } from '../core/trial.js';
import type { GuestCase } from '../soft-roce/plan.js';
import type { HostFacts } from '../core/host.js';
import type { Availability, MeasuredWindow } from '../drivers/types.js';
import type { CpuPlan, TopologyInfo } from '../core/topology.js';

// Declared in core because run.json records them; recipes take them from here with the rest.
export type { CpuPlan, EndpointInfo, TopologyInfo } from '../core/topology.js';

/**
 * Where the processes of a trial run: the two ends of the default topology, an extra namespace a
 * path asks for by name (a DPDK "wire" between client and server, relay hops "hop1", "hop2" …), or
 * the host's own namespace (real RDMA devices live there).
 */
export type Place = 'client' | 'server' | 'host' | ExtraNamespace;

/** Names of extra namespaces: lower-case letters and digits, e.g. "wire", "hop1". */
export type ExtraNamespace = string & { readonly __extra?: never };

/** One end of an extra link; it may have no address (a DPDK port, an af_packet reflector). */
export interface LinkEnd {
  netns: string;
  ifname: string;
  ip: string | null;
  mac: string;
}

/** An extra veth pair a path needs, between two places, each end with an optional /24 address. */
export interface LinkRequest {
  id: string;
  a: Place;
  b: Place;
  aIp?: string | null;
  bIp?: string | null;
}

/** What a path needs on top of the default topology, for as long as its trials run. */
export interface PathSetup {
  /** Extra namespaces by name ("wire", "hop1" …), created for the path and deleted after it. */
  namespaces?: string[];
  links?: LinkRequest[];
  /** Hugepages to reserve (DPDK); released when the path's trials are done. */
  hugepages?: number;
  /** DPDK runtime folders (/var/run/dpdk/<prefix>) the path's processes leave; removed afterwards. */
  dpdkPrefixes?: string[];
}

/** A command run inside a place before the path's trials, and its undo afterwards. */
export interface SetupCommand {
  place: Place;
  do: string[];
  undo?: string[];
  /** Why: shown when the command fails (these are the platform pitfalls). */
  why: string;
}

/** What a path's set-up prepared for its trials: its extra namespaces, links and hugepages. */
export interface PreparedPath {
  /** Extra namespace name → the real namespace created for it. */
  namespaces: Record<string, string>;
  links: Record<string, { a: LinkEnd; b: LinkEnd }>;
  hugepages: { mountPoint: string; pageSizeKb: number | null } | null;
}

export interface TrialContext {
  topology: TopologyInfo;
  /** What the path's setup prepared (extra links and namespaces, hugepages). */
  prepared: PreparedPath;
  cpu: CpuPlan;
  msgSizeBytes: number;
  /** null = closed loop: as fast as replies allow. */
  offeredPps: number | null;
  durationS: number;
  /**
   * Seconds each client sends before it starts counting, inside the measuring process (the suite's
   * warmupS); a tool with a fixed warm-up of its own uses that, and the record says how long.
   */
  warmupS: number;
  /** A port free for this trial (each trial gets its own so nothing lingers between trials). */
  port: number;
  /** Absolute path for a file a process writes during the trial (kept with the raw outputs). */
  artifactPath(name: string): string;
}

export interface ReadyCheck {
  /** The process has bound this local port (read from /proc/<pid>/net/{udp,tcp}). */
  udpPort?: number;
  tcpListenPort?: number;
  /** Or: this text appears in its output. */
  outputIncludes?: string;
  /** How long to wait (default 5000 ms); the service exiting first fails at once. */
  timeoutMs?: number;
  /** Then this long more before it counts as ready (a runtime's start-up work settling), ms. */
  settleMs?: number;
}

export interface ProcessSpec {
  role: string;
  place: Place;
  driver: string;
  argv: string[];
  /** Pin to this CPU (taskset); recorded in the run's CPU plan. */
  cpu: number | null;
  /**
   * service: started first, must become ready, stopped with SIGINT after the measurement;
   * measure: bounded by the tool's own duration, its output is parsed into the trial record.
   */
  kind: 'service' | 'measure';
  ready?: ReadyCheck;
  /**
   * A service that exits before it is ready is started again, after a pause (an AF_XDP queue is
   * busy for about a second after its last user exits).
   */
  restartOnEarlyExit?: { attempts: number; delayMs: number };
  /** A measuring process that runs until told to stop (testpmd): SIGINT after this many seconds. */
  stopAfterS?: number;
  /**
   * argv built from the process ids of the services started before this one, by role (a tracer
   * that follows a service by pid); replaces argv when present.
   */
  argvFromPids?: (pids: Readonly<Record<string, number>>) => string[];
  /** A tracer that needs tracefs: the runner mounts it for the phase if it is not, and unmounts it after. */
  tracefs?: boolean;
  /** Milliseconds between SIGINT and SIGKILL when it is stopped (default 3000): a tracer printing large maps needs longer. */
  stopGraceMs?: number;
  /** It spins by design (never sleeps): its CPU is held for the whole trial, and CPU accounting counts it so. */
  busyPoll?: boolean;
  /** A busy poller that pins itself (testpmd's forwarding lcore, cpu: null): the CPU it spins on. */
  pollsOnCpu?: number;
  /**
   * measure only: when the tool counts (its driver knows); CPU is taken over that window. Absent:
   * over the measuring process's life, and the record says so (cpu.window 'process').
   */
  measuredWindow?: MeasuredWindow;
}

/** A file a process of the trial writes besides stdout and stderr (a per-packet log, per-request records). */
export interface ArtifactSpec {
  /** The driver of the tool that writes it; that driver's artifactReaders[kind] reads it after the trial. */
  driver: string;
  /** What the file holds, as the driver names it; by default also its key in the record's `native`. */
  kind: string;
  path: string;
}

/** An artifact as its driver read it. */
export interface ReadArtifact extends ArtifactSpec {
  content: unknown;
}

export interface TrialProcesses {
  processes: ProcessSpec[];
  /** Files the processes write; their drivers read them into the record's `native`. */
  artifacts?: ArtifactSpec[];
}

interface RecipeBase<Options> {
  path: PathName;
  /**
   * Default kernel, tuned kernel reference, bypass or probe: what the selective-win rule compares.
   * The layers below paths/ read the same fact from core's PATH_FAMILY (a test checks they agree);
   * absent = PATH_FAMILY[path].
   */
  family?: PathFamily;
  /** Drivers the recipe uses; `doctor` and the runner check each one's availability. */
  drivers: readonly string[];
  description: string;
  optionsSchema: z.ZodType<Options>;
  /**
   * Whether trials can run at a fixed offered rate with these options. When not (perftest latency
   * tests have no rate limiter), the plan gets one closed-loop trial per size instead of the rates.
   */
  acceptsOfferedRate(options: Options): boolean;
  /** Whether a closed-loop trial (no offered rate) makes sense; default yes. */
  acceptsClosedLoop?(options: Options): boolean;
  /** The tool takes its duration in whole seconds (sockperf -t): a search's trial durations must be whole. */
  wholeSecondDurations?: boolean;
  /**
   * Options for an open-loop run of the same path (loss is counted), used by the throughput
   * search; absent when the path has no open-loop mode.
   */
  openLoop?(options: Options): Options;
  /** Availability when it is not simply "every driver is available" (the VM route, for one). */
  detect?(host: HostFacts): Availability;
}

/** A path run in the local namespaces, one trial at a time. */
export interface NetnsRecipe<Options = unknown> extends RecipeBase<Options> {
  runner: 'netns';
  /** Extra topology and resources the path needs while its trials run. */
  setup?(options: Options, topology: TopologyInfo): PathSetup;
  /** Commands that adjust the prepared topology (checksum offload, addresses …), with undo. */
  setupCommands?(topology: TopologyInfo, prepared: PreparedPath, options: Options): SetupCommand[];
  plan(ctx: TrialContext, options: Options): TrialProcesses;
  /**
   * When the measurement needs more than the measuring process's own output (a sink's counters
   * give a generator's loss): combine it with what the services reported, by role.
   */
  combine?(measured: Measurement, services: Record<string, Measurement>, options: Options): Measurement;
  /**
   * What the record keeps of the artifacts its drivers read, as entries of `native`, when that
   * takes analysis (per-request records → attribution). Default: each artifact's content under its kind.
   */
  nativeFromArtifacts?(artifacts: ReadArtifact[]): Record<string, unknown>;
}

export interface VmTrialContext {
  /** Names the case inside the VM plan. */
  caseId: string;
  msgSizeBytes: number;
  offeredPps: number | null;
  durationS: number;
}

/** A path run inside the Soft-RoCE VM: all of a run's trials of such paths share one boot. */
export interface VmRecipe<Options = unknown> extends RecipeBase<Options> {
  runner: 'softroce-vm';
  /** The driver that parses each case's client output (with its argv and the files it wrote). */
  driver: string;
  vmCase(ctx: VmTrialContext, options: Options): GuestCase;
}

export type PathRecipe<Options = unknown> = NetnsRecipe<Options> | VmRecipe<Options>;
