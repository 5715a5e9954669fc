import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchThroughput } from '../../analysis/search.js';
import { parseSearches, type PathSearch } from '../../core/search-result.js';
import { searchEntries } from '../../report/inputs.js';
import { SEARCH_TABLE_HEADER, searchSummaryLines, searchTableRows } from '../../report/search-summary.js';

const FIXTURE = join('test', 'fixtures', 'runs', 'full-a', 'search.json');

describe('search summary', () => {
  it('reads a search.json written before phased searches (no full-length count, old stop reasons)', () => {
    const searches = parseSearches(JSON.parse(readFileSync(FIXTURE, 'utf8')), FIXTURE);
    expect(searches[0]!.fullLengthEquivalentTrials).toBe(searches[0]!.trialCount);
    const lines = searchSummaryLines(searchEntries(searches, []));
    expect(lines[0]).toMatch(/Throughput searches/);
    expect(lines[1]).toMatch(/converged after 1 trials \(1 full-length-equivalent\); NDR 400k pps \[max rate passed\]/);
    const legacy = parseSearches([{ ...searches[0]!, stopReason: 'max-trials' }], FIXTURE);
    expect(legacy[0]!.stopReason).toBe('budget');
  });

  it('says why a search stopped and how wide its brackets are', async () => {
    const result = await searchThroughput(
      { minPps: 1000, maxPps: 1_000_000, goalWidth: 0.005, maxTrials: 3, lossTargets: { ndr: 0, pdr: 0.005 }, trialDurationS: 1 },
      async (offeredPps) => ({ achievedPps: offeredPps, lossRatio: offeredPps > 300_000 ? 1 - 300_000 / offeredPps : 0, status: 'ok' }),
    );
    const search: PathSearch = { ...result, pathLabel: 'kernel-udp', path: 'kernel-udp', msgSizeBytes: 64 };
    const entries = searchEntries([search], []);
    const lines = searchSummaryLines(entries);
    expect(lines[1]).toMatch(/kernel-udp 64 B: budget after 3 trials \(3 full-length-equivalent\)/);
    expect(lines[2]).toMatch(/why: the budget of 3 full-length-equivalent trials ran out/);
    const rows = searchTableRows(entries);
    expect(rows[0]).toHaveLength(SEARCH_TABLE_HEADER.length);
    expect(rows[0]![2]).toBe('budget');
    expect(searchSummaryLines([])).toEqual([]);
  });
});
