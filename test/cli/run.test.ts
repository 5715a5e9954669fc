// A real run through the CLI: two namespaces, sockperf UDP and TCP at two offered rates.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

describe('bypassbench run (real, netns + sockperf)', () => {
  it('measures kernel UDP and TCP, saves the run and leaves nothing behind', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-run-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/tiny.yaml', '--out', out, '--json']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; runDir: string; counts: Record<string, number> };
    expect(summary.status).toBe('completed');
    expect(summary.counts.ok).toBe(4);

    const trials = loadRun(out).trials;
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
    // The UDP entry keeps sockperf's per-packet log and summarizes it with a streaming histogram.
    const fullLog = trials.find((t) => t.path === 'kernel-udp')!.native['sockperf-full-log'] as { samples: number; latencyUs: { p50: number } } | undefined;
    expect(fullLog?.samples).toBeGreaterThan(0);
    expect(fullLog?.latencyUs.p50).toBeGreaterThan(0);

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

describe('bypassbench parse, report, doctor', () => {
  it('parse prints the records of a real capture as a JSON array', async () => {
    const result = await startCli(['parse', 'sockperf', 'test/fixtures/sockperf/udp-pingpong-halfrtt.stdout', '--json']);
    expect(result.exitCode).toBe(0);
    const records = JSON.parse(result.stdout) as { status: string; latencyUs: { p50: number }; native: { latencySemantics: string } }[];
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe('ok');
    expect(records[0]!.native.latencySemantics).toBe('half-rtt');
  });

  it('parse lists the known drivers for an unknown tool', async () => {
    const result = await startCli(['parse', 'iperf9', 'README.md']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown driver "iperf9"; known drivers: .*sockperf/);
  });

  it('doctor --json reports every path with a status, and tool versions', async () => {
    const result = await startCli(['doctor', '--json']);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      paths: { path: string; status: string; reason: string | null; fix: string | null }[];
      host: { cpuCount: number };
    };
    expect(doc.host.cpuCount).toBeGreaterThan(0);
    const udp = doc.paths.find((p) => p.path === 'kernel-udp')!;
    expect(udp.status).toBe('available');
    for (const p of doc.paths.filter((x) => x.status === 'unsupported')) {
      expect(p.reason).toBeTruthy();
      expect(p.fix).toBeTruthy();
    }
  });

  it('report regenerates the table and files from a saved run', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-rep-')), 'run');
    const first = await startCli(['run', 'test/fixtures/suites/tiny.yaml', '--out', out, '--quiet']);
    expect(first.exitCode).toBe(0);
    const result = await startCli(['report', out, '--json']);
    expect(result.exitCode).toBe(0);
    const rep = JSON.parse(result.stdout) as { rows: { pathLabel: string; p50Us: number; p99Us: number }[] };
    expect(rep.rows).toHaveLength(4);
    for (const r of rep.rows) expect(r.p99Us).toBeGreaterThanOrEqual(r.p50Us);
  });
});
