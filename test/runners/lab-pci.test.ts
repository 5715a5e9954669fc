// Binding a lab NIC to vfio-pci: the plan's exact argv and refusals (pure), and the whole round
// trip — look-ups, bind, ledger, undo — against a fake sysfs tree with a fake dpdk-devbind.py,
// ip and modprobe on PATH (this machine has no PCI NIC, no IOMMU and no vfio).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabHost } from '../../core/inventory.js';
import { parseDevbindStatus } from '../../core/devbind.js';
import { cleanHost } from '../../runners/lab-executor.js';
import { LabLedger } from '../../runners/lab-ledger.js';
import { chooseLcores, gatherPciFacts, planPciBind, type HostRunner, type PciFacts } from '../../runners/lab-pci.js';
import type { SshHost } from '../../runners/ssh.js';

const PCI = '0000:3b:00.0';
const facts = (over: Partial<PciFacts> = {}): PciFacts => ({
  pci: PCI,
  devbind: '/usr/bin/dpdk-devbind.py',
  status: null,
  driver: 'i40e',
  netdevs: ['ens1f0'],
  addresses: [{ local: '198.18.0.2', prefixlen: 24 }],
  iommuGroups: 87,
  vfioLoaded: true,
  noIommuMode: null,
  managementIp: '10.1.0.5',
  defaultRouteDevs: ['eno1'],
  ...over,
});
const host = { name: 'lab2' };
const allow = { allowBind: true, unsafeNoIommu: false };

describe('planPciBind (pure)', () => {
  it('binds to vfio-pci; the undo rebinds the original driver, then brings the interface and its address back', () => {
    const plan = planPciBind(host, facts(), allow);
    expect(plan.status).toBe('ready');
    if (plan.status !== 'ready') return;
    expect(plan.commands.map((c) => [c.do, c.undo])).toEqual([
      [['true'], ['ip', 'link', 'set', 'dev', 'ens1f0', 'up']],
      [['true'], ['ip', 'addr', 'replace', '198.18.0.2/24', 'dev', 'ens1f0']],
      [
        ['/usr/bin/dpdk-devbind.py', '-b', 'vfio-pci', PCI],
        ['/usr/bin/dpdk-devbind.py', '-b', 'i40e', PCI],
      ],
    ]);
    expect(plan.commands.every((c) => c.place === 'server')).toBe(true);
  });

  it('loads vfio-pci when missing (and unloads it on undo)', () => {
    const plan = planPciBind(host, facts({ vfioLoaded: false }), allow);
    expect(plan.status === 'ready' && plan.commands[0]).toEqual({
      place: 'server',
      why: 'load vfio-pci',
      do: ['modprobe', 'vfio-pci'],
      undo: ['modprobe', '-r', 'vfio-pci'],
    });
  });

  it('refuses the NIC that carries the default route, the management address, or is *Active*', () => {
    expect(planPciBind(host, facts({ defaultRouteDevs: ['ens1f0'] }), allow)).toEqual({
      status: 'refused',
      reason: "lab2: 0000:3b:00.0 (ens1f0) carries the host's default route; binding it to vfio-pci would cut the host off",
    });
    const mgmt = planPciBind(host, facts({ managementIp: '198.18.0.2' }), allow);
    expect(mgmt.status === 'refused' && mgmt.reason).toMatch(/carries the management address 198\.18\.0\.2 this run reaches the host on/);
    // The published contrail capture: the I350 em0 is *Active*.
    const em0 = parseDevbindStatus(
      readFileSync(join(import.meta.dirname, '..', 'fixtures', 'devbind', 'published', 'connectx3-old-contrail94.txt'), 'utf8'),
    )[1]!;
    const active = planPciBind(host, facts({ pci: em0.pci, status: em0, driver: 'igb', netdevs: [] }), allow);
    expect(active.status === 'refused' && active.reason).toBe(
      'lab2: dpdk-devbind.py marks 0000:03:00.0 (em0) *Active* (the routing table uses it); it is not taken',
    );
  });

  it('without allowBind: unsupported, with the fix', () => {
    const plan = planPciBind(host, facts(), { allowBind: false, unsafeNoIommu: false });
    expect(plan.status).toBe('unsupported');
    expect(plan.status === 'unsupported' && plan.fix).toMatch(/allowBind: true/);
  });

  it('IOMMU off: unsupported with the fix; with unsafeNoIommu the no-IOMMU mode is set and reset', () => {
    const off = planPciBind(host, facts({ iommuGroups: 0 }), allow);
    expect(off.status === 'unsupported' && `${off.reason} | ${off.fix}`).toBe(
      'lab2: the IOMMU is off (no /sys/kernel/iommu_groups), so vfio-pci cannot take 0000:3b:00.0 | boot the host with intel_iommu=on iommu=pt (AMD: amd_iommu=on) and reboot, or set the dpdk-pci option unsafeNoIommu: true (vfio without DMA isolation)',
    );
    const unsafe = planPciBind(host, facts({ iommuGroups: 0 }), { allowBind: true, unsafeNoIommu: true });
    expect(unsafe.status === 'ready' && unsafe.commands[0]).toEqual({
      place: 'server',
      why: 'vfio no-IOMMU mode',
      do: ['sh', '-c', 'echo "$1" > "$0"', '/sys/module/vfio/parameters/enable_unsafe_noiommu_mode', '1'],
      undo: ['sh', '-c', 'echo "$1" > "$0"', '/sys/module/vfio/parameters/enable_unsafe_noiommu_mode', '0'],
    });
  });

  it('already on vfio-pci (the BlueField capture), or bifurcated mlx5: nothing to bind or restore', () => {
    const vf = parseDevbindStatus(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'devbind', 'published', 'bluefield-vf-pktgen245.txt'), 'utf8'))[0]!;
    expect(planPciBind(host, facts({ pci: vf.pci, status: vf, driver: null }), { allowBind: false, unsafeNoIommu: false })).toMatchObject({
      status: 'ready',
      commands: [],
    });
    const mlx = planPciBind(host, facts({ driver: 'mlx5_core' }), { allowBind: false, unsafeNoIommu: false });
    expect(mlx.status === 'ready' && mlx.notes[0]).toMatch(/bifurcated/);
  });

  it('no dpdk-devbind.py: unsupported with the package', () => {
    expect(planPciBind(host, facts({ devbind: null }), allow)).toMatchObject({ status: 'unsupported', fix: 'apt-get install dpdk' });
  });
});

