// dpdk-devbind.py --status as others published it (test/fixtures/devbind/published/).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDevbindStatus } from '../../core/devbind.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'devbind', 'published');
const capture = (name: string) => readFileSync(join(dir, `${name}.txt`), 'utf8');

describe('parseDevbindStatus on published captures', () => {
  it('every capture has its source', () => {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt')))
      expect(readFileSync(join(dir, f.replace(/\.txt$/, '.source.md')), 'utf8')).toMatch(/Source: https:\/\//);
  });

  it('Chelsio/Broadcom host: sections, drivers, unused lists, empty if=, the *Active* management NIC', () => {
    const d = parseDevbindStatus(capture('chelsio-active-moongen295'));
    expect(d).toHaveLength(9);
    expect(d[0]).toEqual({
      pci: '0000:05:00.4',
      name: 'T62100-SO-CR Unified Wire Ethernet Controller 6408',
      section: 'dpdk',
      driver: 'igb_uio',
      unused: ['vfio-pci', 'uio_pci_generic'],
      ifname: null,
      active: false,
    });
    expect(d[1]).toMatchObject({ pci: '0000:02:00.0', section: 'kernel', driver: 'tg3', ifname: 'eno1', active: true });
    expect(d.filter((x) => x.active)).toHaveLength(1);
    expect(d[7]).toMatchObject({ pci: '0000:05:00.0', driver: 'cxgb4', ifname: null });
  });

  it('VFs on vfio-pci, headings without underlines', () => {
    const d = parseDevbindStatus(capture('igbvf-vfio-sriov190'));
    expect(d.map((x) => [x.pci, x.driver, x.unused])).toEqual([
      ['0000:5e:10.0', 'vfio-pci', ['igbvf']],
      ['0000:5e:10.4', 'vfio-pci', ['igbvf']],
    ]);
  });

  it('the older dpdk_nic_bind.py: empty unused=, <none> section', () => {
    const d = parseDevbindStatus(capture('connectx3-old-contrail94'));
    expect(d).toHaveLength(3);
    expect(d[0]).toMatchObject({ name: 'MT27520 Family [ConnectX-3 Pro]', driver: 'igb_uio', unused: [] });
    expect(d[1]).toMatchObject({ ifname: 'em0', driver: 'igb', active: true });
    expect(d[2]).toMatchObject({ ifname: 'eth1', active: false });
  });

  it('a BlueField VF on vfio-pci whose kernel driver would be mlx5_core', () => {
    expect(parseDevbindStatus(capture('bluefield-vf-pktgen245'))).toEqual([
      {
        pci: '0000:07:00.0',
        name: 'MT416842 BlueField multicore SoC family VF a2d3',
        section: 'dpdk',
        driver: 'vfio-pci',
        unused: ['mlx5_core'],
        ifname: null,
        active: false,
      },
    ]);
  });

  it('text that is no status gives no devices', () => {
    expect(parseDevbindStatus('0000:01:00.0 not a status line')).toEqual([]);
  });
});
