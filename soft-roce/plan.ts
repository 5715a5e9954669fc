// The plan the host hands to the Soft-RoCE guest, and how it is laid out on the 9p share.
// Pure: runners/softroce-share.ts writes these files and reads the guest's answers back.
//
// plan.json is the plan as given (a JSON list of cases, kept for the record). The guest's busybox
// shell cannot parse JSON, so each case is also written as one argument per line
// (cases/ID/server.args, client.args) plus "key value" settings: the guest never evaluates plan
// text as shell code.
import { UserError } from '../core/errors.js';
import { assertSimpleName } from '../core/validate.js';
import { perftestDriver, type PerftestParams } from '../drivers/perftest/index.js';

/** The guest's fixed topology: one veth pair, an rxe device on each end (see guest/init.sh). */
export const GUEST_TOPOLOGY = {
  server: { device: 'rxe0', netdev: 'veth0', ip: '10.231.0.1' },
  client: { device: 'rxe1', netdev: 'veth1', ip: '10.231.0.2' },
  /** GID index 1 of an rxe device is the IPv4-mapped RoCE v2 GID of its netdev's address. */
  gidIndex: 1,
  /** perftest's default out-of-band TCP port; the guest waits for the server to listen on it. */
  perftestTcpPort: 18515,
} as const;

export interface GuestProcess {
  /** argv inside the guest; argv[0] is a program in the image (ib_write_lat …). */
  argv: string[];
  /** Niceness. Busy-polling perftest at nice 0 starves rxe's softirq work under emulation. */
  nice?: number;
  timeoutS?: number;
}

export interface GuestCase {
  /** Names the case's folder on the share: letters, digits, dot, dash, underscore. */
  id: string;
  server: GuestProcess;
  client: GuestProcess;
  /** TCP port the server listens on before the client may start; null: wait startDelayS instead (rdma_cm servers). */
  readyTcpPort?: number | null;
  startDelayS?: number;
  /** Attempts in all when a row prints inf (failed TSC calibration under emulation). */
  maxAttempts?: number;
  /** How long a server may outlive its client before the guest stops it. */
  serverGraceS?: number;
}

export type GuestPlan = GuestCase[];

export const GUEST_DEFAULTS = {
  serverNice: 0,
  clientNice: 19,
  clientTimeoutS: 120,
  serverTimeoutS: 180,
  startDelayS: 1,
  maxAttempts: 3,
  serverGraceS: 15,
} as const;

/** Case ids name folders on the share ("t0007-rdma-rxe", "ib_write_lat-2B.rep1"): at most this long. */
export const CASE_ID_MAX = 64;
const PROGRAM_RE = /^[A-Za-z0-9_./-]+$/; // "ib_write_lat" or "/usr/bin/ib_write_lat"

function checkProcess(where: string, proc: GuestProcess): void {
  if (!Array.isArray(proc.argv) || proc.argv.length === 0) throw new UserError(`${where}.argv must be a non-empty list`);
  if (!PROGRAM_RE.test(proc.argv[0]!)) throw new UserError(`${where}.argv[0] must be a program name, got ${JSON.stringify(proc.argv[0])}`);
  proc.argv.forEach((arg, i) => {
    if (typeof arg !== 'string' || /[\n\r\0]/.test(arg)) {
      throw new UserError(`${where}.argv[${i}] must be a string without line breaks, got ${JSON.stringify(arg)}`);
    }
  });
  if (proc.nice !== undefined && (!Number.isInteger(proc.nice) || proc.nice < -20 || proc.nice > 19)) {
    throw new UserError(`${where}.nice must be an integer in -20..19, got ${proc.nice}`);
  }
  if (proc.timeoutS !== undefined && !(Number.isInteger(proc.timeoutS) && proc.timeoutS > 0)) {
    throw new UserError(`${where}.timeoutS must be a positive integer, got ${proc.timeoutS}`);
  }
}

