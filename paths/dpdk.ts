// DPDK paths with dpdk-testpmd on the topology's veths:
//   dpdk-afxdp    kernel UDP client → testpmd 5tswap reflector on the net_af_xdp PMD
//   dpdk-afpacket kernel UDP client → testpmd 5tswap reflector on the net_af_packet PMD
//   dpdk-wire     sockperf client → testpmd io "wire" (two net_af_xdp ports in a middle namespace) → sockperf server
//   dpdk-null     testpmd alone on net_null ports: the CPU-only forwarding ceiling, no wire at all
//   dpdk-txrx     testpmd txonly generator → testpmd rxonly sink across the veth: one-way maximum rate
// The forwarding lcore busy-polls its own CPU; the main lcore (console, stats) mostly sleeps.
import { z } from 'zod';
import { nativeBinary } from '../core/project.js';
import { afxdpDriver, afxdpClientWindow } from '../drivers/afxdp/index.js';
import { testpmdDriver, type TestpmdMemory, type TestpmdParams } from '../drivers/testpmd/index.js';
import { extraSubnet } from './addresses.js';
import { sockperfPair } from './kernel-sockets.js';
import type { NetnsRecipe, PathSetup, Place, ProcessSpec, SetupCommand, TopologyInfo, TrialContext } from './types.js';

export const dpdkOptionsSchema = z.strictObject({
  /** hugepages (reserved for the path and released after it) or no-huge (anonymous memory, smaller pool). */
  memory: z.enum(['hugepages', 'no-huge'], { error: 'must be hugepages or no-huge' }).default('hugepages'),
  /** 2 MiB pages to reserve with memory: hugepages (the default mbuf pool of two ports needs ~185). */
  hugepages: z.number().int().min(64).max(65536).default(256),
  /** Kernel-client paths: ping (paced ping-pong) or load (open loop). */
  mode: z.enum(['ping', 'load'], { error: 'must be ping or load' }).default('ping'),
  /** testpmd --record-core-cycles: forwarding cycles per packet in the final statistics. */
  recordCycles: z.boolean().default(true),
  /** Reflector paths: the client is a kernel UDP socket, or an AF_XDP socket (both sides bypass). */
  client: z.enum(['kernel', 'afxdp'], { error: 'must be kernel or afxdp' }).default('kernel'),
  /**
   * Reflector paths with client: kernel: the tester socket's receive buffer, bytes (SO_RCVBUFFORCE).
   * The default ~208 KiB overflows when the client is descheduled for a millisecond at 350 kpps
   * (testpmd forwarded every packet while the client lost 864). Unset: the kernel default.
   */
  clientRcvbufBytes: z.number().int().min(4096).max(1073741824).optional(),
});
export type DpdkOptions = z.infer<typeof dpdkOptionsSchema>;

/** One DPDK runtime prefix per run: /var/run/dpdk/<prefix>, removed after the path. */
export const prefixOf = (topology: TopologyInfo) => `bb${topology.runTag}`;

/**
 * testpmd is ready once its ports are started and forwarding begins:
 *   "5tswap packet forwarding - ports=1 - cores=1 - streams=1 - NUMA support enabled, …"
 * Not "Set 5tswap packet forwarding mode", its first line, printed before EAL init and port
 * set-up. EAL init can take seconds when two runs allocate memory at once, hence the wait.
 */
export const TESTPMD_FORWARDING = { outputIncludes: 'packet forwarding - ports=', timeoutMs: 30_000 } as const;

function memoryOf(o: DpdkOptions): TestpmdMemory {
  return o.memory === 'hugepages' ? { kind: 'hugepages', inMemory: true } : { kind: 'no-huge', memMb: 1024, totalMbufs: 8192 };
}

function setupOf(o: DpdkOptions, topology: TopologyInfo, extra: Partial<PathSetup> = {}): PathSetup {
  return { ...extra, dpdkPrefixes: [prefixOf(topology)], ...(o.memory === 'hugepages' ? { hugepages: o.hugepages } : {}) };
}

