import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../core/errors.js';
import { assertHostRxeSupported, readHostRxeFacts } from '../../runners/softroce-vm.js';
import { hostRxeVerdict, parseIbvDevinfo, rxeLinkAddArgv, rxeLinkDeleteArgv } from '../../soft-roce/rxe-host.js';
import { loadFixture } from '../helpers/fixtures.js';

describe('rxe link argv', () => {
  it('builds rdma link add/delete as argv arrays', () => {
    expect(rxeLinkAddArgv('rxe0', 'veth0')).toEqual(['rdma', 'link', 'add', 'rxe0', 'type', 'rxe', 'netdev', 'veth0']);
    expect(rxeLinkDeleteArgv('rxe0')).toEqual(['rdma', 'link', 'delete', 'rxe0']);
  });
  it('refuses names that are not interface names', () => {
    expect(() => rxeLinkAddArgv('rxe0; reboot', 'veth0')).toThrow(/rxe device name/);
    expect(() => rxeLinkAddArgv('rxe0', 'a-very-long-interface-name')).toThrow(/netdev/);
  });
});

describe('hostRxeVerdict', () => {
  const facts = { kernelRelease: '6.18.0', infinibandClass: false, rxeModuleLoaded: false, rxeModuleAvailable: false, rdmaTool: true };
  it('says why and points to the VM when the kernel has no rdma_rxe', () => {
    const v = hostRxeVerdict(facts);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toMatch(/no rdma_rxe/);
      expect(v.reason).toMatch(/\/sys\/class\/infiniband/);
      expect(v.fix).toMatch(/runPlanInVm/);
    }
  });
  it('asks for modprobe when the module exists but is not loaded', () => {
    expect(hostRxeVerdict({ ...facts, rxeModuleAvailable: true })).toEqual({ ok: true, needsModprobe: true });
    expect(hostRxeVerdict({ ...facts, rxeModuleLoaded: true, infinibandClass: true })).toEqual({ ok: true, needsModprobe: false });
  });
});

describe('this machine', () => {
  const noRdma = !existsSync('/sys/class/infiniband') && !existsSync('/sys/module/rdma_rxe');
  it.skipIf(!noRdma)('refuses host-mode rxe with an UnsupportedError naming the kernel', () => {
    const facts = readHostRxeFacts();
    expect(() => assertHostRxeSupported(facts)).toThrow(UnsupportedError);
    expect(() => assertHostRxeSupported(facts)).toThrow(new RegExp(facts.kernelRelease.replace(/[.+]/g, '\\$&')));
  });
});

describe('parseIbvDevinfo', () => {
  it('reads both rxe devices of the Soft-RoCE guest, ports active on Ethernet', () => {
    const fx = loadFixture('perftest', 'ibv_devinfo-rxe');
    const devices = parseIbvDevinfo(fx.stdout);
    expect(devices.map((d) => d.name)).toEqual(['rxe0', 'rxe1']);
    for (const d of devices) {
      expect(d.transport).toBe('InfiniBand');
      expect(d.nodeGuid).toMatch(/^[0-9a-f:]+$/);
      expect(d.ports).toHaveLength(1);
      expect(d.ports[0]).toMatchObject({ port: 1, state: 'PORT_ACTIVE', linkLayer: 'Ethernet' });
      expect(d.ports[0]!.activeMtu).toBeGreaterThan(0);
    }
  });
});