export function validateGuestPlan(plan: GuestPlan): void {
  if (!Array.isArray(plan) || plan.length === 0) throw new UserError('plan must be a non-empty list of cases');
  const seen = new Set<string>();
  plan.forEach((c, i) => {
    const where = `plan[${i}]`;
    assertSimpleName(c.id, `${where}.id`, CASE_ID_MAX);
    if (seen.has(c.id)) throw new UserError(`${where}.id ${JSON.stringify(c.id)} is used twice`);
    seen.add(c.id);
    checkProcess(`${where}.server`, c.server);
    checkProcess(`${where}.client`, c.client);
    for (const key of ['startDelayS', 'maxAttempts', 'serverGraceS'] as const) {
      const v = c[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new UserError(`${where}.${key} must be a positive integer, got ${v}`);
    }
    if (c.readyTcpPort !== undefined && c.readyTcpPort !== null && !(Number.isInteger(c.readyTcpPort) && c.readyTcpPort > 0 && c.readyTcpPort < 65536)) {
      throw new UserError(`${where}.readyTcpPort must be a TCP port or null, got ${c.readyTcpPort}`);
    }
  });
}

export interface ShareFile {
  /** Path relative to the share's root. */
  path: string;
  content: string;
}

/** The files the host writes on the share for the guest to run `plan`. */
export function planShareFiles(plan: GuestPlan): ShareFile[] {
  validateGuestPlan(plan);
  const files: ShareFile[] = [
    { path: 'plan.json', content: `${JSON.stringify(plan, null, 2)}\n` },
    { path: 'cases.list', content: plan.map((c) => `${c.id}\n`).join('') },
  ];
  for (const c of plan) {
    const settings: [string, number][] = [
      ['readyTcpPort', c.readyTcpPort ?? 0],
      ['startDelayS', c.startDelayS ?? GUEST_DEFAULTS.startDelayS],
      ['maxAttempts', c.maxAttempts ?? GUEST_DEFAULTS.maxAttempts],
      ['serverGraceS', c.serverGraceS ?? GUEST_DEFAULTS.serverGraceS],
      ['serverNice', c.server.nice ?? GUEST_DEFAULTS.serverNice],
      ['clientNice', c.client.nice ?? GUEST_DEFAULTS.clientNice],
      ['serverTimeoutS', c.server.timeoutS ?? GUEST_DEFAULTS.serverTimeoutS],
      ['clientTimeoutS', c.client.timeoutS ?? GUEST_DEFAULTS.clientTimeoutS],
    ];
    files.push(
      { path: `cases/${c.id}/server.args`, content: c.server.argv.map((a) => `${a}\n`).join('') },
      { path: `cases/${c.id}/client.args`, content: c.client.argv.map((a) => `${a}\n`).join('') },
      { path: `cases/${c.id}/settings`, content: settings.map(([k, v]) => `${k} ${v}\n`).join('') },
    );
  }
  return files;
}

export type PerftestCaseOptions = Omit<PerftestParams, 'role' | 'device' | 'serverAddress' | 'gidIndex'> &
  Pick<GuestCase, 'maxAttempts' | 'startDelayS' | 'serverGraceS'> & {
    serverNice?: number;
    clientNice?: number;
    clientTimeoutS?: number;
    serverTimeoutS?: number;
  };

/** One perftest server/client pair across the guest's veth pair (rxe0 serves, rxe1 connects). */
export function perftestCase(id: string, options: PerftestCaseOptions): GuestCase {
  const { maxAttempts, startDelayS, serverGraceS, serverNice, clientNice, clientTimeoutS, serverTimeoutS, ...common } = options;
  const server = perftestDriver.buildCommand({ ...common, role: 'server', device: GUEST_TOPOLOGY.server.device, gidIndex: GUEST_TOPOLOGY.gidIndex });
  const client = perftestDriver.buildCommand({
    ...common,
    role: 'client',
    device: GUEST_TOPOLOGY.client.device,
    gidIndex: GUEST_TOPOLOGY.gidIndex,
    serverAddress: GUEST_TOPOLOGY.server.ip,
  });
  const guestCase: GuestCase = {
    id,
    server: { argv: server, ...(serverNice !== undefined ? { nice: serverNice } : {}), ...(serverTimeoutS !== undefined ? { timeoutS: serverTimeoutS } : {}) },
    client: { argv: client, ...(clientNice !== undefined ? { nice: clientNice } : {}), ...(clientTimeoutS !== undefined ? { timeoutS: clientTimeoutS } : {}) },
    // rdma_cm servers listen through rdma_cm, not TCP: fall back to a fixed delay.
    readyTcpPort: common.rdmaCm ? null : (common.tcpPort ?? GUEST_TOPOLOGY.perftestTcpPort),
  };
  if (maxAttempts !== undefined) guestCase.maxAttempts = maxAttempts;
  if (startDelayS !== undefined) guestCase.startDelayS = startDelayS;
  if (serverGraceS !== undefined) guestCase.serverGraceS = serverGraceS;
  return guestCase;
}

/** "share-mounted 3.57" lines of guest/timeline: event name (with case id and attempt) and guest uptime in s. */
export function parseTimeline(text: string): { event: string; uptimeS: number }[] {
  const events: { event: string; uptimeS: number }[] = [];
  for (const line of text.split('\n')) {
    // "case-start ib_write_lat-2B 1 5.40": everything before the last field is the event
    const m = /^(.*\S)\s+(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m) events.push({ event: m[1]!, uptimeS: Number(m[2]) });
  }
  return events;
}
