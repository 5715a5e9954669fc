// Everything dpdk-testpmd prints, structured: periodic port statistics, the final forward
// statistics, cycles per packet, extended stats and the error lines; no judgement about success.
import { ANSI_CSI } from '../../core/text.js';
import { fillNumbers, type NumericLine } from '../numeric-lines.js';

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

/** One forwarding stream's counters ("Forward Stats for RX Port= 0/Queue= 1 -> TX Port= 0/Queue= 1"). */
export interface TestpmdStreamStats {
  rxPort: number;
  rxQueue: number;
  txPort: number;
  txQueue: number;
  rxPackets: number | null;
  txPackets: number | null;
  txDropped: number | null;
}

export interface TestpmdNative {
  /** "DPDK 23.11.0" when the EAL printed its version, else null (testpmd itself never says). */
  toolVersion: string | null;
  forwardMode: string | null;
  portCount: number | null;
  forwardingCores: number | null;
  portMacs: Record<number, string>;
  interactive: boolean;
  /** One entry per stats block, in order; each holds every port shown in that block. */
  periodic: TestpmdPortStats[][];
  final: { ports: TestpmdForwardStats[]; accumulated: TestpmdForwardStats | null } | null;
  /** Per-stream counters printed with the forward statistics. */
  streams: TestpmdStreamStats[];
  cycles: TestpmdCycles | null;
  /** "show port xstats" output (interactive mode), one entry per port per command. */
  extendedStats: { port: number; values: Record<string, number> }[];
  /** Per periodic block, summed over ports (a process's first block is always 0: no baseline). */
  rxPpsPerBlock: number[];
  txPpsPerBlock: number[];
  /** Mean over the blocks after the first whose rate is above 0 (blocks before the peer starts
   * say nothing about the path); summed over ports. */
  meanRxPps: number | null;
  meanTxPps: number | null;
  /** Error lines, stderr's first (EAL and PMDs write there), then stdout's. */
  problems: string[];
}

// "  ######################## NIC statistics for port 0  ########################"
export const NIC_STATS_HEADER = /NIC statistics for port (\d+)/;
// "  RX-packets: 502784     RX-missed: 0          RX-bytes:  0"  (packets, packets, bytes)
export const NIC_RX_LINE = /^\s*RX-packets:\s*(\d+)\s+RX-missed:\s*(\d+)\s+RX-bytes:\s*(\d+)/;
// Older builds (before RX-missed was split out) print two lines per port:
// "    RX-packets: 0          RX-errors: 1         RX-bytes: 0"  (packets, packets, bytes)
const NIC_RX_LEGACY = /^\s*RX-packets:\s*(\d+)\s+RX-errors:\s*(\d+)\s+RX-bytes:\s*(\d+)/;
// "  RX-errors: 0"  (packets)
const NIC_RX_ERRORS = /^\s*RX-errors:\s*(\d+)\s*$/;
// "  RX-nombuf:  0         "  (mbuf allocation failures)
const NIC_RX_NOMBUF = /^\s*RX-nombuf:\s*(\d+)/;
// "  TX-packets: 480        TX-errors: 0          TX-bytes:  0"  (packets, packets, bytes)
export const NIC_TX_LINE = /^\s*TX-packets:\s*(\d+)\s+TX-errors:\s*(\d+)\s+TX-bytes:\s*(\d+)/;
// "  Rx-pps:     26449717          Rx-bps:            0"  (packets/s, bits/s since last block);
// builds between 16.x and 17.x print pps only: "    Rx-pps:          634"
const NIC_RX_RATE = /^\s*Rx-pps:\s*(\d+)(?:\s+Rx-bps:\s*(\d+))?/;
// "  Tx-pps:     26449733          Tx-bps:            0"  (packets/s, bits/s); or "    Tx-pps:          618"
const NIC_TX_RATE = /^\s*Tx-pps:\s*(\d+)(?:\s+Tx-bps:\s*(\d+))?/;
// "  rx_good_packets                   320             159"  (--display-xstats: value, per second)
const NIC_XSTAT_ROW = /^\s*([a-z][a-z0-9_]*)\s+(\d+)\s+(\d+)\s*$/;
// "  ############################################################################"  (block end)
const NIC_STATS_END = /^\s*#{20,}\s*$/;
// "Port statistics ====================================" (start of one periodic block)
const PORT_STATS_HEADER = /^\s*Port statistics =+/;

