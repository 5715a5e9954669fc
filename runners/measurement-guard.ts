// A last check between a driver's parser and the trial record: a measurement holding NaN,
// Infinity or a negative count cannot be a real result, whatever the parser made of the tool's
// output, so the trial fails with the fields named instead of being recorded as ok.
import type { Measurement } from '../core/trial.js';

const COUNTS = ['msgSizeBytes', 'achievedPps', 'sentPackets', 'receivedPackets', 'lossRatio', 'throughputGbps', 'msgRateMpps', 'measuredS'] as const;

/** "field = value" for every impossible number in the measurement; empty when all are plausible. */
export function impossibleValues(m: Measurement): string[] {
  const bad: string[] = [];
  const check = (field: string, v: number | null | undefined) => {
    if (v === null || v === undefined) return;
    if (!Number.isFinite(v) || v < 0) bad.push(`${field} = ${v}`);
  };
  for (const field of COUNTS) check(field, m[field]);
  if (m.latencyUs) for (const [k, v] of Object.entries(m.latencyUs)) check(`latencyUs.${k}`, v as number | null);
  return bad;
}
