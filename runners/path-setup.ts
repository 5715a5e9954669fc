// Per-path set-up: the extra links, the middle namespace, hugepages and adjustments (checksum
// offload, addresses) that one path needs while its trials run, and their undo afterwards, so
// the next path finds the default topology as it was. Everything goes into the ledger first.
import { rmSync } from 'node:fs';
import { assertIfName, assertNetnsName } from '../core/validate.js';
import type { Place, PreparedPath } from '../paths/types.js';
import type { AnyNetnsRecipe } from '../paths/registry.js';
import { run, tryRun, CommandError } from './exec.js';
import { releaseHugepages, reserveHugepages, type HugepageReservation } from './hugepages.js';
import type { Ledger } from './ledger.js';
import { deleteNetns, type NetnsTopology } from './netns.js';
import { pausePoint } from './test-pause.js';

/** A path's set-up while its trials run: what it prepared, and how to undo it. */
export interface PathSetUp {
  prepared: PreparedPath;
  teardown(): Promise<void>;
}

/** What a trial sees when its path needed (or got) no set-up. */
export const NOTHING_PREPARED: PreparedPath = { namespaces: {}, links: {}, hugepages: null };

/** Extra links are "bb<id>" + x|y (the a and b ends) + their index: see VETH_PATTERN in cleanup. */
function linkNames(shortId: string, index: number): [string, string] {
  return [assertIfName(`bb${shortId}x${index}`, 'interface'), assertIfName(`bb${shortId}y${index}`, 'interface')];
}

async function macOf(netns: string, ifname: string): Promise<string> {
  const { stdout } = await run(['ip', '-n', netns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(stdout) as { address: string }[])[0]!.address;
}

export async function setUpPath(recipe: AnyNetnsRecipe, options: unknown, topology: NetnsTopology, ledger: Ledger, shortId: string): Promise<PathSetUp> {
  const setup = recipe.setup?.(options, topology) ?? {};
  const prepared: PreparedPath = { namespaces: {}, links: {}, hugepages: null };
  const undo: (() => Promise<unknown>)[] = [];
  let reservation: HugepageReservation | null = null;
  const teardown = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
    if (reservation) {
      await releaseHugepages(reservation);
      ledger.update((d) => (d.hugepages = null));
      reservation = null;
    }
  };
  const nsOf = (place: Place): string => {
    if (place === 'host') throw new Error(`path ${recipe.path}: set-up in the host namespace is not allowed`);
    if (place === 'client') return topology.client.netns;
    if (place === 'server') return topology.server.netns;
    const ns = prepared.namespaces[place];
    if (!ns) throw new Error(`path ${recipe.path} uses namespace "${place}" without asking for it in setup().namespaces`);
    return ns;
  };

  try {
    for (const name of setup.namespaces ?? []) {
      if (!/^[a-z][a-z0-9]{0,7}$/.test(name) || ['client', 'server', 'host'].includes(name)) {
        throw new Error(
          `path ${recipe.path}: extra namespace name ${JSON.stringify(name)} must be 1–8 lower-case letters/digits and not client, server or host`,
        );
      }
      const ns = assertNetnsName(`bypassbench-${shortId}-${name}`, 'namespace');
      ledger.update((d) => d.namespaces.push(ns));
      pausePoint('path-netns-add');
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
      prepared.namespaces[name] = ns;
      undo.push(async () => {
        await deleteNetns(ns);
        ledger.update((d) => (d.namespaces = d.namespaces.filter((n) => n !== ns)));
      });
    }
    for (const [index, link] of (setup.links ?? []).entries()) {
      const [aName, bName] = linkNames(shortId, index);
      ledger.update((d) => d.veths.push(aName));
      pausePoint('path-veth-add');
      await run(['ip', 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName]);
      for (const [name, place, ip] of [
        [aName, link.a, link.aIp],
        [bName, link.b, link.bIp],
      ] as const) {
        const ns = nsOf(place);
        await run(['ip', 'link', 'set', name, 'netns', ns]);
        if (ip) await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', name]);
        await run(['ip', '-n', ns, 'link', 'set', 'dev', name, 'mtu', String(topology.mtu), 'up']);
      }
      ledger.update((d) => (d.veths = d.veths.filter((v) => v !== aName)));
      // Deleting one end of a veth pair deletes both.
      undo.push(() => tryRun(['ip', '-n', nsOf(link.a), 'link', 'del', aName]));
      prepared.links[link.id] = {
        a: { netns: nsOf(link.a), ifname: aName, ip: link.aIp ?? null, mac: await macOf(nsOf(link.a), aName) },
        b: { netns: nsOf(link.b), ifname: bName, ip: link.bIp ?? null, mac: await macOf(nsOf(link.b), bName) },
      };
    }
    for (const prefix of setup.dpdkPrefixes ?? []) {
      // DPDK keeps /var/run/dpdk/<prefix> after exit, even in --in-memory mode.
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) throw new Error(`path ${recipe.path}: DPDK file prefix ${JSON.stringify(prefix)} is not a simple name`);
      const dir = `/var/run/dpdk/${prefix}`;
      ledger.update((d) => d.paths.push(dir));
      pausePoint('dpdk-prefix');
      undo.push(async () => {
        rmSync(dir, { recursive: true, force: true });
        ledger.update((d) => (d.paths = d.paths.filter((p) => p !== dir)));
      });
    }
    if (setup.hugepages) {
      // The ledger hears of each change before it is made (see reserveHugepages).
      reservation = await reserveHugepages(setup.hugepages, (intent) => ledger.update((d) => (d.hugepages = intent)));
      const r = reservation;
      prepared.hugepages = { mountPoint: r.mountPoint, pageSizeKb: r.pageSizeKb };
    }
    for (const cmd of recipe.setupCommands?.(topology, prepared, options) ?? []) {
      const ns = nsOf(cmd.place);
      try {
        await run(['ip', 'netns', 'exec', ns, ...cmd.do]);
      } catch (err) {
        const detail = err instanceof CommandError ? err.message : String(err);
        throw new Error(`setting up ${recipe.path} (${cmd.why}) failed: ${detail}`, { cause: err });
      }
      if (cmd.undo) {
        const back = cmd.undo;
        undo.push(() => tryRun(['ip', 'netns', 'exec', ns, ...back]));
      }
    }
    return { prepared, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}
