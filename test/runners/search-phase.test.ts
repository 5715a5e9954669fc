import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../core/trial.js';
import type { PathSearch } from '../../core/search-result.js';
import { plannedSearches } from '../../runners/search-phase.js';
import { parseSuite } from '../../suites/load.js';
import { startCli } from '../helpers/system.js';

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
    if (s.ndrPps !== null && s.pdrPps !== null) expect(s.ndrPps).toBeLessThanOrEqual(s.pdrPps);
    if (s.pdrPps !== null) expect(s.pdrPps).toBeLessThanOrEqual(200000);
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    const searchTrials = trials.filter((t) => t.search);
    expect(searchTrials).toHaveLength(s.trialCount);
    for (const t of searchTrials) {
      expect(t.lossRatio).toBeGreaterThanOrEqual(0);
      expect(t.lossRatio).toBeLessThanOrEqual(1);
      expect(t.mode).toBe('under-load');
    }
  });
});
