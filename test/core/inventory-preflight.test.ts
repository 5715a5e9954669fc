import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cmdlineValue,
  hostWarnings,
  parseEthtoolCoalesce,
  parseEthtoolFeatures,
  parseEthtoolInfo,
  parseEthtoolSettings,
  parseEthtoolTimestamping,
  versionMismatches,
} from '../../core/inventory-preflight.js';
import { unreachablePreflight } from '../../runners/lab-preflight.js';
import type { LabHost } from '../../core/inventory.js';

const capture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ethtool', name), 'utf8');

describe('preflight readers on real ethtool captures (veth)', () => {
  it('ethtool -i: driver, firmware and bus (empty ones are null)', () => {
    expect(parseEthtoolInfo(capture('veth-i.txt'))).toEqual({ driver: 'veth', firmware: null, busInfo: null });
    expect(parseEthtoolInfo('')).toBeNull();
  });

  it('ethtool IF: speed and link', () => {
    expect(parseEthtoolSettings(capture('veth-settings.txt'))).toEqual({ speed: '10000Mb/s', linkDetected: false });
  });

  it('ethtool -k: every feature, sub-features included', () => {
    const f = parseEthtoolFeatures(capture('veth-k.txt'));
    expect(f['rx-checksumming']).toBe(true);
    expect(f['tx-checksum-ipv4']).toBe(false);
    expect(f['generic-receive-offload']).toBe(false);
    expect(Object.keys(f).length).toBeGreaterThan(40);
  });

  it('ethtool -c on a driver without coalescing is null, not an empty setting', () => {
    expect(parseEthtoolCoalesce(capture('veth-c.txt'), 1)).toBeNull();
  });

  it('ethtool -T: software timestamps only, no PTP clock', () => {
    expect(parseEthtoolTimestamping(capture('veth-T.txt'))).toEqual({
      hardwareTx: false,
      hardwareRx: false,
      hardwareRawClock: false,
      ptpClock: null,
      capabilities: ['software-transmit', 'software-receive', 'software-system-clock'],
      txModes: [],
      rxFilters: [],
    });
  });

  it('kernel command line values', () => {
    expect(cmdlineValue('ro quiet isolcpus=managed_irq,2-5 nohz_full=2-5', 'isolcpus')).toBe('managed_irq,2-5');
    expect(cmdlineValue('ro quiet', 'nohz_full')).toBeNull();
  });
});

describe('preflight warnings', () => {
  const host = { name: 'a', role: 'client' } as LabHost;
  it('warn on governor, SMT, cross-node CPUs, no isolation, no clock sync; versions that differ', () => {
    const p = { ...unreachablePreflight(host, ''), reachable: true, governor: 'powersave', smtActive: true, nicNumaNode: 1, cpuNodes: { '2': 0, '3': 1 } };
    const w = hostWarnings(p, [2, 3]);
    expect(w.join('\n')).toMatch(/governor is powersave/);
    expect(w.join('\n')).toMatch(/SMT is on/);
    expect(w.join('\n')).toMatch(/CPU\(s\) 2 are on another NUMA node than the test NIC \(node 1\)/);
    expect(w.join('\n')).toMatch(/no isolated CPUs/);
    expect(w.join('\n')).toMatch(/no clock synchronisation/);
    const b = { ...p, host: 'b', packages: { sockperf: '3.8' } };
    expect(versionMismatches({ ...p, packages: { sockperf: '3.7' } }, b)).toEqual(['package sockperf: a has 3.7, b has 3.8']);
  });
});
