// Real, unmodified services (services/) under the open-loop client in namespaces, traced by
// bpftrace (tracepoints) with the runtime's own pause log: components present and sane per
// request, forced collections found and charged to the requests they overlapped, a chain's hop
// measured (with the downstream's own pauses inside it), each service's verdict naming what
// dominates, a crashing service failing its trial with nothing left behind, and bad PIDs refused.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceAttributionResult } from '../../analysis/service-attribution.js';
import { serviceOptionsSchema } from '../../paths/service.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { loadRun, RunFolder } from '../../core/run-folder.js';

describe('service options', () => {
  it('name the field of a bad combination', () => {
    expect(serviceOptionsSchema.safeParse({ service: 'command' }).error?.issues[0]?.path).toEqual(['command']);
    expect(serviceOptionsSchema.safeParse({ pid: 5 }).error?.issues[0]?.path).toEqual(['pid']);
    expect(serviceOptionsSchema.safeParse({ service: 'java', chain: true }).success).toBe(true);
  });
});

describe('service path (real: Java and Node services, bpftrace, runtime logs)', () => {
  it('attributes each service, finds forced collections and the hop; a crash fails its trial; nothing is left', { timeout: 600_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-svc-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/service-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const trials = loadRun(out).trials;
    const attributed = (label: string) => {
      const t = trials.find((x) => x.pathLabel === label)!;
      expect(t.status, `${label}: ${t.error}`).toBe('ok');
      const a = t.native['serviceAttribution'] as ServiceAttributionResult;
      if (a.status !== 'ok') throw new Error(`${label}: ${a.reason}`);
      expect(a.matchedRatio).toBeGreaterThanOrEqual(0.95);
      for (const name of ['kernelRx', 'wakeup', 'queueing', 'application', 'kernelTx'] as const) {
        // Measured components are never negative beyond timestamp granularity.
        expect(a.components[name]!.p50Us, `${label} ${name}`).toBeGreaterThanOrEqual(-1);
      }
      return a;
    };
    for (const label of ['java', 'node']) {
      const a = attributed(label);
      expect(a.pauses, label).not.toBeNull();
      expect(a.pauses!.count, label).toBeGreaterThan(0);
      expect(a.pauses!.delayedRequests, label).toBeGreaterThan(0);
      expect(a.components.hops).toBeNull();
    }
    expect(attributed('java').pauses!.longest.some((p) => p.cause === 'G1CollectFull')).toBe(true);
    expect(attributed('node').pauses!.longest.some((p) => p.cause === 'major (forced)')).toBe(true);
    const chain = attributed('java-chain');
    expect(chain.chained).toBe(true);
    expect(chain.components.hops!.p50Us).toBeGreaterThan(0);
    // A chain's downstream pauses, from the downstream's own log, measured inside the hop.
    const nodeChain = attributed('node-chain-gc');
    expect(nodeChain.downstreamPauses!.runtime).toBe('node');
    expect(nodeChain.downstreamPauses!.longest.some((p) => p.cause === 'major (forced)' && p.overlappedRequests > 0)).toBe(true);
    expect(nodeChain.downstreamPauses!.delayedRequests).toBeGreaterThan(0);
    expect(nodeChain.hopSplit!.downstreamPauses.p99Us).toBeGreaterThan(0);
    expect(nodeChain.hopSplit!.downstreamPauses.p99Us).toBeLessThanOrEqual(nodeChain.components.hops!.p99Us + 1e-6);
    expect(chain.downstreamPauses!.runtime).toBe('jvm');
    // Each service gets its own verdict; the Node service with forced collections: pauses named.
    const verdicts = RunFolder.open(out).readVerdicts()!;
    const nodeVerdict = verdicts.find((v) => v.service?.label === 'node')!;
    expect(nodeVerdict.verdict, nodeVerdict.reason).toBe('no-win');
    expect(nodeVerdict.reason).toMatch(/^GC pauses dominate \(\d+(\.\d)? % of p99\)/);
    expect(verdicts.filter((v) => v.service).map((v) => v.service!.label)).toEqual(['java', 'node', 'java-chain', 'node-chain-gc', 'node-crash']);
    // The tracer's maps lost nothing at this rate.
    for (const label of ['java', 'node', 'java-chain', 'node-chain-gc']) {
      const events = trials.find((x) => x.pathLabel === label)!.native['serviceTraceEvents'] as { written: number; lost: number };
      expect(events.written, label).toBeGreaterThan(0);
      expect(events.lost, label).toBe(0);
    }
    // The Java service's tracing overhead, recorded in run.json from its own pairs (not in trials.jsonl).
    const overhead = (loadRun(out).meta.traceOverhead ?? {})['java']!;
    expect(overhead.pairsPlanned).toBe(2);
    expect(overhead.trialIds).toHaveLength(4);
    expect(trials.some((x) => overhead.trialIds.includes(x.trialId))).toBe(false);
    expect(readFileSync(join(out, 'trace-overhead.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    if (overhead.pairs === 2) expect(overhead.p99Ratio).toBeGreaterThan(0);
    else expect(overhead.reason).toMatch(/pairs complete/);
    expect(Object.keys(loadRun(out).meta.traceOverhead ?? {})).toEqual(['java']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/java: tracing (p50|overhead not measured)/);
    const crash = trials.find((x) => x.pathLabel === 'node-crash')!;
    expect(crash.status).toBe('failed');
    expect(crash.error).toMatch(/service/);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });

  it('refuses a PID that does not exist or does not listen on the port, with a clear error', async () => {
    const gone = await startCli(['attribute', '--pid', '4000000', '--port', '7000']);
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toMatch(/--pid 4000000: no such process/);
    const notListening = await startCli(['attribute', '--pid', String(process.pid), '--port', '7000']);
    expect(notListening.exitCode).toBe(2);
    expect(notListening.stderr).toMatch(new RegExp(`--pid ${process.pid}: the process has no UDP socket on port 7000`));
  });
});
