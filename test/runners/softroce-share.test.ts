// The share as guest/init.sh leaves it, laid out by hand: the host reads attempts, bookkeeping
// and guest facts back without booting anything (test/soft-roce/vm.test.ts does the real boot).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { collectCases, readGuestFacts, summarizeCase, writePlanToShare } from '../../runners/softroce-share.js';
import { perftestCase } from '../../soft-roce/plan.js';

const root = mkdtempSync(join(tmpdir(), 'bb-share-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(base: string, path: string, content: string): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  writeFileSync(join(base, path), content);
}

const plan = [perftestCase('lat', { test: 'ib_write_lat', msgSizeBytes: 2 }), perftestCase('never', { test: 'ib_send_bw' })];

describe('writePlanToShare', () => {
  it('writes the plan files, and refuses a share that already holds a run', () => {
    const share = join(root, 'fresh', 'share');
    writePlanToShare(plan, share);
    expect(readFileSync(join(share, 'cases.list'), 'utf8')).toBe('lat\nnever\n');
    expect(() => writePlanToShare(plan, share)).toThrow(UserError);
  });
});

describe('collectCases and readGuestFacts', () => {
  const share = join(root, 'done', 'share');
  put(share, 'cases/lat/attempt-1/inf-detected', '');
  put(share, 'cases/lat/attempt-1/client/stdout', ' 2 1000 inf\n');
  put(share, 'cases/lat/attempt-1/client/exit-code', '0\n');
  put(share, 'cases/lat/attempt-2/client/stdout', ' 2 1000 5.12\n');
  put(share, 'cases/lat/attempt-2/client/exit-code', '0\n');
  put(share, 'cases/lat/attempt-2/client/perftest.json', '{}');
  put(share, 'cases/lat/attempt-2/server/exit-code', '143\n');
  put(share, 'cases/lat/attempt-2/server/killed', '');
  put(share, 'cases/lat/attempt-2/server/started-uptime-s', '5.40\n');
  put(share, 'guest/status', 'plan-done\n');
  put(share, 'guest/cpu-model', 'model name\t: QEMU TCG CPU version 2.5+\n');
  put(share, 'guest/nproc', '2\n');
  put(share, 'guest/timeline', 'rxe-ready 4.20\ncase-start lat 1 5.40\n');

  it('reads every attempt in order; the last one counts', () => {
    const [lat, never] = collectCases(plan, share);
    expect(lat!.attempts.map((a) => [a.attempt, a.infDetected])).toEqual([
      [1, true],
      [2, false],
    ]);
    const final = lat!.final!;
    expect(final.client).toMatchObject({ stdout: ' 2 1000 5.12\n', exitCode: 0, timedOut: false, argv: plan[0]!.client.argv });
    expect(Object.keys(final.client.files)).toEqual(['perftest.json']);
    expect(final.server).toMatchObject({ exitCode: 143, stoppedByGuest: true, startedUptimeS: 5.4, endedUptimeS: null, stdout: '' });
    expect(never).toEqual({ id: 'never', attempts: [], final: null });
    expect(JSON.stringify(summarizeCase(lat!))).not.toContain('5.12');
  });

  it('reads what the guest says about itself', () => {
    expect(readGuestFacts(share)).toEqual({
      status: 'plan-done',
      kernelRelease: null,
      uname: null,
      cpuModel: 'QEMU TCG CPU version 2.5+',
      cpus: 2,
      clocksource: null,
      timeline: [
        { event: 'rxe-ready', uptimeS: 4.2 },
        { event: 'case-start lat 1', uptimeS: 5.4 },
      ],
    });
  });
});
