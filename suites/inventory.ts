// Reading an Ansible YAML inventory into lab pairs (core/inventory.ts). Labs keep using the
// inventory they have: groups with `hosts`, `vars` and `children`, group variables inherited by
// their hosts, the standard ansible_* connection variables, and bypassbench_* variables for the
// test network. Every problem names the file, the host and variable, the bad value and what is
// allowed; all of them are reported at once.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { UserError } from '../core/errors.js';
import { isRecord } from '../core/json-access.js';
import { DEFAULT_REMOTE_DIR, type Inventory, type LabHost, type LabPair, type LabRole } from '../core/inventory.js';
import { isIfName, isIPv4, isPrivateTestAddress, isSimpleName } from '../core/validate.js';

/** Variables this project reads; any other bypassbench_* variable is a typo. */
const KNOWN_VARS = [
  'bypassbench_test_ip',
  'bypassbench_test_iface',
  'bypassbench_cpus_client',
  'bypassbench_cpus_server',
  'bypassbench_cpus_poller',
  'bypassbench_pci',
  'bypassbench_numa_node',
  'bypassbench_rdma_dev',
  'bypassbench_gid_index',
  'bypassbench_known_hosts_file',
  'bypassbench_remote_dir',
  'bypassbench_native_dir',
] as const;

// A DNS name or IPv4/IPv6 literal; never starting with '-', so ssh cannot read it as an option ("lab1.example.org", "192.0.2.10").
const HOST_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$/;
// A POSIX user name ("bench", "svc_lab-1"); no '@', which ssh would split on.
const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
// Full or short PCI address: "0000:3b:00.0" or "3b:00.0"
const PCI_RE = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
// An absolute path without whitespace or shell-special characters ("/opt/bypassbench/bin")
const ABS_PATH_RE = /^\/[A-Za-z0-9_./+-]*$/;

interface RawHost {
  name: string;
  vars: Record<string, unknown>;
  groups: Set<string>;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Walks groups (hosts, vars, children) depth first; a host's own variables win over its groups'. */
function collectHosts(file: string, root: Record<string, unknown>, problems: string[]): Map<string, RawHost> {
  const hosts = new Map<string, RawHost>();
  const visit = (groupName: string, group: unknown, inherited: Record<string, unknown>, chain: string[]) => {
    if (chain.includes(groupName)) {
      problems.push(`${file}: group ${groupName} contains itself (${[...chain, groupName].join(' → ')})`);
      return;
    }
    if (group === null || group === undefined) group = {};
    if (!isRecord(group)) {
      problems.push(`${file}: group ${groupName} must be a mapping with hosts, vars or children, got ${show(group)}`);
      return;
    }
    for (const key of Object.keys(group)) {
      if (!['hosts', 'vars', 'children'].includes(key))
        problems.push(`${file}: group ${groupName}: ${key} is not a known field (allowed: hosts, vars, children)`);
    }
    const groupVars = group.vars ?? {};
    if (!isRecord(groupVars)) problems.push(`${file}: group ${groupName}: vars must be a mapping, got ${show(groupVars)}`);
    const vars = { ...inherited, ...(isRecord(groupVars) ? groupVars : {}) };
    const groupHosts = group.hosts ?? {};
    if (!isRecord(groupHosts)) problems.push(`${file}: group ${groupName}: hosts must be a mapping of host names to variables, got ${show(groupHosts)}`);
    else {
      for (const [name, hostVars] of Object.entries(groupHosts)) {
        if (hostVars !== null && !isRecord(hostVars)) {
          problems.push(`${file}: host ${name} must map to its variables (or nothing), got ${show(hostVars)}`);
          continue;
        }
        const h = hosts.get(name) ?? { name, vars: {}, groups: new Set<string>() };
        // Group variables fill in what the host's own (already collected) variables do not set.
        h.vars = { ...vars, ...h.vars, ...(hostVars ?? {}) };
        for (const g of [...chain, groupName]) h.groups.add(g);
        hosts.set(name, h);
      }
    }
    const children = group.children ?? {};
    if (!isRecord(children)) problems.push(`${file}: group ${groupName}: children must be a mapping of group names, got ${show(children)}`);
    else for (const [child, body] of Object.entries(children)) visit(child, body, vars, [...chain, groupName]);
  };
  for (const [name, group] of Object.entries(root)) visit(name, group, {}, []);
  return hosts;
}

function cpuList(where: string, key: string, v: unknown, problems: string[]): number[] | null {
  if (v === undefined || v === null) return null;
  // One CPU (3), a list ([2, 3]) or the kernel's list syntax as a string ("2,3" or "2-3").
  let list: unknown[] | null = null;
  if (typeof v === 'number') list = [v];
  else if (Array.isArray(v)) list = v;
  else if (typeof v === 'string' && /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) {
    list = v.split(',').flatMap((part) => {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      return b === undefined ? [a] : Array.from({ length: Math.max(0, b - a + 1) }, (_x, i) => a + i);
    });
  }
  if (!list || list.length === 0 || !list.every((c) => Number.isInteger(c) && (c as number) >= 0 && (c as number) < 4096)) {
    problems.push(`${where}: ${key} must be a CPU number, a list of CPU numbers or a CPU list like "2,4-5" (CPUs 0–4095), got ${show(v)}`);
    return null;
  }
  return list as number[];
}

function optionalString(where: string, key: string, v: unknown, ok: (s: string) => boolean, rule: string, problems: string[]): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !ok(s)) {
    problems.push(`${where}: ${key} ${rule}, got ${show(v)}`);
    return null;
  }
  return s;
}

