// The report's per-service block, from the real service-verdict fixture run's verdicts.
import { describe, expect, it } from 'vitest';
import { computeVerdicts } from '../../analysis/verdicts.js';
import { loadRun } from '../../core/run-folder.js';
import { SERVICE_VERDICT_HEADER, serviceVerdictCells, serviceVerdicts, traceOverheadLines } from '../../report/service-verdicts.js';

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

describe('tracing overhead lines', () => {
  const base = {
    pathLabel: 'java',
    msgSizeBytes: 200,
    offeredPps: 1000,
    durationS: 2,
    pairsPlanned: 2,
    wallS: 41.6,
    trialIds: [],
    perPair: { p50: [], p99: [] },
    method: 'm',
  };
  it('one line per service: ratios with their interval, where and how long', () => {
    const lines = traceOverheadLines({
      java: { ...base, pairs: 2, p50Ratio: 1.04, p99Ratio: 1.021, interval: { level: 0.95, p50: [0.98, 1.1], p99: [0.95, 1.09] } },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^java: tracing p50 1\.04× \[0\.98×, 1\.10×\], p99 1\.02× \[0\.95×, 1\.09×\] traced\/untraced \(2 of 2 pairs at .*, 2 s each; 42 s\)$/,
    );
  });
  it('says why a service has no ratio, and nothing for a run without the measurement', () => {
    const lines = traceOverheadLines({
      node: { ...base, pathLabel: 'node', pairs: 1, p50Ratio: null, p99Ratio: null, interval: null, reason: '1 of 2 pairs complete' },
    });
    expect(lines[0]).toMatch(/^node: tracing overhead not measured: 1 of 2 pairs complete/);
    expect(traceOverheadLines(undefined)).toEqual([]);
  });
});
