// The run folder's store: every file through one module, each with its declared type, and the
// committed fixture runs (written by earlier versions) still readable.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { loadRun, RUN_FILES, RunFolder } from '../../core/run-folder.js';
import type { TrialRecord } from '../../core/trial.js';
import { fixturesDir } from '../helpers/fixtures.js';

const runsDir = join(fixturesDir, 'runs');
const temp = mkdtempSync(join(tmpdir(), 'bb-run-folder-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('RunFolder', () => {
  it('reads every fixture run, old and new, with its declared types', () => {
    for (const name of ['quick-a', 'quick-b', 'full-a']) {
      const folder = RunFolder.open(join(runsDir, name));
      const meta = folder.readMeta();
      expect(meta.schemaVersion).toBe(1);
      expect(meta.status).toBe('completed');
      expect(meta.suite.sizes.length).toBeGreaterThan(0);
      expect(meta.host.kernelRelease).toBeTruthy();
      expect(folder.readTrials().length).toBeGreaterThan(0);
    }
    const full = RunFolder.open(join(runsDir, 'full-a'));
    expect(full.readSearches()?.[0]).toMatchObject({ pathLabel: expect.any(String), path: expect.any(String), msgSizeBytes: 64 });
    expect(full.readVerdicts()?.length).toBeGreaterThan(0);
    expect(full.readMeta().suite.verdict).toEqual({ thresholds: {} });
    // quick-a predates search.json, verdicts.json and topology.runTag.
    const quick = RunFolder.open(join(runsDir, 'quick-a'));
    expect(quick.readSearches()).toBeNull();
    expect(quick.readVerdicts()).toBeNull();
    expect(quick.readMeta().topology?.runTag).toBeUndefined();
  });

  it('creates a folder once, appends trials to jsonl and csv, and refuses to reuse it', () => {
    const dir = join(temp, 'new');
    const folder = RunFolder.create(dir);
    const trial = loadRun(join(runsDir, 'quick-a')).trials[0]!;
    folder.appendTrial(trial);
    folder.appendTrial({ ...trial, trialId: 't0002' });
    expect(folder.readTrials().map((t) => t.trialId)).toEqual([trial.trialId, 't0002']);
    expect(readFileSync(folder.file('trialsCsv'), 'utf8').trim().split('\n')).toHaveLength(3);
    folder.writeMeta(RunFolder.open(join(runsDir, 'quick-a')).readMeta());
    expect(() => RunFolder.create(dir)).toThrow(/already holds a run/);
  });

  it('keeps the trials before a line cut short by a hard kill', () => {
    const dir = join(temp, 'cut');
    const folder = RunFolder.create(dir);
    const trial: TrialRecord = loadRun(join(runsDir, 'quick-a')).trials[0]!;
    folder.appendTrial(trial);
    appendFileSync(folder.file('trials'), '{"trialId":"t00');
    expect(folder.readTrials()).toHaveLength(1);
  });

  it('names the file and field of a run.json that is wrong, and a folder that is no run', () => {
    const dir = join(temp, 'bad');
    const folder = RunFolder.create(dir);
    const meta = JSON.parse(readFileSync(join(runsDir, 'quick-a', RUN_FILES.meta), 'utf8')) as Record<string, unknown>;
    writeFileSync(folder.file('meta'), JSON.stringify({ ...meta, status: 'done' }));
    expect(() => folder.readMeta()).toThrow(UserError);
    expect(() => folder.readMeta()).toThrow(/run\.json: status must be one of running, completed, interrupted, failed, killed, got "done"/);
    writeFileSync(folder.file('meta'), JSON.stringify({ ...meta, schemaVersion: 2 }));
    expect(() => folder.readMeta()).toThrow(/schemaVersion must be 1/);
    expect(() => RunFolder.open(temp)).toThrow(/not a run folder \(no run\.json\)/);
  });

  it('names the entry and field of a malformed search.json', () => {
    const folder = RunFolder.create(join(temp, 'search'));
    writeFileSync(folder.file('searches'), JSON.stringify([{ pathLabel: 'kernel-udp', msgSizeBytes: 64, ndrPps: 'fast', trials: [] }]));
    expect(() => folder.readSearches()).toThrow(/search\.json: \[0\]\.ndrPps must be a number or null/);
  });
});
