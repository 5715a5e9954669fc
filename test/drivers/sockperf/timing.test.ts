// sockperf counts 0.45 s less than its whole-second -t: the run is long enough to count the request.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sockperfClientTiming, SOCKPERF_LEAD_MARKER, SOCKPERF_START_MARKER } from '../../../drivers/sockperf/index.js';

describe('sockperf timing', () => {
  it('runs whole seconds long enough to count at least the requested time', () => {
    expect(sockperfClientTiming(1).runS).toBe(2);
    expect(sockperfClientTiming(1.55).runS).toBe(2);
    expect(sockperfClientTiming(3).runS).toBe(4);
    expect(sockperfClientTiming(0.5).runS).toBe(1);
    for (const d of [0.5, 1, 2, 3, 5, 10]) {
      const t = sockperfClientTiming(d);
      expect(t.window.lengthS).toBeGreaterThanOrEqual(d);
      expect(t.window.lengthS).toBeCloseTo(t.runS - 0.45, 9);
    }
  });

  it('times the window from the line sockperf prints when its test starts, after its fixed warm-up', () => {
    expect(sockperfClientTiming(3).window).toEqual({ startMarker: SOCKPERF_START_MARKER, offsetS: 0.4, lengthS: 3.55 });
  });

  it('declares the 2 s sleep before the traffic as a quiet lead only when asked (UDP clients)', () => {
    expect(sockperfClientTiming(3, { quietLead: true }).window.quietLead).toEqual({ marker: SOCKPERF_LEAD_MARKER, sleepS: 2 });
    expect(sockperfClientTiming(3).window.quietLead).toBeUndefined();
  });

  it('finds the lead marker before the start marker in a real client output', () => {
    const stdout = readFileSync('test/fixtures/sockperf/udp-pingpong-fullrtt.stdout', 'utf8');
    expect(stdout.indexOf(SOCKPERF_LEAD_MARKER)).toBeGreaterThan(-1);
    expect(stdout.indexOf(SOCKPERF_LEAD_MARKER)).toBeLessThan(stdout.indexOf(SOCKPERF_START_MARKER));
  });
});
