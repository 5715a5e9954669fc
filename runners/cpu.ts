// CPU cost from /proc accounting (this machine has no hardware perf counters). System-wide
// per-CPU time from /proc/stat catches the kernel's softirq work done on a path's behalf, which
// per-process numbers miss; per-process time from /proc/<pid>/stat says who spent it.
import { readFileSync } from 'node:fs';
import type { PerCpuUsage } from '../core/trial.js';

/** USER_HZ: /proc reports times in clock ticks, 100 per second on every mainstream Linux build. */
const TICKS_PER_S = 100;

export interface CpuTimes {
  cpu: number;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export function parseProcStat(text: string): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    // "cpu1 2855 0 1875 180452 24 0 291 0 0 0": per-CPU times in USER_HZ ticks
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!.trim().split(/\s+/).map(Number);
    out.push({
      cpu: Number(m[1]),
      user: user ?? 0,
      nice: nice ?? 0,
      system: system ?? 0,
      idle: idle ?? 0,
      iowait: iowait ?? 0,
      irq: irq ?? 0,
      softirq: softirq ?? 0,
      steal: steal ?? 0,
    });
  }
  return out;
}

export function readCpuTimes(): CpuTimes[] {
  return parseProcStat(readFileSync('/proc/stat', 'utf8'));
}

/** Share of each CPU's time in each state between two snapshots. */
export function cpuUsageBetween(before: CpuTimes[], after: CpuTimes[]): PerCpuUsage[] {
  return after.map((a) => {
    const b = before.find((x) => x.cpu === a.cpu);
    if (!b) return { cpu: a.cpu, user: 0, system: 0, softirq: 0, irq: 0, busy: 0 };
    const d = (k: keyof CpuTimes) => Math.max(0, a[k] - b[k]);
    const total = d('user') + d('nice') + d('system') + d('idle') + d('iowait') + d('irq') + d('softirq') + d('steal');
    if (total === 0) return { cpu: a.cpu, user: 0, system: 0, softirq: 0, irq: 0, busy: 0 };
    const share = (n: number) => Math.round((n / total) * 1e4) / 1e4;
    const busy = d('user') + d('nice') + d('system') + d('irq') + d('softirq');
    return {
      cpu: a.cpu,
      user: share(d('user') + d('nice')),
      system: share(d('system')),
      softirq: share(d('softirq')),
      irq: share(d('irq')),
      busy: share(busy),
    };
  });
}

export interface ProcessCpu {
  userS: number;
  systemS: number;
}

export function readProcessCpu(pid: number): ProcessCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { userS: Number(rest[11]) / TICKS_PER_S, systemS: Number(rest[12]) / TICKS_PER_S };
  } catch {
    return null;
  }
}

/** Sum of busy shares over CPUs: 1.0 = one core fully busy for the whole window. */
export function coresBusy(perCpu: PerCpuUsage[]): number {
  return Math.round(perCpu.reduce((s, c) => s + c.busy, 0) * 1e3) / 1e3;
}

/** CPU time per packet, in ns, from cores busy and the packet rate over the same window. */
export function nsPerPacket(cores: number, packetsPerS: number | null): number | null {
  return packetsPerS && packetsPerS > 0 ? Math.round((cores / packetsPerS) * 1e10) / 10 : null;
}
