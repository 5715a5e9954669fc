// Kernel UDP and TCP through the socket stack: sockperf server in the server namespace, sockperf
// client in the client namespace. The default paths (kernel-udp, kernel-tcp) are the baseline
// every bypass path is compared with; the tuned references (kernel-*-busypoll) are the best the
// kernel socket can do without bypass: receivers that never sleep, on the bypass pollers' CPUs.
import { z } from 'zod';
import type { Measurement } from '../core/trial.js';
import type { NetnsRecipe, ProcessSpec, TrialContext, TrialProcesses } from './types.js';
import { SOCKPERF_FULL_LOG, sockperfClientTiming, sockperfDriver } from '../drivers/sockperf/index.js';

const baseOptions = {
  /**
   * ping-pong: every message is answered, paced at the offered rate (--mps), RTT of every message.
   * under-load: open loop at the offered rate, only every `replyEvery`-th message is answered.
   * throughput: one-way as fast as possible or at the offered rate; no latency.
   */
  mode: z.enum(['ping-pong', 'under-load', 'throughput'], { error: 'must be ping-pong, under-load or throughput' }).default('ping-pong'),
  replyEvery: z.number().int().min(1).max(1_000_000).default(1),
  /** Keep sockperf's per-packet log (--full-log) and summarize it with a streaming histogram. */
  fullLog: z.boolean().default(false),
};
const fullLogNeedsLatency = {
  error: 'fullLog needs a latency mode (ping-pong or under-load): throughput mode has no per-packet latencies',
  path: ['fullLog'],
};

export const kernelSocketOptionsSchema = z.strictObject(baseOptions).refine((o) => !(o.fullLog && o.mode === 'throughput'), fullLogNeedsLatency);
export type KernelSocketOptions = z.infer<typeof kernelSocketOptionsSchema>;

export const busyPollSocketOptionsSchema = z
  .strictObject({
    ...baseOptions,
    /**
     * SO_BUSY_POLL on both sockets (sockperf --lls), µs; 0 = not set. It polls only when the socket
     * has a NAPI id, which a veth without GRO or an XDP program does not have: there the spin alone works.
     */
    busyPollUsec: z.number().int().min(0).max(1_000_000).default(50),
  })
  .refine((o) => !(o.fullLog && o.mode === 'throughput'), fullLogNeedsLatency);
export type BusyPollSocketOptions = z.infer<typeof busyPollSocketOptionsSchema>;

interface PairOptions {
  protocol: 'udp' | 'tcp';
  serverIp: string;
  mode: KernelSocketOptions['mode'];
  replyEvery?: number;
  fullLogPath?: string | undefined;
  /** Both ends spin (never sleep in the kernel), the server on the poller CPU like a bypass reflector. */
  busyPoll?: { usec: number } | undefined;
  /**
   * Start the services in the UDP client's 2 s sleep (default true). Off where a service takes
   * longer than that to start (testpmd), else every trial would miss the lead and run again.
   */
  quietLead?: boolean;
}

/** sockperf server (server namespace) and client (client namespace) for one trial. */
export function sockperfPair(ctx: TrialContext, o: PairOptions): ProcessSpec[] {
  const polling = o.busyPoll ? { spin: true, ...(o.busyPoll.usec > 0 ? { busyPollUsec: o.busyPoll.usec } : {}) } : {};
  // sockperf's warm-up is its own (0.4 s, fixed): ctx.warmupS cannot change it; the record says 0.4.
  // Over UDP the client's 2 s sleep before its traffic is a quiet lead the runner starts the server in.
  const timing = sockperfClientTiming(ctx.durationS, { quietLead: o.protocol === 'udp' && o.quietLead !== false });
  return [
    {
      role: 'server',
      place: 'server',
      driver: 'sockperf',
      kind: 'service',
      // A spinning server needs a CPU of its own, the one the bypass reflectors get.
      cpu: o.busyPoll ? ctx.cpu.poller : ctx.cpu.server,
      busyPoll: o.busyPoll !== undefined,
      argv: sockperfDriver.buildCommand({ role: 'server', protocol: o.protocol, serverIp: o.serverIp, port: ctx.port, ...polling }),
      ready: o.protocol === 'udp' ? { udpPort: ctx.port } : { tcpListenPort: ctx.port },
    },
    {
      role: 'client',
      place: 'client',
      driver: 'sockperf',
      kind: 'measure',
      cpu: ctx.cpu.client,
      busyPoll: o.busyPoll !== undefined,
      measuredWindow: timing.window,
      argv: sockperfDriver.buildCommand({
        role: 'client',
        protocol: o.protocol,
        serverIp: o.serverIp,
        port: ctx.port,
        mode: o.mode,
        msgSizeBytes: ctx.msgSizeBytes,
        // sockperf counts 0.45 s less than it runs, in whole seconds: run long enough to count durationS.
        durationS: timing.runS,
        mps: ctx.offeredPps ?? 'max',
        replyEvery: o.mode === 'under-load' ? o.replyEvery : undefined,
        fullRtt: true,
        fullLogPath: o.fullLogPath,
        ...polling,
      }),
    },
  ];
}

