// dpdk-testpmd (DPDK 22.11, Debian dpdk-dev): a DPDK forwarder used as reflector (5tswap/macswap),
// wire (io between two ports), generator (txonly), sink (rxonly) or CPU ceiling (net_null).
// Facts from real runs (fixtures in test/fixtures/testpmd/):
// - Non-interactive runs start forwarding at once and print a "Port statistics" block every
//   --stats-period, each preceded by an ANSI clear-screen; SIGINT prints the final "Forward
//   statistics" and exits 0. Blocks come every period + 1 s (the main loop sleeps in 1 s steps),
//   and the first block's Rx-pps/Tx-pps are always 0 (no previous sample to diff against).
// - stdout is block-buffered when it is a pipe: nothing shows until exit (run it under
//   `stdbuf -oL` to see lines as they come). stderr is not; the line "testpmd: preferred mempool
//   ops selected" comes just before the ports are configured (0.1-0.5 s before forwarding starts).
// - A vdev that fails to probe (no such interface) does not stop testpmd: it runs with 0 ports and
//   exits 0, so "No probed ethernet devices" / "ports=0" must be treated as a failure.
// - --no-huge cannot be combined with --in-memory (EAL rejects it); with --no-huge the default
//   mbuf pool (155456 × 2176 B) needs about -m 1024, so pass a smaller --total-num-mbufs.
// - Without --no-pci, EAL probes the machine's own PCI NICs (here the VM's virtio NIC).
// - net_null counts no bytes: its byte counters stay 0 while packets flow.
// - The periodic NIC counters run from port start (they include packets testpmd drained before
//   forwarding began); the final "Forward statistics" count from the start of forwarding.
import { UserError } from '../core/errors.js';
import { ANSI_CSI } from '../core/text.js';
import { isIfName, isIPv4, isMac } from '../core/validate.js';
import { failedMeasurement } from '../core/trial.js';
import type { Measurement } from '../core/trial.js';
import type { HostFacts } from '../core/host.js';
import type { Availability, Driver, ToolOutput } from './types.js';

export const TESTPMD_BINARY = 'dpdk-testpmd';

/** stderr line printed once memory is set up, just before ports are configured and started. */
export const TESTPMD_STDERR_READY_LINE = /^testpmd: preferred mempool ops selected/m;

/** stdout line when forwarding starts (visible live only under `stdbuf -oL`):
 * "No commandline core given, start packet forwarding" or, with -i --auto-start,
 * "Start automatic packet forwarding". */
export const TESTPMD_STDOUT_FORWARDING_LINE = /^(?:No commandline core given, start|Start automatic) packet forwarding$/m;

/** Debian packages holding each PMD (DPDK 22.11 ABI 23). */
export const TESTPMD_PMD_PACKAGES = {
  af_xdp: 'librte-net-af-xdp23',
  af_packet: 'librte-net-af-packet23',
  null: 'librte-net-null23',
} as const;

export type TestpmdPmd = 'af_xdp' | 'af_packet' | 'null' | 'pci';
export const TESTPMD_FORWARD_MODES = ['5tswap', 'io', 'txonly', 'rxonly', 'macswap'] as const;
export type TestpmdForwardMode = (typeof TESTPMD_FORWARD_MODES)[number];

/** One or two ports, by PMD. Port order is DPDK's port order (port 0 first). */
export type TestpmdPorts =
  | { pmd: 'af_xdp'; interfaces: string[]; /** First queue to bind; default 0. */ startQueue?: number }
  | { pmd: 'af_packet'; interfaces: string[] }
  | { pmd: 'null'; count: number }
  | { pmd: 'pci'; /** PCI addresses (BDF) bound to vfio-pci/uio, e.g. 0000:3b:00.0. */ addresses: string[] };

/**
 * hugepages: the pool must be reserved first (runners/hugepages.ts); inMemory leaves no files
 * behind in hugetlbfs. no-huge: malloc memory, slower (about half the net_null rate here) and
 * several seconds to start; totalMbufs must fit in memMb.
 */
export type TestpmdMemory = { kind: 'hugepages'; inMemory: boolean } | { kind: 'no-huge'; memMb: number; totalMbufs: number };

export interface TestpmdTxonly {
  /** MAC of the receiver of port 0's frames (an AF_XDP/AF_PACKET peer answers no ARP). */
  ethPeer?: string;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  /** Whole frame length without FCS (--txpkts): UDP payload + 42 for IPv4. */
  frameBytes?: number;
}

