// Availability of the project's own programs (native/): first the kernel feature the program
// needs, then the binary `make -C native` builds. Shared by the bb-afxdp and bb-tsprobe drivers.
import type { HostFacts } from '../core/host.js';
import { isRecord } from '../core/json-access.js';
import type { Availability } from './types.js';

export interface NativeProgramNeeds {
  /** The program's name as `doctor` looks it up ("bb-afxdp"). */
  binary: string;
  /** Whether the kernel has what the program needs; when not, why and how to get it. */
  kernel: { present: boolean; reason: string; fix: string };
  /** How to build the program (its -dev packages first). */
  buildFix: string;
  /** Shown with an available program: what it can and cannot do on this host. */
  note: string;
}

/**
 * A program's result: the last stdout line that is a JSON object it accepts. The programs print
 * exactly one, on one line, when they end; progress and errors go to stderr.
 */
export function lastJsonObject(stdout: string, accept: (value: Record<string, unknown>) => boolean): Record<string, unknown> | null {
  // Split on "\n" or "\r\n"; a result line starts with '{"tool":"bb-afxdp",…' or '{"tool":"bb-tsprobe",…'.
  const lines = stdout.split(/\r?\n/).filter((line) => line.trimStart().startsWith('{'));
  for (const line of lines.reverse()) {
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value) && accept(value)) return value;
    } catch {
      continue; // a partial line (killed mid-write) is not the result; keep looking
    }
  }
  return null;
}

export function detectNativeProgram(host: HostFacts, needs: NativeProgramNeeds): Availability {
  if (!needs.kernel.present) return { status: 'unsupported', reason: needs.kernel.reason, fix: needs.kernel.fix };
  const binary = host.binaries[needs.binary];
  if (!binary?.path) return { status: 'unsupported', reason: `${needs.binary} is not built`, fix: needs.buildFix };
  return { status: 'available', version: binary.version, note: needs.note };
}
