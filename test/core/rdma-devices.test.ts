// ibv_devinfo and `rdma link show` as others published them (test/fixtures/rdma/published/), and
// the preflight check of the inventory's RDMA device against them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIbvDevinfo, parseRdmaLink, rdmaDeviceCheck } from '../../core/rdma-devices.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'rdma', 'published');
const capture = (name: string) => readFileSync(join(dir, `${name}.txt`), 'utf8');

describe('RDMA device listings on published captures', () => {
  it('every capture has its source', () => {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt')))
      expect(readFileSync(join(dir, f.replace(/\.txt$/, '.source.md')), 'utf8')).toMatch(/Source: https:\/\//);
  });

  it('ibv_devinfo: a RoCE VF in an Azure VM, port active', () => {
    expect(parseIbvDevinfo(capture('ibv_devinfo-azure-vm-azhpc44'))).toEqual([
      { device: 'rdmaP23800p0s2', firmware: '14.25.8102', ports: [{ port: 1, state: 'PORT_ACTIVE', linkLayer: 'Ethernet', activeMtu: 1024 }] },
    ]);
  });

  it('ibv_devinfo: a ConnectX-7 on InfiniBand, port down', () => {
    expect(parseIbvDevinfo(capture('ibv_devinfo-cx7-down-deepep60'))).toEqual([
      { device: 'mlx5_0', firmware: '28.39.2048', ports: [{ port: 1, state: 'PORT_DOWN', linkLayer: 'InfiniBand', activeMtu: 4096 }] },
    ]);
  });

  it('rdma link show: ConnectX-6 Dx RoCE ports (trailing spaces) and an rxe link', () => {
    expect(parseRdmaLink(capture('rdma-link-cx6dx-3fs283'))).toEqual([
      { device: 'mlx5_0', port: 1, state: 'ACTIVE', physicalState: 'LINK_UP', netdev: 'p1p1' },
      { device: 'mlx5_1', port: 1, state: 'ACTIVE', physicalState: 'LINK_UP', netdev: 'p1p2' },
    ]);
    expect(parseRdmaLink(capture('rdma-link-rxe-3fs263'))).toEqual([{ device: 'rxe_0', port: 1, state: 'ACTIVE', physicalState: 'LINK_UP', netdev: 'p1p1' }]);
  });
});

describe('rdmaDeviceCheck', () => {
  const links = { devices: [], links: parseRdmaLink(capture('rdma-link-cx6dx-3fs283')) };
  it('the inventory device exists and is active; a RoCE port on another netdev is a warning', () => {
    expect(rdmaDeviceCheck({ name: 'lab2', rdmaDev: 'mlx5_0', testIface: 'p1p1' }, links)).toEqual({ problem: null, warning: null });
    expect(rdmaDeviceCheck({ name: 'lab2', rdmaDev: 'mlx5_1', testIface: 'p1p1' }, links).warning).toBe(
      'lab2: RDMA device mlx5_1 sits on p1p2, not on the test interface p1p1: its traffic takes another NIC',
    );
  });
  it('a device that is not there, a port that is down, no device named: each with its fix', () => {
    expect(rdmaDeviceCheck({ name: 'lab2', rdmaDev: 'mlx5_4', testIface: 'p1p1' }, links).problem).toEqual({
      reason: 'lab2: RDMA device mlx5_4 is not there (ibv_devinfo / rdma link list mlx5_0, mlx5_1)',
      fix: 'set bypassbench_rdma_dev to one of mlx5_0, mlx5_1',
    });
    const down = { devices: parseIbvDevinfo(capture('ibv_devinfo-cx7-down-deepep60')), links: [] };
    expect(rdmaDeviceCheck({ name: 'lab2', rdmaDev: 'mlx5_0', testIface: 'ib0' }, down).problem?.reason).toBe(
      'lab2: RDMA device mlx5_0 port is PORT_DOWN, not active',
    );
    expect(rdmaDeviceCheck({ name: 'lab2', rdmaDev: null, testIface: 'ib0' }, down).problem?.reason).toBe('lab2 has no bypassbench_rdma_dev in the inventory');
    expect(rdmaDeviceCheck({ name: 'here', rdmaDev: 'mlx5_0', testIface: 'eth0' }, null).problem?.fix).toMatch(/load the NIC’s RDMA driver/);
  });
});
