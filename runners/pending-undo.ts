// Changes `attribute --pid` makes to a process it did not start (a JVM's logging, a Node
// inspector) are undone after the run; each undo is written to the state folder before the change,
// as <prefix>-<pid>.json, so `cleanup` can still undo it after a kill — only while that same
// process runs (pid and start time both match), since a reused pid is someone else's.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tryRun } from './exec.js';
import { isSameProcessAlive, ledgerDir } from './ledger.js';

export interface PendingUndo {
  pid: number;
  startTicks: number | null;
  /** The argv that undoes the change. */
  undo: string[];
}

/**
 * cleanup: runs the pending undos named `<prefix>-<pid>.json` whose process still runs, removes
 * every such file, and returns what it did (or would do, with dryRun) in `describe`'s words.
 */
export async function sweepPendingUndos<T extends PendingUndo>(prefix: string, dryRun: boolean, describe: (p: T) => string): Promise<string[]> {
  const done: string[] = [];
  const pattern = new RegExp(`^${prefix}-\\d+\\.json$`);
  let names: string[];
  try {
    names = readdirSync(ledgerDir()).filter((n) => pattern.test(n));
  } catch {
    return done;
  }
  for (const name of names) {
    const path = join(ledgerDir(), name);
    let p: T;
    try {
      p = JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      continue;
    }
    if (isSameProcessAlive(p.pid, p.startTicks)) {
      done.push(describe(p));
      if (!dryRun) await tryRun(p.undo, 30_000);
    }
    if (!dryRun) rmSync(path, { force: true });
  }
  return done;
}
