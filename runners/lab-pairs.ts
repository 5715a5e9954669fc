// Several pairs of an inventory: one after the other (the default), or all at once when the suite
// (`lab: { pairs: parallel }`) or `--pairs parallel` asks and no host serves in two pairs — two
// runs on one host would measure each other's load, and their ledgers, hugepages and tracefs
// mounts would collide. Each pair stays a run of its own, its folder and run.json naming its hosts.
import { UserError } from '../core/errors.js';
import type { LabPair } from '../core/inventory.js';

export type PairsMode = 'sequential' | 'parallel';

/** The hosts that serve in more than one pair, with the pairs they serve in; empty when the pairs share nothing. */
export function sharedHosts(pairs: readonly LabPair[]): { host: string; pairs: string[] }[] {
  // A machine is known by its inventory name, and by where ssh reaches it (two names may alias one).
  const byName = new Map<string, Set<string>>();
  const byAddress = new Map<string, { names: Set<string>; pairs: Set<string> }>();
  for (const pair of pairs) {
    for (const h of [pair.client, pair.server]) {
      byName.set(h.name, (byName.get(h.name) ?? new Set()).add(pair.name));
      const key = `${h.address}:${h.port}`;
      const a = byAddress.get(key) ?? { names: new Set<string>(), pairs: new Set<string>() };
      a.names.add(h.name);
      a.pairs.add(pair.name);
      byAddress.set(key, a);
    }
  }
  const out: { host: string; pairs: string[] }[] = [];
  for (const [name, p] of byName) if (p.size > 1) out.push({ host: name, pairs: [...p] });
  for (const [key, a] of byAddress) {
    if (a.names.size > 1 && a.pairs.size > 1) out.push({ host: `${[...a.names].join(' = ')} (${key})`, pairs: [...a.pairs] });
  }
  return out;
}

/** Refuses parallel pairs that share a host, naming each shared host and its pairs. */
export function checkParallelPairs(inventoryFile: string, pairs: readonly LabPair[]): void {
  const shared = sharedHosts(pairs);
  if (shared.length === 0) return;
  throw new UserError(
    `${inventoryFile}: pairs can run in parallel only when they share no host, but ${shared
      .map((s) => `host ${s.host} is in pairs ${s.pairs.join(', ')}`)
      .join('; ')}`,
    'give each pair its own hosts, or run the pairs one after the other (lab: { pairs: sequential }, or --pairs sequential)',
  );
}

/**
 * Runs `runPair` for every pair, one after the other or all at once; returns the exit codes in
 * pair order. Sequentially, an interrupted pair (exit code `stopCode`) stops the rest.
 */
export async function runPairs(pairs: readonly LabPair[], mode: PairsMode, runPair: (pair: LabPair) => Promise<number>, stopCode: number): Promise<number[]> {
  if (mode === 'parallel') return Promise.all(pairs.map(runPair));
  const codes: number[] = [];
  for (const pair of pairs) {
    const code = await runPair(pair);
    codes.push(code);
    if (code === stopCode) break;
  }
  return codes;
}
