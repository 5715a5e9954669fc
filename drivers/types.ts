// The driver contract: a driver knows one external tool and nothing about processes.
// buildCommand and parse are pure, so they are tested against real captured outputs; detect
// judges availability from host facts that a runner gathered.
import type { Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';

export type Availability = { status: 'available'; version: string | null; note?: string } | { status: 'unsupported'; reason: string; fix: string };

export interface ToolOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

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
}
