// Soft-RoCE in a QEMU VM: this host's kernel has no RDMA, so perftest runs inside a guest that
// boots Debian's own kernel (it ships rdma_rxe). runPlanInVm hands the guest a plan over a 9p
// share, boots QEMU with no network device, and reads each process's output back. The image
// comes from softroce-image.ts, the accelerator choice from softroce-detect.ts.
import { closeSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UnsupportedError } from '../core/errors.js';
import { vmRunFile, writeVmRunRecord } from '../core/run-folder.js';
import { lastLines } from '../core/text.js';
import { assertSimpleName } from '../core/validate.js';
import type { VmRunRecord, VmRunStatus } from '../core/vm-run.js';
import { buildQemuArgv, chooseAccel, VM_NAME_MAX, type AccelRequest } from '../soft-roce/image.js';
import { validateGuestPlan, type GuestPlan } from '../soft-roce/plan.js';
import { start, which } from './exec.js';
import { QEMU_PROGRAM, readKvmFacts } from './softroce-detect.js';
import { ensureImage, type EnsuredImage } from './softroce-image.js';
import { collectCases, readGuestFacts, readText, summarizeCase, writePlanToShare, type GuestCaseResult } from './softroce-share.js';

export type { VmRunStatus } from '../core/vm-run.js';

/** One boot's result: vm-run.json's record (core/vm-run.ts) with each case's outputs in full. */
export interface VmRunResult extends Omit<VmRunRecord, 'cases'> {
  cases: GuestCaseResult[];
}

export interface RunPlanOptions {
  /** Created if missing; must not hold a previous run. */
  outDir: string;
  accel?: AccelRequest;
  /** Whole VM run, boot included; QEMU is killed when it passes. Default: from the plan's own timeouts. */
  timeoutS?: number;
  /** An image from ensureImage(); built or reused here when absent. */
  image?: EnsuredImage;
  cacheDir?: string;
  /** QEMU's -name (shown by ps). */
  name?: string;
  qemuBinary?: string;
  /** Abort: QEMU is killed and the result says 'interrupted'. Without one, SIGINT/SIGTERM do the same. */
  signal?: AbortSignal;
  /** Lines the guest prints on its console ("case-start ID 1" …). */
  onGuestEvent?: (line: string) => void;
}

/** A bound that covers every attempt of every case plus boot, so only a stuck VM hits it. */
export function defaultVmTimeoutS(plan: GuestPlan): number {
  const perCase = plan.map((c) => {
    const attempts = c.maxAttempts ?? 3;
    const client = c.client.timeoutS ?? 120;
    const grace = c.serverGraceS ?? 15;
    return attempts * (client + grace + 10);
  });
  return 120 + perCase.reduce((a, b) => a + b, 0);
}

/** Tail the serial log for the guest's "softroce-guest: …" lines. */
function followSerial(path: string, onLine: (line: string) => void): () => void {
  let offset = 0;
  let partial = '';
  const poll = () => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // "softroce-guest: case-start ib_write_lat-2B 1"
      const m = /softroce-guest: (.*\S)/.exec(line);
      if (m) onLine(m[1]!);
    }
  };
  const timer = setInterval(poll, 500);
  timer.unref();
  return () => {
    clearInterval(timer);
    poll();
  };
}

/**
 * Boot the guest, run every case of `plan` in it and return each process's raw output. QEMU is
 * killed on timeout, on `signal`, or on SIGINT/SIGTERM; nothing outlives the call.
 */
