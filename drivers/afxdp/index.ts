// bb-afxdp (native/afxdp): the project's own AF_XDP reflector and UDP clients, plus kernel-socket
// clients with the same payload and clock. Facts from real runs (fixtures in test/fixtures/afxdp/):
// - Every command prints exactly one JSON object on one stdout line at exit (with --json, which
//   buildCommand always passes); human messages go to stderr. Bad arguments exit 2 with
//   {"ok":false,"errorKind":"usage"}; runtime failures (no such interface, bind failed) exit 1
//   with {"ok":false,"error":…}.
// - Latency is the full round trip in µs (reply taken off the ring − stamp written before send).
// - The reflector runs until SIGINT/SIGTERM (exit 0, "interrupted": true) or --duration, and
//   prints "bb-afxdp: ready: …" on stderr once it answers (AFXDP_READY_LINE).
// - On veth the bind is always copy mode; the JSON says which XDP mode and bind mode were obtained.
import type { HostFacts } from '../../core/host.js';
import { detectNativeProgram } from '../native-program.js';
import type { Availability, Driver, MeasuredWindow } from '../types.js';
import { buildAfxdpCommand, type AfxdpParams } from './command.js';
import { parseAfxdp } from './parse.js';

export {
  AFXDP_DEFAULT_BINARY,
  type AfxdpBindMode,
  type AfxdpClientParams,
  type AfxdpClientTransport,
  type AfxdpParams,
  type AfxdpReflectorParams,
  type AfxdpXdpMode,
} from './command.js';
export { parseAfxdpOutput, type AfxdpClientOutput, type AfxdpLatencyUs, type AfxdpOutput, type AfxdpReflectorOutput, type AfxdpXskInfo } from './parse.js';

/** A client prints this on stderr when its traffic starts (its warm-up, then its counted window). */
export const AFXDP_TRAFFIC_MARKER = 'bb-afxdp: traffic starts';

/**
 * When a bb-afxdp client counts: after its --warmup, for its --duration. The window ends a little
 * early because the runner sees the marker a few ms late and the client exits right after counting.
 */
export function afxdpClientWindow(warmupS: number, durationS: number): MeasuredWindow {
  return { startMarker: AFXDP_TRAFFIC_MARKER, offsetS: warmupS, lengthS: Math.max(durationS * 0.5, durationS - 0.05) };
}

/** Matches the reflector's readiness line on stderr, e.g.
 * "bb-afxdp: ready: reflect on h3b0 queue 0, xdp=native bind=copy busy-poll". */
export const AFXDP_READY_LINE = /^bb-afxdp: ready: /m;

function detect(host: HostFacts): Availability {
  return detectNativeProgram(host, {
    binary: 'bb-afxdp',
    kernel: {
      present: host.features.afXdp,
      reason: 'the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)',
      fix: 'use a kernel built with CONFIG_XDP_SOCKETS=y (Debian and most distribution kernels have it)',
    },
    buildFix: 'apt-get install libxdp-dev libbpf-dev && make -C native build/bb-afxdp',
    note: 'veth offers copy mode only; the result says which XDP and bind modes were obtained',
  });
}

export const afxdpDriver: Driver<AfxdpParams> = {
  name: 'afxdp',
  description: 'bb-afxdp: AF_XDP UDP reflector and ping/load clients (AF_XDP or kernel socket), RTT and loss',
  binaries: ['bb-afxdp'],
  detect,
  buildCommand: buildAfxdpCommand,
  parse: parseAfxdp,
};
