// Fault injection: tools that hang with a child holding their output, print garbage or fail.
// Each run must end (timeout, SIGINT), say what happened in printable words, keep its finished
// trials and leave nothing behind.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, start } from '../../runners/exec.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { fakeSockperfPath, liveGroupMembers, outDir, suiteFile, trialLines, waitFor } from './helpers.js';

// A child that keeps the pipe or file open after the direct process is gone.
const HANG_WITH_CHILD = ['sh', '-c', 'sleep 300 & wait'];

const suite = (timeoutS: number) =>
  suiteFile(
    'fault',
    `name: fault
sizes: [64]
rates: [2000]
durationS: 1
warmupS: 0
repetitions: 1
trialTimeoutS: ${timeoutS}
paths:
  - path: kernel-udp
`,
  );

const meta = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string; status: string; trialTimeoutS: number };
const trials = (out: string) => trialLines(out).map((l) => JSON.parse(l) as { status: string; error: string | null });

describe('exec: a process group dies as a whole', () => {
  it('start(): the timeout ends a tool whose child holds its output, and the child dies too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bb-exec-'));
    const t0 = Date.now();
    const p = start(HANG_WITH_CHILD, {
      stdoutFile: join(dir, 'out'),
      stderrFile: join(dir, 'err'),
      timeoutMs: 300,
      killSignal: 'SIGINT',
      forceKillAfterMs: 500,
    });
    const exit = await p.done;
    expect(exit.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    // SIGKILLed with the leader (init reaps the zombie later).
    await waitFor(() => liveGroupMembers(p.pid!).length === 0, 1000, 'the group to be gone');
  });

  it('run(): a short command that hangs with a child holding its pipes fails at its timeout', async () => {
    const t0 = Date.now();
    await expect(run(HANG_WITH_CHILD, { timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('run(): aborting stops the whole group at once', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const t0 = Date.now();
    await expect(run(HANG_WITH_CHILD, { timeoutMs: 60_000, signal: controller.signal })).rejects.toThrow(/interrupted/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('a run with a faulty tool', () => {
  it('a client that hangs with a child holding stdout: the trial times out at the suite timeout, nothing is left', async () => {
    const out = outDir('hang');
    const t0 = Date.now();
    const result = await startCli(['run', suite(4), '--out', out], { PATH: fakeSockperfPath(), FAKE_SOCKPERF: 'hang' });
    expect(result.exitCode).toBe(3);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(trials(out).map((t) => t.status)).toEqual(['timed-out']);
    expect(trials(out)[0]!.error).toMatch(/no result after 4 s/);
    // The requested timeout is the one used and recorded.
    expect(meta(out).trialTimeoutS).toBe(4);
    expect(await leftovers(shortIdOf(meta(out).runId), out)).toEqual([]);
  }, 90_000);

  it('SIGINT while the client hangs: the run stops at once with exit 130 and nothing is left', async () => {
    const out = outDir('hang-int');
    const child = startCli(['run', suite(600), '--out', out], { PATH: fakeSockperfPath(), FAKE_SOCKPERF: 'hang' });
    await waitFor(
      () => {
        try {
          return readFileSync(join(out, 'raw', 't0001-client.json'), 'utf8').includes('argv');
        } catch {
          return false;
        }
      },
      60_000,
      'the client to start',
    );
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(meta(out).status).toBe('interrupted');
    expect(await leftovers(shortIdOf(meta(out).runId), out)).toEqual([]);
  }, 90_000);

  it('garbage with escape sequences: the trial fails, the terminal gets printable text, raw/ keeps the bytes', async () => {
    const out = outDir('garbage');
    const result = await startCli(['run', suite(30), '--out', out], { PATH: fakeSockperfPath(), FAKE_SOCKPERF: 'garbage' });
    expect(result.exitCode).toBe(3);
    expect(trials(out).map((t) => t.status)).toEqual(['failed']);
    // eslint-disable-next-line no-control-regex -- no ESC, BEL or other control byte may reach the terminal
    expect(result.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(readFileSync(join(out, 'raw', 't0001-client.stdout')).includes(Buffer.from('\x1b[2J'))).toBe(true);
    expect(await leftovers(shortIdOf(meta(out).runId), out)).toEqual([]);
  }, 90_000);

  it('a client that exits with an error: the trial fails with the tool exit and the run exits 3', async () => {
    const out = outDir('exit');
    const result = await startCli(['run', suite(30), '--out', out], { PATH: fakeSockperfPath(), FAKE_SOCKPERF: 'exit' });
    expect(result.exitCode).toBe(3);
    const [t] = trials(out);
    expect(t?.status).toBe('failed');
    expect(t?.error ?? '').not.toBe('');
    expect(await leftovers(shortIdOf(meta(out).runId), out)).toEqual([]);
  }, 90_000);
});
