// tracefs for a trial's tracer (bpftrace's tracepoints need it; a fresh machine has it unmounted).
// Mounted only when it is not, recorded in the ledger before mounting (so `bypassbench cleanup`
// unmounts it after a kill), and unmounted after the trial; a mount that was there is left alone.
import { readFileSync } from 'node:fs';
import { run, tryRun } from './exec.js';
import type { Ledger } from './ledger.js';

export const TRACEFS = '/sys/kernel/tracing';

export function tracefsMounted(mounts = readFileSync('/proc/mounts', 'utf8')): boolean {
  // A /proc/mounts line such as "nodev /sys/kernel/tracing tracefs rw,relatime 0 0".
  return mounts.split('\n').some((line) => {
    const [, point, type] = line.split(' ');
    return point === TRACEFS && type === 'tracefs';
  });
}

/** Mounts tracefs if needed; the returned function undoes exactly that (nothing if it was mounted). */
export async function ensureTracefs(ledger: Ledger): Promise<() => Promise<void>> {
  if (tracefsMounted()) return async () => undefined;
  ledger.update((d) => d.mounts.push(TRACEFS));
  await run(['mount', '-t', 'tracefs', 'nodev', TRACEFS]);
  return async () => {
    // Busy (another run's tracer is using it): leave it in the ledger for `bypassbench cleanup`
    // rather than fail a trial that already ended.
    if ((await tryRun(['umount', TRACEFS])) === null) return;
    ledger.update((d) => {
      d.mounts = d.mounts.filter((m) => m !== TRACEFS);
    });
  };
}