export interface TestpmdParams {
  ports: TestpmdPorts;
  forwardMode: TestpmdForwardMode;
  /** main handles the console and stats; each forwarding lcore busy-polls a CPU of its own. */
  lcores: { main: number; forwarding: number[] };
  memory: TestpmdMemory;
  /** Names /var/run/dpdk/<prefix>; two instances need distinct prefixes unless both are inMemory. */
  filePrefix?: string;
  /** Seconds between periodic stats blocks (they actually come every period + 1 s); default 1. */
  statsPeriodS?: number;
  txonly?: TestpmdTxonly;
  /** --record-core-cycles --record-burst-stats: cycles/packet and burst sizes in the final stats. */
  recordCycles?: boolean;
  /** Extended stats shown in every periodic block, e.g. ['rx_good_packets', 'rx_missed_errors']. */
  displayXstats?: string[];
  /** Appended verbatim before "--" (EAL) and after the app options. */
  extraEalArgs?: string[];
  extraAppArgs?: string[];
}

// ---------------------------------------------------------------------------------------------
// buildCommand

// Input checks (values go into vdev strings, where "," and "=" separate options; MACs, addresses
// and interface names are checked by core/validate.ts, whose sets hold neither):
// "0000:3b:00.0" or "3b:00.0"
const PCI_BDF = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
// "h2gen": becomes a folder name under /var/run/dpdk
const FILE_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

function invalid(message: string): never {
  throw new UserError(`testpmd: ${message}`);
}

function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function checkPortCount(n: number): void {
  if (n < 1 || n > 2) invalid(`one or two ports are supported, got ${n}`);
}

function portArgs(ports: TestpmdPorts): string[] {
  switch (ports.pmd) {
    case 'af_xdp': {
      checkPortCount(ports.interfaces.length);
      const startQueue = ports.startQueue ?? 0;
      checkInt('ports.startQueue', startQueue, 0);
      return ports.interfaces.flatMap((iface, i) => {
        if (!isIfName(iface)) invalid(`ports.interfaces[${i}] is not an interface name: ${JSON.stringify(iface)}`);
        return ['--vdev', `net_af_xdp${i},iface=${iface},start_queue=${startQueue},queue_count=1`];
      });
    }
    case 'af_packet':
      checkPortCount(ports.interfaces.length);
      return ports.interfaces.flatMap((iface, i) => {
        if (!isIfName(iface)) invalid(`ports.interfaces[${i}] is not an interface name: ${JSON.stringify(iface)}`);
        return ['--vdev', `net_af_packet${i},iface=${iface}`];
      });
    case 'null':
      checkPortCount(ports.count);
      return Array.from({ length: ports.count }, (_, i) => ['--vdev', `net_null${i}`]).flat();
    case 'pci':
      checkPortCount(ports.addresses.length);
      return ports.addresses.flatMap((bdf, i) => {
        if (!PCI_BDF.test(bdf)) invalid(`ports.addresses[${i}] is not a PCI address: ${JSON.stringify(bdf)}`);
        return ['-a', bdf];
      });
  }
}

