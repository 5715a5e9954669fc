// SIGINT/SIGTERM for commands that run and then report: the first signal stops the run cleanly
// (or, once the report is being written, stops the report); a second kills every process group
// the run started at once; a third leaves immediately (the ledger stays for `bypassbench cleanup`).
// Handlers stay installed until the command has returned its exit code, so no signal is lost.
import { killAllGroups } from '../runners/exec.js';
import { human } from './output.js';

export interface SignalScope {
  /** Aborted by the first signal while the run is going. */
  run: AbortSignal;
  /** Aborted by a signal that arrives while the report is written (or by the first one, without a run). */
  report: AbortSignal;
  /** The run is over: a signal from now on stops the report. */
  reporting(): void;
  /** Any signal arrived. */
  readonly interrupted: boolean;
  dispose(): void;
}

export function handleSignals(): SignalScope {
  const run = new AbortController();
  const report = new AbortController();
  let phase: 'run' | 'report' = 'run';
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (phase === 'report' && !report.signal.aborted) {
      human(`\n${sig}: stopping the report (the run's data is saved)…`);
      report.abort();
    } else if (count === 1) {
      human(`\n${sig}: stopping the current trial and cleaning up (finished trials are saved)…`);
      run.abort();
    } else if (count === 2) {
      const killed = killAllGroups();
      human(`${sig}: killed ${killed} process group(s) at once; still removing namespaces (once more to leave now)`);
    } else {
      human(`${sig}: leaving now; \`bypassbench cleanup\` removes what is left`);
      killAllGroups();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    run: run.signal,
    report: report.signal,
    reporting: () => {
      phase = 'report';
    },
    get interrupted() {
      return count > 0;
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
