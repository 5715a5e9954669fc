// dpdk-testpmd driver against real captures (test/fixtures/testpmd/, see each .json for the setup).
// Assertions are structural: counters that must agree with each other, never speeds.
import { describe, it, expect } from 'vitest';
import { loadFixture } from '../../helpers/fixtures.js';
import {
  availablePmds,
  parseTestpmdNative,
  parseTestpmdOutput,
  TESTPMD_STDERR_READY_LINE,
  TESTPMD_STDOUT_FORWARDING_LINE,
  testpmdDriver,
  type TestpmdNative,
} from '../../../drivers/testpmd/index.js';
import type { Measurement } from '../../../core/trial.js';
import type { HostFacts } from '../../../core/host.js';

function parseFixture(name: string): { m: Measurement; native: TestpmdNative } {
  const f = loadFixture('testpmd', name);
  const results = testpmdDriver.parse({ stdout: f.stdout, stderr: f.stderr, exitCode: f.exitCode });
  expect(results).toHaveLength(1);
  const m = results[0]!;
  return { m, native: m.native as unknown as TestpmdNative };
}

function toolArgv(name: string): string[] {
  return loadFixture('testpmd', name).meta.toolArgv as string[];
}

/** Invariants every successful parse must hold. */
function expectSaneOk(m: Measurement, native: TestpmdNative): void {
  expect(m.status).toBe('ok');
  expect(m.error).toBeNull();
  expect(m.latencyUs).toBeNull();
  if (m.lossRatio !== null) {
    expect(m.lossRatio).toBeGreaterThanOrEqual(0);
    expect(m.lossRatio).toBeLessThanOrEqual(1);
  }
  if (m.achievedPps !== null) {
    expect(m.achievedPps).toBeGreaterThan(0);
    expect(m.msgRateMpps).toBeCloseTo(m.achievedPps / 1e6, 9);
  }
  const final = native.final!;
  expect(final).not.toBeNull();
  expect(final.accumulated).not.toBeNull();
  const sum = (key: 'rxPackets' | 'txPackets' | 'rxDropped' | 'rxTotal') => final.ports.reduce((s, p) => s + (p[key] ?? 0), 0);
  expect(final.accumulated!.rxPackets).toBe(sum('rxPackets'));
  expect(final.accumulated!.txPackets).toBe(sum('txPackets'));
  expect(final.accumulated!.rxTotal).toBe(sum('rxTotal'));
  for (const p of final.ports) expect(p.rxTotal).toBe((p.rxPackets ?? 0) + (p.rxDropped ?? 0));
  expect(m.receivedPackets).toBe(final.accumulated!.rxPackets);
  expect(m.sentPackets).toBe(final.accumulated!.txPackets);
  // Every periodic block lists every port with all counters, and counters never go backwards.
  for (const block of native.periodic) {
    expect(block.map((p) => p.port)).toEqual(final.ports.map((p) => p.port));
    for (const p of block) {
      for (const v of [p.rxPackets, p.rxMissed, p.rxBytes, p.rxErrors, p.rxNombuf, p.txPackets, p.txErrors, p.txBytes, p.rxPps, p.rxBps, p.txPps, p.txBps]) {
        expect(v).not.toBeNull();
        expect(v).toBeGreaterThanOrEqual(0);
      }
    }
  }
  for (let i = 1; i < native.periodic.length; i++) {
    native.periodic[i]!.forEach((p, j) => expect(p.rxPackets!).toBeGreaterThanOrEqual(native.periodic[i - 1]![j]!.rxPackets!));
  }
  // The first block has no baseline: its rates are 0 whatever the traffic.
  if (native.periodic.length > 0) expect(native.rxPpsPerBlock[0]).toBe(0);
}

describe('fixtures', () => {
  const names = [
    'afxdp-5tswap',
    'afxdp-5tswap-cycles-xstats',
    'afpacket-5tswap',
    'null-io-nohuge',
    'null-io-huge',
    'null-txonly-cycles',
    'wire-afxdp-io',
    'txonly-gen-afxdp',
    'rxonly-sink-afxdp',
    'interactive-xstats',
    'failed-bad-iface',
    'failed-bad-vdev',
    'failed-nohuge-default-pool',
    'failed-nohuge-inmemory',
  ];
  it.each(names)('%s records the command that produced it', (name) => {
    const { meta } = loadFixture('testpmd', name);
    expect(toolArgv(name)[0]).toBe('dpdk-testpmd');
    expect(meta.argv.slice(-toolArgv(name).length)).toEqual(toolArgv(name));
    expect(meta.setup.length).toBeGreaterThan(20);
    expect(meta.toolVersion).toMatch(/22\.11/);
  });
});