/** "0,1,2,5" → "0-2,5": the form people type, so argv matches hand-written commands. */
function lcoreList(lcores: number[]): string {
  const sorted = [...lcores].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

function lcoreArgs(lcores: TestpmdParams['lcores']): string[] {
  checkInt('lcores.main', lcores.main, 0);
  if (lcores.forwarding.length === 0) invalid('lcores.forwarding needs at least one lcore');
  lcores.forwarding.forEach((c, i) => checkInt(`lcores.forwarding[${i}]`, c, 0));
  const all = [lcores.main, ...lcores.forwarding];
  if (new Set(all).size !== all.length) invalid(`lcores must be distinct, got main ${lcores.main} and forwarding ${lcores.forwarding.join(',')}`);
  // EAL makes the lowest listed lcore the main one unless told otherwise; testpmd forwards on all
  // the others (its default --nb-cores).
  const isLowest = lcores.forwarding.every((c) => c > lcores.main);
  return ['-l', lcoreList(all), ...(isLowest ? [] : ['--main-lcore', String(lcores.main)])];
}

function memoryArgs(memory: TestpmdMemory, filePrefix: string | undefined): { eal: string[]; app: string[] } {
  if (memory.kind === 'hugepages') {
    return { eal: memory.inMemory ? ['--in-memory'] : [], app: [] };
  }
  checkInt('memory.memMb', memory.memMb, 64);
  checkInt('memory.totalMbufs', memory.totalMbufs, 1024);
  // Without hugepages each instance still keeps its config under /var/run/dpdk/<prefix>.
  if (filePrefix === undefined) invalid('memory.kind no-huge needs a filePrefix (--in-memory is not allowed with --no-huge)');
  return { eal: ['--no-huge', '-m', String(memory.memMb)], app: [`--total-num-mbufs=${memory.totalMbufs}`] };
}

function txonlyArgs(tx: TestpmdTxonly): string[] {
  const args: string[] = [];
  if (tx.ethPeer !== undefined) {
    if (!isMac(tx.ethPeer)) invalid(`txonly.ethPeer is not a MAC address: ${JSON.stringify(tx.ethPeer)}`);
    args.push(`--eth-peer=0,${tx.ethPeer}`);
  }
  if ((tx.srcIp === undefined) !== (tx.dstIp === undefined)) invalid('txonly.srcIp and txonly.dstIp go together');
  if (tx.srcIp !== undefined && tx.dstIp !== undefined) {
    for (const [name, ip] of [
      ['srcIp', tx.srcIp],
      ['dstIp', tx.dstIp],
    ] as const) {
      if (!isIPv4(ip)) invalid(`txonly.${name} is not an IPv4 address: ${JSON.stringify(ip)}`);
    }
    args.push(`--tx-ip=${tx.srcIp},${tx.dstIp}`);
  }
  if (tx.srcPort !== undefined || tx.dstPort !== undefined) {
    const src = tx.srcPort ?? 9;
    const dst = tx.dstPort ?? src;
    checkInt('txonly.srcPort', src, 0, 65535);
    checkInt('txonly.dstPort', dst, 0, 65535);
    args.push(`--tx-udp=${src},${dst}`);
  }
  if (tx.frameBytes !== undefined) {
    // 64 B is the Ethernet minimum; testpmd rejects frames above its mbuf data room.
    checkInt('txonly.frameBytes', tx.frameBytes, 64, 2048);
    args.push(`--txpkts=${tx.frameBytes}`);
  }
  return args;
}

export function buildCommand(params: TestpmdParams): string[] {
  if (!TESTPMD_FORWARD_MODES.includes(params.forwardMode)) {
    invalid(`forwardMode must be one of ${TESTPMD_FORWARD_MODES.join(', ')}, got ${JSON.stringify(params.forwardMode)}`);
  }
  if (params.txonly && params.forwardMode !== 'txonly') invalid('txonly options need forwardMode txonly');
  const statsPeriodS = params.statsPeriodS ?? 1;
  checkInt('statsPeriodS', statsPeriodS, 1);
  if (params.filePrefix !== undefined && !FILE_PREFIX.test(params.filePrefix)) {
    invalid(`filePrefix must be 1-32 letters, digits, _ or -, got ${JSON.stringify(params.filePrefix)}`);
  }
  const memory = memoryArgs(params.memory, params.filePrefix);
  const eal = [
    ...lcoreArgs(params.lcores),
    ...memory.eal,
    ...(params.filePrefix !== undefined ? ['--file-prefix', params.filePrefix] : []),
    // vdev runs must not probe (and possibly grab) the host's own PCI NICs.
    ...(params.ports.pmd === 'pci' ? [] : ['--no-pci']),
    ...portArgs(params.ports),
    ...(params.extraEalArgs ?? []),
  ];
  const app = [
    `--forward-mode=${params.forwardMode}`,
    ...(params.txonly ? txonlyArgs(params.txonly) : []),
    '--stats-period',
    String(statsPeriodS),
    ...memory.app,
    ...(params.recordCycles ? ['--record-core-cycles', '--record-burst-stats'] : []),
    ...(params.displayXstats?.length ? ['--display-xstats', params.displayXstats.join(',')] : []),
    ...(params.extraAppArgs ?? []),
  ];
  return [TESTPMD_BINARY, ...eal, '--', ...app];
}

// ---------------------------------------------------------------------------------------------
// parse

/** One port in one periodic (or "show port stats") block. Rates are since the previous block. */
export interface TestpmdPortStats {
  port: number;
  rxPackets: number | null;
  rxMissed: number | null;
  rxBytes: number | null;
  rxErrors: number | null;
  rxNombuf: number | null;
  txPackets: number | null;
  txErrors: number | null;
  txBytes: number | null;
  rxPps: number | null;
  rxBps: number | null;
  txPps: number | null;
  txBps: number | null;
  /** --display-xstats rows: counter value and its rate per second since the previous block. */
  xstats: Record<string, { value: number; perS: number }>;
}

export interface TestpmdBurstStats {
  total: number;
  /** Share of bursts (0..1) by packets per burst; pkts null = "other". */
  shares: { pkts: number | null; share: number }[];
}

/** A "Forward statistics for port N" block, or the accumulated one (port "all"). */
export interface TestpmdForwardStats {
  port: number | 'all';
  rxPackets: number | null;
  rxDropped: number | null;
  rxTotal: number | null;
  txPackets: number | null;
  txDropped: number | null;
  txTotal: number | null;
  rxError: number | null;
  rxNombufs: number | null;
  rxBursts: TestpmdBurstStats | null;
  txBursts: TestpmdBurstStats | null;
}

export interface TestpmdCycles {
  cyclesPerPacket: number;
  totalCycles: number;
  /** Which packets the cycles are divided by, as testpmd names them ("5tswap", "txonly" …). */
  packetKind: string;
  packets: number;
  clockMhz: number;
  /** cyclesPerPacket at clockMhz, in ns: the forwarding core's cost per packet. */
  nsPerPacket: number | null;
}

export interface TestpmdNative {
  forwardMode: string | null;
  portCount: number | null;
  forwardingCores: number | null;
  portMacs: Record<number, string>;
  interactive: boolean;
  /** One entry per stats block, in order; each holds every port shown in that block. */
  periodic: TestpmdPortStats[][];
  final: { ports: TestpmdForwardStats[]; accumulated: TestpmdForwardStats | null } | null;
  cycles: TestpmdCycles | null;
  /** "show port xstats" output (interactive mode), one entry per port per command. */
  extendedStats: { port: number; values: Record<string, number> }[];
  /** Per periodic block, summed over ports (the first block is always 0: no baseline). */
  rxPpsPerBlock: number[];
  txPpsPerBlock: number[];
  /** Mean over the blocks after the first whose rate is above 0 (blocks before the peer starts
   * say nothing about the path); summed over ports. */
  meanRxPps: number | null;
  meanTxPps: number | null;
  /** Error lines, stderr's first (EAL and PMDs write there), then stdout's. */
  problems: string[];
}

export interface TestpmdParseOptions {
  /** Seconds forwarding ran (the runner's wall clock from start to SIGINT), for rates from the
   * final counters. Without it, rates come from the periodic blocks. */
  forwardingS?: number;
}

// "  ######################## NIC statistics for port 0  ########################"
const NIC_STATS_HEADER = /NIC statistics for port (\d+)/;
// "  RX-packets: 502784     RX-missed: 0          RX-bytes:  0"  (packets, packets, bytes)
const NIC_RX_LINE = /^\s*RX-packets:\s*(\d+)\s+RX-missed:\s*(\d+)\s+RX-bytes:\s*(\d+)/;
// "  RX-errors: 0"  (packets)
const NIC_RX_ERRORS = /^\s*RX-errors:\s*(\d+)\s*$/;
// "  RX-nombuf:  0         "  (mbuf allocation failures)
const NIC_RX_NOMBUF = /^\s*RX-nombuf:\s*(\d+)/;
// "  TX-packets: 480        TX-errors: 0          TX-bytes:  0"  (packets, packets, bytes)
const NIC_TX_LINE = /^\s*TX-packets:\s*(\d+)\s+TX-errors:\s*(\d+)\s+TX-bytes:\s*(\d+)/;
// "  Rx-pps:     26449717          Rx-bps:            0"  (packets/s, bits/s since last block)
const NIC_RX_RATE = /^\s*Rx-pps:\s*(\d+)\s+Rx-bps:\s*(\d+)/;
// "  Tx-pps:     26449733          Tx-bps:            0"  (packets/s, bits/s)
const NIC_TX_RATE = /^\s*Tx-pps:\s*(\d+)\s+Tx-bps:\s*(\d+)/;
// "  rx_good_packets                   320             159"  (--display-xstats: value, per second)
const NIC_XSTAT_ROW = /^\s*([a-z][a-z0-9_]*)\s+(\d+)\s+(\d+)\s*$/;
// "  ############################################################################"  (block end)
const NIC_STATS_END = /^\s*#{20,}\s*$/;
// "Port statistics ====================================" (start of one periodic block)
const PORT_STATS_HEADER = /^Port statistics =+/;

// "  ---------------------- Forward statistics for port 0  ----------------------"
const FWD_PORT_HEADER = /Forward statistics for port (\d+)/;
// "  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++"
const FWD_ALL_HEADER = /Accumulated forward statistics for all ports/;
// "  RX-packets: 32707776       RX-dropped: 0             RX-total: 32707776"  (packets)
const FWD_RX_LINE = /^\s*RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*(\d+)/;
// "  TX-packets: 32707776       TX-dropped: 0             TX-total: 32707776"  (packets)
const FWD_TX_LINE = /^\s*TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)\s+TX-total:\s*(\d+)/;
// "  RX-error: 3" and "  RX-nombufs: 0" (only printed when non-zero; packets)
const FWD_RX_ERROR = /^\s*RX-error:\s*(\d+)/;
const FWD_RX_NOMBUFS = /RX-nombufs:\s*(\d+)/;
// "  RX-bursts : 18583405 [99% of 0 pkts + 0% of 1 pkts + 0% of 2 pkts + 1% of other]" (bursts)
const FWD_BURSTS = /^\s*(RX|TX)-bursts\s*:\s*(\d+)\s*\[(.*)\]/;
// one share inside the brackets: "99% of 0 pkts" or "1% of other"
const BURST_SHARE = /(\d+)% of (?:(\d+) pkts|other)/g;
// "  ----------------------------------------------------------------------------" or "++++…" (end)
const FWD_BLOCK_END = /^\s*(?:-{20,}|\+{20,})\s*$/;
// "  CPU cycles/packet=53.25 (total cycles=15305255999 / total txonly packets=287421952) at 2600 MHz Clock"
const CYCLES_LINE = /CPU cycles\/packet=([\d.]+) \((?:total|busy) cycles=(\d+) \/ total (\S+) packets=(\d+)\) at (\d+) MHz Clock/;

