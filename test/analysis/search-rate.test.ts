// Rounding of search probes to whole pps (analysis/search-rate.ts). The pairs are bounds from a
// real bench (/tmp/m-search, kernel-udp and afxdp at 64 B), where plain rounding left brackets
// 0.5009 % wide at a 0.5 % goal.
import { describe, expect, it } from 'vitest';
import { roundedRate } from '../../analysis/search-rate.js';

const GOAL = 0.005;
const width = (lowerPps: number, upperPps: number) => (upperPps - lowerPps) / upperPps;

describe('roundedRate', () => {
  it('keeps a probe one goal width above a lower bound within the goal', () => {
    for (const lowerPps of [54050, 57620, 483084, 286966]) {
      const rate = roundedRate(Math.log(lowerPps) - Math.log(1 - GOAL), lowerPps, null, GOAL);
      expect(rate).toBeGreaterThan(lowerPps);
      expect(width(lowerPps, rate)).toBeLessThanOrEqual(GOAL);
      expect(Math.round(lowerPps / (1 - GOAL)) - rate).toBeLessThanOrEqual(1);
    }
  });

  it('keeps a probe one goal width below an upper bound within the goal', () => {
    for (const upperPps of [56152, 485512, 712197]) {
      const rate = roundedRate(Math.log(upperPps) + Math.log(1 - GOAL), null, upperPps, GOAL);
      expect(rate).toBeLessThan(upperPps);
      expect(width(rate, upperPps)).toBeLessThanOrEqual(GOAL);
    }
  });

  it('rounds to the nearest whole pps away from the bounds', () => {
    expect(roundedRate(Math.log(100_000.4), 90_000, 110_000, GOAL)).toBe(100_000);
    expect(roundedRate(Math.log(100_000.6), null, null, GOAL)).toBe(100_001);
  });
});
