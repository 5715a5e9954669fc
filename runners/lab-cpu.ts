// CPU on lab hosts: one cheap sampler per host and trial (a bash loop of builtins only — no fork
// per sample), started before the trial's services, printing /proc/stat's per-CPU lines and the
// /proc/<pid>/stat of every process of the trial (by the pid files lab-process.ts writes) every
// 100 ms. Its output streams back over ssh; the samples nearest the measured window's start and
// end (mapped onto this machine's clock) feed runners/cpu-window.ts, per host, with the same
// fields and `noisy` logic as a local trial. The sampler's own CPU is that host's "orchestrator".
import { basename } from 'node:path';
import type { CpuCost } from '../core/trial.js';
import type { MeasuredWindow } from '../drivers/types.js';
import type { CpuPlan, ProcessSpec } from '../paths/types.js';
import { parseProcStat, type CpuTimes } from './cpu.js';
import { baselineBetween, windowCost, type CpuBaseline, type CpuSnapshot, type WindowCost } from './cpu-window.js';
import { safeRead, type RunningProcess } from './process.js';

/** Seconds between samples. */
export const SAMPLE_INTERVAL_S = 0.1;
/** USER_HZ ticks per second in /proc/<pid>/stat. */
const TICKS_PER_S = 100;

/**
 * $0: the run's pid-file folder on the host, $1: the trial's file-name prefix, $2: interval (s).
 * `read -t` on a pipe this shell holds both ends of sleeps without a fork. Per sample:
 *   t 1764329871.123456
 *   cpu0 2855 0 1875 180452 24 0 291 0 0 0
 *   p t001-server.pid 4242 (sockperf) S 1 … (the whole stat line)
 *   self 4200 (bash) S …
 *   .
 */
export const SAMPLER_SCRIPT = [
  'exec {z}<> <(:)',
  'while :; do',
  '  echo "t $EPOCHREALTIME"',
  '  while read -r l; do case $l in cpu[0-9]*) echo "$l";; esac; done < /proc/stat',
  '  for f in "$0/$1"*.pid; do',
  '    [ -f "$f" ] || continue',
  '    p=; read -r p < "$f"; [ -n "$p" ] || continue',
  '    s=; read -r s 2>/dev/null < "/proc/$p/stat"',
  '    [ -n "$s" ] && echo "p ${f##*/} $s"',
  '  done',
  '  read -r s < /proc/$$/stat; echo "self $s"',
  '  echo .',
  '  read -r -t "$2" -u $z',
  'done',
].join('\n');

export function samplerArgv(pidsDir: string, prefix: string): string[] {
  return ['bash', '-c', SAMPLER_SCRIPT, pidsDir, prefix, String(SAMPLE_INTERVAL_S)];
}

export interface HostSample {
  /** The host's realtime clock, ms. */
  remoteMs: number;
  cpus: CpuTimes[];
  /** CPU seconds by pid-file name (all threads of the process). */
  processes: Map<string, { pid: number; userS: number; systemS: number }>;
  /** The sampler's own CPU (with its reaped children), µs. */
  selfUs: number;
}

/** utime, stime (+ cutime, cstime with `children`) of a /proc/<pid>/stat line, seconds. */
function statTimes(line: string, children = false): { pid: number; userS: number; systemS: number } | null {
  // "4242 (sock perf) S 1 4242 …": fields after the last ')' start at field 3 (state); utime is 14.
  const close = line.lastIndexOf(')');
  const pid = Number(line.slice(0, line.indexOf(' ')));
  if (close < 0 || !Number.isInteger(pid)) return null;
  const rest = line
    .slice(close + 2)
    .split(' ')
    .map(Number);
  const [u, s, cu, cs] = [rest[11], rest[12], rest[13], rest[14]];
  if (u === undefined || s === undefined || Number.isNaN(u) || Number.isNaN(s)) return null;
  const extraU = children ? (cu ?? 0) : 0;
  const extraS = children ? (cs ?? 0) : 0;
  return { pid, userS: (u + extraU) / TICKS_PER_S, systemS: (s + extraS) / TICKS_PER_S };
}

/** The complete samples in the sampler's output (a sample still being written is left out). */
export function parseSamples(text: string): HostSample[] {
  const out: HostSample[] = [];
  for (const block of text.split('\n.\n').slice(0, -1)) {
    const lines = block.split('\n').filter(Boolean);
    // "t 1764329871.123456": EPOCHREALTIME (seconds.microseconds)
    const t = /^t (\d+)[.,](\d+)$/.exec(lines[0] ?? '');
    if (!t) continue;
    const processes = new Map<string, { pid: number; userS: number; systemS: number }>();
    let selfUs = 0;
    for (const line of lines.slice(1)) {
      // "p t001-server.pid 4242 (sockperf) S …"
      const p = /^p (\S+) (.*)$/.exec(line);
      if (p) {
        const times = statTimes(p[2]!);
        if (times) processes.set(p[1]!, times);
        continue;
      }
      // "self 4200 (bash) S …"
      if (line.startsWith('self ')) {
        const times = statTimes(line.slice(5), true);
        if (times) selfUs = (times.userS + times.systemS) * 1e6;
      }
    }
    out.push({ remoteMs: Number(t[1]) * 1000 + Number(`0.${t[2]}`) * 1000, cpus: parseProcStat(lines.join('\n')), processes, selfUs });
  }
  return out;
}

