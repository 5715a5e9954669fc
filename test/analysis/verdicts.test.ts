// Verdicts of a real fixture run (kernel UDP and TCP; TCP standing in as the candidate, since the
// fixture has no bypass path), with real tsprobe attribution captures at 64 B / 2000 pps.
import { afterAll, describe, expect, it } from 'vitest';
import { attributionForCell, computeVerdicts, defaultKernelPath, loadCvForCell } from '../../analysis/verdicts.js';
import { addAttributionTrials, copyFixtureRun, readTrials, removeTempDirs } from '../report/fixture-runs.js';

afterAll(removeTempDirs);

describe('computeVerdicts', () => {
  const dir = copyFixtureRun('quick-a');
  addAttributionTrials(dir);
  const trials = readTrials(dir);

  it('decides every size × rate of the grid, with its numbers', () => {
    const verdicts = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] });
    expect(verdicts).toHaveLength(2 * 3);
    for (const v of verdicts) {
      expect(['bypass-wins', 'no-win', 'insufficient-data']).toContain(v.verdict);
      expect(v.reason.length).toBeGreaterThan(0);
    }
  });

  it('uses the attribution measured at the same size and rate, and its arrival CV', () => {
    expect(defaultKernelPath(trials)).toBe('kernel-udp');
    const a = attributionForCell(trials, 64, 2000);
    expect(a).not.toBeNull();
    expect(a!.kernelShareP99!).toBeGreaterThanOrEqual(0);
    expect(a!.kernelShareP99!).toBeLessThanOrEqual(1);
    expect(attributionForCell(trials, 1024, 2000)).toBeNull();
    expect(loadCvForCell(trials, 64, 2000, 'kernel-udp')).not.toBeNull();
    const cell = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 64 && v.offeredPps === 2000)!;
    expect(cell.checks.kernelBottleneck.status).not.toBe('unknown');
    const other = computeVerdicts(trials, [], { bypassPaths: ['kernel-tcp'] }).find((v) => v.msgSizeBytes === 1024 && v.offeredPps === 2000)!;
    expect(other.checks.kernelBottleneck.detail).toMatch(/attribution/);
  });

  it('has nothing to decide without a kernel path', () => {
    expect(
      computeVerdicts(
        trials.filter((t) => !t.path.startsWith('kernel')),
        [],
      ),
    ).toEqual([]);
  });
});
