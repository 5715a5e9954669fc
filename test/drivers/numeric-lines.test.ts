// Table-driven number lines: the first matching pattern fills its fields; optional groups give null.
import { describe, expect, test } from 'vitest';
import { fillNumbers, type NumericLine } from '../../drivers/numeric-lines.js';

interface Counters {
  rxPackets: number | null;
  rxMissed: number | null;
  skipped: number | null;
  label: string;
}

// "RX-packets: 502784  RX-missed: 3" (packets)
const RX = /^RX-packets:\s*(\d+)\s+RX-missed:\s*(\d+)/;
// "Total 12 (5 skipped)" (messages; the parenthesis only when some were skipped)
const TOTAL = /^Total (\d+)(?: \((\d+) skipped\))?/;
const LINES: readonly NumericLine<Counters>[] = [
  [RX, ['rxPackets', 'rxMissed']],
  [TOTAL, ['rxPackets', 'skipped']],
];

describe('fillNumbers', () => {
  const blank = (): Counters => ({ rxPackets: null, rxMissed: null, skipped: null, label: 'x' });

  test('fills the fields of the first pattern that matches, as numbers', () => {
    const c = blank();
    expect(fillNumbers('RX-packets: 502784  RX-missed: 3', c, LINES)).toBe(true);
    expect(c).toEqual({ rxPackets: 502784, rxMissed: 3, skipped: null, label: 'x' });
  });

  test('an optional group that did not take part gives null', () => {
    const c = { ...blank(), skipped: 7 };
    expect(fillNumbers('Total 12', c, LINES)).toBe(true);
    expect(c).toMatchObject({ rxPackets: 12, skipped: null });
    expect(fillNumbers('Total 12 (5 skipped)', c, LINES)).toBe(true);
    expect(c.skipped).toBe(5);
  });

  test('a line no pattern matches leaves the target alone', () => {
    const c = blank();
    expect(fillNumbers('Tx-pps: 1', c, LINES)).toBe(false);
    expect(c).toEqual(blank());
  });
});
