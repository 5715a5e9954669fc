import { describe, expect, it } from 'vitest';
import { buildQemuArgv, chooseAccel, combinedImageSha256, imageCacheKey, parsePackageList } from '../../soft-roce/image.js';

describe('chooseAccel', () => {
  it('treats PVM as no KVM: a stock Debian guest hangs under it', () => {
    const r = chooseAccel('auto', { devKvmUsable: true, kvmModules: ['kvm', 'kvm_pvm'] });
    expect(r.accel).toBe('tcg');
    expect(r.reason).toMatch(/PVM/);
  });
  it('uses hardware KVM when kvm_intel or kvm_amd is loaded', () => {
    expect(chooseAccel('auto', { devKvmUsable: true, kvmModules: ['kvm', 'kvm_intel'] }).accel).toBe('kvm');
    expect(chooseAccel('auto', { devKvmUsable: true, kvmModules: ['kvm', 'kvm_amd'] }).accel).toBe('kvm');
  });
  it('falls back to TCG without a usable /dev/kvm or a hardware module', () => {
    expect(chooseAccel('auto', { devKvmUsable: false, kvmModules: ['kvm', 'kvm_intel'] }).accel).toBe('tcg');
    expect(chooseAccel('auto', { devKvmUsable: true, kvmModules: ['kvm'] }).accel).toBe('tcg');
  });
  it('obeys an explicit request', () => {
    expect(chooseAccel('kvm', { devKvmUsable: true, kvmModules: ['kvm_pvm'] }).accel).toBe('kvm');
    expect(chooseAccel('tcg', { devKvmUsable: true, kvmModules: ['kvm_intel'] }).accel).toBe('tcg');
  });
});

describe('buildQemuArgv', () => {
  const base = {
    qemuBinary: 'qemu-system-x86_64',
    kernelPath: '/c/vmlinuz',
    initrdPath: '/c/initrd.img',
    shareDir: '/o/share',
    serialLogPath: '/o/serial.log',
    name: 'bb-softroce',
  };

  it('boots under TCG with no network device and the 9p share', () => {
    const argv = buildQemuArgv({ ...base, accel: 'tcg' });
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    expect(after('-accel')).toBe('tcg,thread=multi');
    expect(after('-cpu')).toBe('max');
    expect(after('-smp')).toBe('2');
    expect(after('-m')).toBe('2048');
    expect(after('-nic')).toBe('none');
    expect(argv).toContain('-nodefaults');
    expect(argv).toContain('-no-reboot');
    expect(after('-serial')).toBe('file:/o/serial.log');
    expect(after('-virtfs')).toBe('local,path=/o/share,mount_tag=bbshare,security_model=none,id=bbshare');
    expect(argv.some((a) => /^-(netdev|net)$/.test(a) || /virtio-net|e1000/.test(a))).toBe(false);
  });

  it('uses -cpu host under KVM', () => {
    const argv = buildQemuArgv({ ...base, accel: 'kvm' });
    expect(argv.slice(argv.indexOf('-accel'), argv.indexOf('-accel') + 4)).toEqual(['-accel', 'kvm', '-cpu', 'host']);
  });

  it('refuses paths that QEMU would split at a comma', () => {
    expect(() => buildQemuArgv({ ...base, accel: 'tcg', shareDir: '/o/a,b' })).toThrow(/comma/);
    expect(() => buildQemuArgv({ ...base, accel: 'tcg', name: 'x,process=y' })).toThrow(/VM name/);
  });
});

describe('image cache key', () => {
  const tsv = 'linux-image-6.1.0-56-amd64\t6.1.192-2\nperftest\t4.5+0.17-1\n';
  it('is stable for the same inputs and changes with any of them', () => {
    const key = imageCacheKey(tsv, 'build', 'init');
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(imageCacheKey(tsv, 'build', 'init')).toBe(key);
    expect(imageCacheKey(tsv.replace('4.5+0.17-1', '4.5+0.18-1'), 'build', 'init')).not.toBe(key);
    expect(imageCacheKey(tsv, 'build2', 'init')).not.toBe(key);
    expect(imageCacheKey(tsv, 'build', 'init2')).not.toBe(key);
  });
  it('parses the package list with the kernel first', () => {
    expect(parsePackageList(tsv)).toEqual([
      { name: 'linux-image-6.1.0-56-amd64', version: '6.1.192-2' },
      { name: 'perftest', version: '4.5+0.17-1' },
    ]);
    expect(() => parsePackageList('no tab here\n')).toThrow(/line 1/);
  });
  it('names the bootable pair with one sha256', () => {
    expect(combinedImageSha256('a', 'b')).toMatch(/^[0-9a-f]{64}$/);
    expect(combinedImageSha256('a', 'b')).not.toBe(combinedImageSha256('b', 'a'));
  });
});
