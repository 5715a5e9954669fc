// Fixture runs for the report and compare tests, and the derived copies some tests need.
//
// test/fixtures/runs/quick-a and quick-b are real run folders made by
//   ./bypassbench run test/fixtures/suites/report-fixture.yaml --out test/fixtures/runs/quick-{a,b}
// and full-a one made by test/fixtures/suites/report-full.yaml (see its FIXTURE.md); they are
// never modified: every helper here works on a copy in a temp dir. What a helper derives
// is said where it does it; nothing here invents a latency, rate or loss for a real path.
import { workloadSteadiness } from '../../analysis/steadiness.js';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attribute, type AttributionOptions } from '../../analysis/attribution.js';
import { parseTsprobeRecords } from '../../drivers/tsprobe/index.js';
import type { TrialRecord } from '../../core/trial.js';
import { fixturesDir } from '../helpers/fixtures.js';

export const runsDir = join(fixturesDir, 'runs');

const tempDirs: string[] = [];

/** A temp dir that removeTempDirs() deletes. */
export function tempDir(prefix = 'bb-h7-report-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Deletes every temp dir made here; call it from afterAll. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh copy of test/fixtures/runs/<name> in a temp dir; returns the copy's path. */
export function copyFixtureRun(name: 'quick-a' | 'quick-b' | 'full-a'): string {
  const dir = join(tempDir(), name);
  cpSync(join(runsDir, name), dir, { recursive: true });
  return dir;
}

export function readTrials(runDir: string): TrialRecord[] {
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TrialRecord);
}

export function writeTrials(runDir: string, trials: readonly TrialRecord[]): void {
  writeFileSync(join(runDir, 'trials.jsonl'), trials.map((t) => `${JSON.stringify(t)}\n`).join(''));
}

/**
 * The captures hold 200–400 requests: bands of 2–40, below the default minimum of 50, which would
 * leave every share null. Report tests need shares to draw, so they lower it; pass {} for the default.
 */
export const THIN_CAPTURES: AttributionOptions = { minBandRequests: 1 };

const ATTRIBUTION_CAPTURES = [500, 2000, 5000].map((rate) => ({ rate, name: `tsprobe-64B-${rate}pps` }));

/**
 * Appends attribution trials built from real bb-tsprobe captures (test/fixtures/runs/attribution,
 * each with a .json saying how it was made): native.attribution is attribute() of the captured
 * per-request records, and the latency figures are the probe's own summary from its stdout.
 */
export function addAttributionTrials(runDir: string, options: AttributionOptions = THIN_CAPTURES): void {
  const trials = readTrials(runDir);
  const runId = trials[0]?.runId ?? 'fixture';
  ATTRIBUTION_CAPTURES.forEach(({ rate, name }, i) => {
    const dir = join(runsDir, 'attribution');
    const summary = JSON.parse(readFileSync(join(dir, `${name}.stdout`), 'utf8')) as {
      sent: number;
      received: number;
      lossRatio: number;
      achievedPps: number;
      measuredS: number;
      rttUs: { min: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number; stddev: number; samples: number };
    };
    const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { capturedAt: string };
    const trial: TrialRecord = {
      trialId: `a${String(i + 1).padStart(3, '0')}`,
      runId,
      path: 'attribution',
      pathLabel: 'attribution',
      driver: 'tsprobe',
      mode: 'attribution',
      offeredPps: rate,
      latencyKind: 'rtt',
      cpu: null,
      repetition: 1,
      status: 'ok',
      emulated: false,
      raw: [],
      startedAt: meta.capturedAt,
      durationS: summary.measuredS,
      error: null,
      msgSizeBytes: 64,
      achievedPps: summary.achievedPps,
      sentPackets: summary.sent,
      receivedPackets: summary.received,
      lossRatio: summary.lossRatio,
      latencyUs: { ...summary.rttUs },
      throughputGbps: null,
      msgRateMpps: null,
      measuredS: summary.measuredS,
      native: (() => {
        const records = parseTsprobeRecords(readFileSync(join(dir, `${name}.records.csv`), 'utf8'));
        // As paths/attribution.ts stores them: the attribution and the workload's steadiness.
        return {
          attribution: attribute(records, options),
          steadiness: workloadSteadiness(
            records.map((r) => r.sRxNs),
            'server RX timestamps (bb-tsprobe records)',
          ),
        };
      })(),
    };
    appendFileSync(join(runDir, 'trials.jsonl'), `${JSON.stringify(trial)}\n`);
  });
}

/**
 * Plants a regression in a copy: every latency figure of one group (path label × size × rate) is
 * multiplied by one factor F = 2 × the largest max/min ratio of its p50 and p99 over repetitions,
 * so every repetition of the copy lies above every repetition of the original (the bootstrap
 * interval must then exclude 0) and the change is at least +100 %. Returns F.
 */
export function plantRegression(runDir: string, pathLabel: string, msgSizeBytes: number, offeredPps: number | null): number {
  const trials = readTrials(runDir);
  const hit = (t: TrialRecord) => t.pathLabel === pathLabel && t.msgSizeBytes === msgSizeBytes && t.offeredPps === offeredPps && t.status === 'ok';
  const members = trials.filter(hit);
  if (members.length === 0) throw new Error(`no ok trials for ${pathLabel} ${msgSizeBytes} B ${offeredPps} pps`);
  const ratio = (metric: 'p50' | 'p99') => {
    const values = members.map((t) => t.latencyUs![metric]!);
    return Math.max(...values) / Math.min(...values);
  };
  const factor = 2 * Math.max(ratio('p50'), ratio('p99'));
  writeTrials(
    runDir,
    trials.map((t) => {
      if (!hit(t) || !t.latencyUs) return t;
      const scaled = Object.fromEntries(
        Object.entries(t.latencyUs).map(([k, v]) => [k, k === 'samples' || typeof v !== 'number' ? v : v * factor]),
      ) as unknown as TrialRecord['latencyUs'];
      return { ...t, latencyUs: scaled };
    }),
  );
  return factor;
}

/**
 * Gives every group of the copy `times` × its repetitions, each copy of a real repetition with its
 * latencies moved by a seeded ±2 % jitter: the compare tests need ≥ 5 repetitions per side, which
 * no committed fixture run has (it would take minutes to record). Derived data, for tests of the
 * statistics only.
 */
export function multiplyRepetitions(runDir: string, times: number, seed = 1): void {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const trials = readTrials(runDir);
  const out: TrialRecord[] = [];
  for (let k = 0; k < times; k++) {
    for (const t of trials) {
      const jitter = 1 + 0.02 * (2 * random() - 1);
      const latencyUs = t.latencyUs && { ...t.latencyUs, p50: (t.latencyUs.p50 ?? 0) * jitter, p99: (t.latencyUs.p99 ?? 0) * jitter };
      out.push({ ...t, trialId: `${t.trialId}x${k}`, repetition: t.repetition + k * 100, latencyUs: t.latencyUs ? latencyUs : null });
    }
  }
  writeTrials(runDir, out);
}

/** Sets a dotted field of the copy's run.json, e.g. "host.kernelRelease". */
export function setRunJson(runDir: string, field: string, value: unknown): void {
  const file = join(runDir, 'run.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const keys = field.split('.');
  let cur = meta;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  cur[keys.at(-1)!] = value;
  writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
}
