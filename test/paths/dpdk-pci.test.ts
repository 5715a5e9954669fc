// dpdk-pci: testpmd on the server host's PCI NIC. The plan's exact argv on a lab topology, and a
// real local run, where there is no PCI NIC: the trial is unsupported with the reason and fix.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../core/errors.js';
import { loadRun } from '../../core/run-folder.js';
import type { TopologyInfo } from '../../core/topology.js';
import { dpdkPciOptionsSchema, dpdkPciRecipe } from '../../paths/dpdk-pci.js';
import type { TrialContext } from '../../paths/types.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

const hw = { pci: '0000:3b:00.0', numaNode: 1, rdmaDev: null, gidIndex: null, lcores: { main: 18, forwarding: [19] } };
const topology: TopologyInfo = {
  kind: 'lab',
  runTag: 'ab12',
  mtu: 1500,
  client: { netns: 'lab1', ifname: 'ens1f0', ip: '198.18.0.1', mac: '0c:42:a1:00:00:0a' },
  server: { netns: 'lab2', ifname: 'ens1f0', ip: '198.18.0.2', mac: '0c:42:a1:00:00:0b', hw },
};
const ctx = (t: TopologyInfo): TrialContext => ({
  topology: t,
  prepared: { namespaces: {}, links: {}, hugepages: null },
  cpu: { client: 2, server: 3, poller: 4, orchestrator: 0 },
  msgSizeBytes: 64,
  offeredPps: 2000,
  durationS: 2,
  warmupS: 0,
  port: 20001,
  artifactPath: (n) => `/tmp/${n}`,
});
const o = dpdkPciOptionsSchema.parse({});

describe('dpdk-pci plan', () => {
  it('testpmd on the server host with -a ADDR and the lcores chosen near the NIC; a kernel client on the client host', () => {
    const { processes } = dpdkPciRecipe.plan(ctx(topology), o);
    const [reflector, client] = processes;
    expect(reflector!.place).toBe('server');
    expect(reflector!.pollsOnCpu).toBe(19);
    // testpmd's main lcore is the lowest of -l (18); 19 forwards.
    expect(reflector!.argv).toEqual([
      'stdbuf',
      '-oL',
      'dpdk-testpmd',
      '-l',
      '18-19',
      '--in-memory',
      '--file-prefix',
      'bbab12',
      '-a',
      '0000:3b:00.0',
      '--',
      '--forward-mode=5tswap',
      '--stats-period',
      '1',
      '--record-core-cycles',
      '--record-burst-stats',
    ]);
    expect(client!.place).toBe('client');
    expect(client!.argv.slice(1)).toEqual([
      'sock-ping',
      '--bind-ip',
      '198.18.0.1',
      '--dst-ip',
      '198.18.0.2',
      '--dst-port',
      '20001',
      '--size',
      '64',
      '--rate',
      '2000',
      '--duration',
      '2',
      '--warmup',
      '1',
      '--json',
    ]);
  });

  it('the client learns the NIC’s MAC statically (testpmd answers no ARP)', () => {
    expect(dpdkPciRecipe.setupCommands!(topology, { namespaces: {}, links: {}, hugepages: null }, o)).toEqual([
      {
        place: 'client',
        do: ['ip', 'neigh', 'replace', '198.18.0.2', 'lladdr', '0c:42:a1:00:00:0b', 'dev', 'ens1f0', 'nud', 'permanent'],
        undo: ['ip', 'neigh', 'del', '198.18.0.2', 'dev', 'ens1f0'],
        why: "a static neighbour entry for the server's NIC: testpmd answers no ARP",
      },
    ]);
  });

  it('no bypassbench_pci, or a local run: unsupported with the fix', () => {
    const noPci = { ...topology, server: { ...topology.server, hw: { ...hw, pci: null } } };
    expect(() => dpdkPciRecipe.plan(ctx(noPci), o)).toThrow(UnsupportedError);
    expect(() => dpdkPciRecipe.plan(ctx(noPci), o)).toThrow(/server host lab2 has no bypassbench_pci/);
    const local = { ...topology, kind: 'netns' as const, server: { ...topology.server, hw: undefined } };
    expect(() => dpdkPciRecipe.plan(ctx(local), o)).toThrow(/this local run has only veths/);
  });

  it('options: unknown fields and wrong types are errors', () => {
    expect(() => dpdkPciOptionsSchema.parse({ allowbind: true })).toThrow();
    expect(dpdkPciOptionsSchema.parse({ allowBind: true })).toMatchObject({ allowBind: true, unsafeNoIommu: false, mode: 'ping' });
  });
});

describe('dpdk-pci run locally (real)', () => {
  it('is unsupported with the reason and fix, never a number, and leaves nothing behind', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-pci-')), 'run');
    const r = await startCli(['run', 'test/fixtures/suites/lab-hw-local.yaml', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    const [t] = loadRun(out).trials;
    expect(t!.status).toBe('unsupported');
    expect(t!.error).toMatch(/dpdk-pci drives a PCI NIC of a lab host; this local run has only veths \(fix: run it with --inventory/);
    expect(t!.latencyUs).toBeNull();
    expect(await leftovers(shortIdOf(out), out)).toEqual([]);
  }, 120_000);
});
