// Attribution for real: bb-tsprobe in namespaces, with relay hops in namespaces of their own.
// The components of each request add up to its round trip, and the application-heavy variant
// (JSON, two hops, GC-like pauses) leaves the kernel a smaller share of p99 than bare messages.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attribute, type AttributionResult } from '../../analysis/attribution.js';
import { workloadSteadiness } from '../../analysis/steadiness.js';
import { parseTsprobeRecords, TSPROBE_RECORDS } from '../../drivers/tsprobe/index.js';
import { attributionOptionsSchema, attributionRecipe } from '../../paths/attribution.js';
import { fixturePath } from '../helpers/fixtures.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';
import { tracefsMounted } from '../../runners/tracefs.js';
import { loadRun } from '../../core/run-folder.js';

describe('attribution recipe (pure)', () => {
  it('turns the records its driver read into native.attribution and the workload steadiness', () => {
    const path = fixturePath('tsprobe', 'bare-raw64-1k', 'records.csv');
    const records = parseTsprobeRecords(readFileSync(path, 'utf8'));
    const native = attributionRecipe.nativeFromArtifacts!([{ driver: 'tsprobe', kind: TSPROBE_RECORDS, path, content: records }]);
    expect(native).toEqual({
      attribution: attribute(records),
      steadiness: workloadSteadiness(
        records.map((r) => r.sRxNs),
        'server RX timestamps (bb-tsprobe records)',
      ),
    });
  });
});

describe('attribution options', () => {
  it('takes on/off arrivals with both periods, and a warm-up of the probe itself (default: the suite’s warmupS)', () => {
    expect(attributionOptionsSchema.parse({}).warmupS).toBeUndefined();
    expect(attributionOptionsSchema.parse({ arrivals: 'onoff', onMs: 10, offMs: 40, warmupS: 0.5 })).toMatchObject({
      arrivals: 'onoff',
      onMs: 10,
      offMs: 40,
      warmupS: 0.5,
    });
  });

  it.each([
    [{ arrivals: 'bursty' }, /arrivals.*must be fixed, poisson or onoff/],
    [{ arrivals: 'onoff', onMs: 10 }, /onMs and offMs go with arrivals: onoff/],
    [{ arrivals: 'poisson', onMs: 10, offMs: 40 }, /onMs and offMs go with arrivals: onoff/],
    [{ arrivals: 'onoff', onMs: 0, offMs: 40 }, /onMs/],
    [{ warmupS: -1 }, /warmupS/],
  ])('rejects %j', (options, message) => {
    const r = attributionOptionsSchema.safeParse(options);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`))).toMatch(message);
  });
});

describe('attribution path (real, netns + bb-tsprobe)', () => {
  it('splits round trips into components, and the kernel share moves with the application', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-attr-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/attribution-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const trials = loadRun(out).trials;
    const share = (label: string) => {
      const t = trials.find((x) => x.pathLabel === label)!;
      expect(t.status).toBe('ok');
      const a = t.native['attribution'] as AttributionResult;
      expect(a.status).toBe('ok');
      if (a.status !== 'ok') throw new Error('no attribution');
      // Components of each request add up to its measured round trip (within the stated tolerance).
      expect(a.sumCheck.withinToleranceRatio).toBeGreaterThanOrEqual(0.99);
      for (const c of Object.values(a.components)) {
        expect(c.shareP99).toBeGreaterThanOrEqual(-0.01);
        expect(c.shareP99).toBeLessThanOrEqual(1.01);
      }
      return a;
    };
    const bare = share('bare');
    expect(trials.find((x) => x.pathLabel === 'bare')!.receiveMode).toBe('block');
    const heavy = share('app-heavy');
    expect(heavy.relays).toBe(2);
    expect(heavy.components.hops.p50Us).toBeGreaterThan(0);
    // 3 s at 2 kpps: 6 000 requests, a p99 band of 60 (≥ 50), so the shares are numbers.
    expect(bare.kernelShare.p99).toBeGreaterThan(heavy.kernelShare.p99 as number);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });
});

describe('wake-up measured (real, netns + bb-tsprobe + bpftrace)', () => {
  it('splits kernel RX into work and waiting; a spinning server waits after no wake-up; nothing is left behind', async () => {
    const tracefsBefore = tracefsMounted();
    const out = join(mkdtempSync(join(tmpdir(), 'bb-wake-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/attribution-wakeup.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const trials = loadRun(out).trials;
    const split = (label: string) => {
      const t = trials.find((x) => x.pathLabel === label)!;
      expect(t.status).toBe('ok');
      const a = t.native['attribution'] as AttributionResult;
      if (a.status !== 'ok') throw new Error('no attribution');
      expect(a.kernelRxSplit).not.toBeNull();
      expect(a.remainders).toEqual(['other']);
      expect(t.native['threadIds']).toMatchObject({ client: expect.any(Number), server: expect.any(Number) });
      // The record says how the client waited for replies (the probe-vs-kernel check's like with like).
      expect(t.receiveMode).toBe(label);
      return a.kernelRxSplit!;
    };
    const block = split('block');
    const spin = split('spin');
    expect(block.source).toMatch(/bpftrace/);
    // The spinning server never sleeps, so no request waits for it to be woken.
    expect(spin.server.wokenShareP50).toBeLessThan(0.01);
    expect(spin.server.wokenShareP99).toBeLessThan(0.01);
    expect((block.server.wokenShareP50 as number) + (block.client.wokenShareP50 as number)).toBeGreaterThan(spin.server.wokenShareP50 as number);
    // Nothing left: the tracer stopped, tracefs as it was, the ledger's objects gone.
    expect(tracefsMounted()).toBe(tracefsBefore);
    for (const f of readdirSync(join(out, 'raw')).filter((n) => /-tracer\.json$/.test(n))) {
      const { pid } = JSON.parse(readFileSync(join(out, 'raw', f), 'utf8')) as { pid?: number };
      expect(pid && existsSync(`/proc/${pid}`)).toBeFalsy();
    }
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string };
    expect(await leftovers(shortIdOf(meta.runId), out)).toEqual([]);
  });
});
