// The default topology: two network namespaces ("client" and "server") joined by a veth pair,
// with private test addresses inside them. Names carry the run's short id, so two runs at once
// never collide; every object goes into the ledger before it is created.
import { readFileSync } from 'node:fs';
import { assertIfName, assertNetnsName, assertPrivatePrefix24 } from '../core/validate.js';
import type { NetnsNames, TopologyInfo } from '../core/topology.js';
import { run, tryRun } from './exec.js';
import type { Ledger } from './ledger.js';
import { pausePoint } from './test-pause.js';

/** Every namespace the project creates matches this; `cleanup` sweeps orphans by it. */
export const NETNS_PATTERN = /^bypassbench-([0-9a-f]{6})-([a-z][a-z0-9]{0,7})$/;

export function netnsNames(shortId: string): NetnsNames {
  return {
    clientNs: assertNetnsName(`bypassbench-${shortId}-client`, 'namespace'),
    serverNs: assertNetnsName(`bypassbench-${shortId}-server`, 'namespace'),
    // 15-character limit on interface names: "bb" + 6 hex + "c0" fits easily.
    clientIf: assertIfName(`bb${shortId}c0`, 'interface'),
    serverIf: assertIfName(`bb${shortId}s0`, 'interface'),
  };
}

export interface NetnsTopology extends TopologyInfo {
  names: NetnsNames;
  destroy(): Promise<void>;
}

async function linkMac(netns: string, ifname: string): Promise<string> {
  // `ip -j link show` prints [{"ifname":"bb…c0","address":"9e:…",…}]
  const { stdout } = await run(['ip', '-n', netns, '-j', 'link', 'show', 'dev', ifname]);
  const parsed = JSON.parse(stdout) as { address?: string }[];
  const mac = parsed[0]?.address;
  if (!mac) throw new Error(`no MAC address reported for ${ifname} in ${netns}`);
  return mac;
}

export async function createNetnsTopology(opts: { shortId: string; subnet: string; mtu: number; ledger: Ledger }): Promise<NetnsTopology> {
  const subnet = assertPrivatePrefix24(opts.subnet, 'topology.subnet');
  const names = netnsNames(opts.shortId);
  const { ledger } = opts;
  const clientIp = `${subnet}.1`;
  const serverIp = `${subnet}.2`;

  const destroy = () => destroyNetnsTopology(names, ledger);
  try {
    for (const ns of [names.clientNs, names.serverNs]) {
      ledger.update((d) => d.namespaces.push(ns));
      pausePoint('netns-add');
      await run(['ip', 'netns', 'add', ns]);
    }
    ledger.update((d) => d.veths.push(names.clientIf));
    pausePoint('veth-add');
    await run(['ip', 'link', 'add', names.clientIf, 'type', 'veth', 'peer', 'name', names.serverIf]);
    await run(['ip', 'link', 'set', names.clientIf, 'netns', names.clientNs]);
    await run(['ip', 'link', 'set', names.serverIf, 'netns', names.serverNs]);
    // Both ends now live inside namespaces and die with them.
    ledger.update((d) => (d.veths = d.veths.filter((v) => v !== names.clientIf)));
    for (const [ns, ifname, ip] of [
      [names.clientNs, names.clientIf, clientIp],
      [names.serverNs, names.serverIf, serverIp],
    ] as const) {
      await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', ifname]);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', ifname, 'mtu', String(opts.mtu), 'up']);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    }
    const [clientMac, serverMac] = await Promise.all([linkMac(names.clientNs, names.clientIf), linkMac(names.serverNs, names.serverIf)]);
    // Static neighbour entries: the first packet of a trial must not wait for ARP, and AF_XDP
    // paths (which never pass ARP to the kernel) need them anyway.
    await run(['ip', '-n', names.clientNs, 'neigh', 'replace', serverIp, 'lladdr', serverMac, 'dev', names.clientIf, 'nud', 'permanent']);
    await run(['ip', '-n', names.serverNs, 'neigh', 'replace', clientIp, 'lladdr', clientMac, 'dev', names.serverIf, 'nud', 'permanent']);
    return {
      kind: 'netns',
      runTag: opts.shortId,
      names,
      mtu: opts.mtu,
      client: { netns: names.clientNs, ifname: names.clientIf, ip: clientIp, mac: clientMac },
      server: { netns: names.serverNs, ifname: names.serverIf, ip: serverIp, mac: serverMac },
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** Pids of every process inside a namespace (what `ip netns pids` reports). */
export async function netnsPids(ns: string): Promise<number[]> {
  const r = await tryRun(['ip', 'netns', 'pids', ns]);
  if (!r) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export async function killNetnsProcesses(ns: string): Promise<void> {
  for (const pid of await netnsPids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export async function deleteNetns(ns: string): Promise<void> {
  await killNetnsProcesses(ns);
  await tryRun(['ip', 'netns', 'del', ns]);
}

export function netnsExists(ns: string): boolean {
  try {
    readFileSync(`/run/netns/${ns}`);
    return true;
  } catch (err) {
    // Reading a namespace file fails with EINVAL-like errors but it exists; only ENOENT means gone.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

async function destroyNetnsTopology(names: NetnsNames, ledger: Ledger): Promise<void> {
  for (const ns of [names.clientNs, names.serverNs]) {
    await deleteNetns(ns);
  }
  // A veth still in the host namespace (creation failed half-way) is removed by name.
  for (const ifname of [...ledger.snapshot.veths]) {
    await tryRun(['ip', 'link', 'del', ifname]);
  }
  ledger.update((d) => {
    d.namespaces = d.namespaces.filter((n) => n !== names.clientNs && n !== names.serverNs);
    d.veths = [];
  });
}