export async function runPlanInVm(plan: GuestPlan, opts: RunPlanOptions): Promise<VmRunResult> {
  validateGuestPlan(plan);
  const name = assertSimpleName(opts.name ?? 'bb-softroce', 'VM name', VM_NAME_MAX);
  const outDir = resolve(opts.outDir);
  const shareDir = join(outDir, 'share');
  writePlanToShare(plan, shareDir);

  const image = opts.image ?? (await ensureImage({ ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) }));
  const qemuBinary = opts.qemuBinary ?? which(QEMU_PROGRAM);
  if (!qemuBinary) throw new UnsupportedError(`${QEMU_PROGRAM} is not installed`, 'apt-get install qemu-system-x86');
  const { accel, reason: accelReason } = chooseAccel(opts.accel ?? 'auto', readKvmFacts());
  const paths = {
    outDir,
    shareDir,
    serialLog: join(outDir, 'serial.log'),
    qemuStdout: join(outDir, 'qemu.stdout'),
    qemuStderr: join(outDir, 'qemu.stderr'),
    result: vmRunFile(outDir),
  };
  const qemuArgv = buildQemuArgv({
    qemuBinary,
    kernelPath: image.imagePaths.kernel,
    initrdPath: image.imagePaths.initrd,
    shareDir,
    serialLogPath: paths.serialLog,
    accel,
    name,
  });
  const timeoutS = opts.timeoutS ?? defaultVmTimeoutS(plan);

  // Without a caller's signal, SIGINT/SIGTERM stop QEMU here; the signal is re-raised afterwards
  // when nobody else listens, so the process still ends the way the user asked.
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  let caughtSignal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    caughtSignal = sig;
    controller.abort();
  };
  if (!opts.signal) {
    // `on`, not `once`: execa's exit hook re-raises the signal when it sees no other listener.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const stopFollowing = followSerial(paths.serialLog, (line) => opts.onGuestEvent?.(line));
  const started = Date.now();
  let exit;
  try {
    // start() also kills QEMU if this process exits first.
    exit = await start(qemuArgv, {
      stdoutFile: paths.qemuStdout,
      stderrFile: paths.qemuStderr,
      timeoutMs: timeoutS * 1000,
      signal: controller.signal,
      killSignal: 'SIGTERM',
      forceKillAfterMs: 5000,
    }).done;
  } finally {
    stopFollowing();
    opts.signal?.removeEventListener('abort', onCallerAbort);
    if (!opts.signal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
  const bootToResultS = (Date.now() - started) / 1000;

  const guest = readGuestFacts(shareDir);
  let status: VmRunStatus;
  let error: string | null = null;
  const qemuStderrTail = lastLines(readText(paths.qemuStderr) ?? '', 3);
  if (exit.canceled) {
    status = 'interrupted';
    const sig = caughtSignal as NodeJS.Signals | null; // set by the signal handler, which TypeScript cannot see
    error = `interrupted${sig ? ` by ${sig}` : ''}; QEMU stopped`;
  } else if (exit.timedOut) {
    status = 'timed-out';
    error = `the VM ran past ${timeoutS} s and was killed (guest status: ${guest.status ?? 'none'})`;
  } else if (guest.status === 'plan-done') {
    status = 'ok';
  } else if (guest.status?.startsWith('setup-failed')) {
    status = 'setup-failed';
    error = `guest ${guest.status}; see ${paths.serialLog}`;
  } else {
    status = 'crashed';
    error = `QEMU exited (code ${exit.exitCode ?? exit.signal}) before the guest finished${qemuStderrTail ? `: ${qemuStderrTail}` : ''}; see ${paths.serialLog}`;
  }

  const vmResult: VmRunResult = {
    status,
    error,
    cases: collectCases(plan, shareDir),
    accel,
    accelReason,
    emulated: true,
    qemuArgv,
    qemuExitCode: exit.exitCode,
    bootToResultS,
    guest,
    image: { key: image.manifest.key, imageSha256: image.manifest.imageSha256, kernel: image.manifest.kernel },
    paths,
  };
  writeVmRunRecord(paths.result, { ...vmResult, cases: vmResult.cases.map(summarizeCase) });

  if (caughtSignal && process.listenerCount(caughtSignal) === 0) process.kill(process.pid, caughtSignal);
  return vmResult;
}
