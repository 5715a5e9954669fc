// Tester-side buffers of the reflector paths (suites/throughput.yaml sets them): the client's
// socket receive buffer and AF_XDP rings change, the reflector under test keeps its own.
import { describe, expect, it } from 'vitest';
import type { TopologyInfo } from '../../core/topology.js';
import { afxdpOptionsSchema, afxdpRecipeBoth, kernelToAfxdpRecipe } from '../../paths/afxdp.js';
import { dpdkAfxdpRecipe, dpdkOptionsSchema } from '../../paths/dpdk.js';
import type { TrialContext } from '../../paths/types.js';

const topology: TopologyInfo = {
  kind: 'netns',
  runTag: 'ab12',
  mtu: 1500,
  client: { netns: 'bb-c', ifname: 'bbc0', ip: '10.77.0.1', mac: '02:77:00:00:00:01' },
  server: { netns: 'bb-s', ifname: 'bbs0', ip: '10.77.0.2', mac: '02:77:00:00:00:02' },
};
const ctx: TrialContext = {
  topology,
  prepared: { namespaces: {}, links: {}, hugepages: null },
  cpu: { client: 1, server: 1, poller: 0, orchestrator: 0 },
  msgSizeBytes: 64,
  offeredPps: 100_000,
  durationS: 2,
  warmupS: 0,
  port: 20001,
  artifactPath: (n) => `/tmp/${n}`,
};

const argvOf = (processes: { role: string; argv: readonly string[] }[], role: string) => processes.find((p) => p.role === role)!.argv;
const valueAfter = (argv: readonly string[], flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);

describe('tester-side buffers', () => {
  it('kernel-to-afxdp: clientRcvbufBytes sizes the client socket only', () => {
    const recipe = kernelToAfxdpRecipe;
    const { processes } = recipe.plan({ ...ctx }, afxdpOptionsSchema.parse({ mode: 'load', clientRcvbufBytes: 33554432 }));
    expect(valueAfter(argvOf(processes, 'client'), '--rcvbuf')).toBe('33554432');
    expect(argvOf(processes, 'reflector')).not.toContain('--rcvbuf');
  });

  it('afxdp: clientRingSize sizes the client rings, the reflector keeps ringSize', () => {
    const recipe = afxdpRecipeBoth;
    const { processes } = recipe.plan({ ...ctx }, afxdpOptionsSchema.parse({ mode: 'load', clientRingSize: 8192 }));
    expect(valueAfter(argvOf(processes, 'client'), '--ring-size')).toBe('8192');
    expect(valueAfter(argvOf(processes, 'reflector'), '--ring-size')).toBe('2048');
  });

  it("refuses a tester option the path's client does not have, naming the one it has", () => {
    const rcvbuf = afxdpRecipeBoth.optionsSchema.safeParse({ clientRcvbufBytes: 33554432 });
    expect(rcvbuf.success).toBe(false);
    expect(rcvbuf.error?.issues[0]?.path).toEqual(['clientRcvbufBytes']);
    expect(rcvbuf.error?.issues[0]?.message).toMatch(/use clientRingSize/);
    const rings = kernelToAfxdpRecipe.optionsSchema.safeParse({ clientRingSize: 8192 });
    expect(rings.error?.issues[0]?.message).toMatch(/use clientRcvbufBytes/);
    expect(afxdpRecipeBoth.optionsSchema.safeParse({ clientRingSize: 8192 }).success).toBe(true);
  });

  it('dpdk-afxdp: clientRcvbufBytes reaches the kernel client; unset, the kernel default stays', () => {
    const recipe = dpdkAfxdpRecipe;
    const sized = recipe.plan({ ...ctx }, dpdkOptionsSchema.parse({ mode: 'load', clientRcvbufBytes: 33554432 }));
    expect(valueAfter(argvOf(sized.processes, 'client'), '--rcvbuf')).toBe('33554432');
    const plain = recipe.plan({ ...ctx }, dpdkOptionsSchema.parse({ mode: 'load' }));
    expect(argvOf(plain.processes, 'client')).not.toContain('--rcvbuf');
  });

  it('rejects a receive buffer below 4 KiB', () => {
    expect(() => dpdkOptionsSchema.parse({ clientRcvbufBytes: 100 })).toThrow();
  });
});
