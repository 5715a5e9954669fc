// AF_XDP paths for real: bb-afxdp reflector on the server veth (copy mode on veth), kernel socket
// and AF_XDP clients; afterwards no XDP program, namespace or process may remain.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

describe('AF_XDP paths (real, netns + bb-afxdp)', () => {
  it('measures kernel-to-afxdp and afxdp and leaves no XDP program behind', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-afxdp-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/afxdp-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    expect(trials).toHaveLength(6);
    for (const t of trials) {
      expect(t.status, `${t.pathLabel} ${t.offeredPps}: ${t.error}`).toBe('ok');
      const l = t.latencyUs!;
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p99!).toBeGreaterThanOrEqual(l.p50!);
      expect(t.lossRatio).toBeGreaterThanOrEqual(0);
      expect(t.lossRatio).toBeLessThanOrEqual(1);
      if (t.offeredPps !== null) expect(t.achievedPps!).toBeLessThanOrEqual(t.offeredPps * 1.05);
      // The reflector busy-polls: at least its own core is busy whatever the rate.
      expect(t.cpu!.coresBusy!).toBeGreaterThanOrEqual(0.8);
    }
    // The tool reports the AF_XDP mode it got: copy mode on veth.
    const client = trials.find((t) => t.pathLabel === 'afxdp')!;
    expect(JSON.stringify(client.native)).toMatch(/copy/);
    expect(result.exitCode).toBe(0);

    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
    const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
    expect(links.stdout.split('\n').filter((l) => l.includes('prog/xdp') && l.includes(shortIdOf(meta.runId)))).toEqual([]);
  });

  it('counts the slots a paced client could not send, times requests from the schedule and marks the rate not reached', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-afxdp-co-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/afxdp-overrate.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const [t] = loadRun(out).trials;
    expect(t!.status, t!.error ?? '').toBe('ok');
    // A ping-pong that waits for each reply cannot offer 400 kpps on this machine.
    expect(t!.achievedPps!).toBeLessThan(t!.offeredPps! * 0.98);
    expect(t!.rateReached).toBe(false);
    expect(t!.unsentRequests!).toBeGreaterThan(0);
    expect(t!.latencyFrom).toBe('schedule');
    // Timed from the schedule, a request waits at least as long as from its actual send.
    const fromSend = (t!.native as { latencyUs: { p99: number; p50: number } }).latencyUs;
    expect(t!.latencyUs!.p99!).toBeGreaterThanOrEqual(fromSend.p99);
    expect(t!.latencyUs!.p50!).toBeGreaterThanOrEqual(fromSend.p50);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });
});
