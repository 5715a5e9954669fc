import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PathSearch } from '../../core/search-result.js';
import { plannedSearches } from '../../runners/search-phase.js';
import { parseSuite } from '../../suites/load.js';
import { startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

describe('plannedSearches', () => {
  const suite = (search: string) =>
    parseSuite(
      'x.yaml',
      `name: s
sizes: [64, 512]
rates: [1000]
durationS: 1
paths:
  - path: kernel-udp
  - path: kernel-tcp
    enabled: false
  - path: rdma-rxe
search: ${search}
`,
    );

  it('searches every enabled path with an open-loop mode, at every size, in open-loop options', () => {
    const s = plannedSearches(suite('{ maxPps: 5000 }'));
    expect(s.map((x) => [x.pathIndex, x.msgSizeBytes])).toEqual([
      [0, 64],
      [0, 512],
    ]);
    expect(s[0]!.options).toMatchObject({ mode: 'under-load', replyEvery: 1 });
  });

  it('follows an explicit path and size list, disabled entries included when named', () => {
    const s = plannedSearches(suite('{ maxPps: 5000, paths: [kernel-tcp], sizes: [64] }'));
    expect(s.map((x) => [x.pathIndex, x.msgSizeBytes])).toEqual([[1, 64]]);
  });

  it('rejects a search naming an unknown path', () => {
    expect(() => suite('{ paths: [nope] }')).toThrow(/search\.paths\[0\] must name a path entry/);
  });

  it('rejects search settings that contradict each other, naming the field, the value and what is allowed', () => {
    expect(() => suite('{ trialDurationS: 2, phaseDurationsS: [1, 1] }')).toThrow(
      /search\.phaseDurationsS\[1\] must be greater than 1 and less than search\.trialDurationS \(2\), got 1/,
    );
    expect(() => suite('{ trialDurationS: 2, phaseDurationsS: [3] }')).toThrow(/search\.phaseDurationsS\[0\] .* got 3/);
    expect(() => suite('{ trialDurationS: 2, phaseDurationsS: [0.5] }')).toThrow(/search\.phaseDurationsS\[0\] must be whole seconds for path kernel-udp/);
    expect(() => suite('{ trialDurationS: 4, durationSumS: 2 }')).toThrow(/search\.durationSumS must be at least search\.trialDurationS \(4\), got 2/);
    expect(() => suite('{ goalWidth: 0.005, generatorTolerance: 0.05 }')).toThrow(
      /search\.generatorTolerance must be at most search\.goalWidth \(0\.005\), got 0\.05/,
    );
    expect(() => suite('{ exceedRatio: 1 }')).toThrow(/search\.exceedRatio/);
  });

  it('accepts the phased settings and defaults the exceed ratio', () => {
    const loaded = suite('{ trialDurationS: 4, phaseDurationsS: [1, 2], durationSumS: 8, generatorTolerance: 0.002 }');
    expect(loaded.suite.search).toMatchObject({ phaseDurationsS: [1, 2], exceedRatio: 0.5, durationSumS: 8, generatorTolerance: 0.002 });
  });
});

describe('a real throughput search (kernel UDP, sockperf under-load)', () => {
  it('records every search trial and writes search.json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-search-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/search-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const searches = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8')) as PathSearch[];
    expect(searches).toHaveLength(1);
    const s = searches[0]!;
    expect(s.pathLabel).toBe('kernel-udp');
    expect(s.trialCount).toBeGreaterThan(0);
    expect(s.trialCount).toBeLessThanOrEqual(5);
    expect(s.fullLengthEquivalentTrials).toBeLessThanOrEqual(5);
    expect(['converged', 'budget', 'generator-limit', 'all-rates-lossy']).toContain(s.stopReason);
    expect(s.stopDetail).toMatch(/full-length-equivalent/);
    expect(s.stopDetail).toMatch(/1-min load average \d+\.\d → \d+\.\d on \d+ CPUs during the search$/);
    // The closing summary and report.txt say why the search stopped.
    expect(readFileSync(join(out, 'report.txt'), 'utf8')).toMatch(/kernel-udp 64 B: [a-z-]+ after \d+ trials/);
    if (s.ndrPps !== null && s.pdrPps !== null) expect(s.ndrPps).toBeLessThanOrEqual(s.pdrPps);
    if (s.pdrPps !== null) expect(s.pdrPps).toBeLessThanOrEqual(200000);
    const trials = loadRun(out).trials;
    const searchTrials = trials.filter((t) => t.search);
    expect(searchTrials).toHaveLength(s.trialCount);
    for (const t of searchTrials) {
      expect(t.lossRatio).toBeGreaterThanOrEqual(0);
      expect(t.lossRatio).toBeLessThanOrEqual(1);
      expect(t.mode).toBe('under-load');
    }
  });
});