function optionalInt(where: string, key: string, v: unknown, min: number, max: number, problems: string[]): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    problems.push(`${where}: ${key} must be a whole number in ${min}..${max}, got ${show(v)}`);
    return null;
  }
  return n;
}

function toLabHost(file: string, raw: RawHost, role: LabRole, problems: string[]): LabHost {
  const where = `${file}: host ${raw.name}`;
  const v = raw.vars;
  for (const key of Object.keys(v)) {
    if (key.startsWith('bypassbench_') && !(KNOWN_VARS as readonly string[]).includes(key)) {
      problems.push(`${where}: ${key} is not a known variable (known: ${KNOWN_VARS.join(', ')})`);
    }
  }
  const address = optionalString(
    where,
    'ansible_host',
    v.ansible_host ?? raw.name,
    (s) => HOST_RE.test(s),
    'must be a host name or IP address (not starting with -)',
    problems,
  );
  const user = optionalString(
    where,
    'ansible_user',
    v.ansible_user,
    (s) => USER_RE.test(s),
    'must be a user name of [A-Za-z0-9_.-] starting with a letter or _',
    problems,
  );
  const port = optionalInt(where, 'ansible_port', v.ansible_port, 1, 65535, problems);
  const keyFile = optionalString(
    where,
    'ansible_ssh_private_key_file',
    v.ansible_ssh_private_key_file,
    (s) => s.length > 0 && !s.startsWith('-') && !s.includes('\n'),
    'must be a file path',
    problems,
  );
  const knownHostsFile = optionalString(
    where,
    'bypassbench_known_hosts_file',
    v.bypassbench_known_hosts_file,
    (s) => s.length > 0 && !/[\s,]/.test(s),
    'must be a file path without spaces or commas',
    problems,
  );
  const testIp = optionalString(
    where,
    'bypassbench_test_ip',
    v.bypassbench_test_ip,
    (s) => isIPv4(s) && isPrivateTestAddress(s),
    'must be a private test address (10.x, 172.16–31.x, 192.168.x or 198.18–19.x)',
    problems,
  );
  if (v.bypassbench_test_ip === undefined) problems.push(`${where}: bypassbench_test_ip is required (this host's address on the test network)`);
  const testIface = optionalString(
    where,
    'bypassbench_test_iface',
    v.bypassbench_test_iface,
    isIfName,
    'must be an interface name of 1–15 characters [A-Za-z0-9_.-]',
    problems,
  );
  if (v.bypassbench_test_iface === undefined) problems.push(`${where}: bypassbench_test_iface is required (the interface that carries test traffic)`);
  const pci = optionalString(where, 'bypassbench_pci', v.bypassbench_pci, (s) => PCI_RE.test(s), 'must be a PCI address like 0000:3b:00.0', problems);
  const rdmaDev = optionalString(
    where,
    'bypassbench_rdma_dev',
    v.bypassbench_rdma_dev,
    (s) => isSimpleName(s, 64),
    'must be an RDMA device name like mlx5_0',
    problems,
  );
  const remoteDir = optionalString(
    where,
    'bypassbench_remote_dir',
    v.bypassbench_remote_dir,
    (s) => ABS_PATH_RE.test(s) && s.length > 1,
    'must be an absolute path of [A-Za-z0-9_./+-], not /',
    problems,
  );
  const nativeDir = optionalString(
    where,
    'bypassbench_native_dir',
    v.bypassbench_native_dir,
    (s) => ABS_PATH_RE.test(s),
    'must be an absolute path of [A-Za-z0-9_./+-]',
    problems,
  );
  const host: LabHost = {
    name: raw.name,
    role,
    address: address ?? raw.name,
    user,
    port: port ?? 22,
    keyFile,
    knownHostsFile,
    testIp: testIp ?? '',
    testIface: testIface ?? '',
    cpus: {
      client: cpuList(where, 'bypassbench_cpus_client', v.bypassbench_cpus_client, problems),
      server: cpuList(where, 'bypassbench_cpus_server', v.bypassbench_cpus_server, problems),
      poller: cpuList(where, 'bypassbench_cpus_poller', v.bypassbench_cpus_poller, problems),
    },
    pci: pci ? (pci.length === 7 ? `0000:${pci}` : pci).toLowerCase() : null,
    numaNode: optionalInt(where, 'bypassbench_numa_node', v.bypassbench_numa_node, 0, 1023, problems),
    rdmaDev,
    gidIndex: optionalInt(where, 'bypassbench_gid_index', v.bypassbench_gid_index, 0, 255, problems),
    remoteDir: remoteDir ?? DEFAULT_REMOTE_DIR,
    nativeDir,
  };
  if (!isSimpleName(raw.name, 64))
    problems.push(`${where}: the host name must be 1–64 characters of [A-Za-z0-9_.-] (it names raw/<host>/), got ${show(raw.name)}`);
  return host;
}

