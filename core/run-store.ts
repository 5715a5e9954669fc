// The run folder: results/<UTC time>-<suite>-<short id>/ with run.json (what, where, with which
// tools), trials.jsonl (one record appended as each trial finishes, so a crash loses nothing
// finished), trials.csv (the same, flattened) and raw/ (every process's argv, output, exit code).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { UserError } from './errors.js';
import type { TrialRecord } from './trial.js';

export const CSV_COLUMNS = [
  'trialId',
  'runId',
  'path',
  'pathLabel',
  'driver',
  'mode',
  'repetition',
  'status',
  'error',
  'msgSizeBytes',
  'offeredPps',
  'achievedPps',
  'sentPackets',
  'receivedPackets',
  'lossRatio',
  'minUs',
  'p50Us',
  'p90Us',
  'p99Us',
  'p999Us',
  'maxUs',
  'meanUs',
  'stddevUs',
  'latencySamples',
  'throughputGbps',
  'msgRateMpps',
  'coresBusy',
  'nsPerPacket',
  'emulated',
  'startedAt',
  'durationS',
  'measuredS',
  'raw',
] as const;

export function flattenTrial(t: TrialRecord): (string | number | boolean | null)[] {
  const l = t.latencyUs;
  const row: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null> = {
    trialId: t.trialId,
    runId: t.runId,
    path: t.path,
    pathLabel: t.pathLabel,
    driver: t.driver,
    mode: t.mode,
    repetition: t.repetition,
    status: t.status,
    error: t.error,
    msgSizeBytes: t.msgSizeBytes,
    offeredPps: t.offeredPps,
    achievedPps: t.achievedPps,
    sentPackets: t.sentPackets,
    receivedPackets: t.receivedPackets,
    lossRatio: t.lossRatio,
    minUs: l?.min ?? null,
    p50Us: l?.p50 ?? null,
    p90Us: l?.p90 ?? null,
    p99Us: l?.p99 ?? null,
    p999Us: l?.p999 ?? null,
    maxUs: l?.max ?? null,
    meanUs: l?.mean ?? null,
    stddevUs: l?.stddev ?? null,
    latencySamples: l?.samples ?? null,
    throughputGbps: t.throughputGbps,
    msgRateMpps: t.msgRateMpps,
    coresBusy: t.cpu?.coresBusy ?? null,
    nsPerPacket: t.cpu?.nsPerPacket ?? null,
    emulated: t.emulated,
    startedAt: t.startedAt,
    durationS: t.durationS,
    measuredS: t.measuredS,
    raw: t.raw.join(';'),
  };
  return CSV_COLUMNS.map((c) => row[c]);
}

export function trialsToCsv(trials: TrialRecord[], header = true): string {
  return stringify(trials.map(flattenTrial), { header, columns: header ? [...CSV_COLUMNS] : undefined, cast: { boolean: (b) => String(b) } });
}

export class RunStore {
  readonly dir: string;
  readonly rawDir: string;
  readonly jsonlFile: string;
  readonly csvFile: string;
  readonly runJsonFile: string;

  constructor(dir: string) {
    this.dir = dir;
    this.rawDir = join(dir, 'raw');
    this.jsonlFile = join(dir, 'trials.jsonl');
    this.csvFile = join(dir, 'trials.csv');
    this.runJsonFile = join(dir, 'run.json');
  }

  create(): void {
    if (existsSync(this.runJsonFile)) throw new UserError(`${this.dir} already holds a run; choose another --out folder`);
    mkdirSync(this.rawDir, { recursive: true });
    writeFileSync(this.jsonlFile, '');
    writeFileSync(this.csvFile, stringify([], { header: true, columns: [...CSV_COLUMNS] }));
  }

  writeRunJson(meta: unknown): void {
    writeFileSync(this.runJsonFile, `${JSON.stringify(meta, null, 2)}\n`);
  }

  /** Appended (not rewritten) so each finished trial is on disk before the next one starts. */
  appendTrial(trial: TrialRecord): void {
    appendFileSync(this.jsonlFile, `${JSON.stringify(trial)}\n`);
    appendFileSync(this.csvFile, trialsToCsv([trial], false));
  }
}

export interface LoadedRun {
  dir: string;
  meta: Record<string, unknown>;
  trials: TrialRecord[];
}

export function loadRun(dir: string): LoadedRun {
  const store = new RunStore(dir);
  if (!existsSync(store.runJsonFile)) {
    throw new UserError(`${dir}: not a run folder (no run.json)`, 'give a folder under results/, e.g. results/20261125T101500Z-quick-a1b2c3');
  }
  const meta = JSON.parse(readFileSync(store.runJsonFile, 'utf8')) as Record<string, unknown>;
  const text = existsSync(store.jsonlFile) ? readFileSync(store.jsonlFile, 'utf8') : '';
  const trials: TrialRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      trials.push(JSON.parse(line) as TrialRecord);
    } catch {
      // A line cut short by a hard kill: everything before it is still good.
      if (i < text.split('\n').length - 2) throw new UserError(`${store.jsonlFile}: line ${i + 1} is not valid JSON`);
    }
  });
  return { dir, meta, trials };
}
