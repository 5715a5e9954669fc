// Can this machine run the Soft-RoCE VM, and with which accelerator: QEMU installed, KVM usable
// (or TCG), the image cached or its kernel package downloadable. Read-only apart from apt's
// `--print-uris`, which resolves a download without fetching it.
import { accessSync, constants as fsConstants, readdirSync } from 'node:fs';
import { chooseAccel, parsePackageList, type KvmFacts } from '../soft-roce/image.js';
import { run, tryRun, which } from './exec.js';
import { currentImage, validCachedImage } from './softroce-image.js';

export const QEMU_PROGRAM = 'qemu-system-x86_64';

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

/** Can this machine run the Soft-RoCE VM: QEMU, cached image, or a downloadable kernel package. */
export async function detectSoftRoceVm(opts: { cacheDir?: string; qemuBinary?: string } = {}): Promise<SoftRoceVmDetection> {
  const problems: SoftRoceVmDetection['problems'] = [];
  const qemuPath = opts.qemuBinary ?? which(QEMU_PROGRAM);
  let qemu: SoftRoceVmDetection['qemu'] = null;
  if (qemuPath) {
    const v = await tryRun([qemuPath, '--version'], 10_000);
    // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
    const m = /version\s+(\S+)/.exec(v?.stdout ?? '');
    qemu = { path: qemuPath, version: m ? m[1]! : null };
  } else {
    problems.push({ reason: `${QEMU_PROGRAM} is not installed`, fix: 'apt-get install qemu-system-x86' });
  }

  const accel = chooseAccel('auto', readKvmFacts());
  let image: SoftRoceVmDetection['image'] = { key: null, cached: false, dir: null };
  let kernelPackage: SoftRoceVmDetection['kernelPackage'] = null;
  try {
    const current = await currentImage(opts.cacheDir);
    image = { key: current.key, cached: (await validCachedImage(current.paths, current.key)) !== null, dir: current.paths.dir };
    const kernel = parsePackageList(current.inputsTsv)[0]!;
    const uris = await run(['apt-get', '--print-uris', 'download', `${kernel.name}=${kernel.version}`], { allowFailure: true, timeoutMs: 60_000 });
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