// "  ---------------------- Forward statistics for port 0  ----------------------"
const FWD_PORT_HEADER = /Forward statistics for port (\d+)/;
// "  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++"
export const FWD_ALL_HEADER = /Accumulated forward statistics for all ports/;
// "  RX-packets: 32707776       RX-dropped: 0             RX-total: 32707776"  (packets)
const FWD_RX_LINE = /^\s*RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*(\d+)/;
// "  TX-packets: 32707776       TX-dropped: 0             TX-total: 32707776"  (packets)
const FWD_TX_LINE = /^\s*TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)\s+TX-total:\s*(\d+)/;
// "  RX-error: 3" and "  RX-nombufs: 0" (only printed when non-zero; packets)
const FWD_RX_ERROR = /^\s*RX-error:\s*(\d+)/;
const FWD_RX_NOMBUFS = /RX-nombufs:\s*(\d+)/;
// "  ------- Forward Stats for RX Port= 0/Queue= 1 -> TX Port= 0/Queue= 1 -------" (one stream, on stop or
// "show fwd stats all"), then "  RX-packets: 3876080831     TX-packets: 0              TX-dropped: 0" (packets)
const STREAM_HEADER = /Forward Stats for RX Port=\s*(\d+)\/Queue=\s*(\d+) -> TX Port=\s*(\d+)\/Queue=\s*(\d+)/;
const STREAM_COUNTS = /^\s*RX-packets:\s*(\d+)\s+TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)/;
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
// "rx_good_packets: 2000", or indented as pasted: "    rx_q0_packets: 158878968"  (counter value)
const XSTATS_ROW = /^\s*([A-Za-z][\w.-]*):\s*(\d+)\s*$/;
// "EAL: RTE Version: 'DPDK 23.11.0'" (printed at higher log levels) — the only version testpmd states
const RTE_VERSION = /RTE Version: 'DPDK ([^']+)'/;

