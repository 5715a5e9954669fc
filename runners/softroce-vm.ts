// Soft-RoCE in a QEMU VM: this host's kernel has no RDMA, so perftest runs inside a guest that
// boots Debian's own kernel (it ships rdma_rxe). This runner builds (or reuses) the cached image,
// hands the guest a plan over a 9p share, boots QEMU with no network device, and reads each
// process's output back.
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
  accessSync,
  constants as fsConstants,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { release } from 'node:os';
import { execa } from 'execa';
import { UnsupportedError, UserError } from '../core/errors.js';
import {
  buildQemuArgv,
  chooseAccel,
  combinedImageSha256,
  imageCacheKey,
  parsePackageList,
  type AccelRequest,
  type ImageManifest,
  type KvmFacts,
} from '../soft-roce/image.js';
import { parseTimeline, planShareFiles, validateGuestPlan, type GuestPlan } from '../soft-roce/plan.js';

// ---------------------------------------------------------------------------------------------
// Where things are

/** The folder holding package.json and soft-roce/. */
export function projectRoot(): string {
  // Works from the source tree (runners/) and from the compiled one (dist/runners/).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'soft-roce', 'build-image.sh'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project root (soft-roce/build-image.sh) above ' + fileURLToPath(import.meta.url));
}

export function softRocePaths(cacheDir?: string) {
  const root = projectRoot();
  return {
    buildScript: join(root, 'soft-roce', 'build-image.sh'),
    initScript: join(root, 'soft-roce', 'guest', 'init.sh'),
    cacheDir: resolve(cacheDir ?? process.env['BYPASSBENCH_SOFTROCE_CACHE'] ?? join(root, 'soft-roce', 'cache')),
  };
}

// ---------------------------------------------------------------------------------------------
// Image

export interface ImagePaths {
  dir: string;
  kernel: string;
  initrd: string;
  manifest: string;
}

export interface EnsuredImage {
  imagePaths: ImagePaths;
  manifest: ImageManifest;
  cacheHit: boolean;
  /** Wall time of this call: the build on a miss, the checks on a hit. */
  buildS: number;
}

export interface EnsureImageOptions {
  cacheDir?: string;
  /** Build even when a valid cached image exists (the old entry is replaced). */
  rebuild?: boolean;
  /** Progress lines from the build script (stderr). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

function fileSha256(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

function imagePathsIn(dir: string): ImagePaths {
  return { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), manifest: join(dir, 'manifest.json') };
}

/** The package list the image would contain now (`build-image.sh inputs`; reads apt and dpkg only). */
export async function imageInputs(buildScript: string): Promise<string> {
  const r = await execa('bash', [buildScript, 'inputs'], { reject: false, stdin: 'ignore', timeout: 120_000, env: { LC_ALL: 'C' } });
  if (r.exitCode !== 0) {
    throw new UnsupportedError(
      `cannot list the Soft-RoCE image inputs: ${(r.stderr || r.shortMessage || '').trim().split('\n').slice(-2).join(' | ')}`,
      'apt-get update && apt-get install perftest rdma-core ibverbs-providers ibverbs-utils iproute2 busybox-static kmod cpio',
    );
  }
  return r.stdout;
}

async function validCachedImage(paths: ImagePaths, key: string): Promise<ImageManifest | null> {
  if (!existsSync(paths.manifest) || !existsSync(paths.kernel) || !existsSync(paths.initrd)) return null;
  try {
    const manifest = JSON.parse(readFileSync(paths.manifest, 'utf8')) as ImageManifest;
    if (manifest.key !== key) return null;
    const [kernelSha, initrdSha] = await Promise.all([fileSha256(paths.kernel), fileSha256(paths.initrd)]);
    return kernelSha === manifest.files.kernel.sha256 && initrdSha === manifest.files.initrd.sha256 ? manifest : null;
  } catch {
    return null;
  }
}

function debianVersion(): string | null {
  try {
    return readFileSync('/etc/debian_version', 'utf8').trim();
  } catch {
    return null;
  }
}

/** ".build-KEY-PID-MS" folders whose builder died (killed mid-build) are removed. */
function removeAbandonedBuilds(cacheDir: string): void {
  for (const name of readdirSync(cacheDir)) {
    // ".build-37267738d3f9b11d-29098-1795618000710": key, builder pid, start time in ms
    const m = /^\.build-[0-9a-f]+-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) rmSync(join(cacheDir, name), { recursive: true, force: true });
  }
}

