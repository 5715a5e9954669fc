// When a tail percentile is shown as a number: the sample-count rule, its text, and the flags it
// puts in trials.csv and the summary rows, on a real perftest capture (1 000 iterations: its p99.9
// is its maximum) and on hand-made counts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { minSamplesFor, tailReliable, tailText, TAIL_BEYOND_MIN } from '../../core/tail.js';
import { CSV_COLUMNS, flattenTrial } from '../../core/trials-csv.js';
import { emptyLatency, type TrialRecord } from '../../core/trial.js';
import { perftestDriver } from '../../drivers/perftest/index.js';
import { groupTrials } from '../../analysis/stats.js';
import { renderTable, summarizeTrials } from '../../report/table.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(1));

describe('the rule', () => {
  it('asks for 10 samples beyond the percentile: p99 from 1 000, p99.9 from 10 000', () => {
    expect(TAIL_BEYOND_MIN).toBe(10);
    expect(minSamplesFor(99)).toBe(1000);
    expect(minSamplesFor(99.9)).toBe(10_000);
    expect(tailReliable(999, 99)).toBe(false);
    expect(tailReliable(1000, 99)).toBe(true);
    expect(tailReliable(9999, 99.9)).toBe(false);
    expect(tailReliable(10_000, 99.9)).toBe(true);
    expect(tailReliable(null, 99.9)).toBeNull();
  });

  it('shows a thin tail as n/a with its count, and says when it is the maximum itself', () => {
    expect(tailText(52.25, 1100, 99.9, fmt)).toBe('n/a (1100 samples)');
    expect(tailText(52.25, 1000, 99.9, fmt, 52.25)).toBe('n/a (1000 samples, = max)');
    expect(tailText(52.25, 20_000, 99.9, fmt)).toBe('52.3');
    expect(tailText(52.25, null, 99.9, fmt)).toBe('52.3');
    expect(tailText(null, 10, 99.9, fmt)).toBe('—');
  });
});

/** A real perftest latency capture (Soft-RoCE, 1 000 iterations) as a trial record. */
function perftestTrial(trialId: string, repetition: number): TrialRecord {
  const fx = loadFixture('perftest', 'ib_read_lat-64B');
  const [m] = perftestDriver.parse({ stdout: fx.stdout, stderr: fx.stderr, exitCode: fx.exitCode, argv: fx.meta.argv, outJson: readOutJson() });
  return {
    ...m!,
    trialId,
    runId: 'r',
    path: 'rdma-rxe',
    pathLabel: 'rdma-rxe',
    driver: 'perftest',
    mode: 'latency',
    offeredPps: null,
    latencyKind: 'rtt',
    cpu: null,
    repetition,
    status: 'ok',
    emulated: true,
    raw: [],
    startedAt: '2026-11-25T14:49:23.425Z',
    durationS: 1,
  };
}

function readOutJson(): string | null {
  try {
    return readFileSync(fixturePath('perftest', 'ib_read_lat-64B', 'outjson'), 'utf8');
  } catch {
    return null;
  }
}

describe('flags on real perftest output (1 000 iterations)', () => {
  const trials = [perftestTrial('t1', 1), perftestTrial('t2', 2), perftestTrial('t3', 3)];
  const latency = trials[0]!.latencyUs!;

  it('perftest at 1 000 iterations: p99 is usable, p99.9 is not (it is the maximum)', () => {
    expect(latency.samples).toBe(1000);
    expect(tailReliable(latency.samples, 99)).toBe(true);
    expect(tailReliable(latency.samples, 99.9)).toBe(false);
  });

  it('trials.csv carries the flags beside the sample count', () => {
    const row = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, flattenTrial(trials[0]!)[i]]));
    expect(row).toMatchObject({ latencySamples: 1000, p99Reliable: true, p999Reliable: false });
    const noLatency = { ...trials[0]!, latencyUs: emptyLatency() };
    expect(Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, flattenTrial(noLatency)[i]]))).toMatchObject({ p99Reliable: null, p999Reliable: null });
  });

  it('groups, summary rows and the closing table show p99.9 as n/a with the count', () => {
    const [group] = groupTrials(trials);
    expect(group?.tail).toEqual({ minSamples: 1000, p99Reliable: true, p999Reliable: false });
    const [row] = summarizeTrials(trials);
    expect(row).toMatchObject({ latencySamples: 1000, p99Reliable: true, p999Reliable: false });
    const table = renderTable(summarizeTrials(trials));
    expect(table).toContain('n/a (1000 samples)');
    expect(table).toMatch(/p99 needs ≥ 1000, p99\.9 ≥ 10000/);
  });
});
