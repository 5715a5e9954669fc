// Kernel UDP and TCP through the socket stack: sockperf server in the server namespace, sockperf
// client in the client namespace. This is the baseline every bypass path is compared with.
import { z } from 'zod';
import type { NetnsRecipe, ProcessSpec, TrialContext, TrialProcesses } from './types.js';
import { SOCKPERF_FULL_LOG, sockperfDriver } from '../drivers/sockperf/index.js';

export const kernelSocketOptionsSchema = z
  .strictObject({
    /**
     * ping-pong: every message is answered, paced at the offered rate (--mps), RTT of every message.
     * under-load: open loop at the offered rate, only every `replyEvery`-th message is answered.
     * throughput: one-way as fast as possible or at the offered rate; no latency.
     */
    mode: z.enum(['ping-pong', 'under-load', 'throughput'], { error: 'must be ping-pong, under-load or throughput' }).default('ping-pong'),
    replyEvery: z.number().int().min(1).max(1_000_000).default(1),
    /** Keep sockperf's per-packet log (--full-log) and summarize it with a streaming histogram. */
    fullLog: z.boolean().default(false),
  })
  .refine((o) => !(o.fullLog && o.mode === 'throughput'), {
    error: 'fullLog needs a latency mode (ping-pong or under-load): throughput mode has no per-packet latencies',
    path: ['fullLog'],
  });
export type KernelSocketOptions = z.infer<typeof kernelSocketOptionsSchema>;

/** sockperf server (server namespace) and client (client namespace) for one trial. */
export function sockperfPair(
  ctx: TrialContext,
  o: { protocol: 'udp' | 'tcp'; serverIp: string; mode: KernelSocketOptions['mode']; replyEvery?: number; fullLogPath?: string | undefined },
): ProcessSpec[] {
  return [
    {
      role: 'server',
      place: 'server',
      driver: 'sockperf',
      kind: 'service',
      cpu: ctx.cpu.server,
      argv: sockperfDriver.buildCommand({ role: 'server', protocol: o.protocol, serverIp: o.serverIp, port: ctx.port }),
      ready: o.protocol === 'udp' ? { udpPort: ctx.port } : { tcpListenPort: ctx.port },
    },
    {
      role: 'client',
      place: 'client',
      driver: 'sockperf',
      kind: 'measure',
      cpu: ctx.cpu.client,
      argv: sockperfDriver.buildCommand({
        role: 'client',
        protocol: o.protocol,
        serverIp: o.serverIp,
        port: ctx.port,
        mode: o.mode,
        msgSizeBytes: ctx.msgSizeBytes,
        durationS: ctx.durationS,
        mps: ctx.offeredPps ?? 'max',
        replyEvery: o.mode === 'under-load' ? o.replyEvery : undefined,
        fullRtt: true,
        fullLogPath: o.fullLogPath,
      }),
    },
  ];
}

function kernelSocketRecipe(path: 'kernel-udp' | 'kernel-tcp'): NetnsRecipe<KernelSocketOptions> {
  const protocol = path === 'kernel-udp' ? 'udp' : 'tcp';
  return {
    path,
    runner: 'netns',
    drivers: ['sockperf'],
    description: `kernel ${protocol.toUpperCase()} sockets, sockperf client → sockperf server across the veth pair`,
    optionsSchema: kernelSocketOptionsSchema,
    acceptsOfferedRate: () => true,
    // Open loop: every message answered, so a missing reply is a lost packet.
    openLoop: (o) => ({ ...o, mode: 'under-load', replyEvery: 1, fullLog: false }),
    wholeSecondDurations: true,
    plan(ctx: TrialContext, options: KernelSocketOptions): TrialProcesses {
      const fullLogPath = options.fullLog ? ctx.artifactPath('sockperf-full-log.csv') : undefined;
      return {
        processes: sockperfPair(ctx, { protocol, serverIp: ctx.topology.server.ip, mode: options.mode, replyEvery: options.replyEvery, fullLogPath }),
        artifacts: fullLogPath ? [{ driver: sockperfDriver.name, kind: SOCKPERF_FULL_LOG, path: fullLogPath }] : [],
      };
    },
  };
}

export const kernelUdpRecipe = kernelSocketRecipe('kernel-udp');
export const kernelTcpRecipe = kernelSocketRecipe('kernel-tcp');