/** The cached image for the current package versions and scripts, built on a miss. */
export async function ensureImage(opts: EnsureImageOptions = {}): Promise<EnsuredImage> {
  const started = Date.now();
  const { buildScript, initScript, cacheDir } = softRocePaths(opts.cacheDir);
  const inputsTsv = await imageInputs(buildScript);
  const key = imageCacheKey(inputsTsv, readFileSync(buildScript), readFileSync(initScript));
  const finalPaths = imagePathsIn(join(cacheDir, key));

  if (!opts.rebuild) {
    const manifest = await validCachedImage(finalPaths, key);
    if (manifest) return { imagePaths: finalPaths, manifest, cacheHit: true, buildS: (Date.now() - started) / 1000 };
  }

  mkdirSync(cacheDir, { recursive: true });
  removeAbandonedBuilds(cacheDir);
  // Build beside the final folder and rename: a concurrent or interrupted build never leaves a
  // half-written entry under the key.
  const tmpDir = join(cacheDir, `.build-${key}-${process.pid}-${Date.now()}`);
  try {
    const child = execa('bash', [buildScript, 'build', tmpDir], {
      reject: false,
      stdin: 'ignore',
      timeout: 15 * 60_000,
      env: { LC_ALL: 'C' },
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) opts.onLog?.(line);
    });
    const r = await child;
    if (r.exitCode !== 0) {
      throw new Error(`soft-roce/build-image.sh build failed (exit ${r.exitCode ?? r.signal}): ${stderrTail.trim().split('\n').slice(-5).join('\n')}`);
    }
    const tmpPaths = imagePathsIn(tmpDir);
    const builtTsv = readFileSync(join(tmpDir, 'packages.tsv'), 'utf8');
    if (builtTsv.trim() !== inputsTsv.trim()) {
      throw new Error('package versions changed during the image build; run it again');
    }
    const packages = parsePackageList(builtTsv);
    const kernelPin = packages[0]!;
    const [kernelSha, initrdSha] = await Promise.all([fileSha256(tmpPaths.kernel), fileSha256(tmpPaths.initrd)]);
    const buildS = (Date.now() - started) / 1000;
    const manifest: ImageManifest = {
      schema: 1,
      key,
      builtAt: new Date().toISOString(),
      buildS,
      kernel: { package: kernelPin.name, version: kernelPin.version, release: readFileSync(join(tmpDir, 'kernel-release'), 'utf8').trim() },
      packages,
      files: {
        kernel: { name: 'vmlinuz', sha256: kernelSha, bytes: statSync(tmpPaths.kernel).size },
        initrd: { name: 'initrd.img', sha256: initrdSha, bytes: statSync(tmpPaths.initrd).size },
      },
      imageSha256: combinedImageSha256(kernelSha, initrdSha),
      inputs: {
        buildScriptSha256: createHash('sha256').update(readFileSync(buildScript)).digest('hex'),
        initScriptSha256: createHash('sha256').update(readFileSync(initScript)).digest('hex'),
      },
      builtOn: { debianVersion: debianVersion(), hostKernel: release() },
    };
    writeFileSync(tmpPaths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(finalPaths.dir)) rmSync(finalPaths.dir, { recursive: true, force: true });
    try {
      renameSync(tmpDir, finalPaths.dir);
    } catch (err) {
      // Another process finished the same key first; its image is as good as ours.
      const theirs = await validCachedImage(finalPaths, key);
      if (!theirs) throw err;
      rmSync(tmpDir, { recursive: true, force: true });
      return { imagePaths: finalPaths, manifest: theirs, cacheHit: true, buildS: (Date.now() - started) / 1000 };
    }
    return { imagePaths: finalPaths, manifest, cacheHit: false, buildS };
  } finally {
    if (existsSync(tmpDir)) rmSync(tmpDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Detection

export function readKvmFacts(): KvmFacts {
  let devKvmUsable: boolean;
  try {
    accessSync('/dev/kvm', fsConstants.R_OK | fsConstants.W_OK);
    devKvmUsable = true;
  } catch {
    devKvmUsable = false;
  }
  let kvmModules: string[];
  try {
    kvmModules = readdirSync('/sys/module').filter((m) => m === 'kvm' || m.startsWith('kvm_'));
  } catch {
    kvmModules = [];
  }
  return { devKvmUsable, kvmModules };
}

export interface SoftRoceVmDetection {
  /** Everything needed is present (the image may still need a build, which needs the package). */
  ready: boolean;
  qemu: { path: string; version: string | null } | null;
  accel: { accel: 'kvm' | 'tcg'; reason: string };
  image: { key: string | null; cached: boolean; dir: string | null };
  kernelPackage: { name: string; version: string; uri: string | null } | null;
  problems: { reason: string; fix: string }[];
}

async function which(program: string): Promise<string | null> {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** Can this machine run the Soft-RoCE VM: QEMU, cached image, or a downloadable kernel package. */
export async function detectSoftRoceVm(opts: { cacheDir?: string; qemuBinary?: string } = {}): Promise<SoftRoceVmDetection> {
  const problems: SoftRoceVmDetection['problems'] = [];
  const qemuPath = opts.qemuBinary ?? (await which('qemu-system-x86_64'));
  let qemu: SoftRoceVmDetection['qemu'] = null;
  if (qemuPath) {
    const v = await execa(qemuPath, ['--version'], { reject: false, stdin: 'ignore', timeout: 10_000 });
    // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
    const m = /version\s+(\S+)/.exec(v.stdout);
    qemu = { path: qemuPath, version: m ? m[1]! : null };
  } else {
    problems.push({ reason: 'qemu-system-x86_64 is not installed', fix: 'apt-get install qemu-system-x86' });
  }

  const accel = chooseAccel('auto', readKvmFacts());
  const { buildScript, initScript, cacheDir } = softRocePaths(opts.cacheDir);
  let image: SoftRoceVmDetection['image'] = { key: null, cached: false, dir: null };
  let kernelPackage: SoftRoceVmDetection['kernelPackage'] = null;
  try {
    const inputsTsv = await imageInputs(buildScript);
    const key = imageCacheKey(inputsTsv, readFileSync(buildScript), readFileSync(initScript));
    const paths = imagePathsIn(join(cacheDir, key));
    image = { key, cached: (await validCachedImage(paths, key)) !== null, dir: paths.dir };
    const kernel = parsePackageList(inputsTsv)[0]!;
    // --print-uris resolves the download without fetching it.
    const uris = await execa('apt-get', ['--print-uris', 'download', `${kernel.name}=${kernel.version}`], { reject: false, stdin: 'ignore', timeout: 60_000 });
    // "'http://deb.debian.org/…/linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb' linux-image-… 70550672 SHA256:…"
    const uri = /^'([^']+)'/m.exec(uris.stdout);
    kernelPackage = { name: kernel.name, version: kernel.version, uri: uri ? uri[1]! : null };
    if (!image.cached && !uri) {
      problems.push({ reason: `apt cannot locate ${kernel.name} ${kernel.version} for download`, fix: 'apt-get update' });
    }
  } catch (err) {
    const e = err as Error & { fix?: string };
    problems.push({ reason: e.message, fix: e.fix ?? 'see soft-roce/README.md' });
  }
  return { ready: problems.length === 0, qemu, accel, image, kernelPackage, problems };
}

// ---------------------------------------------------------------------------------------------
// Running a plan

export interface GuestProcessResult {
  role: 'server' | 'client';
  argv: string[];
  stdout: string;
  stderr: string;
  /** Exit code as the guest saw it: 124 = its own timeout fired, 143 = stopped with SIGTERM. */
  exitCode: number | null;
  timedOut: boolean;
  /** The guest stopped a server still waiting after its client had exited. */
  stoppedByGuest: boolean;
  startedUptimeS: number | null;
  endedUptimeS: number | null;
  /** Host folder holding stdout, stderr, exit-code and any file the process wrote (perftest --out_json). */
  dir: string;
  /** Files the process wrote in its working folder, by name → host path. */
  files: Record<string, string>;
}

export interface GuestAttempt {
  attempt: number;
  /** A row printed inf, so the guest ran the case again (while attempts remained). */
  infDetected: boolean;
  server: GuestProcessResult;
  client: GuestProcessResult;
}

export interface GuestCaseResult {
  id: string;
  attempts: GuestAttempt[];
  /** The attempt whose output counts: the last one. null when the case never ran. */
  final: GuestAttempt | null;
}

export type VmRunStatus = 'ok' | 'setup-failed' | 'timed-out' | 'interrupted' | 'crashed';

export interface VmRunResult {
  status: VmRunStatus;
  error: string | null;
  cases: GuestCaseResult[];
  accel: 'kvm' | 'tcg';
  accelReason: string;
  /** Results measured under emulation say nothing about real hardware. */
  emulated: true;
  qemuArgv: string[];
  qemuExitCode: number | null;
  /** Host wall time from spawning QEMU until it exited with the results on the share. */
  bootToResultS: number;
  guest: {
    status: string | null;
    kernelRelease: string | null;
    uname: string | null;
    cpuModel: string | null;
    cpus: number | null;
    clocksource: string | null;
    /** Guest uptime at each step (share-mounted, rxe-ready, plan-start, case-start …). */
    timeline: { event: string; uptimeS: number }[];
  };
  image: { key: string; imageSha256: string; kernel: ImageManifest['kernel'] };
  paths: { outDir: string; shareDir: string; serialLog: string; qemuStdout: string; qemuStderr: string; result: string };
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

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(path: string): number | null {
  const text = readText(path)?.trim();
  return text !== undefined && text !== '' && Number.isFinite(Number(text)) ? Number(text) : null;
}

const PROCESS_BOOKKEEPING = new Set(['stdout', 'stderr', 'exit-code', 'started-uptime-s', 'ended-uptime-s', 'killed']);

function readProcess(dir: string, role: 'server' | 'client', argv: string[]): GuestProcessResult {
  const exitCode = readNumber(join(dir, 'exit-code'));
  const files: Record<string, string> = {};
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) if (!PROCESS_BOOKKEEPING.has(name)) files[name] = join(dir, name);
  }
  return {
    role,
    argv,
    stdout: readText(join(dir, 'stdout')) ?? '',
    stderr: readText(join(dir, 'stderr')) ?? '',
    exitCode,
    timedOut: exitCode === 124,
    stoppedByGuest: existsSync(join(dir, 'killed')),
    startedUptimeS: readNumber(join(dir, 'started-uptime-s')),
    endedUptimeS: readNumber(join(dir, 'ended-uptime-s')),
    dir,
    files,
  };
}

