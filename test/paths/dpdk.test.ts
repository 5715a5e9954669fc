// DPDK paths for real (dpdk-testpmd on veth through net_af_xdp / net_af_packet, and net_null),
// with hugepages reserved for the run: afterwards no testpmd, no hugepages, no DPDK runtime
// folder and no namespace of the run may remain.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

const hugepages = () => Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));

describe('DPDK paths (real, netns + dpdk-testpmd)', () => {
  it('reflects, forwards across a wire, runs the null ceiling, and cleans up', async () => {
    const pagesBefore = hugepages();
    const out = join(mkdtempSync(join(tmpdir(), 'bb-dpdk-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/dpdk-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    expect(trials.map((t) => t.pathLabel)).toEqual(['dpdk-afxdp', 'dpdk-afpacket', 'dpdk-wire', 'dpdk-null', 'dpdk-txrx', 'dpdk-afxdp-xsk']);
    for (const t of trials) {
      expect(t.status, `${t.path}: ${t.error}`).toBe('ok');
      expect(t.lossRatio).toBeGreaterThanOrEqual(0);
      expect(t.lossRatio).toBeLessThanOrEqual(1);
      // The forwarding lcore busy-polls: a full core even at 2000 pps.
      expect(t.cpu!.coresBusy!).toBeGreaterThanOrEqual(0.8);
    }
    for (const t of trials.filter((x) => x.offeredPps !== null)) {
      expect(t.latencyUs!.p50).toBeGreaterThan(0);
      expect(t.latencyUs!.p99!).toBeGreaterThanOrEqual(t.latencyUs!.p50!);
      expect(t.achievedPps!).toBeLessThanOrEqual(2000 * 1.05);
    }
    // The reflector's own counters come along with the client's measurement.
    expect(trials[0]!.native['services']).toHaveProperty('reflector');
    for (const label of ['dpdk-null', 'dpdk-txrx']) {
      const ceiling = trials.find((t) => t.pathLabel === label)!;
      expect(ceiling.offeredPps).toBeNull();
      expect(ceiling.achievedPps!).toBeGreaterThan(0);
    }
    // The generator's loss is what the sink never counted.
    expect(trials.find((t) => t.pathLabel === 'dpdk-txrx')!.native['services']).toHaveProperty('sink');
    expect(result.exitCode).toBe(0);

    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    const id = shortIdOf(meta.runId);
    expect(await leftovers(id, out)).toEqual([]);
    expect(hugepages()).toBe(pagesBefore);
    expect(existsSync(`/var/run/dpdk/bb${id}`)).toBe(false);
  });
});
