// Faults: SIGINT half-way keeps finished trials and removes everything; SIGKILL leaves a ledger
// that `bypassbench cleanup` finishes.
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hugetlbfsMountPoints = () => (existsSync('/run/bypassbench') ? readdirSync('/run/bypassbench').filter((n) => n.startsWith('hugetlbfs-')) : []);

const trialsDone = (out: string) =>
  existsSync(join(out, 'trials.jsonl')) ? readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length : 0;

describe('interrupting a run', () => {
  it('SIGINT mid-run: finished trials stay in trials.jsonl, nothing is left behind', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-int-')), 'run');
    const child = startCli(['run', 'test/fixtures/suites/long.yaml', '--out', out]);
    await waitFor(() => trialsDone(out) >= 2, 60_000);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const kept = trialsDone(out);
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(6);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { status: string; runId: string };
    expect(meta.status).toBe('interrupted');
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });

  it('SIGKILL mid-trial: cleanup removes the namespaces, veths and processes', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'bb-state-'));
    const out = join(mkdtempSync(join(tmpdir(), 'bb-kill-')), 'run');
    const env = { BYPASSBENCH_STATE_DIR: stateDir };
    const child = startCli(['run', 'test/fixtures/suites/long.yaml', '--out', out], env);
    await waitFor(() => trialsDone(out) >= 1, 60_000);
    // Kill while the next trial's processes are running.
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await child;
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    const id = shortIdOf(meta.runId);
    expect((await leftovers(id, out)).length).toBeGreaterThan(0);

    const result = await startCli(['cleanup', '--json'], env);
    expect(result.exitCode).toBe(0);
    const { actions } = JSON.parse(result.stdout) as { actions: { what: string; done: boolean }[] };
    expect(actions.some((a) => a.what.includes(`bypassbench-${id}-client`))).toBe(true);
    expect(await leftovers(id, out)).toEqual([]);
    expect(trialsDone(out)).toBeGreaterThanOrEqual(1);
  });
});

describe('killing a run that holds DPDK resources', () => {
  it('SIGKILL mid-trial: cleanup gives back hugepages and removes testpmd, its runtime folder and the namespaces', async () => {
    const pagesBefore = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
    const mountPointsBefore = hugetlbfsMountPoints();
    const stateDir = mkdtempSync(join(tmpdir(), 'bb-state-'));
    const out = join(mkdtempSync(join(tmpdir(), 'bb-kill-dpdk-')), 'run');
    const env = { BYPASSBENCH_STATE_DIR: stateDir };
    const child = startCli(['run', 'test/fixtures/suites/dpdk-long.yaml', '--out', out], env);
    await waitFor(() => trialsDone(out) >= 1, 90_000);
    // The next trial's testpmd is up within a few seconds; kill while it holds its hugepages.
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGKILL');
    await child;
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    const id = shortIdOf(meta.runId);
    expect(Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'))).toBeGreaterThan(pagesBefore);

    const result = await startCli(['cleanup', '--json'], env);
    expect(result.exitCode).toBe(0);
    expect(await leftovers(id, out)).toEqual([]);
    expect(Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'))).toBe(pagesBefore);
    expect(existsSync(`/var/run/dpdk/bb${id}`)).toBe(false);
    const mounts = readFileSync('/proc/mounts', 'utf8');
    expect(mounts.includes('/run/bypassbench/hugetlbfs')).toBe(false);
    // …and the mount point the run made is gone too.
    expect(hugetlbfsMountPoints().filter((d) => !mountPointsBefore.includes(d))).toEqual([]);
  });
});
