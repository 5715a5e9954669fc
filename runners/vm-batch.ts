// Trials of VM paths (Soft-RoCE) run in one boot of the project's QEMU VM per run: booting under
// emulation costs seconds, so every such trial of the suite goes into one guest plan, in plan
// order, and comes back as ordinary trial records marked emulated.
import { join, relative } from 'node:path';
import type { PlannedTrial } from '../suites/plan.js';
import { noMeasurement, type TrialRecord } from '../core/trial.js';
import { getDriver } from '../drivers/registry.js';
import { getRecipe } from '../paths/registry.js';
import type { VmRecipe } from '../paths/types.js';
import type { GuestCase } from '../soft-roce/plan.js';
import { ensureImage } from './softroce-image.js';
import { runPlanInVm, type VmRunResult } from './softroce-vm.js';
import { safeRead } from './process.js';

export interface VmBatchResult {
  records: TrialRecord[];
  /** For run.json: image, accel and timing of the boot. */
  meta: Record<string, unknown>;
}

function caseId(t: PlannedTrial): string {
  return `${t.trialId}-${t.pathLabel}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

export function isVmTrial(t: PlannedTrial): boolean {
  return getRecipe(t.path).runner === 'softroce-vm';
}

export async function runVmBatch(
  trials: PlannedTrial[],
  opts: { runId: string; runDir: string; rawDir: string; durationS: number; signal: AbortSignal; onLog?: (line: string) => void },
): Promise<VmBatchResult> {
  const cases: GuestCase[] = trials.map((t) =>
    (getRecipe(t.path) as VmRecipe<unknown>).vmCase(
      { caseId: caseId(t), msgSizeBytes: t.msgSizeBytes, offeredPps: t.offeredPps, durationS: opts.durationS },
      t.options,
    ),
  );
  const startedAt = new Date();
  const image = await ensureImage({ signal: opts.signal, ...(opts.onLog ? { onLog: opts.onLog } : {}) });
  const outDir = join(opts.rawDir, 'softroce-vm');
  const vm: VmRunResult = await runPlanInVm(cases, { outDir, signal: opts.signal });
  const meta = {
    status: vm.status,
    error: vm.error,
    accel: vm.accel,
    accelReason: vm.accelReason,
    bootToResultS: vm.bootToResultS,
    image: { ...vm.image, cacheHit: image.cacheHit, buildS: image.buildS, packages: image.manifest },
    guest: vm.guest,
    qemuArgv: vm.qemuArgv,
    outDir: relative(opts.runDir, outDir),
  };
  if (opts.signal.aborted) return { records: [], meta };

  const records = trials.map((t, i): TrialRecord => {
    const result = vm.cases.find((c) => c.id === cases[i]!.id);
    const final = result?.final ?? null;
    const base = {
      trialId: t.trialId,
      runId: opts.runId,
      path: t.path,
      pathLabel: t.pathLabel,
      driver: t.driver,
      mode: (t.options as { test?: string }).test ?? t.mode,
      offeredPps: t.offeredPps,
      latencyKind: 'rtt' as const,
      cpu: null,
      repetition: t.repetition,
      // Measured under QEMU TCG: says nothing about real RDMA hardware.
      emulated: true,
      startedAt: startedAt.toISOString(),
      durationS: vm.bootToResultS,
    };
    if (!final) {
      const error = `the VM did not run this case (${vm.status}${vm.error ? `: ${vm.error}` : ''})`;
      return { ...base, ...noMeasurement(t.msgSizeBytes, error), status: vm.status === 'timed-out' ? 'timed-out' : 'failed', raw: [] };
    }
    const recipe = getRecipe(t.path) as VmRecipe<unknown>;
    const parsed = getDriver(recipe.driver).parse({
      stdout: final.client.stdout,
      stderr: final.client.stderr,
      exitCode: final.client.exitCode,
      argv: final.client.argv,
      files: Object.fromEntries(Object.entries(final.client.files).map(([name, path]) => [name, safeRead(path)])),
    });
    // One size per case: take the row of the trial's size (or the only row).
    const m = parsed.find((r) => r.msgSizeBytes === t.msgSizeBytes) ?? parsed[0];
    const raw = [final.client.dir, final.server.dir].map((d) => relative(opts.runDir, d));
    if (!m) return { ...base, ...noMeasurement(t.msgSizeBytes, `${recipe.driver} printed no result row`), status: 'failed', raw };
    const { status, ...measurement } = m;
    const native = {
      ...measurement.native,
      vm: { accel: vm.accel, attempts: result!.attempts.length, infRetries: result!.attempts.filter((a) => a.infDetected).length },
    };
    return { ...base, ...measurement, msgSizeBytes: measurement.msgSizeBytes ?? t.msgSizeBytes, native, status, raw };
  });
  return { records, meta };
}
