// Every driver's result passes here before anything uses it (the runner, the VM batch, `parse`):
// a measurement holding NaN, Infinity or a negative count or latency cannot be a real result,
// whatever a parser made of the tool's output, so it becomes a failed measurement that names the
// fields and quotes the tool's own line, instead of an ok record with nulls.
import { printable } from '../core/text.js';
import type { Measurement } from '../core/trial.js';
import type { Driver, ToolOutput } from './types.js';

const NUMBERS = ['msgSizeBytes', 'achievedPps', 'sentPackets', 'receivedPackets', 'lossRatio', 'throughputGbps', 'msgRateMpps', 'measuredS'] as const;

/** "field = value" for every impossible number in the measurement; empty when all are plausible. */
export function impossibleValues(m: Measurement): string[] {
  const bad: string[] = [];
  const check = (field: string, v: number | null | undefined) => {
    if (v === null || v === undefined) return;
    if (!Number.isFinite(v) || v < 0) bad.push(`${field} = ${v}`);
  };
  for (const field of NUMBERS) check(field, m[field]);
  if (m.latencyUs) for (const [k, v] of Object.entries(m.latencyUs)) check(`latencyUs.${k}`, v as number | null);
  return bad;
}

// In the order they are looked for: "avg-latency=nan", "BW average = inf", "TX-packets: -5".
const SUSPECT_TOKENS = [/(?:^|[\s=:(,])-?nan\b/i, /(?:^|[\s=:(,])-?inf(?:inity)?\b/i, /(?:^|[\s=:(])-\d/];

/** The first line of the tool's output showing such a value (NaN first), to quote in the error. */
export function offendingLine(output: ToolOutput): string | null {
  const lines = `${output.stdout}\n${output.stderr}`.split(/\r?\n/);
  for (const token of SUSPECT_TOKENS) {
    const line = lines.find((l) => token.test(l));
    if (line !== undefined) return printable(line.trim()).slice(0, 200);
  }
  return null;
}

// A value printed as "nan" (any case, "-nan" too): a parser that reads numbers as digits skips it
// and leaves the field null, which would pass for "not measured".
const NAN_TOKEN = SUSPECT_TOKENS[0]!;

/** The driver with its parse() results checked for impossible values. */
export function withValueChecks<P>(driver: Driver<P>): Driver<P> {
  return {
    ...driver,
    parse(output: ToolOutput): Measurement[] {
      return driver.parse(output).map((m) => {
        const bad = impossibleValues(m);
        if (bad.length === 0 && m.status === 'ok' && NAN_TOKEN.test(`${output.stdout}\n${output.stderr}`)) bad.push('a value printed as nan');
        if (bad.length === 0) return m;
        const line = offendingLine(output);
        const error = `${driver.name} printed impossible values (${bad.join(', ')})${line ? `: "${line}"` : ''}`;
        return { ...m, status: 'failed', error: m.status === 'failed' && m.error ? `${m.error}; ${error}` : error };
      });
    },
  };
}