/** Hosts of a role: a host named after it, or the members of the group of that name, in file order. */
function roleHosts(hosts: Map<string, RawHost>, role: LabRole): RawHost[] {
  const named = hosts.get(role);
  const members = [...hosts.values()].filter((h) => h.groups.has(role));
  if (named && !members.includes(named)) members.unshift(named);
  return members;
}

export function parseInventory(file: string, text: string): Inventory {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new UserError(doc.errors.map((e) => `${file}: YAML: ${e.message.split('\n')[0]}`).join('\n'), 'fix the YAML syntax at the line shown');
  const root: unknown = doc.toJS();
  if (!isRecord(root)) throw new UserError(`${file}: must be an Ansible YAML inventory (a mapping of groups such as all:), got ${show(root)}`);
  const problems: string[] = [];
  const hosts = collectHosts(file, root, problems);
  const clients = roleHosts(hosts, 'client');
  const servers = roleHosts(hosts, 'server');
  if (clients.length === 0 || servers.length === 0) {
    problems.push(
      `${file}: needs hosts named client and server, or groups named client and server, got ${clients.length} client and ${servers.length} server host(s) among ${[...hosts.keys()].join(', ') || 'no hosts'}`,
    );
  } else if (clients.length !== servers.length) {
    problems.push(
      `${file}: the client and server groups pair up in order and must be the same size, got ${clients.length} client(s) and ${servers.length} server(s)`,
    );
  }
  for (const h of clients) if (servers.includes(h)) problems.push(`${file}: host ${h.name} is both a client and a server; a pair needs two hosts`);
  const labHosts = new Map<string, LabHost>();
  const lab = (raw: RawHost, role: LabRole) => {
    const key = `${role}:${raw.name}`;
    const found = labHosts.get(key) ?? toLabHost(file, raw, role, problems);
    labHosts.set(key, found);
    return found;
  };
  const pairs: LabPair[] = [];
  for (let i = 0; i < Math.min(clients.length, servers.length); i++) {
    const client = lab(clients[i]!, 'client');
    const server = lab(servers[i]!, 'server');
    if (client.testIp && client.testIp === server.testIp)
      problems.push(`${file}: hosts ${client.name} and ${server.name} have the same bypassbench_test_ip ${client.testIp}`);
    pairs.push({ name: `${client.name}+${server.name}`, client, server });
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), 'see "Lab mode" in the README for the inventory format');
  return { file, pairs, hosts: [...labHosts.values()] };
}

export function loadInventory(file: string): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the inventory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseInventory(file, text);
}
