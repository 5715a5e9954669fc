// MAC addresses of the lab hosts' test interfaces: read with `ip -j link show dev IF` over ssh.
// The run needs them (AF_XDP and DPDK clients address the peer's MAC); the dry run reads them
// too when the hosts answer, and otherwise prints a labelled placeholder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabHost } from '../core/inventory.js';
import { run } from './exec.js';
import { sshArgv, type SshSettings } from './ssh.js';

/** Remote argv that prints the interface as JSON. */
export const macArgv = (ifname: string): string[] => ['ip', '-j', 'link', 'show', 'dev', ifname];

/** The MAC in `ip -j link show dev IF`'s output, or an error naming the host and interface. */
export function parseIpLinkMac(stdout: string, host: string, ifname: string): string {
  // [{"ifindex":5,"ifname":"ens1f0","flags":[…],"mtu":1500,…,"link_type":"ether","address":"b8:59:9f:…",…}]
  let mac: string | undefined;
  try {
    mac = (JSON.parse(stdout) as { address?: string }[])[0]?.address;
  } catch {
    throw new Error(`${host}: \`ip -j link show dev ${ifname}\` printed no JSON: ${stdout.slice(0, 200)}`);
  }
  if (!mac || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new Error(`${host}: no MAC address reported for ${ifname}`);
  return mac.toLowerCase();
}

export type MacLookup = { mac: string } | { error: string };

/**
 * One direct ssh connection (no master, a throw-away control folder) per host: the dry run
 * leaves nothing behind on the hosts or here. A host that does not answer gives its error.
 */
export async function lookupMac(host: LabHost, settings: SshSettings, timeoutMs = 15_000): Promise<MacLookup> {
  const controlDir = mkdtempSync(join(tmpdir(), 'bb-mac-'));
  try {
    const r = await run(sshArgv(host, { ...settings, controlDir }, macArgv(host.testIface)), { allowFailure: true, timeoutMs });
    if (r.exitCode !== 0) return { error: r.stderr.trim().split('\n').at(-1) || `ssh exit ${r.exitCode}` };
    return { mac: parseIpLinkMac(r.stdout, host.name, host.testIface) };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    rmSync(controlDir, { recursive: true, force: true });
  }
}