describe('chooseLcores', () => {
  const h = (server: number[] | null, poller: number[] | null) => ({ name: 'lab2', cpus: { client: null, server, poller } });
  it('prefers CPUs on the NIC’s node, and says when it cannot', () => {
    const pf = { nicNumaNode: 1, cpuNodes: { '2': 0, '3': 0, '18': 1, '19': 1 } };
    expect(chooseLcores(h([2, 18], [3, 19]), pf)).toEqual({ lcores: { main: 18, forwarding: [19] }, warning: null });
    expect(chooseLcores(h([2], [3]), pf)).toEqual({
      lcores: { main: 2, forwarding: [3] },
      warning: 'lab2: DPDK lcore(s) 2,3 are on another NUMA node than the test NIC (node 1): no CPU of the lists is on that node',
    });
    expect(chooseLcores(h(null, null), pf)).toEqual({ lcores: null, warning: null });
  });
});

/** A fake host: argv run here with fake tools first on PATH and an ssh session's environment. */
function fakeHost(bin: string): HostRunner & { log: () => string[] } {
  const logFile = join(bin, 'calls.log');
  writeFileSync(logFile, '');
  return {
    name: 'lab2',
    run: (argv) => {
      try {
        const stdout = execFileSync(argv[0]!, argv.slice(1), {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SSH_CONNECTION: '10.1.0.9 51234 10.1.0.5 22' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; status?: number };
        return Promise.resolve({ stdout: err.stdout ?? '', stderr: err.stderr ?? '', exitCode: err.status ?? 1 });
      }
    },
    log: () => readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean),
  };
}

