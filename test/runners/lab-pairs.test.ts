// Several pairs: parallel only when they share no host (by name or by address); the refusal names
// the hosts and their pairs; the CLI refuses before connecting to anything.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabHost, LabPair } from '../../core/inventory.js';
import { UserError } from '../../core/errors.js';
import { checkParallelPairs, runPairs, sharedHosts } from '../../runners/lab-pairs.js';
import { hugepagePoolArgv } from '../../runners/lab-setup.js';
import { startCli } from '../helpers/system.js';

const host = (name: string, role: 'client' | 'server', address = name): LabHost => ({
  name,
  role,
  address,
  user: null,
  port: 22,
  keyFile: null,
  knownHostsFile: null,
  testIp: '10.0.0.1',
  testIface: 'eth1',
  cpus: { client: null, server: null, poller: null },
  pci: null,
  numaNode: null,
  rdmaDev: null,
  gidIndex: null,
  remoteDir: '/tmp/bypassbench-lab',
  nativeDir: null,
});
const pair = (c: LabHost, s: LabHost): LabPair => ({ name: `${c.name}+${s.name}`, client: c, server: s });

describe('parallel pairs', () => {
  it('pairs on four machines share nothing', () => {
    expect(sharedHosts([pair(host('a', 'client'), host('b', 'server')), pair(host('c', 'client'), host('d', 'server'))])).toEqual([]);
  });

  it('a host in two pairs is named, with both pairs; so is one machine under two names', () => {
    const byName = [pair(host('a', 'client'), host('b', 'server')), pair(host('c', 'client'), host('b', 'server'))];
    expect(sharedHosts(byName)).toEqual([{ host: 'b', pairs: ['a+b', 'c+b'] }]);
    expect(() => checkParallelPairs('lab.yml', byName)).toThrow(UserError);
    expect(() => checkParallelPairs('lab.yml', byName)).toThrow(
      /lab\.yml: pairs can run in parallel only when they share no host, but host b is in pairs a\+b, c\+b/,
    );
    const alias = [pair(host('a', 'client'), host('b', 'server', '192.0.2.7')), pair(host('c', 'client'), host('d', 'server', '192.0.2.7'))];
    expect(sharedHosts(alias)).toEqual([{ host: 'b = d (192.0.2.7:22)', pairs: ['a+b', 'c+d'] }]);
  });

  it('runs pairs all at once, or one after the other stopping at an interrupted one', async () => {
    const pairs = [pair(host('a', 'client'), host('b', 'server')), pair(host('c', 'client'), host('d', 'server'))];
    let running = 0;
    let most = 0;
    const one = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      return 0;
    };
    expect(await runPairs(pairs, 'parallel', one, 130)).toEqual([0, 0]);
    expect(most).toBe(2);
    most = 0;
    expect(await runPairs(pairs, 'sequential', one, 130)).toEqual([0, 0]);
    expect(most).toBe(1);
    expect(await runPairs(pairs, 'sequential', () => Promise.resolve(130), 130)).toEqual([130]);
  });

  it('`run --pairs parallel` with pairs sharing a host is refused before any connection, naming the host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bb-pairs-'));
    try {
      const inv = join(dir, 'lab.yml');
      writeFileSync(
        inv,
        [
          'all:',
          '  vars: { bypassbench_test_iface: eth1 }',
          '  children:',
          '    client:',
          '      hosts:',
          '        c1: { ansible_host: 192.0.2.1, bypassbench_test_ip: 10.9.0.1 }',
          '        c2: { ansible_host: 192.0.2.2, bypassbench_test_ip: 10.9.0.3 }',
          '    server:',
          '      hosts:',
          '        s1: { ansible_host: 192.0.2.9, bypassbench_test_ip: 10.9.0.2 }',
          '        s2: { ansible_host: 192.0.2.9, bypassbench_test_ip: 10.9.0.4 }',
          '',
        ].join('\n'),
      );
      const r = await startCli(['run', 'suites/lab.yaml', '--inventory', inv, '--pairs', 'parallel', '--dry-run']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/pairs can run in parallel only when they share no host, but host s1 = s2 \(192\.0\.2\.9:22\) is in pairs c1\+s1, c2\+s2/);
      const ok = await startCli(['run', 'suites/lab.yaml', '--inventory', inv, '--pairs', 'sequential', '--dry-run']);
      expect(ok.exitCode).toBe(0);
      expect(ok.stdout + ok.stderr).toMatch(/2 pair\(s\) from .*one after the other/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('hugepages on a lab host', () => {
  it('the pool script changes the pool under the pool lock and prints its size before and after (a change of 0 here)', () => {
    const argv = hugepagePoolArgv(0);
    const before = execFileSync('cat', ['/proc/sys/vm/nr_hugepages'], { encoding: 'utf8' }).trim();
    // "256 256": the pool before and after (a change of 0).
    const [was, now] = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).trim().split(' ').map(Number);
    expect(Number.isInteger(was)).toBe(true);
    expect(now).toBe(was);
    expect(Number.isInteger(Number(before))).toBe(true);
    // The count is an argument, never part of the script.
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(hugepagePoolArgv(-256).at(-1)).toBe('-256');
  });
});
