// Fault injection: the run folder on a tiny tmpfs. A full disk must end the run with a clear
// message (not "a bug"), every file left must be whole (run.json valid, trials.jsonl whole lines,
// no half chart, no temporary file), and the machine must be cleaned up.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendWhole, DiskFullError, writeFileAtomic } from '../../core/safe-write.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { suiteFile, trialLines } from './helpers.js';

const mounts: string[] = [];
function tinyDisk(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}
afterAll(() => {
  for (const m of mounts) execFileSync('umount', [m]);
});

const suite = suiteFile(
  'disk',
  `name: disk
sizes: [64]
rates: [1000, 2000, 3000]
durationS: 1
warmupS: 0
repetitions: 1
paths:
  - path: kernel-udp
`,
);

/** Every file in the folder tree is whole: JSON parses, no temporary file is left. */
function assertWhole(out: string): void {
  const files = readdirSync(out, { recursive: true }).map(String);
  expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  expect(() => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as unknown).not.toThrow();
  for (const line of trialLines(out)) expect(() => JSON.parse(line) as unknown).not.toThrow();
  for (const f of files.filter((n) => n.endsWith('.json'))) {
    expect(() => JSON.parse(readFileSync(join(out, f), 'utf8')) as unknown, f).not.toThrow();
  }
  if (existsSync(join(out, 'trials.csv'))) {
    expect(readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n').length).toBe(trialLines(out).length + 1);
  }
}

describe('a full disk', () => {
  it('mid-run: a clear error saying what was kept, whole files, nothing left on the machine', async () => {
    const out = join(tinyDisk('48k'), 'run');
    const result = await startCli(['run', suite, '--out', out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/error: cannot write .*: no space left on the device \(ENOSPC\)/);
    expect(result.stderr).toMatch(/Kept: /);
    expect(result.stderr).not.toMatch(/a bug in bypassbench/);
    assertWhole(out);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  }, 90_000);

  it('while writing the report: the trials are all there, no document or chart is cut short', async () => {
    const out = join(tinyDisk('400k'), 'run');
    const result = await startCli(['run', suite, '--out', out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no space left on the device/);
    expect(trialLines(out)).toHaveLength(3);
    assertWhole(out);
  }, 90_000);

  it('appendWhole: a record that does not fit is cut back off; writeFileAtomic keeps the old file', () => {
    const dir = tinyDisk('16k');
    const file = join(dir, 'trials.jsonl');
    appendWhole(file, '{"a":1}\n');
    writeFileAtomic(join(dir, 'run.json'), '{"old":true}\n');
    const big = `${JSON.stringify({ pad: 'x'.repeat(64 * 1024) })}\n`;
    expect(() => appendWhole(file, big)).toThrow(DiskFullError);
    expect(statSync(file).size).toBe('{"a":1}\n'.length);
    expect(() => writeFileAtomic(join(dir, 'run.json'), big)).toThrow(/no space left/);
    expect(readFileSync(join(dir, 'run.json'), 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir).sort()).toEqual(['run.json', 'trials.jsonl']);
  });
});