describe('bind and restore against a fake sysfs tree', () => {
  let dir = '';
  const prevState = process.env.BYPASSBENCH_STATE_DIR;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bb-pci-'));
    process.env.BYPASSBENCH_STATE_DIR = join(dir, 'state');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (prevState === undefined) delete process.env.BYPASSBENCH_STATE_DIR;
    else process.env.BYPASSBENCH_STATE_DIR = prevState;
  });

  it('reads the facts, binds with the undo in the ledger first, and the ledger undo gives the NIC back', async () => {
    const sys = join(dir, 'sys');
    const bin = join(dir, 'bin');
    const dev = join(sys, 'bus/pci/devices', PCI);
    for (const d of ['bus/pci/drivers/i40e', 'bus/pci/drivers/vfio-pci', 'kernel/iommu_groups/7', 'module/vfio/parameters'])
      mkdirSync(join(sys, d), { recursive: true });
    mkdirSync(join(dev, 'net', 'ens1f0'), { recursive: true });
    symlinkSync('../../../bus/pci/drivers/i40e', join(dev, 'driver'));
    mkdirSync(bin);
    const tool = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${join(bin, 'calls.log')}"\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    // A fake dpdk-devbind.py on the fake tree: -b DRIVER ADDR moves the driver link (the netdev goes with a kernel driver), --status-dev prints the tool's layout.
    tool(
      'dpdk-devbind.py',
      `SYS="${sys}"
if [ "$1" = "-b" ]; then
  d="$SYS/bus/pci/devices/$3"; rm -f "$d/driver"; ln -s "../../../bus/pci/drivers/$2" "$d/driver"
  if [ "$2" = vfio-pci ]; then rm -rf "$d/net"; else mkdir -p "$d/net/ens1f0"; fi
  exit 0
fi
drv=$(basename "$(readlink "$SYS/bus/pci/devices/${PCI}/driver")")
if [ "$drv" = vfio-pci ]; then printf '\\nNetwork devices using DPDK-compatible driver\\n============================================\\n${PCI} '"'"'Ethernet Controller XL710 for 40GbE QSFP+ 1583'"'"' drv=vfio-pci unused=i40e\\n'
else printf '\\nNetwork devices using kernel driver\\n===================================\\n${PCI} '"'"'Ethernet Controller XL710 for 40GbE QSFP+ 1583'"'"' if=ens1f0 drv=i40e unused=vfio-pci \\n'; fi`,
    );
    tool(
      'ip',
      `case "$*" in
  "-j route show default") echo '[{"dst":"default","gateway":"10.1.0.1","dev":"eno1"}]' ;;
  "-j addr show dev ens1f0") echo '[{"ifname":"ens1f0","addr_info":[{"family":"inet","local":"198.18.0.2","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]}]' ;;
esac`,
    );
    tool('modprobe', 'true');
    const fake = fakeHost(bin);
    const f = await gatherPciFacts(fake, PCI, sys);
    expect(f).toEqual({
      pci: PCI,
      devbind: join(bin, 'dpdk-devbind.py'),
      status: {
        pci: PCI,
        name: 'Ethernet Controller XL710 for 40GbE QSFP+ 1583',
        section: 'kernel',
        driver: 'i40e',
        unused: ['vfio-pci'],
        ifname: 'ens1f0',
        active: false,
      },
      driver: 'i40e',
      netdevs: ['ens1f0'],
      addresses: [{ local: '198.18.0.2', prefixlen: 24 }],
      iommuGroups: 1,
      vfioLoaded: true,
      noIommuMode: null,
      managementIp: '10.1.0.5',
      defaultRouteDevs: ['eno1'],
    });
    const plan = planPciBind({ name: 'lab2' }, f, allow, sys);
    if (plan.status !== 'ready') throw new Error(JSON.stringify(plan));
    // As applySetupCommands does it: the undo in the host's ledger before each change.
    const labHost = { name: 'lab2', role: 'server', remoteDir: dir } as LabHost;
    const ledger = new LabLedger('pcitest', labHost, join(dir, 'remote-run'));
    for (const c of plan.commands) {
      if (c.undo) ledger.update((d) => d.undo.push({ argv: c.undo!, why: c.why }));
      expect((await fake.run(c.do)).exitCode).toBe(0);
    }
    expect(readlinkSync(join(sys, 'bus/pci/devices', PCI, 'driver'))).toMatch(/vfio-pci$/);
    expect(existsSync(join(sys, 'bus/pci/devices', PCI, 'net'))).toBe(false);
    const saved = JSON.parse(readFileSync(ledger.file, 'utf8')) as { undo: { argv: string[] }[] };
    expect(saved.undo.at(-1)!.argv).toEqual([join(bin, 'dpdk-devbind.py'), '-b', 'i40e', PCI]);
    // A run killed here: cleanup replays the ledger (in reverse) on the host.
    const problems = await cleanHost(fake as unknown as SshHost, ledger);
    expect(problems).toEqual([]);
    expect(readlinkSync(join(sys, 'bus/pci/devices', PCI, 'driver'))).toMatch(/i40e$/);
    expect(existsSync(join(sys, 'bus/pci/devices', PCI, 'net', 'ens1f0'))).toBe(true);
    const calls = fake.log();
    expect(calls.slice(calls.indexOf(`dpdk-devbind.py -b vfio-pci ${PCI}`))).toEqual([
      `dpdk-devbind.py -b vfio-pci ${PCI}`,
      `dpdk-devbind.py -b i40e ${PCI}`,
      'ip addr replace 198.18.0.2/24 dev ens1f0',
      'ip link set dev ens1f0 up',
    ]);
    expect(ledger.snapshot.undo).toEqual([]);
    ledger.close();
  });
});
