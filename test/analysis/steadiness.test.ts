// The steadiness statistic on synthetic arrivals with known answers: evenly spaced arrivals have
// no excess variability, a Poisson process none in expectation, and on/off bursts exactly what
// their duty cycle gives.
import { describe, expect, it } from 'vitest';
import { MIN_WINDOWS, windowSteadiness, workloadSteadiness } from '../../analysis/steadiness.js';

const MS = 1e6;

/** Evenly spaced arrivals at `pps` for `seconds`, with optional uniform jitter of ± jitterNs. */
function fixed(pps: number, seconds: number, jitterNs = 0, rand = mulberry32(1)): number[] {
  const gap = 1e9 / pps;
  return Array.from({ length: Math.round(pps * seconds) }, (_, k) => k * gap + (rand() * 2 - 1) * jitterNs);
}

/** Poisson arrivals at `pps` for `seconds`, seeded. */
function poisson(pps: number, seconds: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  for (let t = 0; t < seconds * 1e9; t += (-Math.log(1 - rand()) * 1e9) / pps) out.push(t);
  return out;
}

/** On/off: `perBurst` evenly spaced arrivals within the first onMs of every (onMs + offMs) period. */
function onOff(perBurst: number, onMs: number, offMs: number, periods: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < periods; p++) for (let k = 0; k < perBurst; k++) out.push(p * (onMs + offMs) * MS + (k * onMs * MS) / perBurst);
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('workloadSteadiness', () => {
  it('evenly spaced arrivals are perfectly steady at every window size, even with jitter below half a gap', () => {
    for (const pps of [1000, 1500, 2000, 20000]) {
      const s = workloadSteadiness(fixed(pps, 2, 0.4 * (1e9 / pps / 2)), 'synthetic');
      expect(s.cv).toBeCloseTo(0, 6);
      expect(s.windows.map((w) => w.windowMs)).toEqual([1, 100]);
      expect(s.meanPps!).toBeCloseTo(pps, -1);
    }
  });

  it('a Poisson process has no excess variability beyond counting noise (plain CV ≈ 1/√mean)', () => {
    const s = workloadSteadiness(poisson(5000, 4, 42), 'synthetic');
    const oneMs = s.windows.find((w) => w.windowMs === 1)!;
    expect(oneMs.cv).toBeCloseTo(1 / Math.sqrt(5), 1);
    expect(s.cv!).toBeLessThan(0.1);
  });

  it('on/off bursts give the excess CV their duty cycle implies', () => {
    // 50 arrivals in the first 5 ms of every 50 ms; windows start half a mean gap (0.5 ms) before the
    // first arrival, so each burst fills 1 ms windows with 5, 10, 10, 10, 10, 5 and 44 are empty:
    // mean 1, E[count²] = 450 / 50 = 9, variance 8, CV √8; counting noise 1/mean = 1, excess √7.
    // (The trailing partial period shifts these by about 1 %.) The 100 ms windows each hold two bursts: steady.
    const s = workloadSteadiness(onOff(50, 5, 45, 40), 'synthetic');
    const oneMs = s.windows.find((w) => w.windowMs === 1)!;
    expect(oneMs.meanCount).toBeCloseTo(1, 1);
    expect(oneMs.cv).toBeCloseTo(Math.sqrt(8), 1);
    expect(oneMs.excessCv).toBeCloseTo(Math.sqrt(7), 1);
    expect(s.decidedByWindowMs).toBe(1);
    expect(s.cv).toBe(oneMs.excessCv);
    expect(s.windows.find((w) => w.windowMs === 100)!.cv).toBeLessThan(0.05);
  });

  it('slow swings of the rate show in the 100 ms windows', () => {
    // 100 ms at 4 kpps, then 100 ms silent, repeated: 100 ms counts alternate 400 and 0 (CV 1).
    const s = workloadSteadiness(onOff(400, 100, 100, 10), 'synthetic');
    const hundred = s.windows.find((w) => w.windowMs === 100)!;
    expect(hundred.cv).toBeCloseTo(1, 1);
    expect(s.cv!).toBeGreaterThan(0.9);
  });

  it('leaves out window sizes with too few windows, and is null with none', () => {
    expect(windowSteadiness(fixed(1000, 0.3), 100)).toBeNull();
    const short = workloadSteadiness(fixed(1000, 0.3), 'synthetic');
    expect(short.windows.map((w) => w.windowMs)).toEqual([1]);
    expect(workloadSteadiness([], 'synthetic')).toMatchObject({ arrivals: 0, cv: null, meanPps: null, windows: [], decidedByWindowMs: null });
    expect(workloadSteadiness([5, null, 7], 'synthetic').cv).toBeNull();
    expect(windowSteadiness(fixed(1000, (MIN_WINDOWS - 1) / 1000), 1)).toBeNull();
  });

  it('ignores order and missing timestamps', () => {
    const arrivals = poisson(3000, 1, 7);
    const shuffled = [...arrivals].reverse().flatMap((t, i) => (i % 100 === 0 ? [t, null] : [t]));
    expect(workloadSteadiness(shuffled, 'x').cv).toBe(workloadSteadiness(arrivals, 'x').cv);
  });
});