// "###### NIC extended statistics for port 0 " (interactive "show port xstats")
const XSTATS_HEADER = /NIC extended statistics for port (\d+)/;
// "rx_good_packets: 2000"  (counter value)
const XSTATS_ROW = /^([A-Za-z][\w.-]*):\s*(\d+)\s*$/;

// "io packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support enabled, …"
const FWD_CONFIG = /^(\S+) packet forwarding - ports=(\d+) - cores=(\d+)/;
// "Port 0: 62:66:9D:3B:93:4B"
const PORT_MAC = /^Port (\d+): ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\s*$/;
// "  Cause: Cannot init EAL: No such device"  (the reason testpmd exits non-zero)
const CAUSE_LINE = /^\s*Cause:\s*(.+)$/;
// Lines that name what went wrong: "EAL: failed to parse device …", "init_internals(): Failed to …",
// "testpmd: No probed ethernet devices", "EAL: Option --legacy-mem is not compatible with --in-memory".
const PROBLEM_LINE = /\bfail(?:ed|ure)?\b|\bcannot\b|not compatible|\binvalid\b|\bunable\b|no probed|no such/i;
// Noise that matches PROBLEM_LINE but says nothing about this run: "eth_virtio_pci_init(): Failed to
// init PCI device" (the VM's own NIC), "EAL: Error - exiting with code: 1", the usage text's
// "[NOTE: allow cannot be used with block option]".
const PROBLEM_NOISE = /virtio_pci|Error - exiting with code|Unregistering with invalid input|^\s*\[NOTE:/;

function emptyPortStats(port: number): TestpmdPortStats {
  return {
    port,
    rxPackets: null,
    rxMissed: null,
    rxBytes: null,
    rxErrors: null,
    rxNombuf: null,
    txPackets: null,
    txErrors: null,
    txBytes: null,
    rxPps: null,
    rxBps: null,
    txPps: null,
    txBps: null,
    xstats: {},
  };
}

function emptyForwardStats(port: number | 'all'): TestpmdForwardStats {
  return {
    port,
    rxPackets: null,
    rxDropped: null,
    rxTotal: null,
    txPackets: null,
    txDropped: null,
    txTotal: null,
    rxError: null,
    rxNombufs: null,
    rxBursts: null,
    txBursts: null,
  };
}

function parseBursts(total: string, inside: string): TestpmdBurstStats {
  const shares = [...inside.matchAll(BURST_SHARE)].map((m) => ({
    pkts: m[2] === undefined ? null : Number(m[2]),
    share: Number(m[1]) / 100,
  }));
  return { total: Number(total), shares };
}

/** Lines of the output; the clear-screen before each periodic block (ANSI CSI) ends a line. */
function cleanLines(text: string): string[] {
  return text
    .replace(ANSI_CSI, '\n')
    .split(/\r?\n/)
    .map((l) => l.replace(/\r/g, ''));
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean of the blocks after the first (which has no baseline) that saw traffic. */
function activeMean(perBlock: number[]): number | null {
  return mean(perBlock.slice(1).filter((v) => v > 0));
}

function sumOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** Everything testpmd printed, structured; no judgement about success. */
export function parseTestpmdNative(stdout: string, stderr: string): TestpmdNative {
  const native: TestpmdNative = {
    forwardMode: null,
    portCount: null,
    forwardingCores: null,
    portMacs: {},
    // "testpmd> quit" appears only when commands came from stdin (-i).
    interactive: /^testpmd> /m.test(stdout),
    periodic: [],
    final: null,
    cycles: null,
    extendedStats: [],
    rxPpsPerBlock: [],
    txPpsPerBlock: [],
    meanRxPps: null,
    meanTxPps: null,
    problems: [],
  };

  let snapshot: TestpmdPortStats[] | null = null;
  let nic: TestpmdPortStats | null = null;
  let fwd: TestpmdForwardStats | null = null;
  let xstats: { port: number; values: Record<string, number> } | null = null;
  const stdoutProblems: string[] = [];

  const closeSnapshot = () => {
    if (snapshot && snapshot.length > 0) native.periodic.push(snapshot);
    snapshot = null;
  };

  for (const raw of cleanLines(stdout)) {
    // Interactive output carries the prompt in front of echoed commands: "testpmd> show port stats all".
    const line = raw.replace(/^testpmd> /, '');

    if (xstats) {
      const row = XSTATS_ROW.exec(line);
      if (row?.[1] !== undefined && row[2] !== undefined) {
        xstats.values[row[1]] = Number(row[2]);
        continue;
      }
      native.extendedStats.push(xstats);
      xstats = null;
    }

    let m: RegExpExecArray | null;
    if ((m = XSTATS_HEADER.exec(line))) {
      xstats = { port: Number(m[1]), values: {} };
      continue;
    }
    if (PORT_STATS_HEADER.test(line)) {
      closeSnapshot();
      snapshot = [];
      continue;
    }
    if ((m = NIC_STATS_HEADER.exec(line))) {
      const port = Number(m[1]);
      // "show port stats all" in interactive mode has no "Port statistics" header: a port seen
      // twice starts a new snapshot.
      if (!snapshot || snapshot.some((p) => p.port === port)) {
        closeSnapshot();
        snapshot = [];
      }
      nic = emptyPortStats(port);
      snapshot.push(nic);
      continue;
    }
    if (nic) {
      if ((m = NIC_RX_LINE.exec(line))) {
        nic.rxPackets = Number(m[1]);
        nic.rxMissed = Number(m[2]);
        nic.rxBytes = Number(m[3]);
      } else if ((m = NIC_RX_ERRORS.exec(line))) {
        nic.rxErrors = Number(m[1]);
      } else if ((m = NIC_RX_NOMBUF.exec(line))) {
        nic.rxNombuf = Number(m[1]);
      } else if ((m = NIC_TX_LINE.exec(line))) {
        nic.txPackets = Number(m[1]);
        nic.txErrors = Number(m[2]);
        nic.txBytes = Number(m[3]);
      } else if ((m = NIC_RX_RATE.exec(line))) {
        nic.rxPps = Number(m[1]);
        nic.rxBps = Number(m[2]);
      } else if ((m = NIC_TX_RATE.exec(line))) {
        nic.txPps = Number(m[1]);
        nic.txBps = Number(m[2]);
      } else if ((m = NIC_XSTAT_ROW.exec(line)) && m[1] !== undefined) {
        nic.xstats[m[1]] = { value: Number(m[2]), perS: Number(m[3]) };
      } else if (NIC_STATS_END.test(line)) {
        nic = null;
      }
      continue;
    }

    if ((m = FWD_PORT_HEADER.exec(line)) || FWD_ALL_HEADER.test(line)) {
      closeSnapshot();
      native.final ??= { ports: [], accumulated: null };
      fwd = emptyForwardStats(m ? Number(m[1]) : 'all');
      if (fwd.port === 'all') native.final.accumulated = fwd;
      else native.final.ports.push(fwd);
      continue;
    }
    if (fwd) {
      if ((m = FWD_RX_LINE.exec(line))) {
        fwd.rxPackets = Number(m[1]);
        fwd.rxDropped = Number(m[2]);
        fwd.rxTotal = Number(m[3]);
      } else if ((m = FWD_TX_LINE.exec(line))) {
        fwd.txPackets = Number(m[1]);
        fwd.txDropped = Number(m[2]);
        fwd.txTotal = Number(m[3]);
      } else if ((m = FWD_BURSTS.exec(line)) && m[2] !== undefined && m[3] !== undefined) {
        const bursts = parseBursts(m[2], m[3]);
        if (m[1] === 'RX') fwd.rxBursts = bursts;
        else fwd.txBursts = bursts;
      } else if (FWD_BLOCK_END.test(line)) {
        fwd = null;
      } else {
        if ((m = FWD_RX_ERROR.exec(line))) fwd.rxError = Number(m[1]);
        if ((m = FWD_RX_NOMBUFS.exec(line))) fwd.rxNombufs = Number(m[1]);
      }
      continue;
    }

    if ((m = CYCLES_LINE.exec(line))) {
      const cyclesPerPacket = Number(m[1]);
      const clockMhz = Number(m[5]);
      native.cycles = {
        cyclesPerPacket,
        totalCycles: Number(m[2]),
        packetKind: m[3] ?? '',
        packets: Number(m[4]),
        clockMhz,
        nsPerPacket: clockMhz > 0 ? (cyclesPerPacket * 1000) / clockMhz : null,
      };
    } else if ((m = FWD_CONFIG.exec(line))) {
      native.forwardMode = m[1] ?? null;
      native.portCount = Number(m[2]);
      native.forwardingCores = Number(m[3]);
    } else if ((m = PORT_MAC.exec(line)) && m[2] !== undefined) {
      native.portMacs[Number(m[1])] = m[2].toLowerCase();
    } else if (PROBLEM_LINE.test(line) && !PROBLEM_NOISE.test(line)) {
      stdoutProblems.push(line.trim());
    }
  }
  closeSnapshot();
  if (xstats) native.extendedStats.push(xstats);

  for (const line of cleanLines(stderr)) {
    const cause = CAUSE_LINE.exec(line);
    if (cause?.[1] !== undefined) native.problems.push(cause[1].trim());
    else if (PROBLEM_LINE.test(line) && !PROBLEM_NOISE.test(line)) native.problems.push(line.trim());
  }
  native.problems.push(...stdoutProblems);

  native.rxPpsPerBlock = native.periodic.map((s) => s.reduce((sum, p) => sum + (p.rxPps ?? 0), 0));
  native.txPpsPerBlock = native.periodic.map((s) => s.reduce((sum, p) => sum + (p.txPps ?? 0), 0));
  native.meanRxPps = activeMean(native.rxPpsPerBlock);
  native.meanTxPps = activeMean(native.txPpsPerBlock);
  return native;
}

/** Why the run failed, or null when it forwarded. */
function failureReason(native: TestpmdNative, stderr: string, exitCode: number | null): string | null {
  const cause = cleanLines(stderr)
    .map((l) => CAUSE_LINE.exec(l)?.[1]?.trim())
    .find((c) => c !== undefined);
  // The most specific line is the first one that is not the generic "Cause" summary.
  const detail = native.problems.find((p) => p !== cause && !/^testpmd: No probed/.test(p));
  const explain = (headline: string) => (detail && detail !== headline ? `${headline} (${detail})` : headline);

  if (exitCode !== null && exitCode !== 0) {
    return explain(cause ?? `dpdk-testpmd exited with code ${exitCode}`);
  }
  if (native.portCount === 0 || /No probed ethernet devices/.test(stderr)) {
    return explain('testpmd: No probed ethernet devices');
  }
  if (native.periodic.length === 0 && native.final === null && native.extendedStats.length === 0) {
    return explain(exitCode === null ? 'dpdk-testpmd was killed before printing any statistics' : 'dpdk-testpmd printed no statistics');
  }
  return null;
}

/** Like the driver's parse, with the forwarding time the runner measured (see TestpmdParseOptions). */
export function parseTestpmdOutput(output: ToolOutput, options: TestpmdParseOptions = {}): Measurement[] {
  const native = parseTestpmdNative(output.stdout, output.stderr);
  const failure = failureReason(native, output.stderr, output.exitCode);
  if (failure !== null) return [failedMeasurement(failure, { ...native })];

  const acc = native.final?.accumulated ?? null;
  const txonly = native.forwardMode === 'txonly';
  const rxonly = native.forwardMode === 'rxonly';
  // The packets this testpmd handled: sent for a generator, received for everything else.
  const handledPackets = txonly ? (acc?.txPackets ?? null) : (acc?.rxPackets ?? null);
  const forwardingS = options.forwardingS !== undefined && options.forwardingS > 0 ? options.forwardingS : null;
  const achievedPps = forwardingS !== null && handledPackets !== null ? handledPackets / forwardingS : txonly ? native.meanTxPps : native.meanRxPps;

  let lossRatio: number | null = null;
  if (acc) {
    if (txonly) {
      lossRatio = acc.txTotal ? (acc.txDropped ?? 0) / acc.txTotal : null;
    } else if (acc.rxTotal) {
      // Dropped at the port (ring full / missed) plus, when forwarding, dropped on transmit.
      const dropped = (acc.rxDropped ?? 0) + (rxonly ? 0 : (acc.txDropped ?? 0));
      lossRatio = Math.min(1, dropped / acc.rxTotal);
    }
  }

  // Bits per second from the periodic blocks; a PMD that counts no bytes (net_null) gives null.
  const countsBytes = native.periodic.some((s) => s.some((p) => ((txonly ? p.txBytes : p.rxBytes) ?? 0) > 0));
  const bpsPerBlock = native.periodic.map((s) => s.reduce((sum, p) => sum + ((txonly ? p.txBps : p.rxBps) ?? 0), 0));
  const meanBps = countsBytes ? activeMean(bpsPerBlock) : null;

  return [
    {
      status: 'ok',
      error: null,
      msgSizeBytes: null,
      achievedPps,
      sentPackets: acc?.txPackets ?? sumOrNull(native.periodic.at(-1)?.map((p) => p.txPackets) ?? []),
      receivedPackets: acc?.rxPackets ?? sumOrNull(native.periodic.at(-1)?.map((p) => p.rxPackets) ?? []),
      lossRatio,
      latencyUs: null,
      throughputGbps: meanBps === null ? null : meanBps / 1e9,
      msgRateMpps: achievedPps === null ? null : achievedPps / 1e6,
      measuredS: forwardingS,
      native: { ...native },
    },
  ];
}

function parse(output: ToolOutput): Measurement[] {
  return parseTestpmdOutput(output);
}

// ---------------------------------------------------------------------------------------------
// detect

function detect(host: HostFacts): Availability {
  const binary = host.binaries[TESTPMD_BINARY];
  if (!binary?.path) {
    return { status: 'unsupported', reason: 'dpdk-testpmd is not installed', fix: 'apt-get install dpdk dpdk-dev' };
  }
  const missing = Object.entries(TESTPMD_PMD_PACKAGES)
    .filter(([, pkg]) => !host.packages[pkg])
    .map(([pmd, pkg]) => `${pmd} (${pkg})`);
  const hp = host.features.hugepages;
  const notes: string[] = [];
  if (missing.length > 0) notes.push(`PMDs not installed: ${missing.join(', ')}`);
  if (!hp.supported) notes.push('no hugetlbfs: only --no-huge runs (slower, several seconds to start)');
  else notes.push(`hugepages ${hp.free}/${hp.total} free of ${hp.sizeKb ?? '?'} kB (reserved per run when short)`);
  if (missing.length === Object.keys(TESTPMD_PMD_PACKAGES).length) {
    return {
      status: 'unsupported',
      reason: 'no usable DPDK PMD is installed (af_xdp, af_packet, null)',
      fix: `apt-get install ${Object.values(TESTPMD_PMD_PACKAGES).join(' ')}`,
    };
  }
  return { status: 'available', version: binary.version, note: notes.join('; ') };
}

/** Which PMDs this host can run, for runners choosing a path. */
export function availablePmds(host: HostFacts): TestpmdPmd[] {
  const pmds: TestpmdPmd[] = (Object.keys(TESTPMD_PMD_PACKAGES) as (keyof typeof TESTPMD_PMD_PACKAGES)[]).filter((pmd) =>
    Boolean(host.packages[TESTPMD_PMD_PACKAGES[pmd]]),
  );
  if (pmds.includes('af_xdp') && !host.features.afXdp) pmds.splice(pmds.indexOf('af_xdp'), 1);
  return pmds;
}

export const testpmdDriver: Driver<TestpmdParams> = {
  name: 'testpmd',
  description: 'DPDK dpdk-testpmd: reflector (5tswap), wire (io), generator (txonly), sink (rxonly) on af_xdp/af_packet/null/PCI ports',
  binaries: [TESTPMD_BINARY],
  detect,
  buildCommand,
  parse,
};
