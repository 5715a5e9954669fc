// `bypassbench attribute --pid PID --port PORT`: where an already running service can be reached.
// Its network namespace (/proc/PID/ns/net; the name `ip netns` knows it by, from /run/netns), and
// the address it listens on as that namespace sees it (/proc/PID/net/{udp,tcp}[6] show the tables
// of the process's own namespace), owned by the process (a socket among its open files). The
// client then runs inside that namespace and sends over its loopback; only loopback or a private
// test address is accepted, so traffic stays on this host.
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../core/errors.js';
import { isPrivateTestAddress } from '../core/validate.js';
import { hexToIPv4, ownedInodes, socketRows as rows } from '../runners/proc-sockets.js';

export interface RunningTarget {
  /** The address the client sends to, inside the service's namespace. */
  address: string;
  /** own: the service shares this host's namespace; pid: the client enters the service's. */
  netns: 'own' | 'pid';
  /** The named namespace (ip netns) the process is in, when it has a name. */
  netnsName: string | null;
  /** The runtime, by the program the process runs (/proc/PID/exe): its pauses can then be asked for. */
  runtime: 'jvm' | 'node' | null;
}

function runtimeOf(pid: number): RunningTarget['runtime'] {
  let exe: string;
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return null;
  }
  if (exe === 'java') return 'jvm';
  if (exe === 'node' || exe === 'nodejs') return 'node';
  return null;
}

/** The name under /run/netns of the namespace the process is in (what `ip netns identify` prints), if any. */
function netnsName(pid: number): string | null {
  let ino: number;
  try {
    ino = statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return null;
  }
  if (!existsSync('/run/netns')) return null;
  for (const name of readdirSync('/run/netns')) {
    try {
      if (statSync(`/run/netns/${name}`).ino === ino) return name;
    } catch {
      // not a namespace mount
    }
  }
  return null;
}

/** Where the client reaches the running service, or a clear error naming what is wrong. */
export function checkRunningService(pid: number, port: number, protocol: 'udp' | 'tcp'): RunningTarget {
  if (!existsSync(`/proc/${pid}`)) throw new UserError(`--pid ${pid}: no such process (nothing in /proc/${pid})`);
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${pid}/ns/net`);
  } catch (err) {
    throw new UserError(`--pid ${pid}: cannot read its network namespace (${(err as Error).message})`);
  }
  const netns = ns === readlinkSync('/proc/self/ns/net') ? 'own' : 'pid';
  const owned = ownedInodes(pid);
  const mine = (table: string) => rows(pid, table, port).filter((r) => owned.has(r.inode) && (table.startsWith('udp') || r.state === '0A'));
  const sockets = [...mine(protocol), ...mine(`${protocol}6`)];
  if (sockets.length === 0) {
    const other = protocol === 'tcp' ? 'udp' : 'tcp';
    const hint = [...mine(other), ...mine(`${other}6`)].length > 0 ? `; it has a ${other.toUpperCase()} socket there: use --protocol ${other}` : '';
    throw new UserError(
      `--pid ${pid}: the process has no ${protocol.toUpperCase()} socket ${protocol === 'tcp' ? 'listening ' : ''}on port ${port} (checked /proc/${pid}/net/${protocol}{,6} and its open files)${hint}`,
    );
  }
  const addresses = sockets.map((s) => hexToIPv4(s.local));
  // Any address (0.0.0.0, ::): the service's own loopback.
  const found = (address: string): RunningTarget => ({ address, netns, netnsName: netnsName(pid), runtime: runtimeOf(pid) });
  if (addresses.includes('0.0.0.0')) return found('127.0.0.1');
  const usable = addresses.find((a) => a !== null && (a.startsWith('127.') || isPrivateTestAddress(a)));
  if (usable) return found(usable);
  const seen = addresses.map((a, i) => a ?? `IPv6 ${sockets[i]!.local}`).join(', ');
  throw new UserError(
    `--pid ${pid}: the service listens on ${seen} port ${port}; bypassbench sends only to loopback (127.0.0.0/8, 0.0.0.0) or private test addresses (10/8, 172.16/12, 192.168/16, 198.18/15) over IPv4, so traffic stays on this host`,
  );
}
