// Fault injection around saved runs and cleanup: a signal while the report renders, a trials.jsonl
// cut short, a corrupted ledger, and a live run's empty hugetlbfs folder.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixtureRun, removeTempDirs } from '../report/fixture-runs.js';
import { startCli } from '../helpers/system.js';
import { waitFor } from './helpers.js';

afterAll(removeTempDirs);

describe('report', () => {
  it('SIGINT while charts render: exit 130 with a message, no half-written file', async () => {
    const dir = copyFixtureRun('full-a');
    const child = startCli(['report', dir]);
    // report.txt is written before the charts: by then the handlers are in place.
    await waitFor(() => existsSync(join(dir, 'charts')), 60_000, 'the charts to start');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/report interrupted; `bypassbench report .*` writes it again/);
    expect(
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.tmp')),
    ).toEqual([]);
  }, 90_000);

  it('a trials.jsonl cut short by a kill: the report warns and skips the cut line', async () => {
    const dir = copyFixtureRun('quick-a');
    appendFileSync(join(dir, 'trials.jsonl'), '{"trialId":"t9999","runId":"x","pa');
    const result = await startCli(['report', dir, '--no-render']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/warning: .*trials\.jsonl: line \d+ is cut short .*skipped/);
  }, 60_000);

  it('HTML in the suite description is escaped in report.md', async () => {
    const dir = copyFixtureRun('quick-a');
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { suite: { description?: string } };
    meta.suite.description = '<img src=x onerror=alert(1)> *bold*';
    writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
    const result = await startCli(['report', dir, '--no-render']);
    expect(result.exitCode).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\*bold\\*');
  }, 60_000);
});

describe('cleanup', () => {
  it('a corrupted ledger is reported and what its run names is swept', async () => {
    const id = 'fa0017';
    const ledger = `/run/bypassbench/${id}.json`;
    mkdirSync('/run/bypassbench', { recursive: true });
    writeFileSync(ledger, '{"runId":"fa0017","ownerPid":');
    mkdirSync(`/var/run/dpdk/bb${id}`, { recursive: true });
    const result = await startCli(['cleanup']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warning: ledger ${ledger} cannot be read`));
    expect(result.stderr).toMatch(/check \/proc\/sys\/vm\/nr_hugepages/);
    expect(existsSync(ledger)).toBe(false);
    expect(existsSync(`/var/run/dpdk/bb${id}`)).toBe(false);
  }, 60_000);

  it("a live run's empty hugetlbfs folder (between its mkdir and mount) is left alone; a dead one's is removed", async () => {
    const live = spawn('sleep', ['60']);
    const dir = `/run/bypassbench/hugetlbfs-${live.pid}-0`;
    mkdirSync(dir, { recursive: true });
    try {
      const result = await startCli(['cleanup']);
      expect(result.exitCode).toBe(0);
      expect(existsSync(dir)).toBe(true);
      expect(result.stderr).toMatch(new RegExp(`skipped: hugetlbfs folder ${dir} belongs to a live process`));
      live.kill('SIGKILL');
      await new Promise((r) => live.once('exit', r));
      const after = await startCli(['cleanup']);
      expect(after.exitCode).toBe(0);
      expect(existsSync(dir)).toBe(false);
    } finally {
      live.kill('SIGKILL');
      if (existsSync(dir)) rmdirSync(dir);
    }
  }, 60_000);
});
