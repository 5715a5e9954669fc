// Lab mode for real: two "hosts" (namespaces, each with its own sshd on a management veth, a test
// veth between them) that the runner reaches only through the inventory and ssh.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSshLab, sshdAvailable, type SshLab } from '../helpers/ssh-lab.js';
import { startCli } from '../helpers/system.js';

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Rec {
  path: string;
  status: string;
  error: string | null;
  latencyUs: { p50: number | null } | null;
  raw: string[];
}
const records = (out: string): Rec[] =>
  existsSync(join(out, 'trials.jsonl'))
    ? readFileSync(join(out, 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Rec)
    : [];

/** What runs inside a host besides its sshd (a trial tool left behind would show here). */
function foreign(lab: SshLab, role: 'client' | 'server'): string[] {
  return lab
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

function suite(dir: string, paths: string, durationS = 1): string {
  const file = join(dir, 'suite.yaml');
  writeFileSync(file, `name: labtest\nsizes: [64]\nrates: [2000]\ndurationS: ${durationS}\nwarmupS: 0\nrepetitions: 1\npaths:\n${paths}`);
  return file;
}

const enabled = sshdAvailable() && process.getuid?.() === 0;
let lab: SshLab | null = null;
const made: string[] = [];
/** A temporary folder removed after the test. */
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

describe.skipIf(!enabled)('lab mode across two ssh hosts', () => {
  it('runs kernel UDP/TCP, tuned kernel UDP, AF_XDP and the probe on the hosts, records per host, leaves them clean', async () => {
    lab = createSshLab();
    const dir = temp('bb-lab-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    const file = suite(
      dir,
      '  - path: kernel-udp\n  - path: kernel-tcp\n  - path: kernel-udp-busypoll\n  - path: afxdp\n  - path: attribution\n    options: { wakeup: off }\n',
    );
    const r = await startCli(['run', file, '--inventory', lab.inventoryFile, '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
    expect(r.stderr).not.toMatch(/Error:/);
    const recs = records(out);
    expect(recs.map((x) => [x.path, x.status])).toEqual([
      ['kernel-udp', 'ok'],
      ['kernel-tcp', 'ok'],
      ['kernel-udp-busypoll', 'ok'],
      ['afxdp', 'ok'],
      ['attribution', 'ok'],
    ]);
    for (const x of recs) expect(x.latencyUs?.p50).toBeGreaterThan(0);
    // Output of every process is in raw/<host>/, with the host and remote pid in its record.
    const { client, server } = lab.hosts;
    const clientRaw = readdirSync(join(out, 'raw', `lab${lab.tag}c`));
    const serverRaw = readdirSync(join(out, 'raw', `lab${lab.tag}s`));
    expect(clientRaw.some((f) => f.endsWith('-client.stdout'))).toBe(true);
    expect(serverRaw.some((f) => f.endsWith('-server.stdout'))).toBe(true);
    const rec = JSON.parse(
      readFileSync(
        join(
          out,
          'raw',
          `lab${lab.tag}s`,
          serverRaw.find((f) => f.endsWith('-server.json'))!,
        ),
        'utf8',
      ),
    ) as Record<string, unknown>;
    expect(rec.host).toBe(`lab${lab.tag}s`);
    expect(rec.remotePid).toEqual(expect.any(Number));
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      status: string;
      topology: { kind: string; client: { ip: string } };
      lab: { preflight: { client: { reachable: boolean; nic: { driver: string } } } };
    };
    expect(meta.status).toBe('completed');
    expect(meta.topology.kind).toBe('lab');
    expect(meta.topology.client.ip).toBe(client.testIp);
    expect(meta.lab.preflight.client).toMatchObject({ reachable: true, nic: { driver: 'veth' } });
    expect(foreign(lab, 'client')).toEqual([]);
    expect(foreign(lab, 'server')).toEqual([]);
    expect(existsSync(server.remoteDir) ? readdirSync(server.remoteDir) : []).toEqual([]);
    expect(readdirSync(join(state, 'lab')).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 600_000);

  it('a killed sshd mid-trial fails the trial with a clear error; cleanup --inventory leaves both hosts clean', async () => {
    lab = createSshLab();
    const dir = temp('bb-lab-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    const env = { BYPASSBENCH_STATE_DIR: state };
    const child = startCli(['run', suite(dir, '  - path: kernel-udp\n', 6), '--inventory', lab.inventoryFile, '--out', out, '--quiet'], env);
    const clientRaw = join(out, 'raw', `lab${lab.tag}c`);
    await waitFor(() => existsSync(clientRaw) && readdirSync(clientRaw).some((f) => f.endsWith('-client.stdout')), 180_000);
    await new Promise((r) => setTimeout(r, 1000));
    lab.killSshd('client');
    await child;
    const [rec] = records(out);
    expect(rec?.status).toBe('failed');
    expect(rec?.error).toMatch(/lost the ssh connection to lab\w+c/);
    // The client host could not be cleaned: its ledger says what is left there.
    expect(readdirSync(join(state, 'lab')).some((f) => f.endsWith(`lab${lab!.tag}c.json`))).toBe(true);
    expect(foreign(lab, 'server')).toEqual([]);
    lab.startSshd('client');
    const c = await startCli(['cleanup', '--inventory', lab.inventoryFile, '--json'], env);
    expect(c.exitCode).toBe(0);
    expect(foreign(lab, 'client')).toEqual([]);
    expect(readdirSync(join(state, 'lab')).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 600_000);

  it('SIGINT mid-trial stops the run and leaves both hosts clean', async () => {
    lab = createSshLab();
    const dir = temp('bb-lab-');
    const state = temp('bb-state-');
    const out = join(dir, 'run');
    const child = startCli(['run', suite(dir, '  - path: kernel-udp\n', 8), '--inventory', lab.inventoryFile, '--out', out, '--quiet'], {
      BYPASSBENCH_STATE_DIR: state,
    });
    const clientRaw = join(out, 'raw', `lab${lab.tag}c`);
    await waitFor(() => existsSync(clientRaw) && readdirSync(clientRaw).some((f) => f.endsWith('-client.stdout')), 180_000);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(foreign(lab, 'client')).toEqual([]);
    expect(foreign(lab, 'server')).toEqual([]);
    expect(readdirSync(join(state, 'lab')).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 600_000);

  it('a host missing a tool makes the path unsupported on that host, with the fix; doctor says the same', async () => {
    lab = createSshLab({ extraVars: { server: { bypassbench_native_dir: '/nonexistent/bin' } } });
    const dir = temp('bb-lab-');
    const out = join(dir, 'run');
    const state = temp('bb-state-');
    await startCli(['run', suite(dir, '  - path: afxdp\n'), '--inventory', lab.inventoryFile, '--out', out, '--quiet'], { BYPASSBENCH_STATE_DIR: state });
    const [rec] = records(out);
    expect(rec?.status).toBe('unsupported');
    expect(rec?.error).toMatch(new RegExp(`on server host lab${lab.tag}s: .*bb-afxdp.*\\(fix: `));
    const d = await startCli(['doctor', '--inventory', lab.inventoryFile, '--json'], { BYPASSBENCH_STATE_DIR: state });
    const doc = JSON.parse(d.stdout) as { hosts: { preflight: { host: string }; paths: { path: string; status: string }[] }[] };
    const serverPaths = doc.hosts.find((h) => h.preflight.host === `lab${lab!.tag}s`)!.paths;
    expect(serverPaths.find((p) => p.path === 'afxdp')?.status).toBe('unsupported');
    expect(doc.hosts.find((h) => h.preflight.host === `lab${lab!.tag}c`)!.paths.find((p) => p.path === 'afxdp')?.status).toBe('available');
  }, 600_000);

  it('--dry-run prints every remote argv per host without connecting', async () => {
    lab = createSshLab();
    lab.killSshd('client');
    lab.killSshd('server');
    const r = await startCli(['run', 'suites/lab.yaml', '--inventory', lab.inventoryFile, '--dry-run']);
    expect(r.exitCode).toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/client lab\w+c: ssh argv prefix .*"BatchMode=yes"/);
    expect(text).toMatch(/service server on lab\w+s: \["setsid","--wait","sh","-c",.*"sockperf","server"/);
    expect(text).toMatch(/measure client on lab\w+c: \["setsid",.*\/bin\/bb-afxdp","ping","--ifname","test0"/);
    expect(text).toMatch(/preflight ethtoolTimestamping: \["ethtool","-T","test0"\]/);
  }, 120_000);
});
