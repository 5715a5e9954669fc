// A lab of two "hosts" on this machine, for lab-mode tests: each host is a network namespace
// running its own sshd on a management veth to the root namespace, and a separate test veth pair
// (named test0 on both sides) joins the two hosts with private test addresses. Per-lab host keys,
// client key, known_hosts and inventory. The runner under test only ever sees the inventory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SshLabHost {
  name: string;
  netns: string;
  mgmtIp: string;
  testIp: string;
  remoteDir: string;
}

export interface SshLab {
  dir: string;
  tag: string;
  inventoryFile: string;
  knownHostsFile: string;
  keyFile: string;
  hosts: { client: SshLabHost; server: SshLabHost };
  /** Kills every sshd of that host (listener and sessions), as a crash of the host's ssh would. */
  killSshd(host: 'client' | 'server'): void;
  startSshd(host: 'client' | 'server'): void;
  /** Pids of everything running inside that host. */
  pids(host: 'client' | 'server'): number[];
  destroy(): void;
}

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function sshdAvailable(): boolean {
  try {
    sh(['test', '-x', '/usr/sbin/sshd']);
    return true;
  } catch {
    return false;
  }
}

/** `extraVars` adds inventory variables per host (e.g. a missing tool's PATH). */
export function createSshLab(opts: { extraVars?: Partial<Record<'client' | 'server', Record<string, string>>> } = {}): SshLab {
  // A /24 no other lab on this machine uses right now (labs of parallel tests share the root namespace's routes).
  const used = new Set([...sh(['ip', 'route']).matchAll(/10\.250\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 150 }, (_, i) => 100 + i).filter((i) => !used.has(i));
  const n = free[Math.floor(Math.random() * free.length)] ?? 100 + Math.floor(Math.random() * 150);
  const tag = `${process.pid.toString(36).slice(-3)}${n.toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), `bblab-${tag}-`));
  const host = (role: 'client' | 'server', last: number): SshLabHost => ({
    name: `lab${tag}${role[0]}`,
    netns: `bblab-${tag}-${role}`,
    mgmtIp: `10.250.${n}.${last + 4}`,
    testIp: `10.251.${n}.${last}`,
    remoteDir: join(dir, `${role}-remote`),
  });
  const hosts = { client: host('client', 1), server: host('server', 2) };
  const keyFile = join(dir, 'id_ed25519');
  const knownHostsFile = join(dir, 'known_hosts');
  const inventoryFile = join(dir, 'inventory.yml');
  const destroy = () => {
    for (const h of Object.values(hosts)) {
      for (const pid of pidsIn(h.netns)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      try {
        sh(['ip', 'netns', 'del', h.netns]);
      } catch {
        // never created
      }
    }
    try {
      sh(['ip', 'link', 'del', `bbm${tag}c`]);
    } catch {
      // went with the namespace
    }
    try {
      sh(['ip', 'link', 'del', `bbm${tag}s`]);
    } catch {
      // went with the namespace
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const startSshd = (role: 'client' | 'server') => {
    const h = hosts[role];
    sh(['ip', 'netns', 'exec', h.netns, '/usr/sbin/sshd', '-f', join(dir, `sshd-${role}.conf`), '-E', join(dir, `sshd-${role}.log`)]);
  };
  try {
    mkdirSync('/run/sshd', { recursive: true });
    sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'bypassbench-test', '-f', keyFile]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${keyFile}.pub`));
    const known: string[] = [];
    for (const [role, h] of Object.entries(hosts) as ['client' | 'server', SshLabHost][]) {
      const mgmt = `bbm${tag}${role[0]}`;
      sh(['ip', 'netns', 'add', h.netns]);
      sh(['ip', '-n', h.netns, 'link', 'set', 'lo', 'up']);
      sh(['ip', 'link', 'add', mgmt, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', h.netns]);
      sh(['ip', 'addr', 'add', `${h.mgmtIp.replace(/\.\d+$/, role === 'client' ? '.1' : '.2')}/32`, 'dev', mgmt]);
      sh(['ip', 'link', 'set', mgmt, 'up']);
      sh(['ip', 'route', 'add', `${h.mgmtIp}/32`, 'dev', mgmt]);
      sh(['ip', '-n', h.netns, 'addr', 'add', `${h.mgmtIp}/32`, 'dev', 'mgmt0']);
      sh(['ip', '-n', h.netns, 'link', 'set', 'mgmt0', 'up']);
      sh(['ip', '-n', h.netns, 'route', 'add', 'default', 'dev', 'mgmt0']);
      const hostKey = join(dir, `hostkey-${role}`);
      sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      known.push(`${h.mgmtIp} ${readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')}`);
      writeFileSync(
        join(dir, `sshd-${role}.conf`),
        [
          `ListenAddress ${h.mgmtIp}`,
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, `sshd-${role}.pid`)}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'MaxSessions 64',
          'MaxStartups 64',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      startSshd(role);
    }
    // The test link between the two hosts: test0 on both sides.
    sh(['ip', 'link', 'add', `bbt${tag}c`, 'netns', hosts.client.netns, 'type', 'veth', 'peer', 'name', `bbt${tag}s`, 'netns', hosts.server.netns]);
    for (const [role, h] of Object.entries(hosts) as ['client' | 'server', SshLabHost][]) {
      sh(['ip', '-n', h.netns, 'link', 'set', `bbt${tag}${role[0]}`, 'name', 'test0']);
      sh(['ip', '-n', h.netns, 'addr', 'add', `${h.testIp}/24`, 'dev', 'test0']);
      sh(['ip', '-n', h.netns, 'link', 'set', 'test0', 'up']);
    }
    writeFileSync(knownHostsFile, `${known.join('\n')}\n`);
    const vars = (role: 'client' | 'server') => {
      const h = hosts[role];
      const extra = Object.entries(opts.extraVars?.[role] ?? {}).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}\n`);
      return (
        `        ${h.name}:\n          ansible_host: ${h.mgmtIp}\n          bypassbench_test_ip: ${h.testIp}\n` +
        `          bypassbench_remote_dir: ${h.remoteDir}\n${extra.join('')}`
      );
    };
    writeFileSync(
      inventoryFile,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${keyFile}\n    bypassbench_known_hosts_file: ${knownHostsFile}\n` +
        `    bypassbench_test_iface: test0\n  children:\n    client:\n      hosts:\n${vars('client')}    server:\n      hosts:\n${vars('server')}`,
    );
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    dir,
    tag,
    inventoryFile,
    knownHostsFile,
    keyFile,
    hosts,
    killSshd: (role) => {
      for (const pid of pidsIn(hosts[role].netns)) {
        if (readComm(pid) === 'sshd') process.kill(pid, 'SIGKILL');
      }
    },
    startSshd,
    pids: (role) => pidsIn(hosts[role].netns),
    destroy,
  };
}

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function pidsIn(netns: string): number[] {
  try {
    return sh(['ip', 'netns', 'pids', netns])
      .split('\n')
      .map(Number)
      .filter((p) => p > 0);
  } catch {
    return [];
  }
}