function testpmd(ctx: TrialContext, o: DpdkOptions, place: Place, ports: TestpmdParams['ports'], forwardMode: TestpmdParams['forwardMode']): ProcessSpec {
  if (ctx.cpu.poller === ctx.cpu.client) {
    // A busy poller sharing the client's CPU would starve it; say so instead of measuring nonsense.
    throw new Error(`the DPDK forwarding lcore needs a CPU of its own, but cpu.poller (${ctx.cpu.poller}) is the client's CPU; set cpu.poller in the suite`);
  }
  const argv = testpmdDriver.buildCommand({
    ports,
    forwardMode,
    lcores: { main: ctx.cpu.client, forwarding: [ctx.cpu.poller] },
    memory: memoryOf(o),
    filePrefix: prefixOf(ctx.topology),
    statsPeriodS: 1,
    recordCycles: o.recordCycles,
  });
  return {
    role: forwardMode === 'io' ? 'wire' : 'reflector',
    place,
    driver: 'testpmd',
    kind: 'service',
    // testpmd pins its own lcores (-l / --main-lcore); stdbuf makes its stdout line-buffered so
    // the "start packet forwarding" line shows when it happens, not at exit.
    cpu: null,
    busyPoll: true,
    pollsOnCpu: ctx.cpu.poller,
    argv: ['stdbuf', '-oL', ...argv],
    ready: TESTPMD_FORWARDING,
    restartOnEarlyExit: { attempts: 2, delayMs: 1500 },
  };
}

const reflectorWarmupS = (ctx: TrialContext) => Math.max(1, ctx.warmupS);

/**
 * The client of a reflector (bb-afxdp; sockperf ignores echoed replies): a kernel UDP socket
 * (sock-ping / sock-load), or an AF_XDP socket on the client veth.
 */
export function reflectorClient(ctx: TrialContext, o: DpdkOptions): ProcessSpec {
  const role = ctx.offeredPps === null ? 'ping' : o.mode;
  const { topology } = ctx;
  const side =
    o.client === 'kernel'
      ? {
          transport: 'socket' as const,
          bindIp: topology.client.ip,
          ...(o.clientRcvbufBytes === undefined ? {} : { rcvbufBytes: o.clientRcvbufBytes }),
        }
      : { transport: 'afxdp' as const, ifname: topology.client.ifname, srcIp: topology.client.ip, dstMac: topology.server.mac, busyPoll: true };
  return {
    role: 'client',
    place: 'client',
    driver: 'afxdp',
    kind: 'measure',
    cpu: ctx.cpu.client,
    busyPoll: o.client !== 'kernel',
    measuredWindow: afxdpClientWindow(reflectorWarmupS(ctx), ctx.durationS),
    argv: afxdpDriver.buildCommand({
      role,
      ...side,
      binaryPath: nativeBinary('bb-afxdp'),
      dstIp: ctx.topology.server.ip,
      dstPort: ctx.port,
      msgSizeBytes: ctx.msgSizeBytes,
      durationS: ctx.durationS,
      // testpmd reports "start packet forwarding" before its AF_XDP socket answers (attaching
      // XDP resets the veth): at least a second of unrecorded requests lets the wire settle.
      warmupS: reflectorWarmupS(ctx),
      ...(ctx.offeredPps !== null ? { offeredPps: ctx.offeredPps } : {}),
    }),
  };
}

const txOff = (place: Place, ifname: string, why: string): SetupCommand => ({
  place,
  do: ['ethtool', '-K', ifname, 'tx', 'off'],
  undo: ['ethtool', '-K', ifname, 'tx', 'on'],
  why,
});

