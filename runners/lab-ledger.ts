// The ledger of one lab host: what a run has started or changed on that host (remote process
// groups by their pid files, set-up adjustments with their undo, the run's folder there), kept
// on the orchestrator in /run/bypassbench/lab/ and written *before* each thing happens. A lost
// connection or a dead host leaves this file behind; `cleanup --inventory` finishes from it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from '../core/inventory.js';
import { ledgerDir, readStartTicks } from './ledger.js';

export interface LabLedgerProcess {
  role: string;
  program: string;
  /** The remote wrapper writes the process-group leader's pid here before the tool starts. */
  pidFile: string;
  /** Known once read back from the host. */
  pid: number | null;
}

export interface LabLedgerData {
  runId: string;
  ownerPid: number;
  ownerStartTicks: number | null;
  createdAt: string;
  /** How to reach the host again (its inventory entry as the run read it). */
  host: LabHost;
  /** The run's folder on the host (native programs, pid files, artifacts); removed at the end. */
  remoteRunDir: string;
  processes: LabLedgerProcess[];
  /** Remote commands that undo a set-up adjustment, in the order they were made. */
  undo: { argv: string[]; why: string }[];
}

export function labLedgerDir(): string {
  return join(ledgerDir(), 'lab');
}

export class LabLedger {
  readonly file: string;
  private data: LabLedgerData;

  /** A new ledger for a host; `existing` takes over one a dead run left (cleanup). */
  constructor(runId: string, host: LabHost, remoteRunDir: string, existing?: { file: string; data: LabLedgerData }) {
    mkdirSync(labLedgerDir(), { recursive: true });
    this.file = existing?.file ?? join(labLedgerDir(), `${runId}-${host.name}.json`);
    this.data = existing?.data ?? {
      runId,
      ownerPid: process.pid,
      ownerStartTicks: readStartTicks(process.pid),
      createdAt: new Date().toISOString(),
      host,
      remoteRunDir,
      processes: [],
      undo: [],
    };
    this.flush();
  }

  get snapshot(): Readonly<LabLedgerData> {
    return this.data;
  }

  update(change: (d: LabLedgerData) => void): void {
    change(this.data);
    this.flush();
  }

  close(): void {
    rmSync(this.file, { force: true });
  }

  private flush(): void {
    // Write-then-rename so a kill mid-write never leaves a truncated ledger.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }
}

export function readLabLedgers(): { file: string; data: LabLedgerData }[] {
  let names: string[];
  try {
    names = readdirSync(labLedgerDir());
  } catch {
    return [];
  }
  const out: { file: string; data: LabLedgerData }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = join(labLedgerDir(), name);
    try {
      const d = JSON.parse(readFileSync(file, 'utf8')) as LabLedgerData;
      if (typeof d.runId === 'string' && d.host && Array.isArray(d.processes) && Array.isArray(d.undo)) out.push({ file, data: d });
    } catch {
      // A torn or foreign file: cleanup cannot act on it and leaves it for a human.
    }
  }
  return out;
}
