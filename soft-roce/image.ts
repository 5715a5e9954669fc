// The Soft-RoCE guest image: its cache key, its manifest, and the QEMU command that boots it.
// Pure; runners/softroce-image.ts runs build-image.sh and runners/softroce-vm.ts runs QEMU.
import { createHash } from 'node:crypto';
import { assertSimpleName } from '../core/validate.js';

export interface PackagePin {
  name: string;
  version: string;
}

export interface ImageManifest {
  schema: 1;
  /** Cache key: sha256 of the package list, build-image.sh and guest/init.sh (first 16 hex digits). */
  key: string;
  builtAt: string;
  buildS: number;
  kernel: { package: string; version: string; release: string };
  /** Every Debian package that contributed a file to the image, with its version. */
  packages: PackagePin[];
  files: {
    kernel: { name: 'vmlinuz'; sha256: string; bytes: number };
    initrd: { name: 'initrd.img'; sha256: string; bytes: number };
  };
  /** sha256 of "<kernel sha256>\n<initrd sha256>\n": one figure naming the bootable pair. */
  imageSha256: string;
  inputs: { buildScriptSha256: string; initScriptSha256: string };
  builtOn: { debianVersion: string | null; hostKernel: string };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** "linux-image-6.1.0-56-amd64\t6.1.192-2" lines from `build-image.sh inputs`; the kernel comes first. */
export function parsePackageList(tsv: string): PackagePin[] {
  return tsv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      // "libc6\t2.36-9+deb12u14": package TAB version
      const m = /^([a-z0-9][a-z0-9+.-]*)\t(\S+)$/.exec(line);
      if (!m) throw new Error(`build-image.sh inputs: line ${i + 1} is not "package<TAB>version": ${JSON.stringify(line)}`);
      return { name: m[1]!, version: m[2]! };
    });
}

export function imageCacheKey(packageListTsv: string, buildScript: string | Buffer, initScript: string | Buffer): string {
  const h = createHash('sha256');
  h.update('bypassbench-softroce-image\n');
  h.update(packageListTsv.trim() + '\n');
  h.update(sha256Hex(buildScript) + '\n');
  h.update(sha256Hex(initScript) + '\n');
  return h.digest('hex').slice(0, 16);
}

export function combinedImageSha256(kernelSha256: string, initrdSha256: string): string {
  return sha256Hex(`${kernelSha256}\n${initrdSha256}\n`);
}

export type AccelRequest = 'kvm' | 'tcg' | 'auto';

export interface KvmFacts {
  /** /dev/kvm exists and opens read-write. */
  devKvmUsable: boolean;
  /** Names under /sys/module starting with kvm (kvm, kvm_intel, kvm_amd, kvm_pvm …). */
  kvmModules: string[];
}

/**
 * 'auto' picks KVM only with hardware virtualization (kvm_intel or kvm_amd). PVM (kvm_pvm, the
 * paravirtual KVM of nested cloud VMs such as this project's Firecracker machines) hangs a stock
 * Debian guest kernel at boot, so it counts as no KVM.
 */
export function chooseAccel(request: AccelRequest, facts: KvmFacts): { accel: 'kvm' | 'tcg'; reason: string } {
  if (request === 'tcg') return { accel: 'tcg', reason: 'requested' };
  if (request === 'kvm') return { accel: 'kvm', reason: 'requested' };
  if (!facts.devKvmUsable) return { accel: 'tcg', reason: '/dev/kvm is absent or not usable' };
  if (facts.kvmModules.includes('kvm_pvm')) {
    return { accel: 'tcg', reason: 'KVM is PVM (kvm_pvm loaded): a stock Debian guest kernel hangs at boot under it' };
  }
  if (facts.kvmModules.includes('kvm_intel') || facts.kvmModules.includes('kvm_amd')) {
    return { accel: 'kvm', reason: `hardware KVM (${facts.kvmModules.filter((m) => m === 'kvm_intel' || m === 'kvm_amd').join(', ')})` };
  }
  return { accel: 'tcg', reason: 'no kvm_intel or kvm_amd module: not hardware KVM' };
}

export interface QemuOptions {
  qemuBinary: string;
  kernelPath: string;
  initrdPath: string;
  shareDir: string;
  serialLogPath: string;
  accel: 'kvm' | 'tcg';
  /** QEMU's -name: shows in ps, so a leftover VM can be traced to its owner. */
  name: string;
  cpus?: number;
  memoryMiB?: number;
}

/** Longest VM name accepted (QEMU's -name, also the process name). */
export const VM_NAME_MAX = 64;

/** The 9p mount tag guest/init.sh mounts. */
export const SHARE_MOUNT_TAG = 'bbshare';

export function buildQemuArgv(opts: QemuOptions): string[] {
  // QEMU's option parser splits on commas: a comma in a path would change the device.
  for (const [what, path] of [
    ['share directory', opts.shareDir],
    ['serial log', opts.serialLogPath],
    ['kernel', opts.kernelPath],
    ['initrd', opts.initrdPath],
  ]) {
    if (/[,\s]/.test(path!)) throw new Error(`${what} path must not contain commas or spaces: ${path}`);
  }
  // The name also goes into "-name NAME,process=NAME": a comma would add an option.
  assertSimpleName(opts.name, 'VM name', VM_NAME_MAX);
  return [
    opts.qemuBinary,
    '-name',
    `${opts.name},process=${opts.name}`,
    ...(opts.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp',
    String(opts.cpus ?? 2),
    '-m',
    String(opts.memoryMiB ?? 2048),
    '-kernel',
    opts.kernelPath,
    '-initrd',
    opts.initrdPath,
    '-append',
    'console=ttyS0 quiet panic=-1',
    // No network device at all: every RDMA packet stays on the guest's own veth pair.
    '-nic',
    'none',
    '-nodefaults',
    '-no-reboot',
    '-display',
    'none',
    '-serial',
    `file:${opts.serialLogPath}`,
    '-virtfs',
    `local,path=${opts.shareDir},mount_tag=${SHARE_MOUNT_TAG},security_model=none,id=${SHARE_MOUNT_TAG}`,
  ];
}
