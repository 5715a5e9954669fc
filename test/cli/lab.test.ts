// The lab dry run: MACs read from the hosts when they answer, a labelled placeholder otherwise;
// the exact argv it prints. The real part uses the namespace lab (two sshd "hosts").
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { labDryRun, macLines, pciBindLines, type DryRunMacs } from '../../cli/lab.js';
import type { LabHost, LabPair } from '../../core/inventory.js';
import { parseIpLinkMac } from '../../runners/lab-macs.js';
import { defaultSshSettings } from '../../runners/ssh.js';
import { loadSuite } from '../../suites/load.js';
import { planTrials } from '../../suites/plan.js';
import { createSshLab, sshdAvailable, type SshLab } from '../helpers/ssh-lab.js';
import { startCli } from '../helpers/system.js';

const host = (name: string, role: 'client' | 'server', testIp: string): LabHost => ({
  name,
  role,
  address: `${name}.lab.example`,
  user: 'root',
  port: 22,
  keyFile: null,
  knownHostsFile: null,
  testIp,
  testIface: 'ens1f0',
  cpus: { client: null, server: null, poller: null },
  pci: null,
  numaNode: null,
  rdmaDev: null,
  gidIndex: null,
  remoteDir: '/tmp/bypassbench-lab',
  nativeDir: null,
});
const pair: LabPair = { name: 'a+b', client: host('a', 'client', '198.18.0.1'), server: host('b', 'server', '198.18.0.2') };
const cpu = { client: 0, server: 1, poller: 1, orchestrator: 0 };

describe('parseIpLinkMac', () => {
  it('reads the address of ip -j link (as this machine prints it) and names host and interface otherwise', () => {
    const veth = execFileSync('ip', ['-j', 'link', 'show', 'dev', 'lo'], { encoding: 'utf8' });
    expect(parseIpLinkMac(veth, 'h', 'lo')).toBe('00:00:00:00:00:00');
    expect(() => parseIpLinkMac('[{"ifname":"wg0","link_type":"none"}]', 'h', 'wg0')).toThrow(/h: no MAC address reported for wg0/);
    expect(() => parseIpLinkMac('Device "x" does not exist.', 'h', 'x')).toThrow(/h: `ip -j link show dev x` printed no JSON/);
  });
});

describe('labDryRun MAC lines', () => {
  const plan = planTrials(loadSuite('suites/lab.yaml'));
  const settings = defaultSshSettings('/run/bypassbench/ssh-RUNID');
  const o = { durationS: 2, warmupS: 0, mtu: 1500, cpu };

  it('a MAC read from the host goes into the plan (AF_XDP client addresses the server by it)', () => {
    const macs: DryRunMacs = { client: { mac: '0c:42:a1:00:00:0a' }, server: { mac: '0c:42:a1:00:00:0b' } };
    const lines = labDryRun(pair, plan, settings, o, macs);
    expect(lines).toContain('  MAC of ens1f0 on b: 0c:42:a1:00:00:0b (read from the host now with ip -j link show dev ens1f0)');
    const afxdp = lines.find((l) => l.includes('bb-afxdp","ping"'));
    expect(afxdp).toContain('"--dst-mac","0c:42:a1:00:00:0b"');
  });

  it('an unreachable host gets a labelled placeholder that says when the real one is read', () => {
    const macs: DryRunMacs = { client: { mac: '0c:42:a1:00:00:0a' }, server: { error: 'ssh: connect to host b.lab.example port 22: Connection refused' } };
    expect(macLines(pair, macs)[1]).toBe(
      '  MAC of ens1f0 on b: PLACEHOLDER 00:00:00:00:00:02: the host did not answer (ssh: connect to host b.lab.example port 22: Connection refused); the run reads the real one with ip -j link show dev ens1f0 when it connects',
    );
  });
});

describe('dry run of dpdk-pci binding', () => {
  const server = { ...pair.server, pci: '0000:3b:00.0' };
  it('prints the look-ups, then bind and restore with the driver read at run time', () => {
    const lines = pciBindLines(server, { allowBind: true, unsafeNoIommu: false });
    expect(lines).toContain('    dpdk-pci look-up on b status: ["dpdk-devbind.py","--status-dev","net"]');
    expect(lines).toContain('    dpdk-pci look-up on b driver: ["sh","-c","readlink \\"$0/bus/pci/devices/$1/driver\\" || true","/sys","0000:3b:00.0"]');
    expect(lines).toContain('    dpdk-pci set-up on b (load vfio-pci): ["modprobe","vfio-pci"], undo ["modprobe","-r","vfio-pci"]');
    expect(lines).toContain(
      '    dpdk-pci set-up on b (bind 0000:3b:00.0 to vfio-pci (was ORIGINAL_DRIVER)): ["dpdk-devbind.py","-b","vfio-pci","0000:3b:00.0"], undo ["dpdk-devbind.py","-b","ORIGINAL_DRIVER","0000:3b:00.0"]',
    );
    expect(lines).toContain(
      '    dpdk-pci set-up on b (put 198.18.0.2/24 back on ens1f0): ["true"], undo ["ip","addr","replace","198.18.0.2/24","dev","ens1f0"]',
    );
  });
  it('without allowBind nothing is bound; without bypassbench_pci the path is unsupported', () => {
    expect(pciBindLines(server, { allowBind: false, unsafeNoIommu: false }).at(-1)).toMatch(
      /allowBind is false: 0000:3b:00\.0 is used only if it is already on vfio-pci/,
    );
    expect(pciBindLines(pair.server, { allowBind: true, unsafeNoIommu: false })).toEqual([
      '    dpdk-pci: b has no bypassbench_pci: the path is unsupported on this pair',
    ]);
  });
});

