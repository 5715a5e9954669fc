// The rdma path between two lab hosts: perftest server on the server host's bypassbench_rdma_dev,
// client on the client host's, -x from bypassbench_gid_index, against the server's test address
// (exact argv). Locally this machine has no RDMA device: the real run is unsupported with the fix.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../core/errors.js';
import { loadRun } from '../../core/run-folder.js';
import type { EndpointHardware, TopologyInfo } from '../../core/topology.js';
import { rdmaHostOptionsSchema, rdmaHostRecipe } from '../../paths/rdma.js';
import type { TrialContext } from '../../paths/types.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

const hw = (rdmaDev: string | null, gidIndex: number | null): EndpointHardware => ({ pci: null, numaNode: null, rdmaDev, gidIndex, lcores: null });
const lab = (client: EndpointHardware, server: EndpointHardware): TopologyInfo => ({
  kind: 'lab',
  runTag: 'ab12',
  mtu: 1500,
  client: { netns: 'lab1', ifname: 'ens1f0', ip: '198.18.0.1', mac: '0c:42:a1:00:00:0a', hw: client },
  server: { netns: 'lab2', ifname: 'ens1f0', ip: '198.18.0.2', mac: '0c:42:a1:00:00:0b', hw: server },
});
const ctx = (topology: TopologyInfo, offeredPps: number | null = null) =>
  ({
    topology,
    cpu: { client: 2, server: 3, poller: 4, orchestrator: 0 },
    msgSizeBytes: 64,
    offeredPps,
    durationS: 2,
    warmupS: 0,
    port: 20001,
  }) as unknown as TrialContext;

describe('rdma across lab hosts (plan)', () => {
  it('server and client on their hosts, devices and GID index from the inventory', () => {
    const { processes } = rdmaHostRecipe.plan(ctx(lab(hw('mlx5_0', 3), hw('mlx5_1', 3))), rdmaHostOptionsSchema.parse({}));
    expect(processes.map((p) => [p.place, p.kind, p.argv])).toEqual([
      ['server', 'service', ['ib_write_lat', '-d', 'mlx5_1', '-x', '3', '-p', '18515', '-s', '64', '-n', '1000']],
      ['client', 'measure', ['ib_write_lat', '-d', 'mlx5_0', '-x', '3', '-p', '18515', '-s', '64', '-n', '1000', '198.18.0.2']],
    ]);
  });

  it('a bandwidth test with a rate, rdma_cm, and each host its own GID index', () => {
    const o = rdmaHostOptionsSchema.parse({ test: 'ib_send_bw', rdmaCm: true });
    const { processes } = rdmaHostRecipe.plan(ctx(lab(hw('mlx5_0', 1), hw('mlx5_2', 3)), 50000), o);
    expect(processes[0]!.argv).toContain('mlx5_2');
    expect(processes[0]!.argv[processes[0]!.argv.indexOf('-x') + 1]).toBe('3');
    expect(processes[1]!.argv[processes[1]!.argv.indexOf('-x') + 1]).toBe('1');
    expect(processes[1]!.argv).toContain('-R');
    expect(processes[1]!.argv.at(-1)).toBe('198.18.0.2');
    expect(processes[0]!.ready).toEqual({ outputIncludes: 'Waiting for client' });
  });

  it('a host without bypassbench_rdma_dev: unsupported with the fix', () => {
    expect(() => rdmaHostRecipe.plan(ctx(lab(hw('mlx5_0', 3), hw(null, null))), rdmaHostOptionsSchema.parse({}))).toThrow(UnsupportedError);
    expect(() => rdmaHostRecipe.plan(ctx(lab(hw('mlx5_0', 3), hw(null, null))), rdmaHostOptionsSchema.parse({}))).toThrow(
      /host lab2 has no bypassbench_rdma_dev/,
    );
  });
});

describe('rdma run locally (real): no RDMA device here', () => {
  it('is unsupported with the reason and the fix, never a number', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-rdma-')), 'run');
    const r = await startCli(['run', 'test/fixtures/suites/lab-hw-local.yaml', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    const t = loadRun(out).trials.find((x) => x.path === 'rdma')!;
    expect(t.status).toBe('unsupported');
    expect(t.error).toMatch(/no RDMA device under \/sys\/class\/infiniband.*\(fix: /);
    expect(t.latencyUs).toBeNull();
    expect(await leftovers(shortIdOf(out), out)).toEqual([]);
  }, 120_000);
});
