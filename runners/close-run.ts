// Closing a run: how it ended goes into run.json (status, error, counts, the orchestrator's own
// CPU time), the ledger is closed, and the caller hears run:done.
import { runTiming } from '../core/run-timing.js';
import type { TrialRecord, TrialStatus } from '../core/trial.js';
import { tryRun } from './exec.js';
import type { Ledger } from './ledger.js';
import type { OpenRun } from './open-run.js';
import type { RunStatus } from './run-events.js';

export interface RunOutcome {
  status: RunStatus;
  /** Why the run failed or stopped; absent when it completed. */
  error?: string;
}

/**
 * Unmounts what the ledger still names (a tracefs left mounted because another tracer kept it busy
 * when its trial ended: by the run's end that tracer is gone); what still fails stays in the ledger.
 */
export async function releaseMounts(ledger: Ledger): Promise<void> {
  for (const point of [...ledger.mounts]) if ((await tryRun(['umount', point])) !== null) ledger.forgetMount(point);
}

/** cpuAtStart: process.cpuUsage() when the run's work began. */
export function closeRun(
  run: OpenRun,
  outcome: RunOutcome,
  counts: Record<TrialStatus, number>,
  cpuAtStart: NodeJS.CpuUsage,
  records: readonly TrialRecord[] = [],
): void {
  const left = run.ledger.close();
  // Said in run.json and on stderr: `bypassbench cleanup` finishes the job.
  if (left.length > 0) {
    const note = `still mounted at the end (busy): ${left.join(', ')}; run \`bypassbench cleanup\``;
    outcome = { ...outcome, error: [outcome.error, note].filter(Boolean).join('\n') };
    process.stderr.write(`warning: ${note}\n`);
  }
  const used = process.cpuUsage(cpuAtStart);
  const { meta } = run;
  meta.endedAt = new Date().toISOString();
  meta.status = outcome.status;
  meta.error = outcome.error ?? null;
  meta.counts = counts;
  meta.orchestratorCpuS = Math.round(((used.user + used.system) / 1e6) * 1000) / 1000;
  meta.timing = runTiming((Date.parse(meta.endedAt) - Date.parse(meta.startedAt)) / 1000, records, run.clock?.steps);
  run.folder.writeMeta(meta);
  run.emit({ type: 'run:done', status: outcome.status, counts });
}
