// DPDK testpmd on a lab host's PCI NIC (bypassbench_pci): a kernel UDP client on the client host →
// testpmd 5tswap reflector on the server host's NIC, taken from its kernel driver for the path's
// trials (runners/lab-pci.ts binds it to vfio-pci when the suite allows, and gives it back).
// Only a lab inventory names a PCI NIC: locally, and on a host without one, the path is unsupported.
import { z } from 'zod';
import { UnsupportedError } from '../core/errors.js';
import { testpmdDriver } from '../drivers/testpmd/index.js';
import { dpdkOptionsSchema, prefixOf, reflectorClient, TESTPMD_FORWARDING } from './dpdk.js';
import type { NetnsRecipe, TrialContext } from './types.js';

export const dpdkPciOptionsSchema = z.strictObject({
  /** Take the NIC from its kernel driver and bind it to vfio-pci (restored after the path). Off: the NIC must already be on vfio-pci (or be bifurcated, mlx5). */
  allowBind: z.boolean().default(false),
  /** No IOMMU on the host: use vfio's no-IOMMU mode (no DMA isolation). Off: such a host reports the path unsupported, with the fix. */
  unsafeNoIommu: z.boolean().default(false),
  mode: dpdkOptionsSchema.shape.mode,
  recordCycles: dpdkOptionsSchema.shape.recordCycles,
});
export type DpdkPciOptions = z.infer<typeof dpdkPciOptionsSchema>;

/** The server's NIC as the lab inventory names it, or unsupported (locally there is none). */
export function serverPci(ctx: Pick<TrialContext, 'topology'>): string {
  const pci = ctx.topology.server.hw?.pci ?? null;
  if (!pci) {
    throw new UnsupportedError(
      ctx.topology.kind === 'lab'
        ? `the server host ${ctx.topology.server.netns} has no bypassbench_pci in the inventory`
        : 'dpdk-pci drives a PCI NIC of a lab host; this local run has only veths',
      ctx.topology.kind === 'lab'
        ? 'set bypassbench_pci (the test NIC, e.g. 0000:3b:00.0, from `dpdk-devbind.py --status-dev net`) for the server host'
        : 'run it with --inventory on lab hosts whose inventory sets bypassbench_pci (see README "Lab mode")',
    );
  }
  return pci;
}

export const dpdkPciRecipe: NetnsRecipe<DpdkPciOptions> = {
  path: 'dpdk-pci',
  family: 'bypass',
  runner: 'netns',
  drivers: ['testpmd', 'afxdp'],
  description: 'kernel UDP client → DPDK testpmd 5tswap reflector on the server host’s PCI NIC (lab mode; vfio-pci binding when the suite allows)',
  optionsSchema: dpdkPciOptionsSchema,
  acceptsOfferedRate: () => true,
  openLoop: (o) => ({ ...o, mode: 'load' }),
  // testpmd answers no ARP: the client learns the NIC's MAC (read before binding) statically.
  setupCommands: (topology) => [
    {
      place: 'client',
      do: ['ip', 'neigh', 'replace', topology.server.ip, 'lladdr', topology.server.mac, 'dev', topology.client.ifname, 'nud', 'permanent'],
      undo: ['ip', 'neigh', 'del', topology.server.ip, 'dev', topology.client.ifname],
      why: "a static neighbour entry for the server's NIC: testpmd answers no ARP",
    },
  ],
  plan(ctx, o) {
    const pci = serverPci(ctx);
    const lcores = ctx.topology.server.hw?.lcores ?? { main: ctx.cpu.server, forwarding: [ctx.cpu.poller] };
    if (lcores.forwarding.includes(lcores.main)) {
      throw new Error(
        `the DPDK forwarding lcore needs a CPU of its own, but it is the main lcore (${lcores.main}); list two CPUs in bypassbench_cpus_server/_poller`,
      );
    }
    const argv = testpmdDriver.buildCommand({
      ports: { pmd: 'pci', addresses: [pci] },
      forwardMode: '5tswap',
      lcores,
      // The lab reserves hugepages (preflight reports them); --in-memory leaves no files behind.
      memory: { kind: 'hugepages', inMemory: true },
      filePrefix: prefixOf(ctx.topology),
      statsPeriodS: 1,
      recordCycles: o.recordCycles,
    });
    return {
      processes: [
        {
          role: 'reflector',
          place: 'server',
          driver: 'testpmd',
          kind: 'service',
          cpu: null,
          busyPoll: true,
          pollsOnCpu: lcores.forwarding[0]!,
          argv: ['stdbuf', '-oL', ...argv],
          ready: TESTPMD_FORWARDING,
          restartOnEarlyExit: { attempts: 2, delayMs: 1500 },
        },
        reflectorClient(ctx, { memory: 'hugepages', hugepages: 256, mode: o.mode, recordCycles: o.recordCycles, client: 'kernel' }),
      ],
    };
  },
};
