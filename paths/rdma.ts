// RDMA verbs over Soft-RoCE: perftest server on rxe0 and client on rxe1 across a veth pair inside
// the project's QEMU VM (this machine's kernel has no RDMA). Everything measured there is
// emulated: it proves the path works and shows its shape, never real hardware speed.
import { z } from 'zod';
import { PERFTEST_TESTS } from '../drivers/perftest/index.js';
import { perftestCase } from '../soft-roce/plan.js';
import type { HostFacts } from '../core/host.js';
import { UnsupportedError } from '../core/errors.js';
import { assertIPv4, isPrivateTestAddress } from '../core/validate.js';
import { perftestDriver } from '../drivers/perftest/index.js';
import type { Availability } from '../drivers/types.js';
import type { NetnsRecipe, TrialContext, VmRecipe, VmTrialContext } from './types.js';

export const rdmaOptionsSchema = z.strictObject({
  /** The perftest program: *_lat measure latency (closed loop), *_bw bandwidth. */
  test: z.enum(PERFTEST_TESTS, { error: `must be one of ${PERFTEST_TESTS.join(', ')}` }).default('ib_write_lat'),
  /** Exchanges per trial (perftest -n); the suite's durationS does not apply to latency tests. */
  iterations: z.number().int().min(5).max(10_000_000).default(1000),
  /** Connect queue pairs through rdma_cm (-R). */
  rdmaCm: z.boolean().default(false),
  /** Attempts when a row prints inf (TSC calibration fails now and then under emulation). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
});
export type RdmaOptions = z.infer<typeof rdmaOptionsSchema>;

const isBandwidth = (o: RdmaOptions) => o.test.endsWith('_bw');

export const rdmaRxeRecipe: VmRecipe<RdmaOptions> = {
  path: 'rdma-rxe',
  family: 'bypass',
  runner: 'softroce-vm',
  drivers: ['perftest'],
  driver: perftestDriver.name,
  description: 'RDMA verbs (perftest) over Soft-RoCE rxe devices inside the project QEMU VM — emulated',
  optionsSchema: rdmaOptionsSchema,
  // Only bandwidth tests have perftest's rate limiter (--rate_limit, packets/s).
  acceptsOfferedRate: isBandwidth,
  // The VM route needs no RDMA on the host: the image is built from the host's perftest and
  // rdma-core binaries and Debian's kernel package, and runs under QEMU.
  detect(host: HostFacts): Availability {
    if (!host.binaries['ib_write_lat']?.path)
      return {
        status: 'unsupported',
        reason: 'perftest is not installed (the VM image is built from it)',
        fix: 'apt-get install perftest rdma-core ibverbs-providers',
      };
    if (!host.binaries['qemu-system-x86_64']?.path)
      return { status: 'unsupported', reason: 'qemu-system-x86_64 is not installed', fix: 'apt-get install qemu-system-x86' };
    return { status: 'available', version: host.packages['perftest'] ?? null, note: 'emulated (QEMU TCG): results say nothing about real hardware' };
  },
  vmCase(ctx: VmTrialContext, options: RdmaOptions) {
    return perftestCase(ctx.caseId, {
      test: options.test,
      msgSizeBytes: ctx.msgSizeBytes,
      iterations: options.iterations,
      rdmaCm: options.rdmaCm,
      maxAttempts: options.maxAttempts,
      // perftest's own JSON summary, cross-checked against its table by the parser.
      outJsonFile: 'perftest.json',
      ...(isBandwidth(options) ? { reportGbits: true } : {}),
      ...(isBandwidth(options) && ctx.offeredPps !== null ? { rateLimit: { limit: ctx.offeredPps, units: 'pps' as const, type: 'SW' as const } } : {}),
    });
  },
};

// Real RDMA hosts (RoCE or InfiniBand NICs, or rxe on a kernel that has it). Locally: perftest
// server on one device, client on another device of the same host (two ports cabled together, or
// two NICs on one switch). In lab mode: the server on the server host's bypassbench_rdma_dev, the
// client on the client host's, against the server's test address; -x from bypassbench_gid_index.
const deviceName = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'must be an RDMA device name such as mlx5_0' });
export const rdmaHostOptionsSchema = z.strictObject({
  test: z.enum(PERFTEST_TESTS, { error: `must be one of ${PERFTEST_TESTS.join(', ')}` }).default('ib_write_lat'),
  iterations: z.number().int().min(5).max(10_000_000).default(1000),
  /** RDMA device names, as ibv_devices lists them (mlx5_0, rxe0 …); lab mode takes them from the inventory. */
  serverDevice: deviceName.optional(),
  clientDevice: deviceName.optional(),
  /**
   * The server device's IPv4 address (the out-of-band exchange goes there): a lab test address,
   * so a private test range (RFC 1918 or the RFC 2544 benchmarking range 198.18.0.0/15). Lab
   * mode: the server host's bypassbench_test_ip.
   */
  serverAddress: z
    .string()
    .refine(isPrivateTestAddress, {
      error:
        'must be an IPv4 address in a private test range (10.x.x.x, 172.16–31.x.x, 192.168.x.x or 198.18–19.x.x): lab traffic never leaves for other networks',
    })
    .optional(),
  /** GID index (-x): 3 is the RoCE v2 IPv4 GID on many mlx5 setups; check show_gids. Lab mode: bypassbench_gid_index wins. */
  gidIndex: z.number().int().min(0).max(255).optional(),
  rdmaCm: z.boolean().default(false),
  /** TCP port of perftest's out-of-band exchange. */
  tcpPort: z.number().int().min(1024).max(65535).default(18515),
});
export type RdmaHostOptions = z.infer<typeof rdmaHostOptionsSchema>;

