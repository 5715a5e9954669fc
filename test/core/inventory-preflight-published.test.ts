// The preflight readers on ethtool outputs of real NICs published by others
// (test/fixtures/ethtool/published/, each with its .source.md), and on this machine's veth.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  hardwareTimestampSupport,
  parseEthtoolChannels,
  parseEthtoolCoalesce,
  parseEthtoolInfo,
  parseEthtoolSettings,
  parseEthtoolTimestamping,
} from '../../core/inventory-preflight.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'ethtool');
const published = (name: string) => readFileSync(join(dir, 'published', `${name}.txt`), 'utf8');

describe('every published ethtool capture names its source', () => {
  it('has a .source.md with a URL and the command', () => {
    const txt = readdirSync(join(dir, 'published')).filter((f) => f.endsWith('.txt'));
    expect(txt.length).toBeGreaterThanOrEqual(12);
    for (const f of txt) {
      const src = readFileSync(join(dir, 'published', f.replace(/\.txt$/, '.source.md')), 'utf8');
      expect(src, f).toMatch(/Source: https:\/\//);
      expect(src, f).toMatch(/Command: `/);
    }
  });
});

describe('ethtool -i on real NICs', () => {
  it('mlx5_core (ConnectX-4 Lx): driver, firmware, bus', () => {
    expect(parseEthtoolInfo(published('mlx5-i-ethq8'))).toEqual({ driver: 'mlx5_core', firmware: '14.23.1020', busInfo: '0000:af:00.0' });
  });
  it('mlx4_en with trailing spaces and an empty expansion-rom line', () => {
    expect(parseEthtoolInfo(published('mlx4-i-trailing-ethq21'))).toEqual({ driver: 'mlx4_en', firmware: '2.42.5000', busInfo: '0000:83:00.0' });
  });
});

describe('ethtool -T on real NICs', () => {
  it('ixgbe (X520): hardware TX/RX and raw clock, PTP clock 0, but only PTP receive filters (no "all")', () => {
    const ts = parseEthtoolTimestamping(published('ixgbe-T-ptpd10'))!;
    expect(ts).toMatchObject({ hardwareTx: true, hardwareRx: true, hardwareRawClock: true, ptpClock: '0', txModes: ['off', 'on'] });
    expect(ts.capabilities).toHaveLength(6);
    // The modes are not capabilities (the old reader mixed "off"/"on"/"none" into them).
    expect(ts.capabilities).not.toContain('off');
    expect(ts.rxFilters[0]).toBe('none');
    expect(ts.rxFilters).toContain('ptpv2-l4-event');
    const support = hardwareTimestampSupport(ts);
    expect(support.usable).toBe(false);
    expect(support.reason).toMatch(/RX filter "all"/);
  });

  it('a paste without indentation still reads (software only, no PTP clock)', () => {
    expect(parseEthtoolTimestamping(published('sw-only-noindent-T-openil46'))).toEqual({
      hardwareTx: false,
      hardwareRx: false,
      hardwareRawClock: false,
      ptpClock: null,
      capabilities: ['software-transmit', 'software-receive', 'software-system-clock'],
      txModes: [],
      rxFilters: [],
    });
  });

  it('newer ethtool without (SOF_…) names; one-step modes; a PTP-only filter', () => {
    const ts = parseEthtoolTimestamping(published('macb-onestep-T-fbtime462'))!;
    expect(ts.capabilities).toEqual(['hardware-transmit', 'hardware-receive', 'software-receive', 'software-system-clock', 'hardware-raw-clock']);
    expect(ts.txModes).toEqual(['off', 'on', 'onestep-sync', 'onestep-p2p']);
    expect(ts.rxFilters).toEqual(['none', 'ptpv2-event']);
    expect(hardwareTimestampSupport(ts).usable).toBe(false);
  });

  it('a capabilities-only copy: hardware capable, modes unknown (not held against it), clock unknown', () => {
    const ts = parseEthtoolTimestamping(published('capsonly-T-ptpoperator110'))!;
    expect(ts).toMatchObject({ hardwareTx: true, hardwareRx: true, hardwareRawClock: true, ptpClock: null, txModes: [], rxFilters: [] });
    expect(hardwareTimestampSupport(ts)).toEqual({ usable: true, reason: 'hardware stamps offered (PTP clock not reported)' });
  });

  it('veth here: no hardware stamps, and the reason says which capabilities are missing', () => {
    const ts = parseEthtoolTimestamping(readFileSync(join(dir, 'veth-T.txt'), 'utf8'));
    expect(hardwareTimestampSupport(ts).reason).toBe('the NIC lacks hardware-transmit, hardware-receive, hardware-raw-clock');
    expect(hardwareTimestampSupport(null).usable).toBe(false);
  });
});

describe('ethtool -c on real NICs', () => {
  it('n/a values are left out (never 0); the adaptive and CQE pairs split', () => {
    const c = parseEthtoolCoalesce(published('coalesce-na-cqe-tuned726'), 0)!;
    expect(c).toEqual({ 'rx-usecs': '3', 'tx-usecs': '3' });
  });
  it('adaptive RX on, TX off, blank lines between every line', () => {
    const c = parseEthtoolCoalesce(published('coalesce-adaptive-sockperf21'), 0)!;
    expect(c['adaptive-rx']).toBe('on');
    expect(c['adaptive-tx']).toBe('off');
    expect(c['rx-usecs']).toBe('16');
    expect(c['rx-frames']).toBe('88');
    expect(c['pkt-rate-high']).toBe('450000');
    expect(Object.keys(c)).toHaveLength(22);
  });
});

describe('ethtool -l', () => {
  it('separate RX/TX channels (combined n/a → null)', () => {
    expect(parseEthtoolChannels(published('channels-rxtx-firedancer1427'), 0)).toEqual({
      max: { rx: 4, tx: 4, other: null, combined: null },
      current: { rx: 4, tx: 1, other: null, combined: null },
    });
  });
  it('combined channels, spaces and tabs', () => {
    expect(parseEthtoolChannels(published('channels-combined-firedancer1427'), 0)).toEqual({
      max: { rx: null, tx: null, other: 1, combined: 64 },
      current: { rx: null, tx: null, other: 1, combined: 1 },
    });
    expect(parseEthtoolChannels(published('channels-tabs-ifupdown2-268'), 0)?.current).toEqual({ rx: 0, tx: 0, other: null, combined: 64 });
  });
  it('veth here; a failing command is null', () => {
    expect(parseEthtoolChannels(readFileSync(join(dir, 'veth-l.txt'), 'utf8'), 0)?.current).toEqual({ rx: 1, tx: 1, other: null, combined: null });
    expect(parseEthtoolChannels('netlink error: Operation not supported', 1)).toBeNull();
  });
});

describe('ethtool IF (link settings) on real NICs', () => {
  it('a driver that reports no speed gives null speed, link still read', () => {
    expect(parseEthtoolSettings(published('settings-nospeed-ena-amzn61'))).toEqual({ speed: null, linkDetected: true });
  });
  it('a four-space re-flowed paste', () => {
    expect(parseEthtoolSettings(published('settings-fibre-xdpd3'))).toEqual({ speed: '1000Mb/s', linkDetected: true });
  });
});