/** The pid-file name a remote process was started with (raw/<host>/<name>.stdout → <name>.pid). */
export const pidFileOf = (p: RunningProcess) => `${basename(p.stdoutFile).replace(/\.stdout$/, '')}.pid`;

/** A sample as cpu-window.ts's snapshot, with `procs` (the trial's processes on that host). */
export function snapshotOf(sample: HostSample, atMs: number, procs: readonly RunningProcess[]): CpuSnapshot {
  return {
    atMs,
    cpus: sample.cpus,
    processes: procs.flatMap((p) => {
      const s = sample.processes.get(pidFileOf(p));
      if (!s) return [];
      const base = { role: p.spec.role, pinnedCpu: p.spec.cpu ?? p.spec.pollsOnCpu ?? null, busyPoll: p.spec.busyPoll === true };
      return [{ ...base, pid: s.pid, cpu: { userS: s.userS, systemS: s.systemS } }];
    }),
    orchestratorUs: sample.selfUs,
  };
}

/** The CPUs of a host's share of the path: its role's CPU and the CPUs its processes are pinned to or poll. */
export function hostCpus(role: 'client' | 'server', plan: CpuPlan, specs: readonly ProcessSpec[]): number[] {
  const cpus = new Set([role === 'client' ? plan.client : plan.server]);
  for (const s of specs) {
    if (s.cpu !== null) cpus.add(s.cpu);
    if (s.pollsOnCpu !== undefined) cpus.add(s.pollsOnCpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The pair's cost: each host's figures under `hosts`, their sums on top; noisy names the host. */
export function combineHosts(costs: Record<string, WindowCost>): WindowCost {
  const entries = Object.entries(costs);
  const sum = (k: keyof CpuCost) => {
    const vals = entries.map(([, c]) => c.cost[k]);
    if (vals.some((v) => typeof v !== 'number')) return null;
    return Math.round((vals as number[]).reduce((a, b) => a + b, 0) * 1000) / 1000;
  };
  const first = entries[0]?.[1].cost;
  const cost: CpuCost = {
    coresBusy: sum('coresBusy'),
    nsPerPacket: null,
    perCpu: [],
    perProcess: entries.flatMap(([host, c]) => (c.cost.perProcess ?? []).map((p) => ({ ...p, role: `${p.role}@${host}` }))),
    ...(first?.window ? { window: first.window } : {}),
    windowS: entries.length ? Math.max(...entries.map(([, c]) => c.cost.windowS ?? 0)) : null,
    processCores: sum('processCores'),
    pollerHeldCores: sum('pollerHeldCores'),
    irqCores: sum('irqCores'),
    baselineCores: sum('baselineCores'),
    foreignCores: sum('foreignCores'),
    orchestratorCores: sum('orchestratorCores'),
    hosts: Object.fromEntries(entries.map(([h, c]) => [h, c.cost])),
  };
  const noisy = entries.filter(([, c]) => c.noisy).map(([h, c]) => `${h}: ${c.noisy}`);
  return { cost, noisy: noisy.length > 0 ? noisy.join('; ') : null };
}

/** The samples of one host as they stream in, each mapped onto this machine's clock. */
export class SampleStream {
  private seen = 0;
  private samples: (HostSample & { localMs: number })[] = [];
  /** Smallest (arrival − remote time) seen: the clock offset plus the least transport delay. */
  private offsetMs = Infinity;

  constructor(readonly file: string) {}

  /** Reads what arrived since the last poll. */
  poll(): void {
    const all = parseSamples(safeRead(this.file));
    const now = performance.now();
    for (const s of all.slice(this.seen)) {
      this.offsetMs = Math.min(this.offsetMs, now - s.remoteMs);
      this.samples.push({ ...s, localMs: now });
    }
    this.seen = all.length;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The sample's time on this machine's clock (performance.now()). */
  localTime(s: HostSample): number {
    return s.remoteMs + this.offsetMs;
  }

  /** The first sample taken at or after `atMs`; else the last one. */
  at(atMs: number): HostSample | null {
    return this.samples.find((s) => this.localTime(s) >= atMs) ?? this.samples.at(-1) ?? null;
  }

  /** The last sample taken at or before `atMs`. */
  before(atMs: number): HostSample | null {
    return this.samples.filter((s) => this.localTime(s) <= atMs).at(-1) ?? null;
  }

  /** Local time of the newest sample (-Infinity before the first). */
  latestLocalMs(): number {
    const last = this.samples.at(-1);
    return last ? this.localTime(last) : Number.NEGATIVE_INFINITY;
  }

  first(n: number): HostSample[] {
    return this.samples.slice(0, n);
  }
}

/** The idle baseline from a host's first two samples (nothing of the trial started yet). */
export function baselineOf(stream: SampleStream, cpus: readonly number[]): CpuBaseline | null {
  const [a, b] = stream.first(2);
  if (!a || !b) return null;
  return baselineBetween(snapshotOf(a, a.remoteMs, []), snapshotOf(b, b.remoteMs, []), cpus);
}

/**
 * Where the measured window lies on this machine's clock: from the tool's start marker (seen in
 * its streamed output) + offset, for its length; or spawn to exit when the recipe gives no window.
 */
export async function windowTimes(
  measure: RunningProcess,
  window: MeasuredWindow | undefined,
  spawnedAtMs: number,
): Promise<{ startMs: number; endMs: number; kind: 'measured' | 'process'; markerAtEpochMs: number | null }> {
  let markerAt: number | null = null;
  let markerAtEpochMs: number | null = null;
  while (window && !measure.exited()) {
    if (safeRead(measure.stdoutFile).includes(window.startMarker) || safeRead(measure.stderrFile).includes(window.startMarker)) {
      markerAt = performance.now();
      markerAtEpochMs = Date.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await measure.done;
  const exitAt = performance.now();
  if (window && markerAt !== null) {
    const startMs = markerAt + window.offsetS * 1000;
    return { startMs, endMs: Math.min(exitAt, startMs + window.lengthS * 1000), kind: 'measured', markerAtEpochMs };
  }
  return { startMs: spawnedAtMs, endMs: exitAt, kind: 'process', markerAtEpochMs };
}

/** A trial's CPU sampling on the pair's hosts (runners/lab-executor.ts starts it). */
export interface RemoteCpu {
  /**
   * The path's cost over the measuring process's window, per host and summed; call right after
   * spawning it. trafficAtMs: Date.now() when the tool's start line arrived (null: none).
   */
  measure(
    measure: RunningProcess,
    services: readonly RunningProcess[],
    window: MeasuredWindow | undefined,
  ): Promise<WindowCost & { trafficAtMs: number | null }>;
  stop(): Promise<void>;
}

export interface HostSampler {
  host: string;
  role: 'client' | 'server';
  proc: RunningProcess;
  stream: SampleStream;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until every host's sampler has `n` samples (false after `timeoutMs`, or when one died). */
export async function waitSamples(samplers: readonly HostSampler[], n: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const s of samplers) s.stream.poll();
    if (samplers.every((s) => s.stream.count >= n)) return true;
    if (performance.now() > deadline || samplers.some((s) => s.proc.exited())) return false;
    await sleep(20);
  }
}

/** A host whose samples do not cover the window: its CPU is unknown (null, never 0), and so is the sum. */
const UNMEASURED: WindowCost = { cost: { coresBusy: null, nsPerPacket: null, perCpu: [] }, noisy: null };

export function remoteCpu(
  samplers: HostSampler[],
  plan: CpuPlan,
  specs: readonly ProcessSpec[],
  placeRole: (p: ProcessSpec) => 'client' | 'server' | null,
): RemoteCpu {
  const baselines = new Map(
    samplers.map((s) => [
      s.host,
      baselineOf(
        s.stream,
        hostCpus(
          s.role,
          plan,
          specs.filter((p) => placeRole(p) === s.role),
        ),
      ),
    ]),
  );
  return {
    async measure(measure, services, window) {
      const spawnedAt = performance.now();
      const w = await windowTimes(measure, window, spawnedAt);
      // The sample after the window's end is on its way: wait for it (a few interval lengths at most).
      const deadline = performance.now() + 10 * SAMPLE_INTERVAL_S * 1000;
      while (performance.now() < deadline) {
        for (const s of samplers) s.stream.poll();
        if (samplers.every((s) => s.stream.latestLocalMs() >= w.endMs)) break;
        await sleep(20);
      }
      const costs: Record<string, WindowCost> = {};
      for (const s of samplers) {
        const procs = [measure, ...services].filter((p) => placeRole(p.spec) === s.role);
        const hostSpecs = specs.filter((p) => placeRole(p) === s.role);
        const a = s.stream.at(w.startMs);
        const b = s.stream.before(w.endMs);
        if (!a || !b || b.remoteMs <= a.remoteMs) {
          costs[s.host] = UNMEASURED;
          continue;
        }
        costs[s.host] = windowCost(snapshotOf(a, a.remoteMs, procs), snapshotOf(b, b.remoteMs, procs), {
          cpus: hostCpus(s.role, plan, hostSpecs),
          baseline: baselines.get(s.host) ?? null,
          window: w.kind,
        });
      }
      return { ...combineHosts(costs), trafficAtMs: w.markerAtEpochMs };
    },
    async stop() {
      await Promise.all(samplers.map((s) => s.proc.stop(1000)));
    },
  };
}
