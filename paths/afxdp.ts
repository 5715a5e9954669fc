// AF_XDP paths with the project's own bb-afxdp program (native/afxdp): a busy-polling AF_XDP
// reflector on the server's veth, answered to either a kernel UDP socket client (kernel-to-afxdp:
// only the server side bypasses the stack) or an AF_XDP client (afxdp: both sides bypass it).
import { z } from 'zod';
import { nativeBinary } from '../core/project.js';
import { afxdpClientWindow, afxdpDriver, type AfxdpClientParams } from '../drivers/afxdp/index.js';
import type { NetnsRecipe, ProcessSpec, SetupCommand, TopologyInfo, TrialContext } from './types.js';

export const afxdpOptionsSchema = z.strictObject({
  /**
   * ping: one request at a time, paced at the offered rate (like sockperf ping-pong);
   * load: open loop at the offered rate (sequence numbers, loss counted).
   */
  mode: z.enum(['ping', 'load'], { error: 'must be ping or load' }).default('ping'),
  /** XDP attach mode of the reflector (and the AF_XDP client): auto tries native, then generic. */
  xdpMode: z.enum(['auto', 'native', 'generic']).default('auto'),
  /** AF_XDP bind: veth supports copy mode only; auto falls back and records what it got. */
  bindMode: z.enum(['auto', 'copy', 'zero-copy']).default('auto'),
  /** The reflector spins on its rings (a full core, even when idle) instead of sleeping in poll(). */
  reflectorBusyPoll: z.boolean().default(true),
  /** The client spins too. Default: only the AF_XDP client (a socket client blocks like sockperf). */
  clientBusyPoll: z.boolean().optional(),
  /** Entries per AF_XDP ring (power of two); larger rings ride out scheduling stalls. */
  ringSize: z.number().int().min(64).max(16384).default(2048),
  /**
   * The client's (tester's) AF_XDP rings, when they should differ from the reflector's: deeper
   * tester rings ride out the client's own scheduling stalls (its fill ring ran empty for 340 of
   * 1.4 M replies at 700 kpps on a loaded 2-vCPU VM) without changing the reflector under test.
   */
  clientRingSize: z.number().int().min(64).max(16384).optional(),
  /**
   * The kernel socket client's (tester's) receive buffer, bytes (SO_RCVBUFFORCE): the default
   * ~208 KiB holds well under a millisecond of replies at 350 kpps, so a stalled client drops
   * replies the reflector did send. Unset: the kernel default.
   */
  clientRcvbufBytes: z.number().int().min(4096).max(1073741824).optional(),
});
export type AfxdpOptions = z.infer<typeof afxdpOptionsSchema>;

function reflector(ctx: TrialContext, o: AfxdpOptions): ProcessSpec {
  return {
    role: 'reflector',
    place: 'server',
    driver: 'afxdp',
    kind: 'service',
    // A busy poller needs a CPU of its own (unpinned, p99 goes to milliseconds).
    cpu: ctx.cpu.poller,
    busyPoll: o.reflectorBusyPoll,
    argv: afxdpDriver.buildCommand({
      role: 'reflector',
      binaryPath: nativeBinary('bb-afxdp'),
      ifname: ctx.topology.server.ifname,
      xdpMode: o.xdpMode,
      bindMode: o.bindMode,
      busyPoll: o.reflectorBusyPoll,
      ringSize: o.ringSize,
    }),
    ready: { outputIncludes: 'bb-afxdp: ready:' },
  };
}

function client(ctx: TrialContext, o: AfxdpOptions, transport: 'socket' | 'afxdp'): ProcessSpec {
  const { topology } = ctx;
  // Closed loop (no offered rate) is a ping-pong as fast as replies come back.
  const role = ctx.offeredPps === null ? 'ping' : o.mode;
  const common: AfxdpClientParams = {
    role,
    binaryPath: nativeBinary('bb-afxdp'),
    transport,
    dstIp: topology.server.ip,
    dstPort: ctx.port,
    msgSizeBytes: ctx.msgSizeBytes,
    durationS: ctx.durationS,
    warmupS: ctx.warmupS,
    busyPoll: o.clientBusyPoll ?? transport === 'afxdp',
    ...(ctx.offeredPps !== null ? { offeredPps: ctx.offeredPps } : {}),
  };
  const params: AfxdpClientParams =
    transport === 'socket'
      ? { ...common, bindIp: topology.client.ip, ...(o.clientRcvbufBytes === undefined ? {} : { rcvbufBytes: o.clientRcvbufBytes }) }
      : {
          ...common,
          ifname: topology.client.ifname,
          srcIp: topology.client.ip,
          dstMac: topology.server.mac,
          xdpMode: o.xdpMode,
          bindMode: o.bindMode,
          ringSize: o.clientRingSize ?? o.ringSize,
        };
  return {
    role: 'client',
    place: 'client',
    driver: 'afxdp',
    kind: 'measure',
    cpu: ctx.cpu.client,
    busyPoll: params.busyPoll === true,
    argv: afxdpDriver.buildCommand(params),
    measuredWindow: afxdpClientWindow(ctx.warmupS, ctx.durationS),
  };
}

/**
 * The reflector swaps addresses without touching checksums, so the kernel client's veth must
 * put full checksums on the wire (TX checksum offload off), or replies arrive with bad sums.
 */
function checksumOffloadOff(topology: TopologyInfo): SetupCommand[] {
  return [
    {
      place: 'client',
      do: ['ethtool', '-K', topology.client.ifname, 'tx', 'off'],
      undo: ['ethtool', '-K', topology.client.ifname, 'tx', 'on'],
      why: 'TX checksum offload off on the kernel client veth, so reflected packets carry valid checksums',
    },
  ];
}

function afxdpRecipe(path: 'kernel-to-afxdp' | 'afxdp'): NetnsRecipe<AfxdpOptions> {
  const transport = path === 'afxdp' ? 'afxdp' : 'socket';
  return {
    path,
    family: 'bypass',
    runner: 'netns',
    drivers: ['afxdp'],
    description:
      path === 'afxdp'
        ? 'AF_XDP client ↔ AF_XDP reflector (bb-afxdp), both bypassing the kernel stack'
        : 'kernel UDP socket client → AF_XDP reflector (bb-afxdp): the server side bypasses the stack',
    // Each tester option fits one client: refused on the other rather than silently ignored.
    optionsSchema:
      transport === 'afxdp'
        ? afxdpOptionsSchema.refine((o) => o.clientRcvbufBytes === undefined, {
            error: "is the kernel socket client's receive buffer (kernel-to-afxdp); the AF_XDP client of afxdp has rings: use clientRingSize",
            path: ['clientRcvbufBytes'],
          })
        : afxdpOptionsSchema.refine((o) => o.clientRingSize === undefined, {
            error: "sizes the AF_XDP client's rings (afxdp); the kernel socket client of kernel-to-afxdp has a receive buffer: use clientRcvbufBytes",
            path: ['clientRingSize'],
          }),
    acceptsOfferedRate: () => true,
    openLoop: (o) => ({ ...o, mode: 'load' }),
    setupCommands: (topology) => (transport === 'socket' ? checksumOffloadOff(topology) : []),
    plan: (ctx, o) => ({ processes: [reflector(ctx, o), client(ctx, o, transport)] }),
  };
}

export const kernelToAfxdpRecipe = afxdpRecipe('kernel-to-afxdp');
export const afxdpRecipeBoth = afxdpRecipe('afxdp');