describe('readiness lines', () => {
  it.each(['afxdp-5tswap', 'null-io-nohuge', 'wire-afxdp-io', 'interactive-xstats'])('%s prints both', (name) => {
    const f = loadFixture('testpmd', name);
    expect(f.stderr).toMatch(TESTPMD_STDERR_READY_LINE);
    expect(f.stdout).toMatch(TESTPMD_STDOUT_FORWARDING_LINE);
  });

  it('a run that fails in EAL prints neither', () => {
    const f = loadFixture('testpmd', 'failed-bad-vdev');
    expect(f.stderr).not.toMatch(TESTPMD_STDERR_READY_LINE);
    expect(f.stdout).not.toMatch(TESTPMD_STDOUT_FORWARDING_LINE);
  });
});

describe('parse: reflectors (5tswap)', () => {
  it.each(['afxdp-5tswap', 'afpacket-5tswap'])('%s: every received packet is sent back', (name) => {
    const { m, native } = parseFixture(name);
    expectSaneOk(m, native);
    expect(native.forwardMode).toBe('5tswap');
    expect(native.portCount).toBe(1);
    expect(native.forwardingCores).toBe(1);
    expect(native.portMacs[0]).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(native.periodic.length).toBeGreaterThanOrEqual(2);
    const acc = native.final!.accumulated!;
    expect(acc.rxPackets).toBeGreaterThan(0);
    expect(acc.txPackets).toBe(acc.rxPackets);
    expect(m.lossRatio).toBe(0);
    // Real frames carry bytes, so a rate in Gbit/s exists.
    expect(m.throughputGbps).toBeGreaterThan(0);
    expect(m.measuredS).toBeNull();
    expect(native.cycles).toBeNull();
  });

  it('records cycles/packet, burst stats and periodic xstats when asked', () => {
    const { m, native } = parseFixture('afxdp-5tswap-cycles-xstats');
    expectSaneOk(m, native);
    const cycles = native.cycles!;
    expect(cycles.packetKind).toBe('5tswap');
    expect(cycles.packets).toBe(native.final!.accumulated!.rxPackets);
    expect(cycles.cyclesPerPacket).toBeCloseTo(cycles.totalCycles / cycles.packets, 1);
    expect(cycles.nsPerPacket).toBeCloseTo((cycles.cyclesPerPacket * 1000) / cycles.clockMhz, 6);
    const port = native.final!.ports[0]!;
    for (const bursts of [port.rxBursts!, port.txBursts!]) {
      expect(bursts.total).toBeGreaterThan(0);
      expect(bursts.shares.length).toBeGreaterThan(1);
      for (const s of bursts.shares) expect(s.share).toBeGreaterThanOrEqual(0);
      expect(bursts.shares.at(-1)!.pkts).toBeNull();
    }
    for (const block of native.periodic) {
      const p = block[0]!;
      expect(Object.keys(p.xstats)).toEqual(['rx_good_packets', 'tx_good_packets', 'rx_missed_errors', 'rx_q0_errors']);
      expect(p.xstats.rx_good_packets!.value).toBe(p.rxPackets);
      expect(p.xstats.rx_good_packets!.perS).toBe(p.rxPps);
    }
  });
});

describe('parse: net_null CPU ceiling', () => {
  it.each(['null-io-nohuge', 'null-io-huge'])('%s: io between two ports, no byte counters', (name) => {
    const { m, native } = parseFixture(name);
    expectSaneOk(m, native);
    expect(native.forwardMode).toBe('io');
    expect(native.portCount).toBe(2);
    // io forwards port 0 → 1 and 1 → 0, so each port sends what the other received.
    const [p0, p1] = native.final!.ports;
    expect(p0!.txPackets).toBe(p1!.rxPackets);
    expect(p1!.txPackets).toBe(p0!.rxPackets);
    // net_null counts no bytes: Gbit/s is unknown, not 0.
    expect(native.periodic.every((b) => b.every((p) => p.rxBytes === 0))).toBe(true);
    expect(m.throughputGbps).toBeNull();
    // Rate is the sum over ports of the active periodic blocks.
    expect(m.achievedPps).toBe(native.meanRxPps);
    expect(native.rxPpsPerBlock.slice(1).some((v) => v > 0)).toBe(true);
  });

  it('with and without hugepages both give a rate (which is faster is not asserted: shared CPUs)', () => {
    const huge = parseFixture('null-io-huge').m;
    const noHuge = parseFixture('null-io-nohuge').m;
    expect(huge.achievedPps).toBeGreaterThan(0);
    expect(noHuge.achievedPps).toBeGreaterThan(0);
  });

  it('txonly rates come from TX, and cycles are per transmitted packet', () => {
    const { m, native } = parseFixture('null-txonly-cycles');
    expectSaneOk(m, native);
    expect(native.forwardMode).toBe('txonly');
    expect(m.receivedPackets).toBe(0);
    expect(m.achievedPps).toBe(native.meanTxPps);
    expect(native.cycles!.packetKind).toBe('txonly');
    expect(native.cycles!.packets).toBe(m.sentPackets);
    expect(native.final!.ports[0]!.txBursts!.shares.find((s) => s.pkts === 32)!.share).toBeGreaterThan(0);
    // NIC counters run from port start: testpmd drained net_null's RX queue before forwarding,
    // so the periodic RX count is non-zero while the forward statistics say 0.
    expect(native.periodic[0]![0]!.rxPackets).toBeGreaterThan(0);
  });
});

