// A real run through the CLI: two namespaces, sockperf UDP and TCP at two offered rates.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../core/trial.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

describe('bypassbench run (real, netns + sockperf)', () => {
  it('measures kernel UDP and TCP, saves the run and leaves nothing behind', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-run-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/tiny.yaml', '--out', out, '--json']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; runDir: string; counts: Record<string, number> };
    expect(summary.status).toBe('completed');
    expect(summary.counts.ok).toBe(4);

    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
    expect(trials).toHaveLength(4);
    for (const t of trials) {
      expect(t.status).toBe('ok');
      expect(t.latencyKind).toBe('rtt');
      const l = t.latencyUs!;
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p99!).toBeGreaterThanOrEqual(l.p50!);
      expect(l.max!).toBeGreaterThanOrEqual(l.p99!);
      expect(t.lossRatio).toBeGreaterThanOrEqual(0);
      expect(t.lossRatio).toBeLessThanOrEqual(1);
      // achieved ≤ offered (+5 % for sockperf's pacing granularity)
      expect(t.achievedPps!).toBeLessThanOrEqual(t.offeredPps! * 1.05);
      expect(t.achievedPps!).toBeGreaterThan(0);
      expect(t.cpu!.coresBusy).toBeGreaterThan(0);
      expect(t.raw.length).toBeGreaterThan(0);
      for (const f of t.raw) expect(existsSync(join(out, f))).toBe(true);
    }
    expect(new Set(trials.map((t) => t.path))).toEqual(new Set(['kernel-udp', 'kernel-tcp']));

    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, any>;
    expect(meta.status).toBe('completed');
    expect(meta.host.kernelRelease).toBeTruthy();
    expect(meta.cpuPlan).toMatchObject({ client: expect.any(Number), server: expect.any(Number) });
    expect(meta.topology.client.ip).toMatch(/^10\.77\.0\.1$/);
    expect(meta.host.binaries.sockperf.version).toBeTruthy();
    expect(readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(existsSync(join(out, 'report.txt'))).toBe(true);

    expect(await leftovers(shortIdOf(meta.runId as string), out)).toEqual([]);
  });

  it('prints the plan with --dry-run and runs nothing', async () => {
    const result = await startCli(['run', 'suites/quick.yaml', '--dry-run', '--json']);
    expect(result.exitCode).toBe(0);
    const plan = JSON.parse(result.stdout) as unknown[];
    expect(plan.length).toBeGreaterThan(0);
  });

  it('exits 2 with a one-line reason for a bad suite', async () => {
    const result = await startCli(['run', 'suites/nope.yaml']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('suites/nope.yaml: cannot read the suite file');
    expect(result.stderr).not.toContain('    at ');
  });
});
