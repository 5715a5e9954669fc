// sockperf 3.7: the kernel UDP/TCP socket baseline. Facts learned from real runs on this project's
// machines (fixtures in test/fixtures/sockperf/ hold the outputs):
// - Everything, results and errors alike, goes to stdout with a "sockperf: " prefix and ANSI colours.
// - The exit code is 0 even when the server is missing, the TCP connection is refused, or an
//   argument is invalid, so a result counts as ok only when its result lines are present.
// - Without --full-rtt every latency figure is half the round trip ("avg-latency", "Latency is").
// - "MBps"/"Mbps" in throughput mode are 2^20-based and count payload only.
// - The valid window is about 0.45 s shorter than -t (warm-up and cool-down are cut off).
import type { HostFacts } from '../../core/host.js';
import type { Availability, Driver } from '../types.js';
import { buildSockperfCommand, type SockperfParams } from './command.js';
import { summarizeFullLog } from './full-log.js';
import { parseSockperf } from './parse.js';

export type { SockperfMode, SockperfParams } from './command.js';
export type { LatencySemantics, SockperfLatencyNative, SockperfThroughputNative } from './parse.js';
export { summarizeFullLog, type FullLogSummary } from './full-log.js';

/** Artifact kind of a --full-log CSV (SockperfParams.fullLogPath); the record keeps its summary. */
export const SOCKPERF_FULL_LOG = 'sockperf-full-log';

function detect(host: HostFacts): Availability {
  const binary = host.binaries['sockperf'];
  if (!binary?.path) {
    return { status: 'unsupported', reason: 'sockperf is not installed (not found on PATH)', fix: 'apt-get install sockperf' };
  }
  return { status: 'available', version: binary.version };
}

export const sockperfDriver: Driver<SockperfParams> = {
  name: 'sockperf',
  description: 'sockperf client/server: kernel UDP/TCP latency (ping-pong, under-load) and throughput',
  binaries: ['sockperf'],
  detect,
  buildCommand: buildSockperfCommand,
  parse: parseSockperf,
  // A server prints where it listens and nothing about the traffic it answered.
  serviceOutput: 'none',
  artifactReaders: { [SOCKPERF_FULL_LOG]: (file) => summarizeFullLog(file.lines()) },
};
export { sockperfClientTiming, SOCKPERF_WARMUP_S, SOCKPERF_START_MARKER, SOCKPERF_LEAD_MARKER } from './timing.js';
