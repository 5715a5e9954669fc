// Lab mode beyond the grid's kernel paths, for real on the namespace lab: DPDK testpmd on a
// host's test interface (hugepages reserved and released there), a throughput search across the
// hosts, and the wake-up tracer on each host (tracefs mounted there and unmounted after).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRun, RunFolder } from '../../core/run-folder.js';
import type { AttributionResult } from '../../analysis/attribution.js';
import { createSshLab, sshdAvailable, type SshLab } from '../helpers/ssh-lab.js';
import { startCli } from '../helpers/system.js';

const enabled = sshdAvailable() && process.getuid?.() === 0;
let lab: SshLab | null = null;
const made: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterEach(() => {
  lab?.destroy();
  lab = null;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

const nrHugepages = () => Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8').trim());

/** The mounts a host's processes see (its sshd's mount namespace), as /proc/mounts lines. */
function hostMounts(l: SshLab, role: 'client' | 'server'): string {
  const pid = l.pids(role)[0];
  if (pid === undefined) throw new Error(`no process in ${role}`);
  return readFileSync(`/proc/${pid}/mounts`, 'utf8');
}

/** Everything a host runs besides its sshd. */
function foreign(l: SshLab, role: 'client' | 'server'): string[] {
  return l
    .pids(role)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return 'sshd';
      }
    })
    .filter((c) => c !== 'sshd');
}

function expectClean(l: SshLab, state: string): void {
  expect(foreign(l, 'client')).toEqual([]);
  expect(foreign(l, 'server')).toEqual([]);
  expect(existsSync(l.hosts.client.remoteDir) ? readdirSync(l.hosts.client.remoteDir) : []).toEqual([]);
  expect(existsSync(l.hosts.server.remoteDir) ? readdirSync(l.hosts.server.remoteDir) : []).toEqual([]);
  expect(existsSync(join(state, 'lab')) ? readdirSync(join(state, 'lab')).filter((f) => f.endsWith('.json')) : []).toEqual([]);
  for (const role of ['client', 'server'] as const) expect(hostMounts(l, role)).not.toMatch(/ hugetlbfs | tracefs /);
}

function suite(dir: string, body: string): string {
  const file = join(dir, 'suite.yaml');
  writeFileSync(file, `name: labpaths\nsizes: [64]\nwarmupS: 0\nrepetitions: 1\n${body}`);
  return file;
}

