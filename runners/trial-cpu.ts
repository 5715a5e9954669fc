// When a trial's CPU snapshots are taken: an idle baseline of the path's CPUs before anything of
// the trial starts (or, for a tool with a quiet lead, inside the sleep before its traffic), then the start and end of the measuring tool's counted window (timed from the
// line the tool prints when its traffic starts), or — for a tool that does not say — from its spawn
// to the last sample before it exits.
import type { CpuPlan } from '../core/topology.js';
import type { MeasuredWindow } from '../drivers/types.js';
import type { ProcessSpec } from '../paths/types.js';
import { baselineBetween, takeSnapshot, windowCost, type CpuBaseline, type CpuSnapshot, type WindowCost } from './cpu-window.js';
import { safeRead, type RunningProcess } from './process.js';

/** Length of the idle baseline sample: 10 ticks of /proc/stat per CPU, enough to see another user. */
const BASELINE_MS = 100;
/** How often the output is checked for the start marker, and the process sampled for a 'process' window. */
const MARKER_POLL_MS = 10;
const PROCESS_SAMPLE_MS = 100;

/** The CPUs a path's processes run on: the CPU plan's roles and every pinned process. */
export function pathCpus(plan: CpuPlan, processes: readonly ProcessSpec[]): number[] {
  const cpus = new Set([plan.client, plan.server, plan.poller]);
  for (const p of processes) if (p.cpu !== null) cpus.add(p.cpu);
  return [...cpus].sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export async function sampleBaseline(cpus: readonly number[]): Promise<CpuBaseline> {
  const a = takeSnapshot([]);
  await sleep(BASELINE_MS);
  return { ...baselineBetween(a, takeSnapshot([]), cpus), how: 'before-trial' };
}

const sampled = (procs: readonly RunningProcess[]) =>
  procs.map((p) => ({ role: p.spec.role, pid: p.pid, pinnedCpu: p.spec.cpu ?? p.spec.pollsOnCpu ?? null, busyPoll: p.spec.busyPoll === true }));

const printed = (proc: RunningProcess, text: string) => safeRead(proc.stderrFile).includes(text) || safeRead(proc.stdoutFile).includes(text);

/**
 * The idle baseline inside the measuring tool's quiet lead (MeasuredWindow.quietLead): once the
 * tool printed the lead's marker it sleeps, sending nothing, and the services wait for it; the
 * sample (BASELINE_MS, as before the trial) subtracts what those processes and the orchestrator
 * used. Null when it cannot be honest: the tool ended, or printed its start marker (its traffic
 * began) before the sample was complete.
 */
export async function sampleLeadBaseline(
  measure: RunningProcess,
  services: readonly RunningProcess[],
  cpus: readonly number[],
  window: MeasuredWindow & { quietLead: { marker: string; sleepS: number } },
): Promise<CpuBaseline | null> {
  if ((await markerSeenAt(measure, window.quietLead.marker)) === null) return null;
  const procs = sampled([measure, ...services]);
  const a = takeSnapshot(procs);
  await sleep(BASELINE_MS);
  const b = takeSnapshot(procs);
  // Read after the second snapshot: a start marker not printed yet means no traffic before it.
  if (measure.exited() || printed(measure, window.startMarker)) return null;
  return { ...baselineBetween(a, b, cpus), how: 'tool-quiet-lead' };
}

/** performance.now() when the marker appeared in the process's output; null if it exited first. */
async function markerSeenAt(proc: RunningProcess, marker: string): Promise<number | null> {
  while (!proc.exited()) {
    if (printed(proc, marker)) return performance.now();
    await sleep(MARKER_POLL_MS);
  }
  return null;
}

/** Sleeps until `atMs` (performance.now() time) or the process exits; true if it still runs. */
async function aliveAt(proc: RunningProcess, atMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([proc.done, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, atMs - performance.now()))))]);
  clearTimeout(timer);
  return !proc.exited();
}

const complete = (s: CpuSnapshot, pid: number | null) => s.processes.some((p) => p.pid === pid && p.cpu !== null);

async function measuredSnapshots(
  measure: RunningProcess,
  window: MeasuredWindow,
  snap: () => CpuSnapshot,
  lastSample: () => CpuSnapshot,
): Promise<{ start: CpuSnapshot; end: CpuSnapshot } | null> {
  const markerAt = await markerSeenAt(measure, window.startMarker);
  if (markerAt === null || !(await aliveAt(measure, markerAt + window.offsetS * 1000))) return null;
  const start = snap();
  if (!complete(start, measure.pid)) return null;
  if (await aliveAt(measure, markerAt + (window.offsetS + window.lengthS) * 1000)) {
    const end = snap();
    if (complete(end, measure.pid)) return { start, end };
  }
  // The tool ended before the planned end (a late timer on a loaded machine): its last sample
  // still lies in or just after the counted window; keep it if it covers most of the window.
  const last = lastSample();
  return last.atMs - start.atMs >= window.lengthS * 500 ? { start, end: last } : null;
}

/**
 * The path's CPU cost while `measure` runs: over its counted window when the recipe says when that
 * is, else (or when the tool ended before the window closed) over its life.
 */
export async function measureCpu(
  measure: RunningProcess,
  services: readonly RunningProcess[],
  opts: { cpus: readonly number[]; baseline: CpuBaseline; window: MeasuredWindow | undefined },
): Promise<WindowCost & { windowAtMs?: { startMs: number; endMs: number } }> {
  const procs = sampled([measure, ...services]);
  const snap = () => takeSnapshot(procs);
  const first = snap();
  let last = first;
  // A self-terminating tool cannot be read after it exits (Node reaps it at once): keep the
  // latest sample that still saw it.
  const sampler = setInterval(() => {
    const s = snap();
    if (complete(s, measure.pid)) last = s;
  }, PROCESS_SAMPLE_MS);
  try {
    if (opts.window) {
      const w = await measuredSnapshots(measure, opts.window, snap, () => last);
      // When the counted window started and ended (performance.now()): the trial's steps split the tool's life by it.
      if (w)
        return {
          ...windowCost(w.start, w.end, { cpus: opts.cpus, baseline: opts.baseline, window: 'measured' }),
          windowAtMs: { startMs: w.start.atMs, endMs: w.end.atMs },
        };
    }
    await measure.done;
    return windowCost(first, last, { cpus: opts.cpus, baseline: opts.baseline, window: 'process' });
  } finally {
    clearInterval(sampler);
  }
}
