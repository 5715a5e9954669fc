// A cleanup that reads one state folder must not sweep the namespaces of a live run whose ledger
// lives in another (two users, or a test's own folder, on one machine): the owner mark says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from '../../runners/cleanup.js';
import { OWNER_MARK_DIR, readStartTicks } from '../../runners/ledger.js';

const runId = 'c1ea0f';
const ns = `bypassbench-${runId}-c`;
const saved = process.env.BYPASSBENCH_STATE_DIR;

afterEach(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(join(OWNER_MARK_DIR, runId), { force: true });
  if (saved === undefined) delete process.env.BYPASSBENCH_STATE_DIR;
  else process.env.BYPASSBENCH_STATE_DIR = saved;
});

describe('cleanup and runs under another state folder', () => {
  it('leaves a live owner’s empty namespace alone, and sweeps it once the owner is gone', async () => {
    process.env.BYPASSBENCH_STATE_DIR = mkdtempSync(join(tmpdir(), 'bb-state-'));
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = owner.pid!;
    mkdirSync(OWNER_MARK_DIR, { recursive: true });
    writeFileSync(join(OWNER_MARK_DIR, runId), JSON.stringify({ pid, startTicks: readStartTicks(pid) }));

    const first = await cleanup();
    expect(existsSync(`/run/netns/${ns}`)).toBe(true);
    expect(first.skipped.join('\n')).toContain(`run ${runId} is still running`);

    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    const second = await cleanup();
    expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    expect(second.actions.map((a) => a.what)).toContain(`delete orphaned namespace ${ns}`);
    expect(existsSync(join(OWNER_MARK_DIR, runId))).toBe(false);
    rmSync(process.env.BYPASSBENCH_STATE_DIR, { recursive: true, force: true });
  }, 30_000);
});
