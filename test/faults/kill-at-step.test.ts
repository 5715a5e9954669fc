// Fault injection: `kill -9` at each step where the run changes the machine, paused there by the
// test-only hook (BYPASSBENCH_TEST_PAUSE_AT): the ledger already names the change, so `cleanup`
// must bring the machine back to the state before (hugepages, hugetlbfs, DPDK folders,
// namespaces, veths, processes) and mark the run killed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { dpdkFoldersOf, hugepagesNow, hugetlbfsFoldersOf, otherRunsActive, outDir, suiteFile, waitFor } from './helpers.js';

const dpdkSuite = (path: string) =>
  suiteFile(
    'kill',
    `name: kill
sizes: [64]
rates: [1000]
durationS: 2
warmupS: 0
repetitions: 1
paths:
  - path: ${path}
`,
  );

// Step → a path whose set-up reaches it (dpdk-wire adds a namespace and links; all reserve hugepages).
const STEPS: [string, string][] = [
  ['netns-add', 'dpdk-afxdp'],
  ['veth-add', 'dpdk-afxdp'],
  ['path-netns-add', 'dpdk-wire'],
  ['path-veth-add', 'dpdk-wire'],
  ['dpdk-prefix', 'dpdk-afxdp'],
  ['hugepages-pool', 'dpdk-afxdp'],
  ['hugetlbfs-mkdir', 'dpdk-afxdp'],
  ['hugetlbfs-mount', 'dpdk-afxdp'],
  ['process-spawned', 'dpdk-afxdp'],
];

describe('kill -9 at each ledgered step, then cleanup', () => {
  it.each(STEPS)(
    '%s (%s): cleanup restores the machine and marks the run killed',
    async (step, path) => {
      // Pages someone else holds: a run killed before its pool grew must not take them.
      const othersPages = step === 'hugepages-pool' ? 4 : 0;
      if (othersPages) writeFileSync('/proc/sys/vm/nr_hugepages', String(hugepagesNow() + othersPages));
      const pagesBefore = otherRunsActive() ? null : hugepagesNow();
      const out = outDir(`kill-${step}`);
      const child = startCli(['run', dpdkSuite(path), '--out', out], { BYPASSBENCH_TEST_PAUSE_AT: step });
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      await waitFor(() => stderr.includes(`bypassbench-test-pause ${step}`), 60_000, `the pause at ${step}`);
      const pid = child.pid!;
      child.kill('SIGKILL');
      await child;
      const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
      const id = shortIdOf(meta.runId);

      const result = await startCli(['cleanup', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      if (pagesBefore !== null && !otherRunsActive()) expect(hugepagesNow()).toBe(pagesBefore);
      expect(hugetlbfsFoldersOf(pid)).toEqual([]);
      expect(dpdkFoldersOf(id)).toEqual([]);
      expect(await leftovers(id, out)).toEqual([]);
      expect(existsSync(`/run/bypassbench/${id}.json`)).toBe(false);
      const after = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { status: string };
      expect(after.status).toBe('killed');
      if (othersPages) writeFileSync('/proc/sys/vm/nr_hugepages', String(Math.max(0, hugepagesNow() - othersPages)));
    },
    120_000,
  );
});
