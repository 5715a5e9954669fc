// Drawing run events: a progress bar with trial i/N and ETA on a terminal, one plain line per
// trial otherwise (CI logs, pipes). Only this file knows how progress looks.
import cliProgress from 'cli-progress';
import type { RunEvent } from '../runners/run-events.js';
import type { TrialRecord } from '../core/trial.js';
import { printable } from '../core/text.js';
import { human, isTty } from './output.js';

function trialLabel(e: { trial: { pathLabel: string; msgSizeBytes: number; offeredPps: number | null; repetition: number } }): string {
  const rate = e.trial.offeredPps === null ? 'closed loop' : `${e.trial.offeredPps} pps`;
  return `${e.trial.pathLabel} ${e.trial.msgSizeBytes} B @ ${rate} (rep ${e.trial.repetition})`;
}

function resultText(r: TrialRecord): string {
  // An error can quote a tool's output: one short printable line in the progress.
  if (r.status !== 'ok') return `${r.status}: ${printable((r.error ?? '').replace(/\s+/g, ' '), 200)}`.trim();
  const l = r.latencyUs;
  const lat = l?.p50 != null ? ` p50 ${l.p50.toFixed(1)} µs p99 ${l.p99?.toFixed(1) ?? '—'} µs` : '';
  const loss = r.lossRatio != null ? ` loss ${(r.lossRatio * 100).toFixed(2)}%` : '';
  const rate = r.achievedPps != null ? ` ${Math.round(r.achievedPps)} pps` : '';
  return `ok${rate}${lat}${loss}`;
}

export function progressReporter(quiet: boolean): { onEvent: (e: RunEvent) => void; stop: () => void } {
  const tty = isTty() && !quiet;
  let bar: cliProgress.SingleBar | null = null;
  const onEvent = (e: RunEvent) => {
    if (quiet && e.type !== 'warning') return;
    switch (e.type) {
      case 'run:start':
        human(`run ${e.runId}: ${e.total} trials → ${e.runDir}`);
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: ' {bar} trial {value}/{total} | ETA {eta_formatted} | {label}', stream: process.stderr, hideCursor: true, etaBuffer: 8 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.total, 0, { label: 'setting up topology' });
        }
        break;
      case 'topology:ready':
        if (bar) bar.update({ label: 'topology ready' });
        else human(`topology: ${e.description}`);
        break;
      case 'trial:start':
        if (bar) bar.update({ label: `${e.phase === 'search' ? 'throughput search: ' : ''}${trialLabel(e)}` });
        break;
      case 'trial:done':
        if (bar) bar.update(e.position, { label: trialLabel(e) });
        else human(`${e.phase === 'search' ? '[search]' : `[${e.position}/${e.total}]`} ${trialLabel(e)}: ${resultText(e.record)}`);
        break;
      case 'warning':
        if (bar) bar.stop();
        human(`warning: ${e.message}`);
        break;
      case 'run:done':
        if (bar) bar.stop();
        bar = null;
        break;
    }
  };
  return { onEvent, stop: () => bar?.stop() };
}
