// Validation of names and addresses before they reach a command line. Everything that ends up in
// an argv is checked here first, so a typo fails with a clear message instead of a tool error.
import { isIPv4 } from 'node:net';
import { UserError } from './errors.js';
import { isRecord } from './json-access.js';

/** Linux interface names: 1–15 bytes, no '/', ':' or whitespace, not '.' or '..' (dev_valid_name); "h3b0", "veth-a.1". */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
// "02:33:00:00:00:02": six hex pairs separated by colons
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/** Names that become file or folder names, or QEMU option values: no '/', ',' or whitespace. */
const SIMPLE_NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** Dotted-quad IPv4, each part 0..255 without leading zeros ("10.233.0.2"). */
export { isIPv4 };

export function isIfName(name: string): boolean {
  return IFNAME_RE.test(name) && name !== '.' && name !== '..';
}

export function isMac(mac: string): boolean {
  return MAC_RE.test(mac);
}

export function assertIfName(name: string, field: string): string {
  if (!isIfName(name)) {
    throw new UserError(`${field} must be an interface name of 1–15 characters [A-Za-z0-9_.-], got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * A name made of [A-Za-z0-9_.-], 1–maxLen characters, and not "." or "..": safe as a file name
 * (a namespace under /run/netns, a case folder on the VM share) and inside a QEMU option.
 */
export function isSimpleName(name: string, maxLen: number): boolean {
  return name.length >= 1 && name.length <= maxLen && SIMPLE_NAME_RE.test(name) && name !== '.' && name !== '..';
}

/** What a simple name may be, for error messages (zod schemas use it too). */
export function simpleNameRule(maxLen: number): string {
  return `must be 1–${maxLen} characters of [A-Za-z0-9_.-] (not . or ..)`;
}

export function assertSimpleName(name: string, field: string, maxLen: number): string {
  if (!isSimpleName(name, maxLen)) throw new UserError(`${field} ${simpleNameRule(maxLen)}, got ${JSON.stringify(name)}`);
  return name;
}

/** Namespace names become files under /run/netns. */
export function assertNetnsName(name: string, field: string): string {
  return assertSimpleName(name, field, 64);
}

export function assertIPv4(addr: string, field: string): string {
  if (!isIPv4(addr)) throw new UserError(`${field} must be an IPv4 address, got ${JSON.stringify(addr)}`);
  return addr;
}

/**
 * Private test ranges the project may send to: RFC 1918 and the RFC 2544 benchmarking range.
 * Traffic only ever goes to addresses inside namespaces or VMs the project creates; this check
 * keeps a typo in a suite from aiming a generator at somebody else's network.
 */
export function isPrivateTestAddress(addr: string): boolean {
  if (!isIPv4(addr)) return false;
  const [a, b] = addr.split('.').map(Number) as [number, number, number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19));
}

/** An IPv4 /24 prefix such as "10.77.1": the topology appends .1 and .2. */
export function assertPrivatePrefix24(prefix: string, field: string): string {
  const probe = `${prefix}.1`;
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(prefix) || !isIPv4(probe) || !isPrivateTestAddress(probe)) {
    throw new UserError(
      `${field} must be the first three octets of a private /24 (10.x.y, 172.16–31.x, 192.168.x or 198.18–19.x), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

export function assertMac(mac: string, field: string): string {
  if (!isMac(mac)) throw new UserError(`${field} must be a MAC address like 02:00:00:00:00:01, got ${JSON.stringify(mac)}`);
  return mac;
}

/** An integer in [min, max], as the string an argv wants; `field` names it in the error. */
export function requireIntInRange(field: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`${field} must be an integer in ${min}..${max}, got ${Number.isNaN(value) ? 'NaN' : String(value)}`);
  }
  return String(value);
}

/**
 * A JSON file's array of objects, checked one by one: `check` throws for a bad entry, naming it
 * by `where` ("file: [3]"). `what` names the entries in the error for a file that is no array.
 */
export function checkRecordArray(
  value: unknown,
  file: string,
  what: string,
  check: (rec: Record<string, unknown>, where: string) => void,
): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new UserError(`${file}: must be a JSON array of ${what}, got ${typeof value}`);
  return value.map((rec: unknown, i) => {
    const where = `${file}: [${i}]`;
    if (!isRecord(rec)) throw new UserError(`${where} must be an object`);
    check(rec, where);
    return rec;
  });
}
