// perftest (linux-rdma, Debian 4.5): ib_{write,send,read}_{lat,bw}. One process prints a header
// block and one table; a multi-size run (-a) prints one row per size, and each row becomes one
// Measurement. Latency is stored as round-trip time: write/send latency tests print half the round
// trip, read prints the full one. The tool's own numbers stay under `native`.
import type { HostFacts } from '../../core/host.js';
import type { Measurement } from '../../core/trial.js';
import type { Availability, Driver } from '../types.js';
import { buildPerftestCommand, PERFTEST_TESTS, type PerftestParams } from './command.js';
import { parsePerftest, type PerftestOutput } from './parse.js';

export {
  PERFTEST_MAX_MSG_BYTES,
  PERFTEST_MIN_ITERATIONS,
  PERFTEST_TESTS,
  validatePerftestParams,
  type PerftestParams,
  type PerftestRateLimit,
  type PerftestRateUnits,
  type PerftestTest,
} from './command.js';
export { parsePerftestHeader, type PerftestHeader } from './parse-header.js';
export { parsePerftestOutJson, type OutJsonCheck } from './out-json.js';
export { parsePerftest, type PerftestOutput } from './parse.js';

function detectPerftest(host: HostFacts): Availability {
  const binary = host.binaries['ib_write_lat'];
  if (!binary?.path) {
    return { status: 'unsupported', reason: 'perftest is not installed (no ib_write_lat)', fix: 'apt-get install perftest rdma-core ibverbs-providers' };
  }
  const version = host.packages['perftest'] ?? binary.version ?? null;
  if (host.features.rdmaDevices.length === 0) {
    return {
      status: 'unsupported',
      reason: host.features.rxe
        ? 'no RDMA device under /sys/class/infiniband (rdma_rxe is available but no rxe link exists)'
        : 'no RDMA device under /sys/class/infiniband and this kernel has no rdma_rxe',
      fix: host.features.rxe
        ? 'create one: rdma link add rxe0 type rxe netdev IFACE (see soft-roce/README.md)'
        : 'use the rdma-rxe path, which runs in the Soft-RoCE QEMU VM (./bypassbench run suites/softroce.yaml), or a kernel with RDMA',
    };
  }
  return { status: 'available', version, note: `RDMA devices: ${host.features.rdmaDevices.join(', ')}` };
}

export const perftestDriver: Driver<PerftestParams> & { parse(output: PerftestOutput): Measurement[] } = {
  name: 'perftest',
  description: 'RDMA verbs latency and bandwidth (ib_write/send/read _lat/_bw) from linux-rdma perftest',
  binaries: PERFTEST_TESTS,
  detect: detectPerftest,
  buildCommand: buildPerftestCommand,
  parse: parsePerftest,
};
