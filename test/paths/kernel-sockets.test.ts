// Kernel socket paths: the default ones and the tuned (busy-polling) references. Plans on their
// own, then a real run in namespaces: busy pollers pinned where the CPU plan says, the mechanism
// recorded, no global setting changed and nothing left behind.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATH_FAMILY } from '../../core/trial.js';
import { PATH_RECIPES } from '../../paths/registry.js';
import { busyPollSocketOptionsSchema, kernelUdpBusyPollRecipe, kernelUdpRecipe, kernelTcpBusyPollRecipe } from '../../paths/kernel-sockets.js';
import type { TrialContext } from '../../paths/types.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

const ctx: TrialContext = {
  topology: {
    kind: 'netns',
    runTag: 'abc123',
    client: { netns: 'c', ifname: 'ci', ip: '10.77.0.1', mac: '02:00:00:00:00:01' },
    server: { netns: 's', ifname: 'si', ip: '10.77.0.2', mac: '02:00:00:00:00:02' },
    mtu: 1500,
  },
  prepared: { namespaces: {}, links: {}, hugepages: null },
  cpu: { client: 1, server: 1, poller: 0, orchestrator: 0 },
  msgSizeBytes: 64,
  offeredPps: 2000,
  durationS: 1,
  warmupS: 0,
  port: 20001,
  artifactPath: (name) => `/tmp/${name}`,
};

describe('kernel socket recipes', () => {
  it('every recipe that declares a family agrees with core PATH_FAMILY', () => {
    for (const r of PATH_RECIPES) if (r.family !== undefined) expect(r.family, r.path).toBe(PATH_FAMILY[r.path]);
    expect(kernelUdpBusyPollRecipe.family).toBe('kernel-tuned');
    expect(kernelUdpRecipe.family).toBe('kernel');
  });

  it('the tuned reference spins on both ends, the server on the poller CPU', () => {
    const options = busyPollSocketOptionsSchema.parse({});
    const [server, client] = kernelUdpBusyPollRecipe.plan(ctx, options).processes;
    expect(server).toMatchObject({ role: 'server', cpu: 0 });
    expect(client).toMatchObject({ role: 'client', cpu: 1 });
    expect(server!.argv.slice(-5)).toEqual(['--nonblocked', '--timeout', '0', '--lls', '50']);
    expect(client!.argv.slice(-5)).toEqual(['--nonblocked', '--timeout', '0', '--lls', '50']);
    // busyPollUsec 0 = spin without SO_BUSY_POLL.
    const [, noLls] = kernelTcpBusyPollRecipe.plan(ctx, busyPollSocketOptionsSchema.parse({ busyPollUsec: 0 })).processes;
    expect(noLls!.argv).toContain('--tcp');
    expect(noLls!.argv).not.toContain('--lls');
  });

  it('the default path neither spins nor leaves the shared CPU', () => {
    const [server, client] = kernelUdpRecipe.plan(ctx, { mode: 'ping-pong', replyEvery: 1, fullLog: false }).processes;
    expect(server).toMatchObject({ cpu: 1 });
    expect(client).toMatchObject({ cpu: 1 });
    expect(server!.argv).not.toContain('--nonblocked');
  });

  it('rejects a bad busyPollUsec naming the field', () => {
    const r = busyPollSocketOptionsSchema.safeParse({ busyPollUsec: -1 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('busyPollUsec');
  });
});

const sysctls = () => ['busy_read', 'busy_poll'].map((n) => readFileSync(`/proc/sys/net/core/${n}`, 'utf8').trim());

describe('tuned kernel references (real, netns + sockperf)', () => {
  it('measures busy-polling UDP and TCP pinned as planned, changes no sysctl and leaves nothing behind', async () => {
    const before = sysctls();
    const out = join(mkdtempSync(join(tmpdir(), 'bb-busypoll-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/busypoll-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    expect(trials).toHaveLength(6);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string; cpuPlan: { poller: number; client: number } };
    for (const t of trials) {
      expect(t.status, `${t.pathLabel} ${t.offeredPps}: ${t.error}`).toBe('ok');
      const l = t.latencyUs!;
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p99!).toBeGreaterThanOrEqual(l.p50!);
      expect(t.achievedPps!).toBeLessThanOrEqual(t.offeredPps! * 1.05);
      // How the client waited for replies, for the probe-vs-kernel check (like with like).
      expect(t.receiveMode).toBe(t.path === 'kernel-udp' ? 'block' : 'spin');
      if (t.path === 'kernel-udp') continue;
      expect(t.native['busyPoll']).toMatchObject({ mode: 'nonblocking-spin', soBusyPollUsec: 50, preferBusyPoll: false, sysctls: {} });
      // The spinning server keeps its CPU busy whatever the rate.
      expect(t.cpu!.perCpu.find((c) => c.cpu === meta.cpuPlan.poller)!.busy).toBeGreaterThanOrEqual(0.8);
    }
    // Pinned where the plan says: the server on the poller CPU, the client on the client CPU.
    const raws = readdirSync(join(out, 'raw')).filter((f) => /^t000[3-6]-(server|client)\.json$/.test(f));
    expect(raws).toHaveLength(8);
    for (const f of raws) {
      const { argv } = JSON.parse(readFileSync(join(out, 'raw', f), 'utf8')) as { argv: string[] };
      const cpu = f.includes('server') ? meta.cpuPlan.poller : meta.cpuPlan.client;
      expect(argv.slice(argv.indexOf('taskset'), argv.indexOf('taskset') + 3)).toEqual(['taskset', '-c', String(cpu)]);
      expect(argv).toContain('--nonblocked');
    }
    expect(result.exitCode).toBe(0);
    expect(sysctls()).toEqual(before);
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });
});
