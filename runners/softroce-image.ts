// The Soft-RoCE guest image on disk: soft-roce/build-image.sh builds it, this module caches it
// under a key of its inputs and verifies a cached one against its manifest before reuse.
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { release } from 'node:os';
import { UnsupportedError } from '../core/errors.js';
import { projectRoot } from '../core/project.js';
import { lastLines } from '../core/text.js';
import { combinedImageSha256, imageCacheKey, parsePackageList, sha256Hex, type ImageManifest } from '../soft-roce/image.js';
import { CommandError, run } from './exec.js';

export function softRocePaths(cacheDir?: string) {
  const root = projectRoot();
  return {
    buildScript: join(root, 'soft-roce', 'build-image.sh'),
    initScript: join(root, 'soft-roce', 'guest', 'init.sh'),
    cacheDir: resolve(cacheDir ?? process.env['BYPASSBENCH_SOFTROCE_CACHE'] ?? join(root, 'soft-roce', 'cache')),
  };
}

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
  try {
    return (await run(['bash', buildScript, 'inputs'], { timeoutMs: 120_000 })).stdout;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    throw new UnsupportedError(
      `cannot list the Soft-RoCE image inputs: ${lastLines(err.stderr, 2)}`,
      'apt-get update && apt-get install perftest rdma-core ibverbs-providers ibverbs-utils iproute2 busybox-static kmod cpio',
    );
  }
}

export interface CurrentImage {
  /** `build-image.sh inputs`: one "package TAB version" line per package, the kernel first. */
  inputsTsv: string;
  key: string;
  paths: ImagePaths;
}

/** Where the image for today's package versions and scripts lives (it may not be built yet). */
export async function currentImage(cacheDir?: string): Promise<CurrentImage> {
  const scripts = softRocePaths(cacheDir);
  const inputsTsv = await imageInputs(scripts.buildScript);
  const key = imageCacheKey(inputsTsv, readFileSync(scripts.buildScript), readFileSync(scripts.initScript));
  return { inputsTsv, key, paths: imagePathsIn(join(scripts.cacheDir, key)) };
}

/** The manifest of a complete cached image whose files still match it; null otherwise. */
export async function validCachedImage(paths: ImagePaths, key: string): Promise<ImageManifest | null> {
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

/** Runs build-image.sh into `tmpDir` and writes the manifest there. */
async function buildInto(tmpDir: string, current: CurrentImage, started: number, opts: EnsureImageOptions): Promise<ImageManifest> {
  const { buildScript, initScript } = softRocePaths(opts.cacheDir);
  await run(['bash', buildScript, 'build', tmpDir], {
    timeoutMs: 15 * 60_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onLog ? { onStderrLine: opts.onLog } : {}),
  });
  const tmpPaths = imagePathsIn(tmpDir);
  const builtTsv = readFileSync(join(tmpDir, 'packages.tsv'), 'utf8');
  if (builtTsv.trim() !== current.inputsTsv.trim()) {
    throw new Error('package versions changed during the image build; run it again');
  }
  const packages = parsePackageList(builtTsv);
  const kernelPin = packages[0]!;
  const [kernelSha, initrdSha] = await Promise.all([fileSha256(tmpPaths.kernel), fileSha256(tmpPaths.initrd)]);
  const manifest: ImageManifest = {
    schema: 1,
    key: current.key,
    builtAt: new Date().toISOString(),
    buildS: (Date.now() - started) / 1000,
    kernel: { package: kernelPin.name, version: kernelPin.version, release: readFileSync(join(tmpDir, 'kernel-release'), 'utf8').trim() },
    packages,
    files: {
      kernel: { name: 'vmlinuz', sha256: kernelSha, bytes: statSync(tmpPaths.kernel).size },
      initrd: { name: 'initrd.img', sha256: initrdSha, bytes: statSync(tmpPaths.initrd).size },
    },
    imageSha256: combinedImageSha256(kernelSha, initrdSha),
    inputs: { buildScriptSha256: sha256Hex(readFileSync(buildScript)), initScriptSha256: sha256Hex(readFileSync(initScript)) },
    builtOn: { debianVersion: debianVersion(), hostKernel: release() },
  };
  writeFileSync(tmpPaths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The cached image for the current package versions and scripts, built on a miss. */
export async function ensureImage(opts: EnsureImageOptions = {}): Promise<EnsuredImage> {
  const started = Date.now();
  const { cacheDir } = softRocePaths(opts.cacheDir);
  const current = await currentImage(opts.cacheDir);
  const finalPaths = current.paths;

  if (!opts.rebuild) {
    const manifest = await validCachedImage(finalPaths, current.key);
    if (manifest) return { imagePaths: finalPaths, manifest, cacheHit: true, buildS: (Date.now() - started) / 1000 };
  }

  mkdirSync(cacheDir, { recursive: true });
  removeAbandonedBuilds(cacheDir);
  // Build beside the final folder and rename: a concurrent or interrupted build never leaves a
  // half-written entry under the key.
  const tmpDir = join(cacheDir, `.build-${current.key}-${process.pid}-${Date.now()}`);
  try {
    const manifest = await buildInto(tmpDir, current, started, opts);
    if (existsSync(finalPaths.dir)) rmSync(finalPaths.dir, { recursive: true, force: true });
    try {
      renameSync(tmpDir, finalPaths.dir);
    } catch (err) {
      // Another process finished the same key first; its image is as good as ours.
      const theirs = await validCachedImage(finalPaths, current.key);
      if (!theirs) throw err;
      rmSync(tmpDir, { recursive: true, force: true });
      return { imagePaths: finalPaths, manifest: theirs, cacheHit: true, buildS: (Date.now() - started) / 1000 };
    }
    return { imagePaths: finalPaths, manifest, cacheHit: false, buildS: manifest.buildS };
  } finally {
    if (existsSync(tmpDir)) rmSync(tmpDir, { recursive: true, force: true });
  }
}
