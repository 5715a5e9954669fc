// TCP services and `attribute --pid` of a service in another network namespace, for real: the
// demo services over TCP under bb-tsprobe tcp-client in the project's namespaces, traced by
// bpftrace; a service started in a namespace this test creates, attributed by pid with the client
// entering that namespace; and the clear errors for what cannot be attributed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceAttributionResult } from '../../analysis/service-attribution.js';
import { loadRun } from '../../core/run-folder.js';
import { serviceOptionsSchema } from '../../paths/service.js';
import { leftovers, root, shortIdOf, startCli } from '../helpers/system.js';

const attributed = (t: { status: string; error: string | null; native: Record<string, unknown> }, label: string) => {
  expect(t.status, `${label}: ${t.error}`).toBe('ok');
  const a = t.native['serviceAttribution'] as ServiceAttributionResult;
  if (a.status !== 'ok') throw new Error(`${label}: ${a.reason}`);
  expect(a.matchedRatio, label).toBeGreaterThanOrEqual(0.95);
  for (const name of ['kernelRx', 'wakeup', 'queueing', 'application', 'kernelTx'] as const) {
    const c = a.components[name];
    expect(c, `${label} ${name}`).not.toBeNull();
    // Measured components are never negative beyond timestamp granularity; p99 ≥ p50.
    expect(c!.p50Us, `${label} ${name}`).toBeGreaterThanOrEqual(-1);
    expect(c!.p99Us, `${label} ${name}`).toBeGreaterThanOrEqual(c!.p50Us);
  }
  return a;
};

describe('service options: protocol', () => {
  it('names the field of a bad combination', () => {
    expect(serviceOptionsSchema.safeParse({ protocol: 'sctp' }).error?.issues[0]?.message).toMatch(/must be udp or tcp/);
    expect(serviceOptionsSchema.safeParse({ connections: 2 }).error?.issues[0]?.path).toEqual(['protocol']);
    expect(serviceOptionsSchema.safeParse({ protocol: 'tcp', chain: true }).success).toBe(true);
    expect(serviceOptionsSchema.safeParse({ protocol: 'tcp', framing: 'ndjson', connections: 4 }).success).toBe(true);
  });
});

describe('TCP services (real: Java and Node over TCP, bpftrace, runtime logs)', () => {
  it(
    'attributes each TCP service and a TCP chain: components present and ordered, ≥ 95 % matched, pauses and the hop found; nothing left',
    { timeout: 600_000 },
    async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'bb-svctcp-')), 'run');
      const result = await startCli(['run', 'test/fixtures/suites/service-tcp-tiny.yaml', '--out', out, '--quiet']);
      expect(result.stderr).not.toMatch(/unexpected error/);
      const trials = loadRun(out).trials;
      for (const label of ['java-tcp', 'node-tcp']) {
        const t = trials.find((x) => x.pathLabel === label)!;
        const a = attributed(t, label);
        expect(a.pauses!.count, label).toBeGreaterThan(0);
        expect(t.native['serviceTcpMatching']).toMatchObject({ protocol: 'tcp', requestBytes: expect.any(Number) as number });
      }
      // Several connections: each request is matched on its own connection (seq mod N), counted per connection.
      for (const [label, n] of [
        ['node-tcp-2conn', 2],
        ['java-tcp-3conn', 3],
      ] as const) {
        const t = trials.find((x) => x.pathLabel === label)!;
        const a = attributed(t, label);
        expect(t.native['serviceTcpMatching'], label).toMatchObject({ connections: n, matchedBy: 'connection' });
        expect(a.byConnection, label).toHaveLength(n);
        for (const c of a.byConnection!) expect(c.matched, `${label} #${c.index}`).toBeGreaterThanOrEqual(0.9 * c.requests);
      }
      const chain = attributed(
        trials.find((x) => x.pathLabel === 'java-tcp-chain')!,
        'java-tcp-chain',
      );
      expect(chain.chained).toBe(true);
      expect(chain.components.hops!.p50Us).toBeGreaterThan(0);
      const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
      expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
    },
  );
});

