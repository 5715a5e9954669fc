// `bypassbench parse` as a user runs it (the built CLI): one capture, a capture on stdin, a folder
// of captures (one result per file, saying which tool version and output form it recognised).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { ParsedCapture } from '../../cli/parse.js';
import type { Measurement } from '../../core/trial.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { cliPath, root, startCli } from '../helpers/system.js';

describe('bypassbench parse', () => {
  it('parses a folder of published captures: one result per file, with the version and form it recognised', async () => {
    const result = await startCli(['parse', 'sockperf', join(fixturesDir, 'sockperf', 'published'), '--json']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(result.stdout) as ParsedCapture[];
    // .txt captures only: the .source.md notes beside them are not captures.
    expect(parsed.map((p) => p.file).every((f) => f.endsWith('.txt'))).toBe(true);
    expect(parsed.length).toBeGreaterThanOrEqual(15);
    for (const p of parsed) expect(p.outputForms.length).toBeGreaterThan(0);
    const vecera = parsed.find((p) => p.file === 'tcp-two-runs-i40e-vecera.txt')!;
    expect(vecera.toolVersion).toBe('3.10-no.git');
    expect(vecera.records).toHaveLength(2);
    expect(parsed.find((p) => p.file === 'fulllog-nowarmup-yjjieqc.txt')!.toolVersion).toBeNull();
  });

  it('reads a capture from stdin with -', async () => {
    const capture = readFileSync(join(fixturesDir, 'testpmd', 'published', 'afxdp-two-snapshots-txerrors-xuanzhuo.txt'), 'utf8');
    const result = await execa('node', [cliPath, 'parse', 'testpmd', '-', '--json'], { input: capture, reject: false, cwd: root, env: { CI: 'true' } });
    expect(result.exitCode).toBe(0);
    const records = JSON.parse(result.stdout) as Measurement[];
    expect(records.map((r) => r.achievedPps)).toEqual([3790446, 6333196]);
  });

  it('in a folder of the project captures, X.stdout is read with X.stderr and the exit code of X.json; failures exit 3', async () => {
    const result = await startCli(['parse', 'perftest', join(fixturesDir, 'perftest')]);
    // Some captures there are real failures (no server, inf rows), so the exit code says trials failed.
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/ib_write_lat-noserver\.stdout:\n {2}tool version: not stated in the output; output form: failure before any banner/);
    expect(result.stderr).not.toMatch(/\.outjson:|\.json:|\.stderr:/);
  });

  it('names the file it cannot read', async () => {
    const result = await startCli(['parse', 'sockperf', '/nonexistent/capture.txt']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/\/nonexistent\/capture\.txt: cannot read the capture \(ENOENT\)/);
  });
});