function reflectorRecipe(path: 'dpdk-afxdp' | 'dpdk-afpacket'): NetnsRecipe<DpdkOptions> {
  const pmd = path === 'dpdk-afxdp' ? 'af_xdp' : 'af_packet';
  return {
    path,
    family: 'bypass',
    runner: 'netns',
    drivers: ['testpmd', 'afxdp'],
    description: `kernel UDP client (or AF_XDP client, option client: afxdp) → DPDK testpmd 5tswap reflector on net_${pmd}`,
    optionsSchema: dpdkOptionsSchema,
    acceptsOfferedRate: () => true,
    openLoop: (o) => ({ ...o, mode: 'load' }),
    setup: (o, topology) => setupOf(o, topology),
    setupCommands: (topology, _env, o) => [
      ...(o.client === 'kernel'
        ? [txOff('client', topology.client.ifname, 'TX checksum offload off on the kernel client veth: the reflector does not fix checksums')]
        : []),
      ...(pmd === 'af_packet'
        ? [
            {
              // af_packet taps the interface: with its address still on it, the server's kernel
              // would answer every request with ICMP port unreachable as well.
              place: 'server',
              do: ['ip', 'addr', 'del', `${topology.server.ip}/24`, 'dev', topology.server.ifname],
              undo: ['ip', 'addr', 'add', `${topology.server.ip}/24`, 'dev', topology.server.ifname],
              why: "the server veth's address removed, so the kernel does not answer alongside the af_packet reflector",
            },
          ]
        : []),
    ],
    plan: (ctx, o) => ({
      processes: [
        testpmd(
          ctx,
          o,
          'server',
          pmd === 'af_xdp' ? { pmd, interfaces: [ctx.topology.server.ifname] } : { pmd, interfaces: [ctx.topology.server.ifname] },
          '5tswap',
        ),
        reflectorClient(ctx, o),
      ],
    }),
  };
}

export const dpdkAfxdpRecipe = reflectorRecipe('dpdk-afxdp');
export const dpdkAfpacketRecipe = reflectorRecipe('dpdk-afpacket');

/**
 * sockperf across a DPDK wire: client ⇄ [wire namespace: testpmd io between two net_af_xdp
 * ports] ⇄ server, all on one /24 so the wire is plain layer 2. Static neighbour entries spare
 * ARP the trip; checksum offload is off on both kernel ends since the wire copies frames as is.
 */
export const dpdkWireRecipe: NetnsRecipe<DpdkOptions> = {
  path: 'dpdk-wire',
  family: 'bypass',
  runner: 'netns',
  drivers: ['testpmd', 'sockperf'],
  description: 'sockperf client → DPDK testpmd io wire (two net_af_xdp ports) → sockperf server',
  optionsSchema: dpdkOptionsSchema,
  acceptsOfferedRate: () => true,
  wholeSecondDurations: true,
  setup: (o, topology) => {
    const subnet = extraSubnet(topology, 0);
    return setupOf(o, topology, {
      namespaces: ['wire'],
      links: [
        { id: 'in', a: 'client', b: 'wire', aIp: `${subnet}.1`, bIp: null },
        { id: 'out', a: 'wire', b: 'server', aIp: null, bIp: `${subnet}.2` },
      ],
    });
  },
  setupCommands: (_topology, prepared) => {
    const { in: inLink, out } = prepared.links;
    if (!inLink || !out) return [];
    return [
      txOff('client', inLink.a.ifname, 'TX checksum offload off on the client veth: the wire copies frames as they are'),
      txOff('server', out.b.ifname, 'TX checksum offload off on the server veth: the wire copies frames as they are'),
      {
        place: 'client',
        do: ['ip', 'neigh', 'replace', out.b.ip!, 'lladdr', out.b.mac, 'dev', inLink.a.ifname, 'nud', 'permanent'],
        why: 'static neighbour for the server across the wire',
      },
      {
        place: 'server',
        do: ['ip', 'neigh', 'replace', inLink.a.ip!, 'lladdr', inLink.a.mac, 'dev', out.b.ifname, 'nud', 'permanent'],
        why: 'static neighbour for the client across the wire',
      },
    ];
  },
  plan(ctx, o) {
    const { in: inLink, out } = ctx.prepared.links;
    if (!inLink || !out) throw new Error('dpdk-wire: the wire links were not prepared');
    const serverIp = out.b.ip!;
    return {
      processes: [
        testpmd(ctx, o, 'wire', { pmd: 'af_xdp', interfaces: [inLink.b.ifname, out.a.ifname] }, 'io'),
        // testpmd starts in seconds, longer than the client's 2 s quiet lead: services first.
        ...sockperfPair(ctx, { protocol: 'udp', serverIp, mode: 'ping-pong', quietLead: false }),
      ],
    };
  },
};