describe('parse: wire, generator and sink', () => {
  it('wire-afxdp-io forwards both directions between two ports', () => {
    const { m, native } = parseFixture('wire-afxdp-io');
    expectSaneOk(m, native);
    expect(native.portCount).toBe(2);
    const [p0, p1] = native.final!.ports;
    expect(p0!.rxPackets).toBeGreaterThan(0);
    expect(p1!.rxPackets).toBeGreaterThan(0);
    expect(p1!.txPackets).toBe(p0!.rxPackets);
    expect(p0!.txPackets).toBe(p1!.rxPackets);
    expect(m.lossRatio).toBe(0);
  });

  it('txonly-gen-afxdp and rxonly-sink-afxdp (two instances at once) agree on the packet count', () => {
    const gen = parseFixture('txonly-gen-afxdp');
    const sink = parseFixture('rxonly-sink-afxdp');
    expectSaneOk(gen.m, gen.native);
    expectSaneOk(sink.m, sink.native);
    expect(gen.native.forwardMode).toBe('txonly');
    expect(sink.native.forwardMode).toBe('rxonly');
    expect(gen.m.sentPackets).toBeGreaterThan(0);
    expect(gen.m.receivedPackets).toBe(0);
    expect(sink.m.sentPackets).toBe(0);
    // The sink saw (received + missed) at least every generated frame; missed frames are loss.
    const sinkAcc = sink.native.final!.accumulated!;
    expect(sinkAcc.rxTotal!).toBeGreaterThanOrEqual(gen.m.sentPackets!);
    expect(sinkAcc.rxDropped).toBeGreaterThan(0);
    expect(sink.m.lossRatio).toBeCloseTo(sinkAcc.rxDropped! / sinkAcc.rxTotal!, 12);
    // RX-missed in the periodic blocks is what the final stats call RX-dropped.
    expect(sink.native.periodic.at(-1)![0]!.rxMissed).toBeLessThanOrEqual(sinkAcc.rxDropped!);
    expect(gen.m.throughputGbps).toBeGreaterThan(0);
  });
});

describe('parse: interactive mode with piped commands', () => {
  it('reads "show port xstats all", "show port stats all" and the stop statistics', () => {
    const { m, native } = parseFixture('interactive-xstats');
    expect(m.status).toBe('ok');
    expect(native.interactive).toBe(true);
    expect(native.extendedStats).toHaveLength(1);
    const x = native.extendedStats[0]!;
    expect(x.port).toBe(0);
    expect(x.values.rx_good_packets).toBe(native.final!.accumulated!.rxPackets);
    expect(x.values.tx_good_packets).toBe(native.final!.accumulated!.txPackets);
    expect(native.periodic).toHaveLength(1);
    expect(native.periodic[0]![0]!.rxPackets).toBe(x.values.rx_good_packets);
    // No periodic rates and no duration: the rate is unknown.
    expect(m.achievedPps).toBeNull();
    expect(m.receivedPackets).toBe(x.values.rx_good_packets);
  });
});