/**
 * How the tuned path's receivers avoided sleeping, for the record. The spin is what works here:
 * SO_BUSY_POLL needs a NAPI id, and the topology's veths (GRO off, no XDP program) give none, so
 * the option is set but does not poll (A/B by hand: no difference beyond run-to-run noise).
 * SO_PREFER_BUSY_POLL sockperf does not set.
 */
export interface BusyPollRecord {
  mode: 'nonblocking-spin';
  soBusyPollUsec: number | null;
  soBusyPollEffective: false;
  preferBusyPoll: false;
  /** Global sysctls changed for it: none (the options are per socket). */
  sysctls: Record<string, never>;
  why: string;
}

export function busyPollRecord(o: BusyPollSocketOptions): BusyPollRecord {
  return {
    mode: 'nonblocking-spin',
    soBusyPollUsec: o.busyPollUsec > 0 ? o.busyPollUsec : null,
    soBusyPollEffective: false,
    preferBusyPoll: false,
    sysctls: {},
    why: 'non-blocking sockets polled with epoll_wait(timeout 0) on both ends; SO_BUSY_POLL needs a NAPI id, which a veth without GRO or XDP lacks',
  };
}

function plan(ctx: TrialContext, options: KernelSocketOptions, protocol: 'udp' | 'tcp', busyPoll?: { usec: number }): TrialProcesses {
  const fullLogPath = options.fullLog ? ctx.artifactPath('sockperf-full-log.csv') : undefined;
  return {
    processes: sockperfPair(ctx, { protocol, serverIp: ctx.topology.server.ip, mode: options.mode, replyEvery: options.replyEvery, fullLogPath, busyPoll }),
    artifacts: fullLogPath ? [{ driver: sockperfDriver.name, kind: SOCKPERF_FULL_LOG, path: fullLogPath }] : [],
  };
}

function kernelSocketRecipe(path: 'kernel-udp' | 'kernel-tcp'): NetnsRecipe<KernelSocketOptions> {
  const protocol = path === 'kernel-udp' ? 'udp' : 'tcp';
  return {
    path,
    family: 'kernel',
    runner: 'netns',
    drivers: ['sockperf'],
    description: `kernel ${protocol.toUpperCase()} sockets, sockperf client → sockperf server across the veth pair`,
    optionsSchema: kernelSocketOptionsSchema,
    acceptsOfferedRate: () => true,
    // Open loop: every message answered, so a missing reply is a lost packet.
    openLoop: (o) => ({ ...o, mode: 'under-load', replyEvery: 1, fullLog: false }),
    wholeSecondDurations: true,
    plan: (ctx, options) => plan(ctx, options, protocol),
    // sockperf's default client (and server) receive with blocking recvfrom(): each reply wakes it.
    combine: (measured: Measurement) => ({ ...measured, receiveMode: 'block' }),
  };
}

function busyPollRecipe(path: 'kernel-udp-busypoll' | 'kernel-tcp-busypoll'): NetnsRecipe<BusyPollSocketOptions> {
  const protocol = path === 'kernel-udp-busypoll' ? 'udp' : 'tcp';
  return {
    path,
    family: 'kernel-tuned',
    runner: 'netns',
    drivers: ['sockperf'],
    description: `kernel ${protocol.toUpperCase()} sockets, busy-polling: sockperf client and server spin on non-blocking sockets, the server on the poller CPU`,
    optionsSchema: busyPollSocketOptionsSchema,
    acceptsOfferedRate: () => true,
    openLoop: (o) => ({ ...o, mode: 'under-load', replyEvery: 1, fullLog: false }),
    wholeSecondDurations: true,
    plan: (ctx, options) => plan(ctx, options, protocol, { usec: options.busyPollUsec }),
    combine: (measured: Measurement, _services, options) => ({
      ...measured,
      receiveMode: 'spin',
      native: { ...measured.native, busyPoll: busyPollRecord(options) },
    }),
  };
}

export const kernelUdpRecipe = kernelSocketRecipe('kernel-udp');
export const kernelTcpRecipe = kernelSocketRecipe('kernel-tcp');
export const kernelUdpBusyPollRecipe = busyPollRecipe('kernel-udp-busypoll');
export const kernelTcpBusyPollRecipe = busyPollRecipe('kernel-tcp-busypoll');
