// Real processes (sh, sleep): the one spawning primitive and its two faces.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError, run, start, tryRun, which } from '../../runners/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'bb-exec-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run', () => {
  it('returns the output of a short command, in the C locale', async () => {
    const r = await run(['sh', '-c', 'echo "$LC_ALL"; echo err >&2']);
    expect(r).toEqual({ stdout: 'C', stderr: 'err', exitCode: 0 });
  });

  it('throws a CommandError that keeps the argv, the exit code and the end of stderr', async () => {
    const argv = ['sh', '-c', 'for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 3'];
    const err = await run(argv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    const e = err as CommandError;
    expect(e.argv).toEqual(argv);
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^command failed \(exit 3\): sh -c /);
    expect(e.message).toContain('line3\nline4\nline5\nline6\nline7');
    expect(e.message).not.toContain('line2');
  });

  it('returns a failure when asked to, and says why a program could not start', async () => {
    expect((await run(['sh', '-c', 'exit 2'], { allowFailure: true })).exitCode).toBe(2);
    const missing = (await run(['bb-no-such-program'], {}).catch((e: unknown) => e)) as CommandError;
    expect(missing).toBeInstanceOf(CommandError);
    expect(missing.exitCode).toBeUndefined();
    expect(missing.stderr).toMatch(/ENOENT/);
  });

  it('hands over stderr lines as they come, and stops when aborted', async () => {
    const lines: string[] = [];
    await run(['sh', '-c', 'echo one >&2; echo two >&2'], { onStderrLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two']);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const startedAt = Date.now();
    await expect(run(['sleep', '30'], { signal: controller.signal })).rejects.toBeInstanceOf(CommandError);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});

describe('tryRun', () => {
  it('gives null instead of an error', async () => {
    expect(await tryRun(['sh', '-c', 'exit 1'])).toBeNull();
    expect(await tryRun(['bb-no-such-program'])).toBeNull();
    expect((await tryRun(['true']))?.exitCode).toBe(0);
  });
});

describe('start', () => {
  it('writes output straight to files and reports the exit', async () => {
    const stdoutFile = join(dir, 'out');
    const proc = start(['sh', '-c', 'echo hello; exit 4'], { stdoutFile, stderrFile: join(dir, 'err') });
    expect(proc.pid).toBeGreaterThan(0);
    const exit = await proc.done;
    expect(exit).toMatchObject({ exitCode: 4, signal: null, timedOut: false, canceled: false });
    expect(exit.failure).toMatch(/exit code 4/);
    expect(readFileSync(stdoutFile, 'utf8')).toBe('hello\n');
  });

  it('kills on timeout with the kill signal, on abort, and on request', async () => {
    const timedOut = await start(['sleep', '30'], { timeoutMs: 100, killSignal: 'SIGINT' }).done;
    expect(timedOut).toMatchObject({ timedOut: true, signal: 'SIGINT', exitCode: null });

    const controller = new AbortController();
    const aborted = start(['sleep', '30'], { signal: controller.signal });
    controller.abort();
    expect(await aborted.done).toMatchObject({ canceled: true, signal: 'SIGTERM' });

    const stopped = start(['sleep', '30']);
    stopped.kill('SIGINT');
    expect(await stopped.done).toMatchObject({ signal: 'SIGINT', timedOut: false, canceled: false });
  });
});

describe('which', () => {
  it('finds a program on PATH, or says it is not there', () => {
    expect(which('sh')).toMatch(/\/sh$/);
    expect(which('bb-no-such-program')).toBeNull();
  });
});