describe('parse: failures', () => {
  const cases: [string, RegExp][] = [
    ['failed-bad-iface', /No probed ethernet devices.*h2nope/],
    ['failed-bad-vdev', /Cannot init EAL: No such device.*net_h2bogus0/],
    ['failed-nohuge-default-pool', /Creation of mbuf pool for socket 0 failed: Cannot allocate memory/],
    ['failed-nohuge-inmemory', /Cannot init EAL.*not compatible with --in-memory/],
  ];
  it.each(cases)('%s is a failed measurement naming the cause', (name, error) => {
    const { m } = parseFixture(name);
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(error);
    for (const v of [m.achievedPps, m.sentPackets, m.receivedPackets, m.lossRatio, m.throughputGbps, m.msgRateMpps]) {
      expect(v).toBeNull();
    }
  });

  it('a bad interface fails even though testpmd exits 0', () => {
    expect(loadFixture('testpmd', 'failed-bad-iface').exitCode).toBe(0);
    expect(parseFixture('failed-bad-iface').native.portCount).toBe(0);
  });

  it('output cut off before any statistics fails', () => {
    const f = loadFixture('testpmd', 'afxdp-5tswap');
    const cut = f.stdout.slice(0, f.stdout.indexOf('Port statistics'));
    const [m] = testpmdDriver.parse({ stdout: cut, stderr: f.stderr, exitCode: null });
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/killed before printing any statistics/);
  });
});

describe('parseTestpmdOutput with the forwarding time', () => {
  it('derives the rate from the final counters', () => {
    const f = loadFixture('testpmd', 'null-io-huge');
    const [m] = parseTestpmdOutput({ stdout: f.stdout, stderr: f.stderr, exitCode: 0 }, { forwardingS: 4 });
    expect(m!.measuredS).toBe(4);
    expect(m!.achievedPps).toBe(m!.receivedPackets! / 4);
  });

  it('ignores a non-positive duration', () => {
    const f = loadFixture('testpmd', 'null-io-huge');
    const [m] = parseTestpmdOutput({ stdout: f.stdout, stderr: f.stderr, exitCode: 0 }, { forwardingS: 0 });
    expect(m!.measuredS).toBeNull();
    expect(m!.achievedPps).toBe((m!.native as unknown as TestpmdNative).meanRxPps);
  });

  it('parseTestpmdNative strips the clear-screen escapes', () => {
    const f = loadFixture('testpmd', 'null-io-huge');
    expect(f.stdout).toContain('\x1b[2J');
    expect(JSON.stringify(parseTestpmdNative(f.stdout, f.stderr))).not.toContain('\\u001b');
  });
});

describe('detect', () => {
  const host = (over: {
    binary?: string | null;
    packages?: Record<string, string | null>;
    afXdp?: boolean;
    hugepages?: HostFacts['features']['hugepages'];
  }): HostFacts =>
    ({
      binaries: { 'dpdk-testpmd': { path: over.binary === undefined ? '/usr/bin/dpdk-testpmd' : over.binary, version: '22.11.11-0+deb12u1' } },
      packages: over.packages ?? {
        'librte-net-af-xdp23': '22.11.11-0+deb12u1',
        'librte-net-af-packet23': '22.11.11-0+deb12u1',
        'librte-net-null23': '22.11.11-0+deb12u1',
      },
      features: { afXdp: over.afXdp ?? true, hugepages: over.hugepages ?? { supported: true, total: 0, free: 0, sizeKb: 2048 } },
    }) as unknown as HostFacts;

  it('is available with the binary and PMDs', () => {
    const a = testpmdDriver.detect(host({}));
    expect(a.status).toBe('available');
    if (a.status === 'available') {
      expect(a.version).toBe('22.11.11-0+deb12u1');
      expect(a.note).toMatch(/hugepages 0\/0 free of 2048 kB/);
    }
    expect(availablePmds(host({}))).toEqual(['af_xdp', 'af_packet', 'null']);
  });

  it('is unsupported without dpdk-testpmd, with the package to install', () => {
    const a = testpmdDriver.detect(host({ binary: null }));
    expect(a).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/dpdk-dev/) });
  });

  it('is unsupported without any PMD', () => {
    const a = testpmdDriver.detect(host({ packages: {} }));
    expect(a).toMatchObject({ status: 'unsupported', fix: expect.stringMatching(/librte-net-af-xdp23/) });
  });

  it('notes missing PMDs, missing hugetlbfs, and drops af_xdp on a kernel without it', () => {
    const h = host({
      packages: { 'librte-net-null23': '22.11' },
      afXdp: false,
      hugepages: { supported: false, total: 0, free: 0, sizeKb: null },
    });
    const a = testpmdDriver.detect(h);
    expect(a.status).toBe('available');
    if (a.status === 'available') expect(a.note).toMatch(/af_xdp \(librte-net-af-xdp23\).*no hugetlbfs/);
    expect(availablePmds(host({ afXdp: false }))).toEqual(['af_packet', 'null']);
  });
});