interface RdmaEnd {
  device: string;
  place: 'host' | 'client' | 'server';
  gidIndex: number | undefined;
}

/** Devices, GID indexes, server address and places: from the inventory in lab mode, else the options. */
export function rdmaEnds(ctx: Pick<TrialContext, 'topology'>, o: RdmaHostOptions): { server: RdmaEnd; client: RdmaEnd; serverAddress: string } {
  const { topology } = ctx;
  if (topology.kind === 'lab') {
    const server = topology.server.hw?.rdmaDev ?? o.serverDevice;
    const client = topology.client.hw?.rdmaDev ?? o.clientDevice;
    if (!server || !client) {
      const missing = !server ? topology.server.netns : topology.client.netns;
      throw new UnsupportedError(
        `host ${missing} has no bypassbench_rdma_dev in the inventory`,
        'set bypassbench_rdma_dev (and bypassbench_gid_index) for both hosts',
      );
    }
    return {
      server: { device: server, place: 'server', gidIndex: topology.server.hw?.gidIndex ?? o.gidIndex },
      client: { device: client, place: 'client', gidIndex: topology.client.hw?.gidIndex ?? o.gidIndex },
      serverAddress: topology.server.ip,
    };
  }
  if (!o.serverDevice || !o.clientDevice || !o.serverAddress) {
    throw new Error('path rdma on one host needs options serverDevice, clientDevice and serverAddress (in lab mode the inventory gives them)');
  }
  return {
    server: { device: o.serverDevice, place: 'host', gidIndex: o.gidIndex },
    client: { device: o.clientDevice, place: 'host', gidIndex: o.gidIndex },
    serverAddress: o.serverAddress,
  };
}

export const rdmaHostRecipe: NetnsRecipe<RdmaHostOptions> = {
  path: 'rdma',
  family: 'bypass',
  runner: 'netns',
  drivers: ['perftest'],
  description: 'RDMA verbs (perftest) between two RDMA devices: of this host, or of the two lab hosts (--inventory) — real hardware',
  optionsSchema: rdmaHostOptionsSchema,
  acceptsOfferedRate: (o) => o.test.endsWith('_bw'),
  plan(ctx: TrialContext, o: RdmaHostOptions) {
    const ends = rdmaEnds(ctx, o);
    const common = {
      test: o.test,
      msgSizeBytes: ctx.msgSizeBytes,
      iterations: o.iterations,
      rdmaCm: o.rdmaCm,
      tcpPort: o.tcpPort,
      ...(o.test.endsWith('_bw') ? { reportGbits: true } : {}),
      ...(o.test.endsWith('_bw') && ctx.offeredPps !== null ? { rateLimit: { limit: ctx.offeredPps, units: 'pps' as const, type: 'SW' as const } } : {}),
    };
    const gid = (g: number | undefined) => (g !== undefined ? { gidIndex: g } : {});
    return {
      processes: [
        {
          role: 'server',
          place: ends.server.place,
          driver: 'perftest',
          kind: 'service',
          cpu: ctx.cpu.server,
          argv: perftestDriver.buildCommand({ ...common, ...gid(ends.server.gidIndex), role: 'server', device: ends.server.device }),
          ready: o.rdmaCm ? { outputIncludes: 'Waiting for client' } : { tcpListenPort: o.tcpPort },
        },
        {
          role: 'client',
          place: ends.client.place,
          driver: 'perftest',
          kind: 'measure',
          cpu: ctx.cpu.client,
          argv: perftestDriver.buildCommand({
            ...common,
            ...gid(ends.client.gidIndex),
            role: 'client',
            device: ends.client.device,
            serverAddress: assertIPv4(ends.serverAddress, 'options.serverAddress'),
          }),
        },
      ],
    };
  },
};
