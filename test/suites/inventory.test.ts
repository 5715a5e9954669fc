import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { parseInventory } from '../../suites/inventory.js';

const simple = `
all:
  vars:
    ansible_user: bench
    ansible_ssh_private_key_file: ~/.ssh/lab
  hosts:
    client:
      ansible_host: 192.0.2.10
      bypassbench_test_ip: 10.10.0.1
      bypassbench_test_iface: ens1f0
      bypassbench_cpus_client: "2,4-5"
      bypassbench_pci: "3b:00.0"
    server:
      ansible_host: lab-b.example.org
      ansible_port: 2222
      bypassbench_test_ip: 10.10.0.2
      bypassbench_test_iface: ens1f0
      bypassbench_numa_node: 1
      bypassbench_rdma_dev: mlx5_0
      bypassbench_gid_index: 3
`;

const groups = `
all:
  children:
    lab:
      vars:
        bypassbench_test_iface: eth1
      children:
        client:
          hosts:
            a1: { bypassbench_test_ip: 10.1.0.1 }
            a2: { bypassbench_test_ip: 10.2.0.1 }
        server:
          hosts:
            b1: { bypassbench_test_ip: 10.1.0.2 }
            b2: { bypassbench_test_ip: 10.2.0.2, bypassbench_test_iface: eth2 }
`;

function errorOf(text: string): string {
  try {
    parseInventory('lab.yml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('inventory', () => {
  it('reads hosts named client and server with inherited group variables', () => {
    const inv = parseInventory('lab.yml', simple);
    expect(inv.pairs).toHaveLength(1);
    const { client, server } = inv.pairs[0]!;
    expect(inv.pairs[0]!.name).toBe('client+server');
    expect(client).toMatchObject({ address: '192.0.2.10', user: 'bench', port: 22, keyFile: '~/.ssh/lab', testIp: '10.10.0.1', testIface: 'ens1f0' });
    expect(client.cpus.client).toEqual([2, 4, 5]);
    expect(client.pci).toBe('0000:3b:00.0');
    expect(server).toMatchObject({ address: 'lab-b.example.org', port: 2222, numaNode: 1, rdmaDev: 'mlx5_0', gidIndex: 3, remoteDir: '/tmp/bypassbench-lab' });
  });

  it('pairs the members of client and server groups in order, nested groups passing their variables down', () => {
    const inv = parseInventory('lab.yml', groups);
    expect(inv.pairs.map((p) => p.name)).toEqual(['a1+b1', 'a2+b2']);
    expect(inv.pairs[1]!.server.testIface).toBe('eth2');
    expect(inv.pairs[0]!.client.testIface).toBe('eth1');
    expect(inv.pairs[0]!.client.address).toBe('a1');
    expect(inv.hosts).toHaveLength(4);
  });

  it('names the file, host, variable, bad value and what is allowed, all problems at once', () => {
    const msg = errorOf(`
all:
  hosts:
    client:
      ansible_host: "-oProxyCommand=touch /tmp/x"
      ansible_user: "root@evil"
      ansible_port: 70000
      bypassbench_test_ip: 8.8.8.8
      bypassbench_test_iface: "eth0; reboot"
      bypassbench_cpus_client: [1, -2]
      bypassbench_tset_ip: 10.0.0.1
    server:
      bypassbench_test_ip: 10.0.0.2
      bypassbench_pci: "zz:00.0"
`);
    const lines = msg.split('\n');
    expect(lines).toContain('lab.yml: host client: ansible_host must be a host name or IP address (not starting with -), got "-oProxyCommand=touch /tmp/x"');
    expect(lines.some((l) => l.startsWith('lab.yml: host client: ansible_user must be a user name') && l.endsWith('got "root@evil"'))).toBe(true);
    expect(lines).toContain('lab.yml: host client: ansible_port must be a whole number in 1..65535, got 70000');
    expect(lines.some((l) => l.includes('bypassbench_test_ip must be a private test address') && l.endsWith('got "8.8.8.8"'))).toBe(true);
    expect(lines.some((l) => l.includes('bypassbench_test_iface must be an interface name') && l.endsWith('got "eth0; reboot"'))).toBe(true);
    expect(lines.some((l) => l.includes('bypassbench_cpus_client must be a CPU number') && l.endsWith('got [1,-2]'))).toBe(true);
    expect(lines.some((l) => l.startsWith('lab.yml: host client: bypassbench_tset_ip is not a known variable'))).toBe(true);
    expect(lines).toContain('lab.yml: host server: bypassbench_test_iface is required (the interface that carries test traffic)');
    expect(lines.some((l) => l.includes('host server: bypassbench_pci must be a PCI address') && l.endsWith('got "zz:00.0"'))).toBe(true);
  });

  it('refuses inventories without a pair, unequal groups, one host in both roles and YAML errors', () => {
    expect(errorOf('all:\n  hosts:\n    a: {}\n')).toMatch(/needs hosts named client and server, or groups named client and server/);
    expect(errorOf(groups.replace(/ {12}b2: .*\n/, ''))).toMatch(/must be the same size, got 2 client\(s\) and 1 server\(s\)/);
    expect(
      errorOf('all:\n  children:\n    client: { hosts: { x: { bypassbench_test_ip: 10.0.0.1, bypassbench_test_iface: e } } }\n    server: { hosts: { x: } }\n'),
    ).toMatch(/host x is both a client and a server/);
    expect(errorOf('all: [\n')).toMatch(/^lab\.yml: YAML: /);
    expect(errorOf('- a\n- b\n')).toMatch(/must be an Ansible YAML inventory/);
    expect(errorOf('all:\n  hots: {}\n')).toMatch(/group all: hots is not a known field/);
  });
});
