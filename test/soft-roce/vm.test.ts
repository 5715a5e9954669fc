// Real test: build (or reuse) the Soft-RoCE image, boot it under QEMU and run one latency pair
// and one bandwidth pair. Numbers come from an emulated guest on a shared machine, so only their
// structure and sanity are checked. Skips only when QEMU is absent.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { perftestDriver } from '../../drivers/perftest/index.js';
import { detectSoftRoceVm } from '../../runners/softroce-detect.js';
import { ensureImage, type EnsuredImage } from '../../runners/softroce-image.js';
import { runPlanInVm } from '../../runners/softroce-vm.js';
import { perftestCase } from '../../soft-roce/plan.js';

const qemuInstalled = (process.env['PATH'] ?? '').split(':').some((dir) => existsSync(join(dir, 'qemu-system-x86_64')));
const prefix = process.env['BB_PREFIX'] ?? 'bb';
const vmName = `${prefix}-softroce-test-${process.pid}`;
const outDirs: string[] = [];

function freshOutDir(): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-softroce-test-`));
  outDirs.push(dir);
  return dir;
}

/** QEMU processes this test started (found by their -name), still alive. */
function ourQemuProcesses(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => arg.startsWith(`${vmName},`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

if (!qemuInstalled) {
  it.skip('Soft-RoCE VM tests skipped: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)', () => {});
} else {
  describe('Soft-RoCE VM (real QEMU)', () => {
    let image: EnsuredImage;

    it('builds the image or reuses the cached one; a second call is a cache hit', async () => {
      image = await ensureImage();
      expect(image.manifest.kernel.package).toMatch(/^linux-image-/);
      expect(image.manifest.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['perftest', 'busybox-static', 'ibverbs-providers', 'iproute2']));
      expect(image.manifest.imageSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(existsSync(image.imagePaths.kernel) && existsSync(image.imagePaths.initrd)).toBe(true);
      const again = await ensureImage();
      expect(again.cacheHit).toBe(true);
      expect(again.manifest.imageSha256).toBe(image.manifest.imageSha256);
    }, 600_000);

    it('detects QEMU and the cached image, and picks TCG on PVM', async () => {
      const d = await detectSoftRoceVm();
      expect(d.qemu?.path).toBeTruthy();
      expect(d.image.cached).toBe(true);
      if (existsSync('/sys/module/kvm_pvm')) expect(d.accel.accel).toBe('tcg');
    }, 120_000);

    it('runs an ib_write_lat pair and an ib_send_bw pair in the guest', async () => {
      const plan = [
        perftestCase('lat', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000, clientTimeoutS: 90 }),
        perftestCase('bw', { test: 'ib_send_bw', msgSizeBytes: 65536, iterations: 500, clientTimeoutS: 90 }),
      ];
      const vm = await runPlanInVm(plan, { outDir: freshOutDir(), image, name: vmName, accel: 'auto' });
      expect(vm.error).toBeNull();
      expect(vm.status).toBe('ok');
      expect(vm.emulated).toBe(true);
      expect(vm.guest.kernelRelease).toBe(image.manifest.kernel.release);
      expect(vm.guest.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(['rxe-ready', 'plan-start', 'plan-end']));
      expect(ourQemuProcesses()).toEqual([]);

      const [lat, bw] = vm.cases;
      expect(lat!.final!.client.exitCode).toBe(0);
      expect(lat!.final!.server.exitCode).toBe(0);
      const latRecords = perftestDriver.parse({ ...lat!.final!.client, argv: lat!.final!.client.argv });
      // An inf row can survive every retry under emulation; then the record says so instead.
      const latRecord = latRecords[0]!;
      expect(latRecords).toHaveLength(1);
      if (latRecord.status === 'ok') {
        const l = latRecord.latencyUs!;
        expect(l.p50!).toBeGreaterThan(0);
        expect(l.p99!).toBeGreaterThanOrEqual(l.p50!);
        expect(l.max!).toBeGreaterThanOrEqual(l.p99!);
        expect(latRecord.native['emulatedHint']).toBe(true);
      } else {
        expect(latRecord.error).toMatch(/inf/);
      }

      expect(bw!.final!.client.exitCode).toBe(0);
      const [bwRecord] = perftestDriver.parse(bw!.final!.client);
      expect(bwRecord!.status).toBe('ok');
      expect(bwRecord!.msgSizeBytes).toBe(65536);
      expect(bwRecord!.throughputGbps!).toBeGreaterThan(0);
      expect(bwRecord!.msgRateMpps!).toBeGreaterThan(0);
    }, 600_000);

    it('kills QEMU when the VM timeout passes, leaving no process behind', async () => {
      const plan = [perftestCase('slow', { test: 'ib_write_lat', iterations: 1000 })];
      const vm = await runPlanInVm(plan, { outDir: freshOutDir(), image, name: vmName, timeoutS: 2 });
      expect(vm.status).toBe('timed-out');
      expect(vm.error).toMatch(/2 s/);
      expect(ourQemuProcesses()).toEqual([]);
    }, 120_000);

    it('kills QEMU when the caller aborts', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 1500);
      const plan = [perftestCase('aborted', { test: 'ib_write_lat', iterations: 1000 })];
      const vm = await runPlanInVm(plan, { outDir: freshOutDir(), image, name: vmName, signal: controller.signal });
      expect(vm.status).toBe('interrupted');
      expect(ourQemuProcesses()).toEqual([]);
    }, 120_000);
  });
}
