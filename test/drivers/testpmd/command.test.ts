// dpdk-testpmd's argv: the captured commands rebuilt from params, and the inputs buildCommand refuses.
import { describe, it, expect } from 'vitest';
import { loadFixture } from '../../helpers/fixtures.js';
import { testpmdDriver, type TestpmdParams } from '../../../drivers/testpmd/index.js';
import { UserError } from '../../../core/errors.js';

function toolArgv(name: string): string[] {
  return loadFixture('testpmd', name).meta.toolArgv as string[];
}

describe('buildCommand', () => {
  const reflector: TestpmdParams = {
    ports: { pmd: 'af_xdp', interfaces: ['h2vb'] },
    forwardMode: '5tswap',
    lcores: { main: 0, forwarding: [1] },
    memory: { kind: 'hugepages', inMemory: true },
  };

  it('af_xdp reflector reproduces the captured command', () => {
    expect(testpmdDriver.buildCommand(reflector)).toEqual(toolArgv('afxdp-5tswap'));
  });

  it('af_xdp reflector with cycles and xstats', () => {
    expect(
      testpmdDriver.buildCommand({
        ...reflector,
        recordCycles: true,
        displayXstats: ['rx_good_packets', 'tx_good_packets', 'rx_missed_errors', 'rx_q0_errors'],
      }),
    ).toEqual(toolArgv('afxdp-5tswap-cycles-xstats'));
  });

  it('af_packet reflector', () => {
    expect(testpmdDriver.buildCommand({ ...reflector, ports: { pmd: 'af_packet', interfaces: ['h2vb'] } })).toEqual(toolArgv('afpacket-5tswap'));
  });

  it('net_null ceiling with and without hugepages', () => {
    const base: TestpmdParams = { ...reflector, ports: { pmd: 'null', count: 2 }, forwardMode: 'io' };
    expect(testpmdDriver.buildCommand(base)).toEqual(toolArgv('null-io-huge'));
    expect(testpmdDriver.buildCommand({ ...base, memory: { kind: 'no-huge', memMb: 1024, totalMbufs: 8192 }, filePrefix: 'h2null' })).toEqual(
      toolArgv('null-io-nohuge'),
    );
    expect(
      testpmdDriver.buildCommand({
        ...base,
        ports: { pmd: 'null', count: 1 },
        forwardMode: 'txonly',
        txonly: { frameBytes: 64 },
        recordCycles: true,
      }),
    ).toEqual(toolArgv('null-txonly-cycles'));
  });

  it('wire: io between two af_xdp ports', () => {
    expect(testpmdDriver.buildCommand({ ...reflector, ports: { pmd: 'af_xdp', interfaces: ['h2vb', 'h2vc'] }, forwardMode: 'io' })).toEqual(
      toolArgv('wire-afxdp-io'),
    );
  });

  it('generator and sink side by side: distinct prefixes, disjoint forwarding lcores', () => {
    const gen = testpmdDriver.buildCommand({
      ports: { pmd: 'af_xdp', interfaces: ['h2va'] },
      forwardMode: 'txonly',
      lcores: { main: 1, forwarding: [0] },
      memory: { kind: 'hugepages', inMemory: true },
      filePrefix: 'h2gen',
      txonly: { ethPeer: '4e:c4:6b:f7:8c:83', srcIp: '10.232.0.1', dstIp: '10.232.0.2', srcPort: 9000, dstPort: 9000, frameBytes: 64 },
    });
    expect(gen).toEqual(toolArgv('txonly-gen-afxdp'));
    const sink = testpmdDriver.buildCommand({ ...reflector, forwardMode: 'rxonly', filePrefix: 'h2sink' });
    expect(sink).toEqual(toolArgv('rxonly-sink-afxdp'));
  });

  it('pci ports use -a and keep PCI probing on', () => {
    const argv = testpmdDriver.buildCommand({ ...reflector, ports: { pmd: 'pci', addresses: ['0000:3b:00.0', '3b:00.1'] } });
    expect(argv).toContain('-a');
    expect(argv).not.toContain('--no-pci');
    expect(argv.slice(argv.indexOf('-a'))).toEqual(['-a', '0000:3b:00.0', '-a', '3b:00.1', '--', '--forward-mode=5tswap', '--stats-period', '1']);
  });

  it('lcore lists are compacted and a non-lowest main lcore is named', () => {
    const argv = testpmdDriver.buildCommand({ ...reflector, lcores: { main: 3, forwarding: [0, 1, 2, 5] } });
    expect(argv.slice(1, 5)).toEqual(['-l', '0-3,5', '--main-lcore', '3']);
  });

  it('af_xdp start queue and extra arguments', () => {
    const argv = testpmdDriver.buildCommand({
      ...reflector,
      ports: { pmd: 'af_xdp', interfaces: ['eth1'], startQueue: 2 },
      statsPeriodS: 2,
      extraEalArgs: ['--log-level=pmd.net.af_xdp:debug'],
      extraAppArgs: ['--rxd=1024'],
    });
    expect(argv).toContain('net_af_xdp0,iface=eth1,start_queue=2,queue_count=1');
    expect(argv.indexOf('--log-level=pmd.net.af_xdp:debug')).toBeLessThan(argv.indexOf('--'));
    expect(argv.at(-1)).toBe('--rxd=1024');
    expect(argv.slice(argv.indexOf('--stats-period'), argv.indexOf('--stats-period') + 2)).toEqual(['--stats-period', '2']);
  });

  const bad: [string, Partial<TestpmdParams>, RegExp][] = [
    ['three ports', { ports: { pmd: 'af_xdp', interfaces: ['a', 'b', 'c'] } }, /one or two ports/],
    ['no ports', { ports: { pmd: 'null', count: 0 } }, /one or two ports/],
    ['a shell string as interface', { ports: { pmd: 'af_packet', interfaces: ['eth0; rm -rf /'] } }, /not an interface name/],
    ['a bad PCI address', { ports: { pmd: 'pci', addresses: ['3b:00'] } }, /not a PCI address/],
    ['no forwarding lcore', { lcores: { main: 0, forwarding: [] } }, /at least one lcore/],
    ['main lcore reused', { lcores: { main: 1, forwarding: [1] } }, /distinct/],
    ['no-huge without a prefix', { memory: { kind: 'no-huge', memMb: 1024, totalMbufs: 8192 } }, /filePrefix/],
    ['too little memory', { memory: { kind: 'no-huge', memMb: 8, totalMbufs: 8192 }, filePrefix: 'x' }, /memMb/],
    ['txonly options in another mode', { txonly: { frameBytes: 64 } }, /forwardMode txonly/],
    ['a bad MAC', { forwardMode: 'txonly', txonly: { ethPeer: '4e:c4:6b' } }, /MAC/],
    ['half an IP pair', { forwardMode: 'txonly', txonly: { srcIp: '10.232.0.1' } }, /go together/],
    ['a bad IP', { forwardMode: 'txonly', txonly: { srcIp: '10.232.0.300', dstIp: '10.232.0.2' } }, /IPv4/],
    ['a runt frame', { forwardMode: 'txonly', txonly: { frameBytes: 42 } }, /frameBytes/],
    ['an unknown mode', { forwardMode: 'flowgen' as TestpmdParams['forwardMode'] }, /forwardMode/],
    ['a zero stats period', { statsPeriodS: 0 }, /statsPeriodS/],
    ['a prefix with a slash', { filePrefix: '../x' }, /filePrefix/],
  ];
  it.each(bad)('rejects %s', (_label, patch, message) => {
    expect(() => testpmdDriver.buildCommand({ ...reflector, ...patch })).toThrow(UserError);
    expect(() => testpmdDriver.buildCommand({ ...reflector, ...patch })).toThrow(message);
  });
});
