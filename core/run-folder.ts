// The run folder, results/<UTC time>-<suite>-<short id>/, and the only code that reads or writes
// its files. Each file has one declared type:
//   run.json       RunMeta (core/run-meta.ts): what, where, with which tools, how it ended
//   trials.jsonl   TrialRecord (core/trial.ts), one per line, appended as each trial finishes so
//                  a crash loses nothing finished
//   trials.csv     the same, flattened (core/trials-csv.ts)
//   search.json    PathSearch[] (core/search-result.ts): one throughput search per path × size
//   verdicts.json  Verdict[] (core/verdict.ts): the selective-win rule per size × rate
//   summary.json   RunSummaryFile (core/run-summary.ts): the report's table as data
//   raw/           every process's argv, output and exit code, written as the processes run;
//                  raw/softroce-vm/vm-run.json is a VmRunRecord (core/vm-run.ts)
// The report's documents (report.txt, report.html, report.md, charts/) are named here too;
// report/write.ts renders and writes them.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.js';
import { appendWhole, diskError, writeFileAtomic } from './safe-write.js';
import { parseRunMeta, type RunMeta } from './run-meta.js';
import type { RunSummaryFile } from './run-summary.js';
import { parseSearches, type PathSearch } from './search-result.js';
import type { TrialRecord } from './trial.js';
import { trialsToCsv } from './trials-csv.js';
import { parseVerdicts, type Verdict } from './verdict.js';
import type { VmRunRecord } from './vm-run.js';

export const RUN_FILES = {
  meta: 'run.json',
  trials: 'trials.jsonl',
  trialsCsv: 'trials.csv',
  searches: 'search.json',
  verdicts: 'verdicts.json',
  summary: 'summary.json',
} as const;

export type RunFileName = keyof typeof RUN_FILES;

export const RAW_DIR = 'raw';

/** The report's documents, regenerated from the files above by `report`. */
export const REPORT_FILES = { text: 'report.txt', html: 'report.html', markdown: 'report.md', chartsDir: 'charts' } as const;

/** Inside the VM runner's output folder (raw/softroce-vm/ in a run). */
export const VM_RUN_FILE = 'vm-run.json';

/** Every rewritten file is replaced whole (temp file + rename): a full disk never leaves half a file. */
function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

export class RunFolder {
  readonly dir: string;
  readonly rawDir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.rawDir = join(dir, RAW_DIR);
  }

  /** A new run folder; refuses a folder that already holds a run. */
  static create(dir: string): RunFolder {
    const folder = new RunFolder(dir);
    if (folder.has('meta')) throw new UserError(`${dir} already holds a run; choose another --out folder`);
    try {
      mkdirSync(folder.rawDir, { recursive: true });
    } catch (err) {
      throw diskError(err, folder.rawDir);
    }
    writeFileAtomic(folder.file('trials'), '');
    writeFileAtomic(folder.file('trialsCsv'), trialsToCsv([]));
    return folder;
  }

  /** A saved run folder (one with a run.json). */
  static open(dir: string): RunFolder {
    const folder = new RunFolder(dir);
    if (!folder.has('meta')) {
      throw new UserError(`${dir}: not a run folder (no run.json)`, 'give a folder under results/, e.g. results/20261125T101500Z-quick-a1b2c3');
    }
    return folder;
  }

  file(name: RunFileName): string {
    return join(this.dir, RUN_FILES[name]);
  }

  has(name: RunFileName): boolean {
    return existsSync(this.file(name));
  }

  writeMeta(meta: RunMeta): void {
    writeJson(this.file('meta'), meta);
  }

  readMeta(): RunMeta {
    return parseRunMeta(readJson(this.file('meta')), this.file('meta'));
  }

  /** Appended (not rewritten) so each finished trial is on disk before the next one starts. */
  /** Each record goes in whole or not at all (a failed append is cut back off). */
  appendTrial(trial: TrialRecord): void {
    appendWhole(this.file('trials'), `${JSON.stringify(trial)}\n`);
    appendWhole(this.file('trialsCsv'), trialsToCsv([trial], false));
  }

  readTrials(): TrialRecord[] {
    return this.readTrialsChecked().trials;
  }

  /** The trials, and a warning for a last line cut short (a hard kill mid-write), which is skipped. */
  readTrialsChecked(): { trials: TrialRecord[]; warnings: string[] } {
    const file = this.file('trials');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const lines = text.split('\n');
    const trials: TrialRecord[] = [];
    const warnings: string[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        trials.push(JSON.parse(line) as TrialRecord);
      } catch {
        // Only the last line can be cut short by a hard kill: everything before it is still good.
        const last = lines.slice(i + 1).every((l) => !l.trim());
        if (!last) throw new UserError(`${file}: line ${i + 1} is not valid JSON`, 'the file was edited or damaged; restore it or remove that line');
        warnings.push(`${file}: line ${i + 1} is cut short (${line.length} bytes, the run was killed while writing it); skipped`);
      }
    });
    return { trials, warnings };
  }

  /** trials.csv rewritten from the records (the report regenerates it from trials.jsonl). */
  writeTrialsCsv(trials: readonly TrialRecord[]): string {
    writeFileAtomic(this.file('trialsCsv'), trialsToCsv([...trials]));
    return this.file('trialsCsv');
  }

  writeSearches(searches: readonly PathSearch[]): void {
    writeJson(this.file('searches'), searches);
  }

  /** null: the run searched nothing. */
  readSearches(): PathSearch[] | null {
    return this.has('searches') ? parseSearches(readJson(this.file('searches')), this.file('searches')) : null;
  }

  writeVerdicts(verdicts: readonly Verdict[]): string {
    writeJson(this.file('verdicts'), verdicts);
    return this.file('verdicts');
  }

  /** null: no verdicts.json (not analysed yet). */
  readVerdicts(): Verdict[] | null {
    return this.has('verdicts') ? parseVerdicts(readJson(this.file('verdicts')), this.file('verdicts')) : null;
  }

  writeSummary(summary: RunSummaryFile): string {
    writeJson(this.file('summary'), summary);
    return this.file('summary');
  }
}

export interface LoadedRun {
  dir: string;
  meta: RunMeta;
  trials: TrialRecord[];
  /** Problems with the saved files that did not stop the load (a cut last line). */
  warnings: string[];
}

export function loadRun(dir: string): LoadedRun {
  const folder = RunFolder.open(dir);
  const { trials, warnings } = folder.readTrialsChecked();
  return { dir, meta: folder.readMeta(), trials, warnings };
}

export function vmRunFile(outDir: string): string {
  return join(outDir, VM_RUN_FILE);
}

export function writeVmRunRecord(file: string, record: VmRunRecord): void {
  writeJson(file, record);
}
