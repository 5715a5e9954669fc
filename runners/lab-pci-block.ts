// The dpdk-pci path's block on a lab pair: the server host's NIC bound to vfio-pci for the block's
// trials (runners/lab-pci.ts plans it from what the host reports), undone after the block.
import type { DpdkPciOptions } from '../paths/dpdk-pci.js';
import type { LabPairSession } from './lab-executor.js';
import { applySetupCommands } from './lab-setup.js';
import { gatherPciFacts, planPciBind } from './lab-pci.js';

export interface PciBlock {
  undo: (() => Promise<void>) | null;
  /** Why the block's trials are unsupported on this pair (with the fix), or null. */
  unsupported: string | null;
  notes: string[];
}

/** Binds the server's NIC when the plan allows; a refusal (management NIC) throws with the reason. */
export async function preparePciBlock(s: LabPairSession, o: DpdkPciOptions): Promise<PciBlock> {
  const pci = s.topology.server.hw?.pci ?? null;
  // Without a PCI address the recipe itself reports the path unsupported, with the fix.
  if (!pci) return { undo: null, unsupported: null, notes: [] };
  const host = s.pair.server;
  const hp = s.remote.server.preflight.hugepages;
  if (hp.free === 0) {
    return {
      undo: null,
      unsupported: `${host.name}: no free hugepages for testpmd (total ${hp.total}) (fix: reserve them on the host, e.g. echo 512 > /proc/sys/vm/nr_hugepages, or vm.nr_hugepages in sysctl.conf)`,
      notes: [],
    };
  }
  const plan = planPciBind(host, await gatherPciFacts(s.ssh.server, pci), o);
  if (plan.status === 'refused') throw new Error(plan.reason);
  if (plan.status === 'unsupported') return { undo: null, unsupported: `${plan.reason} (fix: ${plan.fix})`, notes: [] };
  return { undo: await applySetupCommands(s, plan.commands), unsupported: null, notes: plan.notes };
}
