// RDMA verbs over Soft-RoCE: perftest server on rxe0 and client on rxe1 across a veth pair inside
// the project's QEMU VM (this machine's kernel has no RDMA). Everything measured there is
// emulated: it proves the path works and shows its shape, never real hardware speed.
import { z } from 'zod';
import { PERFTEST_TESTS } from '../drivers/perftest/index.js';
import { perftestCase } from '../soft-roce/plan.js';
import type { HostFacts } from '../core/host.js';
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

// Real RDMA hosts (RoCE or InfiniBand NICs, or rxe on a kernel that has it): perftest server on one
// device, client on another device of the same host (two ports cabled together, or two NICs on
// one switch), both in the host's own namespace where the devices live.
export const rdmaHostOptionsSchema = z.strictObject({
  test: z.enum(PERFTEST_TESTS, { error: `must be one of ${PERFTEST_TESTS.join(', ')}` }).default('ib_write_lat'),
  iterations: z.number().int().min(5).max(10_000_000).default(1000),
  /** RDMA device names, as ibv_devices lists them (mlx5_0, rxe0 …). */
  serverDevice: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'must be an RDMA device name such as mlx5_0' }),
  clientDevice: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'must be an RDMA device name such as mlx5_1' }),
  /**
   * The server device's IPv4 address (the out-of-band exchange goes there): a lab test address,
   * so a private test range (RFC 1918 or the RFC 2544 benchmarking range 198.18.0.0/15).
   */
  serverAddress: z.string().refine(isPrivateTestAddress, {
    error:
      'must be an IPv4 address in a private test range (10.x.x.x, 172.16–31.x.x, 192.168.x.x or 198.18–19.x.x): lab traffic never leaves for other networks',
  }),
  /** GID index (-x): 3 is the RoCE v2 IPv4 GID on many mlx5 setups; check show_gids. */
  gidIndex: z.number().int().min(0).max(255).optional(),
  rdmaCm: z.boolean().default(false),
  /** TCP port of perftest's out-of-band exchange. */
  tcpPort: z.number().int().min(1024).max(65535).default(18515),
});
export type RdmaHostOptions = z.infer<typeof rdmaHostOptionsSchema>;

export const rdmaHostRecipe: NetnsRecipe<RdmaHostOptions> = {
  path: 'rdma',
  family: 'bypass',
  runner: 'netns',
  drivers: ['perftest'],
  description: 'RDMA verbs (perftest) between two RDMA devices of this host — real hardware',
  optionsSchema: rdmaHostOptionsSchema,
  acceptsOfferedRate: (o) => o.test.endsWith('_bw'),
  plan(ctx: TrialContext, o: RdmaHostOptions) {
    const common = {
      test: o.test,
      msgSizeBytes: ctx.msgSizeBytes,
      iterations: o.iterations,
      rdmaCm: o.rdmaCm,
      tcpPort: o.tcpPort,
      ...(o.gidIndex !== undefined ? { gidIndex: o.gidIndex } : {}),
      ...(o.test.endsWith('_bw') ? { reportGbits: true } : {}),
      ...(o.test.endsWith('_bw') && ctx.offeredPps !== null ? { rateLimit: { limit: ctx.offeredPps, units: 'pps' as const, type: 'SW' as const } } : {}),
    };
    return {
      processes: [
        {
          role: 'server',
          place: 'host',
          driver: 'perftest',
          kind: 'service',
          cpu: ctx.cpu.server,
          argv: perftestDriver.buildCommand({ ...common, role: 'server', device: o.serverDevice }),
          ready: o.rdmaCm ? { outputIncludes: 'Waiting for client' } : { tcpListenPort: o.tcpPort },
        },
        {
          role: 'client',
          place: 'host',
          driver: 'perftest',
          kind: 'measure',
          cpu: ctx.cpu.client,
          argv: perftestDriver.buildCommand({
            ...common,
            role: 'client',
            device: o.clientDevice,
            serverAddress: assertIPv4(o.serverAddress, 'options.serverAddress'),
          }),
        },
      ],
    };
  },
};