// "io packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support enabled, …";
// with --tx-retry: "flowgen packet forwarding with retry - ports=1 - cores=3 - streams=4 - …"
const FWD_CONFIG = /^\s*(\S+) packet forwarding(?: with retry)? - ports=(\d+) - cores=(\d+)/;
// "Port 0: 62:66:9D:3B:93:4B"
const PORT_MAC = /^Port (\d+): ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\s*$/;
// "  Cause: Cannot init EAL: No such device"  (the reason testpmd exits non-zero)
export const CAUSE_LINE = /^\s*Cause:\s*(.+)$/;
// Lines that name what went wrong: "EAL: failed to parse device …", "init_internals(): Failed to …",
// "testpmd: No probed ethernet devices", "EAL: Option --legacy-mem is not compatible with --in-memory".
const PROBLEM_LINE = /\bfail(?:ed|ure)?\b|\bcannot\b|not compatible|\binvalid\b|\bunable\b|no probed|no such/i;
// Noise that matches PROBLEM_LINE but says nothing about this run: "eth_virtio_pci_init(): Failed to
// init PCI device" (the VM's own NIC), "EAL: Error - exiting with code: 1", the usage text's
// "[NOTE: allow cannot be used with block option]".
const PROBLEM_NOISE = /virtio_pci|Error - exiting with code|Unregistering with invalid input|^\s*\[NOTE:/;

/** The counter lines of a "NIC statistics for port N" block, in the order testpmd prints them. */
const NIC_LINES: readonly NumericLine<TestpmdPortStats>[] = [
  [NIC_RX_LINE, ['rxPackets', 'rxMissed', 'rxBytes']],
  [NIC_RX_LEGACY, ['rxPackets', 'rxErrors', 'rxBytes']],
  [NIC_RX_ERRORS, ['rxErrors']],
  [NIC_RX_NOMBUF, ['rxNombuf']],
  [NIC_TX_LINE, ['txPackets', 'txErrors', 'txBytes']],
  [NIC_RX_RATE, ['rxPps', 'rxBps']],
  [NIC_TX_RATE, ['txPps', 'txBps']],
];

/** The packet lines of a "Forward statistics" block. */
const FWD_LINES: readonly NumericLine<TestpmdForwardStats>[] = [
  [FWD_RX_LINE, ['rxPackets', 'rxDropped', 'rxTotal']],
  [FWD_TX_LINE, ['txPackets', 'txDropped', 'txTotal']],
];

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
export function cleanLines(text: string): string[] {
  return text
    .replace(ANSI_CSI, '\n')
    .split(/\r?\n/)
    .map((l) => l.replace(/\r/g, ''));
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Mean of the blocks that saw traffic. A fresh process prints 0 in its first block (no previous
 * sample to diff against), so that block drops out; a pasted "since last show" snapshot that is
 * not the process's first carries a real rate and counts.
 */
export function activeMean(perBlock: number[]): number | null {
  return mean(perBlock.filter((v) => v > 0));
}

/** Everything testpmd printed, structured; no judgement about success. */
export function parseTestpmdNative(stdout: string, stderr: string): TestpmdNative {
  const native: TestpmdNative = {
    toolVersion: RTE_VERSION.exec(`${stderr}\n${stdout}`)?.[1] ?? null,
    forwardMode: null,
    portCount: null,
    forwardingCores: null,
    portMacs: {},
    // "testpmd> quit" appears only when commands came from stdin (-i).
    interactive: /^testpmd> /m.test(stdout),
    periodic: [],
    final: null,
    streams: [],
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
  let stream: TestpmdStreamStats | null = null;
  const stdoutProblems: string[] = [];

  const closeSnapshot = () => {
    if (snapshot && snapshot.length > 0) native.periodic.push(snapshot);
    snapshot = null;
  };

  for (const raw of cleanLines(stdout)) {
    // Interactive output carries the prompt in front of echoed commands: "testpmd> show port stats all".
    const line = raw.replace(/^\s*testpmd> /, '');

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
    if (stream && (m = STREAM_COUNTS.exec(line))) {
      stream.rxPackets = Number(m[1]);
      stream.txPackets = Number(m[2]);
      stream.txDropped = Number(m[3]);
      stream = null;
      continue;
    }
    if ((m = STREAM_HEADER.exec(line))) {
      closeSnapshot();
      stream = { rxPort: Number(m[1]), rxQueue: Number(m[2]), txPort: Number(m[3]), txQueue: Number(m[4]), rxPackets: null, txPackets: null, txDropped: null };
      native.streams.push(stream);
      continue;
    }
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
      if (fillNumbers(line, nic, NIC_LINES)) continue;
      if ((m = NIC_XSTAT_ROW.exec(line)) && m[1] !== undefined) {
        nic.xstats[m[1]] = { value: Number(m[2]), perS: Number(m[3]) };
      } else if (NIC_STATS_END.test(line)) {
        nic = null;
      }
      continue;
    }

    if ((m = FWD_PORT_HEADER.exec(line)) || FWD_ALL_HEADER.test(line)) {
      closeSnapshot();
      // A second print after a complete one ("show fwd stats all", then the stop's) replaces it:
      // the later counters include the earlier.
      if (!native.final || native.final.accumulated !== null) native.final = { ports: [], accumulated: null };
      fwd = emptyForwardStats(m ? Number(m[1]) : 'all');
      if (fwd.port === 'all') native.final.accumulated = fwd;
      else native.final.ports.push(fwd);
      continue;
    }
    if (fwd) {
      if (fillNumbers(line, fwd, FWD_LINES)) continue;
      if ((m = FWD_BURSTS.exec(line)) && m[2] !== undefined && m[3] !== undefined) {
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
