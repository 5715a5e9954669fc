// `bypassbench attribute`: one command, a real attribution run stored like any other.
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../core/run-folder.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

describe('bypassbench attribute (real, netns + bb-tsprobe)', () => {
  it('prints where the time of each request went and saves the run', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-attribute-')), 'run');
    // 3 s at 2000/s: 6 000 requests, enough for the p99 band (≥ 50 requests between p98.5 and p99.5).
    const result = await startCli(['attribute', '--rate', '2000', '--duration', '3', '--out', out, '--json']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      status: string;
      trials: {
        status: string;
        attribution: {
          status: string;
          kernelShare: { p50: number; p99: number | null };
          bands: { p99: { requests: number; reason: string | null } };
          sumCheck: { withinToleranceRatio: number };
        };
      }[];
    };
    expect(doc.status).toBe('completed');
    expect(doc.trials).toHaveLength(1);
    const a = doc.trials[0]!.attribution;
    expect(a.status).toBe('ok');
    expect(a.kernelShare.p50).toBeGreaterThan(0);
    expect(a.kernelShare.p50).toBeLessThanOrEqual(1);
    // On a loaded machine the probe may fall behind its schedule (unsent requests are counted, not
    // sent late), leaving the p99 band too thin: then the share is null and the band says why.
    if (a.kernelShare.p99 === null) expect(a.bands.p99.reason).toMatch(/fewer than/);
    else {
      expect(a.kernelShare.p99).toBeGreaterThan(0);
      expect(a.kernelShare.p99).toBeLessThanOrEqual(1);
    }
    expect(a.sumCheck.withinToleranceRatio).toBeGreaterThan(0.99);
    for (const f of ['run.json', 'trials.jsonl', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('exits non-zero and says why when its run fails', async () => {
    // A PATH holding only node: the run starts, but its topology cannot be created (no `ip`).
    const bin = mkdtempSync(join(tmpdir(), 'bb-attribute-bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = join(mkdtempSync(join(tmpdir(), 'bb-attribute-')), 'run');
    try {
      const result = await startCli(['attribute', '--rate', '2000', '--duration', '1', '--out', out], { PATH: bin });
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/run failed: command failed \(exit none\): ip netns add bypassbench-/);
      const { meta, trials } = loadRun(out);
      expect(meta.status).toBe('failed');
      expect(meta.error).toContain('ip netns add');
      expect(trials).toEqual([]);
      expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
    } finally {
      for (const dir of [bin, dirname(out)]) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad option with the field and what is allowed', async () => {
    const result = await startCli(['attribute', '--hops', '9']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('paths[0].options.hops');
    expect(result.stderr).toContain('got 9');
  });
});
