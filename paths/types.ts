// A path recipe says, purely, which processes one trial of a data path needs, where they run and
// which one's output is the measurement. Runners execute recipes; recipes never spawn anything.
import type { z } from 'zod';
import type { PathName } from '../core/trial.js';

/** Where the processes of a trial run: the two ends of the default topology. */
export type Side = 'client' | 'server';

export interface TopologyInfo {
  kind: 'netns';
  client: EndpointInfo;
  server: EndpointInfo;
  mtu: number;
}

export interface EndpointInfo {
  /** Network namespace name (null would mean the host's own namespace, e.g. on lab hosts). */
  netns: string;
  ifname: string;
  ip: string;
  mac: string;
}

export interface CpuPlan {
  client: number;
  server: number;
  poller: number;
  /** The CPU the orchestrator itself may use (recorded, not enforced). */
  orchestrator: number;
}

export interface TrialContext {
  topology: TopologyInfo;
  cpu: CpuPlan;
  msgSizeBytes: number;
  /** null = closed loop: as fast as replies allow. */
  offeredPps: number | null;
  durationS: number;
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
}

export interface ProcessSpec {
  role: string;
  side: Side;
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
}

export interface TrialProcesses {
  processes: ProcessSpec[];
  /** Files the processes write that the runner summarizes into the record's `native`. */
  artifacts?: { kind: 'sockperf-full-log'; path: string }[];
}

export interface PathRecipe<Options = unknown> {
  path: PathName;
  /** Drivers the recipe uses; `doctor` and the runner check each one's availability. */
  drivers: readonly string[];
  description: string;
  optionsSchema: z.ZodType<Options>;
  /** Whether the path can run at a fixed offered rate and/or closed loop. */
  supportsOfferedRate: boolean;
  supportsClosedLoop: boolean;
  /** The tool takes its duration in whole seconds (sockperf -t): the suite must say so. */
  wholeSecondDurations?: boolean;
  plan(ctx: TrialContext, options: Options): TrialProcesses;
}
