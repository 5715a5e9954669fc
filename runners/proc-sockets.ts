// The sockets of a process as /proc shows them: /proc/PID/net/{udp,tcp}[6] are the tables of the
// process's own network namespace, and /proc/PID/fd tells which of their sockets it holds.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface SocketRow {
  /** Dotted quad, or an IPv6 address in /proc's hex when not IPv4-mapped. */
  local: string;
  /** TCP state (0A = LISTEN); UDP sockets show 07. */
  state: string;
  inode: string;
}

/** /proc's hex address (host byte order per 32-bit word) as a dotted quad, or null for a non-mapped IPv6 one. */
export function hexToIPv4(hex: string): string | null {
  const word = hex.length === 8 ? hex : hex.length === 32 && /^0{16}0000FFFF$/i.test(hex.slice(0, 24)) ? hex.slice(24) : null;
  if (word === null) return /^0+$/.test(hex) ? '0.0.0.0' : null;
  const n = parseInt(word, 16);
  // Little-endian word: "0100007F" is 127.0.0.1.
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

/** The rows of /proc/PID/net/TABLE bound to the port. */
export function socketRows(pid: number, table: string, port: number): SocketRow[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
  } catch {
    return [];
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: SocketRow[] = [];
  // A row, e.g. "  12: 0100007F:4E20 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 ...":
  // local address:port, remote, state, …, inode (10th field).
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [addr, p] = (f[1] ?? '').split(':');
    if (f.length > 9 && p === hexPort) out.push({ local: addr!, state: f[3]!, inode: f[9]! });
  }
  return out;
}

export function ownedInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Ports of the TCP sockets the process listens on, by address (IPv4 dotted quad, null for non-mapped IPv6). */
export function listeningTcp(pid: number): { address: string | null; port: number }[] {
  const owned = ownedInodes(pid);
  const out: { address: string | null; port: number }[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    // The same rows as socketRows reads: "  0: 0100007F:240D 00000000:0000 0A … inode …" (0A = LISTEN).
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [addr, port] = (f[1] ?? '').split(':');
      if (f.length > 9 && f[3] === '0A' && owned.has(f[9]!)) out.push({ address: hexToIPv4(addr!), port: parseInt(port!, 16) });
    }
  }
  return out;
}
