// The report's per-service block, from the real service-verdict fixture run's verdicts.
import { describe, expect, it } from 'vitest';
import { computeVerdicts } from '../../analysis/verdicts.js';
import { loadRun } from '../../core/run-folder.js';
import { SERVICE_VERDICT_HEADER, serviceVerdictCells, serviceVerdicts } from '../../report/service-verdicts.js';

describe('per-service verdict rows', () => {
  const run = loadRun('test/fixtures/runs/service-verdict');
  const rows = serviceVerdicts(computeVerdicts(run.trials, [], run.meta.suite.verdict ?? {}));

  it('one row per service and cell, every column filled', () => {
    expect(rows.map((v) => v.service!.label)).toEqual(['java', 'node-gc', 'node-chain-gc']);
    for (const v of rows) {
      const cells = serviceVerdictCells(v);
      expect(cells).toHaveLength(SERVICE_VERDICT_HEADER.length);
      expect(cells[3]).toBe(v.verdict);
      expect(cells.every((c) => c.length > 0)).toBe(true);
    }
  });

  it('says "not observed" for a hop without a chain, and shows the downstream pauses inside a chain’s hop', () => {
    const hops = SERVICE_VERDICT_HEADER.indexOf('hops (downstream pauses)');
    expect(serviceVerdictCells(rows[0]!)[hops]).toBe('not observed');
    expect(serviceVerdictCells(rows[2]!)[hops]).toMatch(/^[\d.]+ \/ [\d.]+ % \([\d.]+ % at p99\)$/);
  });
});