function collectCases(plan: GuestPlan, shareDir: string): GuestCaseResult[] {
  return plan.map((c) => {
    const caseDir = join(shareDir, 'cases', c.id);
    const attemptNumbers = existsSync(caseDir)
      ? readdirSync(caseDir)
          // "attempt-2" -> 2
          .map((name) => /^attempt-(\d+)$/.exec(name))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => Number(m[1]))
          .sort((a, b) => a - b)
      : [];
    const attempts = attemptNumbers.map((n): GuestAttempt => {
      const dir = join(caseDir, `attempt-${n}`);
      return {
        attempt: n,
        infDetected: existsSync(join(dir, 'inf-detected')),
        server: readProcess(join(dir, 'server'), 'server', c.server.argv),
        client: readProcess(join(dir, 'client'), 'client', c.client.argv),
      };
    });
    return { id: c.id, attempts, final: attempts[attempts.length - 1] ?? null };
  });
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
  const outDir = resolve(opts.outDir);
  const shareDir = join(outDir, 'share');
  if (existsSync(shareDir) && readdirSync(shareDir).length > 0) {
    throw new UserError(`${shareDir} already holds a run; give runPlanInVm an empty outDir`);
  }
  mkdirSync(shareDir, { recursive: true });
  for (const file of planShareFiles(plan)) {
    const path = join(shareDir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }

  const image = opts.image ?? (await ensureImage({ ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) }));
  const qemuBinary = opts.qemuBinary ?? (await which('qemu-system-x86_64'));
  if (!qemuBinary) throw new UnsupportedError('qemu-system-x86_64 is not installed', 'apt-get install qemu-system-x86');
  const { accel, reason: accelReason } = chooseAccel(opts.accel ?? 'auto', readKvmFacts());
  const name = opts.name ?? 'bb-softroce';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UserError(`VM name must be letters, digits, . _ -; got ${JSON.stringify(name)}`);
  const paths = {
    outDir,
    shareDir,
    serialLog: join(outDir, 'serial.log'),
    qemuStdout: join(outDir, 'qemu.stdout'),
    qemuStderr: join(outDir, 'qemu.stderr'),
    result: join(outDir, 'vm-run.json'),
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
  const [program, ...args] = qemuArgv;
  let result;
  try {
    result = await execa(program!, args, {
      reject: false,
      stdin: 'ignore',
      stdout: { file: paths.qemuStdout },
      stderr: { file: paths.qemuStderr },
      timeout: timeoutS * 1000,
      cancelSignal: controller.signal,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: 5000,
      // execa also kills QEMU if this process exits first.
      cleanup: true,
    });
  } finally {
    stopFollowing();
    opts.signal?.removeEventListener('abort', onCallerAbort);
    if (!opts.signal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
  const bootToResultS = (Date.now() - started) / 1000;

  const guestDir = join(shareDir, 'guest');
  const guestStatus = readText(join(guestDir, 'status'))?.trim() ?? null;
  let status: VmRunStatus;
  let error: string | null = null;
  const qemuStderrTail = (readText(paths.qemuStderr) ?? '').trim().split('\n').slice(-3).join(' | ');
  if (result.isCanceled) {
    status = 'interrupted';
    const sig = caughtSignal as NodeJS.Signals | null; // set by the signal handler, which TypeScript cannot see
    error = `interrupted${sig ? ` by ${sig}` : ''}; QEMU stopped`;
  } else if (result.timedOut) {
    status = 'timed-out';
    error = `the VM ran past ${timeoutS} s and was killed (guest status: ${guestStatus ?? 'none'})`;
  } else if (guestStatus === 'plan-done') {
    status = 'ok';
  } else if (guestStatus?.startsWith('setup-failed')) {
    status = 'setup-failed';
    error = `guest ${guestStatus}; see ${paths.serialLog}`;
  } else {
    status = 'crashed';
    error = `QEMU exited (code ${result.exitCode ?? result.signal}) before the guest finished${qemuStderrTail ? `: ${qemuStderrTail}` : ''}; see ${paths.serialLog}`;
  }

  const vmResult: VmRunResult = {
    status,
    error,
    cases: collectCases(plan, shareDir),
    accel,
    accelReason,
    emulated: true,
    qemuArgv,
    qemuExitCode: result.exitCode ?? null,
    bootToResultS,
    guest: {
      status: guestStatus,
      kernelRelease: readText(join(guestDir, 'kernel-release'))?.trim() ?? null,
      uname: readText(join(guestDir, 'uname'))?.trim() ?? null,
      // "model name\t: QEMU TCG CPU version 2.5+"
      cpuModel:
        readText(join(guestDir, 'cpu-model'))
          ?.replace(/^model name\s*:\s*/, '')
          .trim() ?? null,
      cpus: readNumber(join(guestDir, 'nproc')),
      clocksource: readText(join(guestDir, 'clocksource'))?.trim() ?? null,
      timeline: parseTimeline(readText(join(guestDir, 'timeline')) ?? ''),
    },
    image: { key: image.manifest.key, imageSha256: image.manifest.imageSha256, kernel: image.manifest.kernel },
    paths,
  };
  writeFileSync(paths.result, `${JSON.stringify({ ...vmResult, cases: vmResult.cases.map(summarizeCase) }, null, 2)}\n`);

  if (caughtSignal && process.listenerCount(caughtSignal) === 0) process.kill(process.pid, caughtSignal);
  return vmResult;
}

/** The case as vm-run.json stores it: exit codes and file paths, not the outputs themselves. */
function summarizeCase(c: GuestCaseResult) {
  const proc = (p: GuestProcessResult) => ({
    argv: p.argv,
    exitCode: p.exitCode,
    timedOut: p.timedOut,
    stoppedByGuest: p.stoppedByGuest,
    dir: p.dir,
    files: p.files,
  });
  return { id: c.id, attempts: c.attempts.map((a) => ({ attempt: a.attempt, infDetected: a.infDetected, server: proc(a.server), client: proc(a.client) })) };
}
