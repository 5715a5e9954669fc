// The remote CPU sampler: its script run for real here (bash builtins, pid files), its output
// parsed (a capture from a lab host running testpmd), and per-host costs combined.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CpuCost } from '../../core/trial.js';
import { windowCost } from '../../runners/cpu-window.js';
import { combineHosts, hostCpus, parseSamples, samplerArgv, snapshotOf } from '../../runners/lab-cpu.js';
import type { RunningProcess } from '../../runners/process.js';
import type { ProcessSpec } from '../../paths/types.js';

const capture = readFileSync('test/fixtures/lab/cpu-sampler-server-testpmd.stdout', 'utf8');

const spec = (o: Partial<ProcessSpec>): ProcessSpec => ({ role: 'x', place: 'server', driver: 'testpmd', kind: 'service', cpu: null, argv: ['x'], ...o });
const proc = (name: string, s: ProcessSpec) => ({ spec: s, stdoutFile: `/raw/host/${name}.stdout` }) as unknown as RunningProcess;

describe('remote CPU sampler', () => {
  it('parses every sample of a real capture: both CPUs, the trial’s processes by pid file, the sampler itself', () => {
    const samples = parseSamples(capture);
    expect(samples).toHaveLength(27);
    for (const [i, s] of samples.entries()) {
      expect(s.cpus.map((c) => c.cpu)).toEqual([0, 1]);
      expect(s.selfUs).toBeGreaterThan(0);
      if (i > 0) expect(s.remoteMs).toBeGreaterThan(samples[i - 1]!.remoteMs);
    }
    expect(samples[0]!.processes.has('t0001-reflector.pid')).toBe(false);
    expect(samples[2]!.processes.get('t0001-reflector.pid')?.pid).toEqual(expect.any(Number));
  });

  it('feeds cpu-window.ts: a busy-polling testpmd costs about its core, never more than the host has', () => {
    const samples = parseSamples(capture);
    const reflector = proc('t0001-reflector', spec({ role: 'reflector', busyPoll: true, pollsOnCpu: 0 }));
    const a = samples[3]!;
    const b = samples.at(-1)!;
    const w = windowCost(snapshotOf(a, a.remoteMs, [reflector]), snapshotOf(b, b.remoteMs, [reflector]), {
      cpus: [0, 1],
      baseline: null,
      window: 'measured',
    });
    expect(w.cost.perProcess?.map((p) => p.role)).toEqual(['reflector']);
    expect(w.cost.coresBusy).toBeGreaterThan(0);
    expect(w.cost.coresBusy).toBeLessThanOrEqual(2);
    expect(w.cost.windowS).toBeGreaterThan(1);
  });

  it('the script samples /proc with builtins only, following the pid files that match the trial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bb-sampler-'));
    try {
      writeFileSync(join(dir, 't0007-client.pid'), `${process.pid}\n`);
      writeFileSync(join(dir, 't0006-client.pid'), '1\n');
      const argv = samplerArgv(dir, 't0007-');
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => setTimeout(r, 600));
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      const samples = parseSamples(out);
      expect(samples.length).toBeGreaterThanOrEqual(2);
      for (const s of samples) {
        expect([...s.processes.keys()]).toEqual(['t0007-client.pid']);
        expect(s.processes.get('t0007-client.pid')?.pid).toBe(process.pid);
      }
      // A sample every ~100 ms, not a busy loop.
      expect(samples.length).toBeLessThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a host’s CPUs: its role’s CPU and what its processes are pinned to or poll', () => {
    const plan = { client: 1, server: 1, poller: 0, orchestrator: 0 };
    expect(hostCpus('server', plan, [spec({ pollsOnCpu: 0 })])).toEqual([0, 1]);
    expect(hostCpus('client', plan, [spec({ place: 'client', cpu: 1 })])).toEqual([1]);
  });

  it('combines hosts: sums on top, each host under hosts, noisy names the host; an unmeasured host makes the sum unknown', () => {
    const cost = (coresBusy: number | null): CpuCost => ({ coresBusy, nsPerPacket: null, perCpu: [], processCores: coresBusy, foreignCores: 0 });
    const both = combineHosts({ a: { cost: cost(0.25), noisy: null }, b: { cost: cost(1), noisy: 'foreign load' } });
    expect(both.cost.coresBusy).toBe(1.25);
    expect(Object.keys(both.cost.hosts ?? {})).toEqual(['a', 'b']);
    expect(both.noisy).toBe('b: foreign load');
    expect(combineHosts({ a: { cost: cost(0.25), noisy: null }, b: { cost: cost(null), noisy: null } }).cost.coresBusy).toBeNull();
  });

  it('bash is what the sampler needs on a host', () => {
    expect(execFileSync('bash', ['-c', 'echo ${EPOCHREALTIME:+yes}'], { encoding: 'utf8' }).trim()).toBe('yes');
  });
});
