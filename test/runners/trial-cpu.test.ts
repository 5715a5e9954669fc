// The idle baseline in a tool's quiet lead is taken only when it is honest: after the lead's
// marker, and never once the tool printed its start marker (its traffic began).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleLeadBaseline } from '../../runners/trial-cpu.js';
import type { RunningProcess } from '../../runners/process.js';
import type { ProcessSpec } from '../../paths/types.js';

const window = { startMarker: 'Starting test...', offsetS: 0.4, lengthS: 3.55, quietLead: { marker: 'Warmup stage', sleepS: 2 } };

/** A process that is this test's own (so /proc has its CPU times), whose output is a file we write. */
function fakeClient(stdout: string, exited = false): RunningProcess {
  const dir = mkdtempSync(join(tmpdir(), 'bb-lead-'));
  const stdoutFile = join(dir, 'client.stdout');
  const stderrFile = join(dir, 'client.stderr');
  writeFileSync(stdoutFile, stdout);
  writeFileSync(stderrFile, '');
  const spec = { role: 'client', place: 'client', driver: 'sockperf', kind: 'measure', cpu: null, argv: ['sockperf'] } as ProcessSpec;
  return {
    spec,
    argv: spec.argv,
    pid: process.pid,
    stdoutFile,
    stderrFile,
    done: new Promise(() => undefined),
    stop: () => Promise.reject(new Error('not used')),
    sampleCpu: () => undefined,
    exited: () => exited,
  };
}

describe('sampleLeadBaseline', () => {
  it('samples the idle CPUs after the lead marker, before the start marker', async () => {
    const client = fakeClient('sockperf: Warmup stage (sending a few dummy messages)...\n');
    const baseline = await sampleLeadBaseline(client, [], [0], window);
    expect(baseline).not.toBeNull();
    expect(baseline!.how).toBe('tool-quiet-lead');
    expect(baseline!.windowS).toBeGreaterThanOrEqual(0.09);
    expect(baseline!.busyCores).toBeGreaterThanOrEqual(0);
  });

  it('refuses a sample once the tool printed its start marker (traffic may have run in it)', async () => {
    const client = fakeClient('sockperf: Warmup stage (sending a few dummy messages)...\nsockperf: Starting test...\n');
    expect(await sampleLeadBaseline(client, [], [0], window)).toBeNull();
  });

  it('gives up when the tool ended before its lead', async () => {
    expect(await sampleLeadBaseline(fakeClient('', true), [], [0], window)).toBeNull();
  });
});
