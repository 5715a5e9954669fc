// The driver contract: a driver knows one external tool and nothing about processes.
// buildCommand and parse are pure, so they are tested against real captured outputs; detect
// judges availability from host facts that a runner gathered; artifact readers read files the
// tool wrote, handed to them by the runner.
import type { Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';

export type Availability = { status: 'available'; version: string | null; note?: string } | { status: 'unsupported'; reason: string; fix: string };

export interface ToolOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** The argv the process ran, when the caller has it: some output does not say what the tool was asked. */
  argv?: readonly string[];
  /** Text of the files the process wrote in its working folder, by file name, when the caller collected them. */
  files?: Readonly<Record<string, string>>;
}

/** A file a process wrote besides stdout and stderr, as the runner hands it to the driver that reads it. */
export interface ArtifactFile {
  /** Where the file is, for messages. */
  readonly path: string;
  /** The whole file; '' when the process left none. */
  text(): string;
  /** The file line by line, never held whole (per-packet logs run to millions of lines). */
  lines(): AsyncIterable<string>;
}

/** Reads one kind of artifact into what the trial keeps of it: a summary, or parsed rows a recipe analyses further. */
export type ArtifactReader = (file: ArtifactFile) => Promise<unknown>;

export interface Driver<Params = unknown> {
  readonly name: string;
  /** One line for `doctor` and `--help`. */
  readonly description: string;
  /** Programs this driver runs; `doctor` looks each one up. */
  readonly binaries: readonly string[];
  detect(host: HostFacts): Availability;
  /** argv for one process; argv[0] is the program. Never a shell string. */
  buildCommand(params: Params): string[];
  /** Normalized measurements from one process's output; a multi-row table gives several. */
  parse(output: ToolOutput): Measurement[];
  /**
   * Whether the tool's output says anything when it runs as a service (server, reflector, sink):
   * 'measurement' (the default) keeps what parse() makes of it under the record's native.services.
   */
  readonly serviceOutput?: 'measurement' | 'none';
  /**
   * Readers of the files the tool writes besides stdout, by artifact kind. A recipe that asks the
   * tool for such a file declares it with this driver's name and the kind.
   */
  readonly artifactReaders?: Readonly<Record<string, ArtifactReader>>;
}

/**
 * When a measuring tool counts, on its own timeline: the runner times the window from the moment
 * `startMarker` appears in the tool's output (stdout or stderr), so CPU is taken over what the
 * tool measured, not over its start-up, warm-up and exit pauses.
 */
export interface MeasuredWindow {
  /** Text the tool prints when its traffic starts. */
  startMarker: string;
  /** Seconds from the marker to the start of the counted window (the tool's own warm-up). */
  offsetS: number;
  /** Length of the counted window, seconds. */
  lengthS: number;
  /**
   * The tool sends nothing before `startMarker`, and once it printed `marker` it sleeps at least
   * `sleepS` before it (sockperf over UDP: "Warmup stage", then a fixed sleep(2)). The runner then
   * spawns it first, starts the services and takes the idle CPU baseline in that sleep, and checks
   * that both were done before the start marker appeared (else the trial runs again in order).
   */
  quietLead?: { marker: string; sleepS: number };
}