describe('dry run of the hardware paths', () => {
  const hwPair: LabPair = {
    name: 'a+b',
    client: { ...pair.client, rdmaDev: 'mlx5_0', gidIndex: 3 },
    server: { ...pair.server, rdmaDev: 'mlx5_1', gidIndex: 3, pci: '0000:3b:00.0', cpus: { client: null, server: [18], poller: [19] } },
  };
  const lines = labDryRun(
    hwPair,
    planTrials(loadSuite('test/fixtures/suites/lab-hw-local.yaml')),
    defaultSshSettings('/run/bypassbench/ssh-RUNID'),
    { durationS: 1, warmupS: 0, mtu: 1500, cpu },
    {
      client: { mac: '0c:42:a1:00:00:0a' },
      server: { mac: '0c:42:a1:00:00:0b' },
    },
  );
  const wrapped = (argv: string[]) => JSON.stringify(argv).slice(1, -1);
  it('perftest between the hosts: the exact argv each host runs', () => {
    const server = lines.find((l) => l.includes('service server on b:') && l.includes('ib_write_lat'));
    const client = lines.find((l) => l.includes('measure client on a:') && l.includes('ib_write_lat'));
    expect(server).toContain(wrapped(['ib_write_lat', '-d', 'mlx5_1', '-x', '3', '-p', '18515', '-s', '64', '-n', '1000']));
    expect(client).toContain(wrapped(['ib_write_lat', '-d', 'mlx5_0', '-x', '3', '-p', '18515', '-s', '64', '-n', '1000', '198.18.0.2']));
  });
  it('dpdk-pci: the binding, the static neighbour, testpmd on the NIC with the inventory lcores', () => {
    expect(lines).toContain(
      '    dpdk-pci set-up on b (bind 0000:3b:00.0 to vfio-pci (was ORIGINAL_DRIVER)): ["dpdk-devbind.py","-b","vfio-pci","0000:3b:00.0"], undo ["dpdk-devbind.py","-b","ORIGINAL_DRIVER","0000:3b:00.0"]',
    );
    expect(lines).toContain(
      '    set-up on client: ["ip","neigh","replace","198.18.0.2","lladdr","0c:42:a1:00:00:0b","dev","ens1f0","nud","permanent"], undo ["ip","neigh","del","198.18.0.2","dev","ens1f0"]',
    );
    const testpmd = lines.find((l) => l.includes('service reflector on b:'));
    expect(testpmd).toContain(
      wrapped([
        'stdbuf',
        '-oL',
        'dpdk-testpmd',
        '-l',
        '18-19',
        '--in-memory',
        '--file-prefix',
        'bbdryrun',
        '-a',
        '0000:3b:00.0',
        '--',
        '--forward-mode=5tswap',
      ]),
    );
  });
});

describe.skipIf(!sshdAvailable())('dry run on the namespace lab', () => {
  let lab: SshLab | null = null;
  afterEach(() => {
    lab?.destroy();
    lab = null;
  });

  it('prints the MACs the hosts really have; a host whose sshd is down gets the placeholder', async () => {
    lab = createSshLab();
    const real = (role: 'client' | 'server') =>
      (JSON.parse(execFileSync('ip', ['-n', lab!.hosts[role].netns, '-j', 'link', 'show', 'dev', 'test0'], { encoding: 'utf8' })) as { address: string }[])[0]!
        .address;
    const args = ['run', 'suites/lab.yaml', '--inventory', lab.inventoryFile, '--known-hosts', lab.knownHostsFile, '--dry-run'];
    const up = await startCli(args);
    expect(up.exitCode).toBe(0);
    expect(up.stdout + up.stderr).toContain(`MAC of test0 on lab${lab.tag}c: ${real('client')} (read from the host now`);
    expect(up.stdout + up.stderr).toContain(`MAC of test0 on lab${lab.tag}s: ${real('server')} (read from the host now`);
    lab.killSshd('server');
    const down = await startCli(args);
    expect(down.exitCode).toBe(0);
    expect(down.stdout + down.stderr).toContain(`MAC of test0 on lab${lab.tag}c: ${real('client')} (read`);
    expect(down.stdout + down.stderr).toMatch(
      new RegExp(`MAC of test0 on lab${lab.tag}s: PLACEHOLDER 00:00:00:00:00:02: the host did not answer \\(.+\\); the run reads`),
    );
    // Nothing of the dry run stays on the hosts: only their sshd (the client's) runs there.
    for (const role of ['client', 'server'] as const) {
      const comms = lab.pids(role).map((p) => execFileSync('cat', [`/proc/${p}/comm`], { encoding: 'utf8' }).trim());
      expect(comms.filter((c) => c !== 'sshd')).toEqual([]);
    }
  }, 180_000);
});
