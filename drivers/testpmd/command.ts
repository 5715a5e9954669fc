// dpdk-testpmd's argv: EAL options (lcores, memory, vdev or PCI ports) then testpmd's own
// (forwarding mode, txonly frames, stats period, cycle and xstats recording).
import { UserError } from '../../core/errors.js';
import { isIfName, isIPv4, isMac } from '../../core/validate.js';

export const TESTPMD_BINARY = 'dpdk-testpmd';

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

export function buildTestpmdCommand(params: TestpmdParams): string[] {
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
