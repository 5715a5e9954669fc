// bb-tsprobe (native/tsprobe): the project's own UDP request/response probe with SO_TIMESTAMPING.
// Three roles: server (application model: codec, handler time, stop-the-world pauses), relay (a
// service hop, chained with --next) and client (open-loop load; per-request records + a JSON
// summary). Facts from real runs (fixtures in test/fixtures/tsprobe/):
// - Each role prints exactly one JSON object on one stdout line when it ends; progress and
//   usage go to stderr. Bad arguments exit 2 with a "bb-tsprobe: …" line on stderr.
// - The client's rttUs is the full round trip (send call → receive returned), in µs.
// - Server and relays run until SIGINT/SIGTERM (or --duration) and print their summary then.
// - msgSizeBytes in the summary is the request's UDP payload; replies are larger (they carry
//   every hop's timestamps), see replyBytesMax.
import type { HostFacts } from '../../core/host.js';
import { detectNativeProgram } from '../native-program.js';
import type { Availability, Driver } from '../types.js';
import { buildTsprobeCommand, type TsprobeParams } from './command.js';
import { parseTsprobe } from './parse.js';
import { parseTsprobeRecords } from './records.js';
import { parseThreadInfo } from './thread-info.js';

export type { TsprobeArrivals, TsprobeClientParams, TsprobeCodec, TsprobeParams, TsprobeRelayParams, TsprobeServerParams } from './command.js';
export { parseTsprobeRecords, type RelayStamps, type TsprobeRecord } from './records.js';
export { parseThreadInfo, type ThreadInfo } from './thread-info.js';

/** Artifact kind of the client's per-request CSV (TsprobeClientParams.recordsPath); read as TsprobeRecord[]. */
export const TSPROBE_RECORDS = 'tsprobe-records';
/** Artifact kind of a role's --thread-info file (tid, clock offset; the client's also t0); read as ThreadInfo. */
export const TSPROBE_THREAD_INFO = 'tsprobe-thread-info';
export {
  parseTsprobeSummary,
  type TsprobeClientSummary,
  type TsprobeRelaySummary,
  type TsprobeServerSummary,
  type TsprobeSocketStamps,
  type TsprobeSummary,
} from './parse.js';

function detect(host: HostFacts): Availability {
  return detectNativeProgram(host, {
    binary: 'bb-tsprobe',
    kernel: {
      present: host.features.soTimestamping,
      reason: 'the kernel does not support SO_TIMESTAMPING',
      fix: 'use a kernel built with network timestamping (any stock distribution kernel)',
    },
    buildFix: 'apt-get install libjansson-dev && make -C native build/bb-tsprobe',
    note: 'software timestamps; hardware ones only on a NIC that supports them',
  });
}

export const tsprobeDriver: Driver<TsprobeParams> = {
  name: 'tsprobe',
  description: 'bb-tsprobe: UDP request/response with SO_TIMESTAMPING, relays and an application model, for latency attribution',
  binaries: ['bb-tsprobe'],
  detect,
  buildCommand: buildTsprobeCommand,
  parse: parseTsprobe,
  artifactReaders: {
    [TSPROBE_RECORDS]: async (file) => parseTsprobeRecords(file.text()),
    [TSPROBE_THREAD_INFO]: async (file) => parseThreadInfo(file.text(), file.path),
  },
};
