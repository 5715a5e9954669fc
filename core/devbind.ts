// dpdk-devbind.py --status (and the older dpdk_nic_bind.py -s): which driver holds each PCI
// network device, which drivers it could use, its interface, and whether the routing table uses
// it ("*Active*": the host's own traffic goes through it, so it must not be taken).

export type DevbindSection = 'dpdk' | 'kernel' | 'other';

export interface DevbindDevice {
  /** Full PCI address, "0000:3b:00.0". */
  pci: string;
  /** The device's name as lspci gives it ("Ethernet Controller X710 for 10GbE SFP+ 1572"). */
  name: string;
  section: DevbindSection;
  /** drv=: the driver bound now (null: none). */
  driver: string | null;
  /** unused=: the other drivers it could be bound to. */
  unused: string[];
  /** if=: the kernel interface (null when bound to a DPDK driver or not printed). */
  ifname: string | null;
  /** *Active*: the routing table uses this interface. */
  active: boolean;
}

/** Every device line of the status, in order, with the section it was listed under. */
export function parseDevbindStatus(text: string): DevbindDevice[] {
  const out: DevbindDevice[] = [];
  let section: DevbindSection | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/`/g, '').trim();
    // "Network devices using DPDK-compatible driver", "Network devices using kernel driver", "Other Network devices" (older: "Other network devices")
    if (/^Network devices using DPDK-compatible driver/i.test(line)) section = 'dpdk';
    else if (/^Network devices using kernel driver/i.test(line)) section = 'kernel';
    else if (/^Other network devices/i.test(line)) section = 'other';
    else if (/^[A-Za-z].*devices/.test(line) && !/^\d/.test(line)) section = null; // crypto, eventdev, … devices: not ours
    // "0000:02:00.0 'NetXtreme BCM5719 Gigabit Ethernet PCIe 1657' if=eno1 drv=tg3 unused=igb_uio,vfio-pci *Active*"
    // (a patched script prefixes " 0: "; the older one prints no device id after the name)
    const m = /^(?:\d+:\s+)?((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s+'([^']*)'(.*)$/.exec(line);
    if (!m || section === null) continue;
    const rest = m[3]!;
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(rest)?.[1];
    const pci = m[1]!.length === 7 ? `0000:${m[1]!}` : m[1]!;
    out.push({
      pci: pci.toLowerCase(),
      name: m[2]!,
      section,
      driver: field('drv') || null,
      unused: (field('unused') ?? '').split(',').filter(Boolean),
      ifname: field('if') || null,
      active: /\*Active\*/.test(rest),
    });
  }
  return out;
}