/** testpmd io between two net_null ports for durationS: how fast DPDK forwards with no wire at all. */
export const dpdkNullRecipe: NetnsRecipe<DpdkOptions> = {
  path: 'dpdk-null',
  family: 'bypass',
  runner: 'netns',
  drivers: ['testpmd'],
  description: 'DPDK testpmd io on net_null ports: the CPU-only forwarding ceiling (no wire, no latency)',
  optionsSchema: dpdkOptionsSchema,
  acceptsOfferedRate: () => false,
  setup: (o, topology) => setupOf(o, topology),
  plan(ctx, o) {
    const spec = testpmd(ctx, o, 'server', { pmd: 'null', count: 2 }, 'io');
    // SIGINT after start-up plus the measured time makes testpmd print its final counters.
    const startupS = 3;
    return {
      processes: [{ ...spec, role: 'forwarder', kind: 'measure', ready: undefined, restartOnEarlyExit: undefined, stopAfterS: ctx.durationS + startupS }],
    };
  },
};

/**
 * Generator → sink: testpmd txonly on the client veth sends UDP frames as fast as it can, testpmd
 * rxonly on the server veth counts them. Two forwarding lcores on two CPUs; the achieved rate is
 * the generator's, the loss what the sink never saw.
 */
export const dpdkTxrxRecipe: NetnsRecipe<DpdkOptions> = {
  path: 'dpdk-txrx',
  family: 'bypass',
  runner: 'netns',
  drivers: ['testpmd'],
  description: 'DPDK testpmd txonly generator → rxonly sink across the veth pair (net_af_xdp): one-way maximum rate',
  optionsSchema: dpdkOptionsSchema,
  acceptsOfferedRate: () => false,
  setup: (o, topology) => ({
    dpdkPrefixes: [`${prefixOf(topology)}g`, `${prefixOf(topology)}s`],
    ...(o.memory === 'hugepages' ? { hugepages: o.hugepages * 2 } : {}),
  }),
  plan(ctx, o) {
    const { topology } = ctx;
    if (ctx.cpu.poller === ctx.cpu.client) throw new Error('dpdk-txrx needs two CPUs (cpu.poller and cpu.client differ)');
    const common = { memory: memoryOf(o), statsPeriodS: 1, recordCycles: o.recordCycles };
    const sink = testpmdDriver.buildCommand({
      ...common,
      ports: { pmd: 'af_xdp', interfaces: [topology.server.ifname] },
      forwardMode: 'rxonly',
      lcores: { main: ctx.cpu.poller, forwarding: [ctx.cpu.client] },
      filePrefix: `${prefixOf(topology)}s`,
    });
    const generator = testpmdDriver.buildCommand({
      ...common,
      ports: { pmd: 'af_xdp', interfaces: [topology.client.ifname] },
      forwardMode: 'txonly',
      lcores: { main: ctx.cpu.client, forwarding: [ctx.cpu.poller] },
      filePrefix: `${prefixOf(topology)}g`,
      txonly: {
        ethPeer: topology.server.mac,
        srcIp: topology.client.ip,
        dstIp: topology.server.ip,
        srcPort: ctx.port,
        dstPort: ctx.port,
        frameBytes: Math.max(64, ctx.msgSizeBytes + 42),
      },
    });
    const startupS = 3;
    return {
      processes: [
        {
          role: 'sink',
          place: 'server',
          driver: 'testpmd',
          kind: 'service',
          cpu: null,
          busyPoll: true,
          pollsOnCpu: ctx.cpu.client,
          argv: ['stdbuf', '-oL', ...sink],
          ready: TESTPMD_FORWARDING,
          restartOnEarlyExit: { attempts: 2, delayMs: 1500 },
        },
        {
          role: 'generator',
          place: 'client',
          driver: 'testpmd',
          kind: 'measure',
          cpu: null,
          busyPoll: true,
          pollsOnCpu: ctx.cpu.poller,
          argv: ['stdbuf', '-oL', ...generator],
          stopAfterS: ctx.durationS + startupS,
        },
      ],
    };
  },
  combine(generator, services) {
    const sink = services['sink'];
    const sent = generator.sentPackets;
    const received = sink?.receivedPackets ?? null;
    // The sink runs longer than the generator (started first, stopped last): every frame the
    // generator sent had its chance to arrive.
    const lossRatio = sent && received !== null ? Math.min(1, Math.max(0, 1 - received / sent)) : null;
    return { ...generator, receivedPackets: received, lossRatio };
  },
};
