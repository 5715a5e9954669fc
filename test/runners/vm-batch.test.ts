// A real suite with Soft-RoCE paths: one VM boot runs a latency pair and a rate-limited
// bandwidth pair over rxe, and the records come back marked emulated.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/system.js';
import { loadRun } from '../../core/run-folder.js';

describe('Soft-RoCE paths in a suite (real QEMU VM)', () => {
  it('runs rdma-rxe trials in one boot and records them as emulated', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-vm-')), 'run');
    const result = await startCli(['run', 'test/fixtures/suites/rdma-tiny.yaml', '--out', out, '--quiet']);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.exitCode).toBe(0);
    const trials = loadRun(out).trials;
    expect(trials).toHaveLength(2);
    for (const t of trials) {
      expect(t.status).toBe('ok');
      expect(t.emulated).toBe(true);
      expect(t.path).toBe('rdma-rxe');
      // perftest's --out_json summary agrees with its table.
      expect((t.native['outJson'] as { matchesLastRow: boolean }).matchesLastRow).toBe(true);
    }
    const lat = trials.find((t) => t.pathLabel === 'write-lat')!;
    expect(lat.offeredPps).toBeNull();
    expect(lat.latencyUs!.p50).toBeGreaterThan(0);
    expect(lat.latencyUs!.p99!).toBeGreaterThanOrEqual(lat.latencyUs!.p50!);
    const bw = trials.find((t) => t.pathLabel === 'send-bw')!;
    expect(bw.offeredPps).toBe(10000);
    expect(bw.achievedPps).toBeGreaterThan(0);
    expect(bw.achievedPps!).toBeLessThanOrEqual(10000 * 1.05);
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { softRoceVm: { accel: string; image: { imageSha256: string } } };
    expect(meta.softRoceVm.accel).toMatch(/^(tcg|kvm)$/);
    expect(meta.softRoceVm.image.imageSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
