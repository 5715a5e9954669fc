// The window arithmetic on hand-made snapshots (known answers): the path's processes, softirq over
// the idle baseline, a busy poller's held core, foreign load marking the trial noisy.
import { describe, expect, it } from 'vitest';
import { baselineBetween, windowCost, FOREIGN_CORES_TOLERANCE, type CpuSnapshot } from '../../runners/cpu-window.js';
import type { CpuTimes } from '../../runners/cpu.js';

const cpu = (n: number, t: Partial<CpuTimes>): CpuTimes => ({ cpu: n, user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, ...t });

function snap(
  atMs: number,
  cpus: CpuTimes[],
  procs: { role: string; pid: number; ticks: number; pinnedCpu?: number; busyPoll?: boolean }[],
  orchestratorUs = 0,
): CpuSnapshot {
  return {
    atMs,
    cpus,
    processes: procs.map((p) => ({
      role: p.role,
      pid: p.pid,
      pinnedCpu: p.pinnedCpu ?? null,
      busyPoll: p.busyPoll ?? false,
      cpu: { userS: p.ticks / 100, systemS: 0 },
    })),
    orchestratorUs,
  };
}

describe('CPU over a window', () => {
  it('counts the path processes and the softirq above the baseline over the window only', () => {
    // 2 s window; client used 60 ticks (0.3 cores), server 20; CPU 1 spent 10 ticks in softirq.
    const a = snap(
      1000,
      [cpu(0, { idle: 1000 }), cpu(1, { idle: 1000 })],
      [
        { role: 'client', pid: 10, ticks: 100 },
        { role: 'server', pid: 11, ticks: 5 },
      ],
    );
    const b = snap(
      3000,
      [cpu(0, { user: 20, idle: 1180 }), cpu(1, { user: 60, softirq: 10, idle: 1130 })],
      [
        { role: 'client', pid: 10, ticks: 160 },
        { role: 'server', pid: 11, ticks: 25 },
      ],
    );
    const baseline = { busyCores: 0.02, irqCores: 0.01, windowS: 0.1 };
    const { cost, noisy } = windowCost(a, b, { cpus: [0, 1], baseline, window: 'measured' });
    expect(cost.windowS).toBe(2);
    expect(cost.window).toBe('measured');
    expect(cost.processCores).toBeCloseTo(0.4, 3);
    expect(cost.irqCores).toBeCloseTo(0.05 - 0.01, 3);
    expect(cost.coresBusy).toBeCloseTo(0.44, 3);
    expect(cost.foreignCores).toBeCloseTo(0, 3);
    expect(cost.perProcess!.map((p) => [p.role, p.cores])).toEqual([
      ['client', 0.3],
      ['server', 0.1],
    ]);
    expect(noisy).toBeNull();
  });

  it('marks foreign load on the path CPUs as noisy, naming the CPUs and the load', () => {
    const a = snap(0, [cpu(0, {}), cpu(1, {})], [{ role: 'client', pid: 10, ticks: 0 }]);
    // 1 s: the client used 30 ticks, but CPU 0 was 80 ticks busy with somebody else's work.
    const b = snap(1000, [cpu(0, { user: 80, idle: 20 }), cpu(1, { user: 30, idle: 70 })], [{ role: 'client', pid: 10, ticks: 30 }]);
    const { cost, noisy } = windowCost(a, b, { cpus: [0, 1], baseline: { busyCores: 0.8, irqCores: 0, windowS: 0.1 }, window: 'measured' });
    expect(cost.foreignCores).toBeCloseTo(0.8, 3);
    expect(cost.foreignCores!).toBeGreaterThan(FOREIGN_CORES_TOLERANCE);
    expect(noisy).toMatch(/foreign load on the path's CPUs \(0,1\): 0\.80 cores/);
    expect(noisy).toMatch(/before the trial: 0\.80 cores/);
  });

  it("shows a preempted busy poller's full core, less what other path processes on its CPU used", () => {
    const a = snap(
      0,
      [cpu(0, {}), cpu(1, {})],
      [
        { role: 'reflector', pid: 20, ticks: 0, pinnedCpu: 0, busyPoll: true },
        { role: 'client', pid: 21, ticks: 0, pinnedCpu: 1 },
      ],
    );
    // 1 s: the reflector spun 60 ticks; others took 40 ticks of its CPU (0 is fully busy).
    const b = snap(
      1000,
      [cpu(0, { user: 100 }), cpu(1, { user: 10, idle: 90 })],
      [
        { role: 'reflector', pid: 20, ticks: 60, pinnedCpu: 0, busyPoll: true },
        { role: 'client', pid: 21, ticks: 10, pinnedCpu: 1 },
      ],
    );
    const { cost, noisy } = windowCost(a, b, { cpus: [0, 1], baseline: null, window: 'measured' });
    expect(cost.processCores).toBeCloseTo(0.7, 3);
    expect(cost.pollerHeldCores).toBeCloseTo(0.4, 3);
    expect(cost.coresBusy).toBeCloseTo(1.1, 3);
    expect(noisy).not.toBeNull();
  });

  it('leaves out the orchestrator and a process that exited, and refuses an empty window', () => {
    const a = snap(0, [cpu(0, {})], [{ role: 'client', pid: 10, ticks: 0 }], 0);
    const b: CpuSnapshot = {
      ...snap(1000, [cpu(0, { user: 5, idle: 95 })], [], 50_000),
      processes: [{ role: 'client', pid: 10, pinnedCpu: null, busyPoll: false, cpu: null }],
    };
    const { cost } = windowCost(a, b, { cpus: [0], baseline: null, window: 'process' });
    expect(cost.orchestratorCores).toBeCloseTo(0.05, 3);
    expect(cost.foreignCores).toBeCloseTo(0, 3);
    expect(cost.perProcess).toEqual([]);
    expect(windowCost(a, a, { cpus: [0], baseline: null, window: 'process' }).cost.coresBusy).toBeNull();
  });

  it('counts a process first seen after a process window opened from zero, but not in a measured window', () => {
    // A lab host's probe: its pid file was not there yet at the spawn's sample; 100 ticks by the end (1 s).
    const a = snap(0, [cpu(0, { idle: 0 })], []);
    const b = snap(1000, [cpu(0, { user: 100 })], [{ role: 'client', pid: 10, ticks: 100 }]);
    expect(windowCost(a, b, { cpus: [0], baseline: null, window: 'process' }).cost.processCores).toBeCloseTo(1, 3);
    expect(windowCost(a, b, { cpus: [0], baseline: null, window: 'measured' }).cost.perProcess).toEqual([]);
  });

  it("subtracts the trial's own processes and the orchestrator from a baseline taken in a tool's quiet lead", () => {
    // A spinning server used 9 of the 10 busy ticks on CPU 0; the orchestrator 5 ms; the rest is someone else's.
    const a = snap(0, [cpu(0, {})], [{ role: 'server', pid: 20, ticks: 0, pinnedCpu: 0, busyPoll: true }], 0);
    const b = snap(100, [cpu(0, { user: 4, system: 6 })], [{ role: 'server', pid: 20, ticks: 9, pinnedCpu: 0, busyPoll: true }], 5_000);
    const baseline = baselineBetween(a, b, [0]);
    expect(baseline.busyCores).toBeCloseTo(0.05, 3);
    expect(baseline.irqCores).toBe(0);
  });

  it('takes the idle baseline of the named CPUs only', () => {
    const a = snap(0, [cpu(0, {}), cpu(1, {})], []);
    const b = snap(100, [cpu(0, { user: 5, softirq: 1, idle: 4 }), cpu(1, { user: 10 })], []);
    expect(baselineBetween(a, b, [0])).toEqual({ busyCores: 0.6, irqCores: 0.1, windowS: 0.1 });
  });
});