describe.skipIf(!enabled)('lab mode: dpdk, searches and the wake-up tracer across two ssh hosts', () => {
  it('runs testpmd on the server host with hugepages reserved there, released after', async () => {
    lab = createSshLab();
    const dir = temp('bb-labp-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    // The pool is global here (both "hosts" share this kernel): only a pool that was empty can be checked for 0.
    const before = nrHugepages();
    const file = suite(dir, 'rates: [2000]\ndurationS: 2\npaths:\n  - path: dpdk-afxdp\n  - path: dpdk-afpacket\n  - path: dpdk-wire\n');
    const r = await startCli(['run', file, '--inventory', lab.inventoryFile, '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
    expect(r.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    const by = (p: string) => trials.find((t) => t.path === p)!;
    expect(by('dpdk-afxdp').status).toBe('ok');
    expect(by('dpdk-afxdp').latencyUs?.p50).toBeGreaterThan(0);
    // CPU measured on each host over the window: present and sane, never 0 for "not measured".
    const cpu = by('dpdk-afxdp').cpu!;
    expect(Object.keys(cpu.hosts ?? {}).sort()).toEqual([`lab${lab.tag}c`, `lab${lab.tag}s`]);
    for (const h of Object.values(cpu.hosts ?? {})) {
      if (h.coresBusy === null) continue;
      expect(h.coresBusy).toBeGreaterThanOrEqual(0);
      expect(h.coresBusy).toBeLessThanOrEqual(cpus().length);
    }
    // The busy-polling reflector alone keeps its host's core busy.
    expect(cpu.hosts?.[`lab${lab.tag}s`]?.coresBusy).toBeGreaterThan(0);
    expect(cpu.coresBusy).toBeLessThanOrEqual(2 * cpus().length);
    expect(by('dpdk-afxdp').trafficStartS).toBeGreaterThan(0);
    expect(by('dpdk-afpacket').status).toBe('ok');
    // A middle namespace has no counterpart on two hosts: unsupported, with the fix.
    expect(by('dpdk-wire').status).toBe('unsupported');
    expect(by('dpdk-wire').error).toMatch(/fix: /);
    // testpmd ran on the server host, its output in raw/<server>/.
    expect(readdirSync(join(out, 'raw', `lab${lab.tag}s`)).some((f) => f.endsWith('-reflector.stdout'))).toBe(true);
    if (before === 0) expect(nrHugepages()).toBe(0);
    expectClean(lab, state);
  }, 900_000);

  it('searches the throughput of a path across the hosts (search.json, search trials tagged)', async () => {
    lab = createSshLab();
    const dir = temp('bb-labp-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    const file = suite(
      dir,
      'rates: [2000]\ndurationS: 1\npaths:\n  - path: kernel-udp\nsearch:\n  paths: [kernel-udp]\n  minPps: 1000\n  maxPps: 40000\n  goalWidth: 0.5\n  maxTrials: 3\n  trialDurationS: 1\n',
    );
    const r = await startCli(['run', file, '--inventory', lab.inventoryFile, '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
    expect(r.stderr).not.toMatch(/unexpected error/);
    const run = loadRun(out);
    const searched = run.trials.filter((t) => t.search);
    expect(searched.length).toBeGreaterThan(0);
    expect(searched.every((t) => t.status === 'ok' || t.status === 'failed')).toBe(true);
    expect(searched.some((t) => t.status === 'ok' && (t.achievedPps ?? 0) > 0)).toBe(true);
    expect(
      RunFolder.open(out)
        .readSearches()
        ?.map((x) => x.path),
    ).toEqual(['kernel-udp']);
    expectClean(lab, state);
  }, 900_000);

  it('traces wake-ups on each host (tracefs mounted there for the trial, unmounted after) and splits kernel RX', async () => {
    lab = createSshLab();
    const dir = temp('bb-labp-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    const file = suite(dir, 'rates: [2000]\ndurationS: 2\npaths:\n  - path: attribution\n    options: { pacing: sleep }\n');
    const r = await startCli(['run', file, '--inventory', lab.inventoryFile, '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
    expect(r.stderr).not.toMatch(/unexpected error/);
    const [t] = loadRun(out).trials;
    expect(t?.status).toBe('ok');
    const a = t!.native['attribution'] as AttributionResult;
    if (a.status !== 'ok') throw new Error('no attribution');
    expect(a.kernelRxSplit?.source).toMatch(/bpftrace/);
    // One tracer per host, each log streamed back into that host's raw/ folder.
    expect(readdirSync(join(out, 'raw', `lab${lab.tag}s`)).some((f) => f.endsWith('-tracer.stdout'))).toBe(true);
    expect(readdirSync(join(out, 'raw', `lab${lab.tag}c`)).some((f) => f.endsWith('-tracer-client.stdout'))).toBe(true);
    expectClean(lab, state);
  }, 900_000);

  it('runs two pairs that share no host in parallel, each run tagged with its hosts', async () => {
    lab = createSshLab();
    const other = createSshLab();
    try {
      const dir = temp('bb-labp-');
      const state = temp('bb-state-');
      const inventory = join(dir, 'two-pairs.yml');
      const host = (l: SshLab, role: 'client' | 'server') => {
        const h = l.hosts[role];
        return (
          `        ${h.name}: { ansible_host: ${h.mgmtIp}, bypassbench_test_ip: ${h.testIp}, bypassbench_remote_dir: ${h.remoteDir},` +
          ` ansible_ssh_private_key_file: ${l.keyFile}, bypassbench_known_hosts_file: ${l.knownHostsFile} }\n`
        );
      };
      writeFileSync(
        inventory,
        `all:\n  vars: { ansible_user: root, bypassbench_test_iface: test0 }\n  children:\n    client:\n      hosts:\n${host(lab, 'client')}${host(other, 'client')}` +
          `    server:\n      hosts:\n${host(lab, 'server')}${host(other, 'server')}`,
      );
      const out = join(dir, 'run');
      const file = suite(dir, 'rates: [2000]\ndurationS: 3\npaths:\n  - path: kernel-udp\n');
      const r = await startCli(['run', file, '--inventory', inventory, '--pairs', 'parallel', '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
      expect(r.stderr).not.toMatch(/unexpected error/);
      const windows: [number, number][] = [];
      for (const l of [lab, other]) {
        const pairOut = `${out}-${l.hosts.client.name}+${l.hosts.server.name}`;
        const run = loadRun(pairOut);
        expect(run.meta.lab?.hosts).toEqual({ client: l.hosts.client.name, server: l.hosts.server.name });
        const [t] = run.trials;
        expect(t?.status).toBe('ok');
        const start = Date.parse(t!.startedAt);
        windows.push([start, start + t!.durationS * 1000]);
      }
      // At once: the two pairs' trials overlap in time.
      expect(Math.max(windows[0]![0], windows[1]![0])).toBeLessThan(Math.min(windows[0]![1], windows[1]![1]));
      expectClean(lab, state);
      expectClean(other, state);
    } finally {
      other.destroy();
    }
  }, 900_000);
});