describe('attribute --pid of a service in another network namespace (real)', () => {
  const ns = `bbsvctcp-${process.pid}`;
  const services: ResultPromise[] = [];
  const inNs = (args: string[]) => execa('ip', ['-n', ns, ...args]);
  /** A demo service started in the test's namespace; resolves once it listens. */
  async function start(script: string, bind: string, port: number, table: 'tcp' | 'udp'): Promise<number> {
    const p = execa('ip', ['netns', 'exec', ns, 'node', join(root, 'services', 'node', script), '--bind', bind, '--port', String(port)], { reject: false });
    services.push(p);
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (let i = 0; i < 200; i++) {
      // ip netns exec execs the program: the pid is the service's.
      if (readFileSync(`/proc/${p.pid!}/net/${table}`, 'utf8').includes(hex)) return p.pid!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${script} did not listen on ${port}`);
  }
  beforeAll(async () => {
    await execa('ip', ['netns', 'add', ns]);
    await inNs(['link', 'set', 'lo', 'up']);
    // A private test address and a public (documentation, TEST-NET-3) one, on the namespace's own
    // loopback (no dummy driver on this kernel): nothing leaves the namespace.
    await inNs(['addr', 'add', '10.199.0.1/32', 'dev', 'lo']);
    await inNs(['addr', 'add', '203.0.113.5/32', 'dev', 'lo']);
  });
  afterAll(async () => {
    for (const p of services) p.kill('SIGTERM');
    await Promise.all(services);
    await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  it('runs the client inside the namespace against the address the service listens on', { timeout: 300_000 }, async () => {
    const pid = await start('json-tcp-service.mjs', '10.199.0.1', 7301, 'tcp');
    const out = join(mkdtempSync(join(tmpdir(), 'bb-svcpid-')), 'run');
    const r = await startCli(['attribute', '--pid', String(pid), '--port', '7301', '--protocol', 'tcp', '--rate', '200', '--duration', '2', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`in network namespace ${ns}; the client runs there and sends to 10\\.199\\.0\\.1:7301`));
    // Its V8 gc entries over its inspector, opened with SIGUSR1 in its namespace and closed again.
    expect(r.stderr).toMatch(/V8 gc entries from an observer installed over its inspector \(127\.0\.0\.1:9229 in its namespace, opened with SIGUSR1/);
    expect(r.stderr).toMatch(/observer removed, inspector on 127\.0\.0\.1:9229 closed again/);
    const t = loadRun(out).trials[0]!;
    attributed(t, 'pid');
    const client = JSON.parse(readFileSync(join(out, 'raw', 't0001-client.json'), 'utf8')) as { argv: string[] };
    // Pinned by the runner (taskset), then inside the service's namespace.
    expect(client.argv.join(' ')).toContain(`nsenter --net=/proc/${pid}/ns/net -- `);
  });

  it("gets a running Node process's V8 pauses over its inspector (SIGUSR1), forced collections included; closes it again", { timeout: 300_000 }, async () => {
    // Started plainly (no preload): --expose-gc only so that it can force a full collection every 300 ms itself.
    const p = execa(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'node',
        '--expose-gc',
        join(root, 'services', 'node', 'json-tcp-service.mjs'),
        '--bind',
        '10.199.0.1',
        '--port',
        '7305',
        '--gc-every-ms',
        '300',
      ],
      { reject: false },
    );
    services.push(p);
    const pid = p.pid!;
    for (let i = 0; i < 200 && !readFileSync(`/proc/${pid}/net/tcp`, 'utf8').includes(':1C89 '); i++) await new Promise((r) => setTimeout(r, 50));
    const out = join(mkdtempSync(join(tmpdir(), 'bb-svcnode-')), 'run');
    const r = await startCli(['attribute', '--pid', String(pid), '--port', '7305', '--protocol', 'tcp', '--rate', '200', '--duration', '3', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const a = attributed(loadRun(out).trials[0]!, 'node-pid');
    expect(a.pauses!.runtime).toBe('node');
    expect(a.pauses!.source).toMatch(/installed over the inspector/);
    expect(a.pauses!.count).toBeGreaterThan(0);
    expect(a.pauses!.longest.some((x) => x.cause === 'major (forced)')).toBe(true);
    const lines = readFileSync(join(out, 'raw', `node-gc-${pid}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ clock: 'monotonic', pid, installedBy: 'inspector' });
    // Closed again (9229 = 0x240D no longer listening in its namespace), and the service still serves.
    expect(readFileSync(`/proc/${pid}/net/tcp`, 'utf8')).not.toMatch(/:240D [0-9A-F]{8}:0000 0A/);
    expect(p.exitCode).toBeNull();
  });

  it('a Node process whose inspector cannot open gets "pauses: not observed" with the reason', { timeout: 120_000 }, async () => {
    // Another process holds 127.0.0.1:9229 in the namespace: the target's inspector could not bind it.
    const blocker = execa(
      'ip',
      ['netns', 'exec', ns, 'node', join(root, 'services', 'node', 'json-tcp-service.mjs'), '--bind', '127.0.0.1', '--port', '9229'],
      {
        reject: false,
      },
    );
    services.push(blocker);
    for (let i = 0; i < 200 && !readFileSync(`/proc/${blocker.pid!}/net/tcp`, 'utf8').includes(':240D '); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = await start('json-tcp-service.mjs', '10.199.0.1', 7306, 'tcp');
    const r = await startCli(['attribute', '--pid', String(pid), '--port', '7306', '--protocol', 'tcp', '--rate', '100', '--duration', '1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pauses: not observed \(port 9229 in the service's network namespace is taken by another process/);
  });

  it("gets a running JVM's pauses by switching its logging on with jcmd (and off after); forced collections show", { timeout: 300_000 }, async () => {
    const p = execa(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'java',
        '-XX:+UseG1GC',
        '-Djava.net.preferIPv4Stack=true',
        '-cp',
        join(root, 'services', 'build', 'java'),
        'JsonTcpService',
        '--bind',
        '127.0.0.1',
        '--port',
        '7304',
      ],
      { reject: false },
    );
    services.push(p);
    const pid = p.pid!;
    for (let i = 0; i < 400 && !readFileSync(`/proc/${pid}/net/tcp`, 'utf8').includes(':1C88 '); i++) await new Promise((r) => setTimeout(r, 50));
    const out = join(mkdtempSync(join(tmpdir(), 'bb-svcjvm-')), 'run');
    const cli = startCli(['attribute', '--pid', String(pid), '--port', '7304', '--protocol', 'tcp', '--rate', '200', '--duration', '4', '--out', out]);
    // A full collection at known times while the trial runs: jcmd GC.run, one at a time, a second apart
    // (each jcmd is a JVM of its own: overlapping ones would load the 2-vCPU machine).
    let done = false;
    const forcing = (async () => {
      while (!done) {
        await execa('jcmd', [String(pid), 'GC.run'], { reject: false });
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const r = await cli;
    done = true;
    await forcing;
    expect(r.exitCode, r.stderr).toBe(0);
    const a = attributed(loadRun(out).trials[0]!, 'jvm-pid');
    expect(a.pauses!.runtime).toBe('jvm');
    expect(a.pauses!.longest.some((x) => x.cause === 'G1CollectFull')).toBe(true);
    // Switched off again: the JVM has no file output left, and the log went into the run folder.
    const list = await execa('jcmd', [String(pid), 'VM.log', 'list']);
    expect(list.stdout).not.toMatch(/file=/);
    expect(readFileSync(join(out, 'raw', `jvm-${pid}.log`), 'utf8')).toMatch(/Safepoint "G1CollectFull"/);
  });

  it('refuses what it cannot load: a public address, the TCP port of a UDP service, a port nothing listens on', { timeout: 120_000 }, async () => {
    const pub = await start('json-tcp-service.mjs', '203.0.113.5', 7303, 'tcp');
    const r1 = await startCli(['attribute', '--pid', String(pub), '--port', '7303', '--protocol', 'tcp']);
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr).toMatch(/the service listens on 203\.0\.113\.5 port 7303; bypassbench sends only to loopback .* or private test addresses/);
    const udp = await start('json-udp-service.mjs', '10.199.0.1', 7302, 'udp');
    const r2 = await startCli(['attribute', '--pid', String(udp), '--port', '7302', '--protocol', 'tcp']);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/no TCP socket listening on port 7302 .*it has a UDP socket there: use --protocol udp/);
    const r3 = await startCli(['attribute', '--pid', String(process.pid), '--port', '7000', '--protocol', 'tcp']);
    expect(r3.exitCode).toBe(2);
    expect(r3.stderr).toMatch(new RegExp(`--pid ${process.pid}: the process has no TCP socket listening on port 7000`));
  });
});
