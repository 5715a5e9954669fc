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
import type { HostFacts } from '../../core/host.js';
import type { Availability, Driver } from '../types.js';
import { buildTestpmdCommand, TESTPMD_BINARY, type TestpmdParams, type TestpmdPmd } from './command.js';
import { parseTestpmdOutput } from './parse.js';

export {
  TESTPMD_BINARY,
  TESTPMD_FORWARD_MODES,
  type TestpmdForwardMode,
  type TestpmdMemory,
  type TestpmdParams,
  type TestpmdPmd,
  type TestpmdPorts,
  type TestpmdTxonly,
} from './command.js';
export {
  parseTestpmdNative,
  type TestpmdBurstStats,
  type TestpmdCycles,
  type TestpmdForwardStats,
  type TestpmdNative,
  type TestpmdPortStats,
} from './parse-native.js';
export { parseTestpmdOutput, type TestpmdParseOptions } from './parse.js';

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
  buildCommand: buildTestpmdCommand,
  // Without the forwarding time the runner measured, rates come from the periodic blocks.
  parse: (output) => parseTestpmdOutput(output),
};
