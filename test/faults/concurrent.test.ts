// Fault injection: two runs of the same path at once. Each must measure (names, DPDK prefixes,
// hugepages and ports are per run), or fail with the real cause; neither may leave anything.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { hugepagesNow, otherRunsActive, outDir, suiteFile } from './helpers.js';

const suite = (path: string, options: string) =>
  suiteFile(
    'pair',
    `name: pair
sizes: [64]
rates: [1000]
durationS: 1
warmupS: 0
repetitions: 1
paths:
  - path: ${path}
    options: ${options}
`,
  );

const PATHS: [string, string][] = [
  ['kernel-udp', '{}'],
  ['dpdk-afxdp', '{ memory: no-huge }'],
  ['dpdk-afxdp', '{ memory: hugepages }'],
];

describe('two runs at once', () => {
  it.each(PATHS)(
    '%s %s: both measure, nothing is left',
    async (path, options) => {
      const pagesBefore = otherRunsActive() ? null : hugepagesNow();
      const file = suite(path, options);
      const outs = [outDir('pair-a'), outDir('pair-b')];
      const results = await Promise.all(outs.map((out) => startCli(['run', file, '--out', out])));
      for (const [i, r] of results.entries()) {
        const out = outs[i]!;
        const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { status: string; error: string | null });
        expect(trials.map((t) => `${t.status} ${t.error ?? ''}`.trim())).toEqual(['ok']);
        expect(r.exitCode).toBe(0);
        const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
        expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
      }
      if (pagesBefore !== null && !otherRunsActive()) expect(hugepagesNow()).toBe(pagesBefore);
    },
    120_000,
  );
});
