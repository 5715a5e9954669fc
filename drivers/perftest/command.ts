// perftest's argv (ib_{write,send,read}_{lat,bw}), after checking the combinations perftest
// would refuse or silently ignore.
import { UserError } from '../../core/errors.js';

export const PERFTEST_TESTS = ['ib_write_lat', 'ib_send_lat', 'ib_read_lat', 'ib_write_bw', 'ib_send_bw', 'ib_read_bw'] as const;
export type PerftestTest = (typeof PERFTEST_TESTS)[number];

/** perftest's own limits: at least 5 iterations, messages up to 2^23 bytes. */
export const PERFTEST_MIN_ITERATIONS = 5;
export const PERFTEST_MAX_MSG_BYTES = 8_388_608;

export type PerftestRateUnits = 'Gbps' | 'MiBps' | 'pps';
const RATE_UNIT_FLAG: Record<PerftestRateUnits, string> = { Gbps: 'g', MiBps: 'M', pps: 'p' };

export interface PerftestRateLimit {
  /** In `units`; with pps this is the offered message rate, so RDMA can join an offered-rate grid. */
  limit: number;
  units: PerftestRateUnits;
  /** SW paces in perftest itself and works on rxe; HW and PP need NIC support. */
  type: 'SW' | 'HW' | 'PP';
}

export interface PerftestParams {
  test: PerftestTest;
  role: 'server' | 'client';
  /** Client only: the server's address for the out-of-band TCP (or rdma_cm) exchange. */
  serverAddress?: string;
  /** -d: RDMA device (rxe0, mlx5_0 …); default: the first one found. */
  device?: string;
  /** -x: GID index. On RoCE, index 1 of an rxe device is the IPv4-mapped RoCE v2 GID. */
  gidIndex?: number;
  /** -i: port of the RDMA device (default 1). */
  ibPort?: number;
  /** -p: TCP port of the out-of-band exchange (default 18515). */
  tcpPort?: number;
  /** -R: connect the queue pairs through rdma_cm. */
  rdmaCm?: boolean;
  /** -c: RC (default), UC, UD (send tests only), XRC, DC. */
  connection?: 'RC' | 'UC' | 'UD' | 'XRC' | 'DC';
  /** -s: one message size. */
  msgSizeBytes?: number;
  /** -a: every size from 2 B to 8 MiB; very slow under emulation. */
  allSizes?: boolean;
  /** -n: exchanges per size (iteration mode). */
  iterations?: number;
  /** -D: run for this many seconds instead (duration mode prints only an average). */
  durationS?: number;
  /** -m: path MTU in bytes (256..4096). */
  mtuBytes?: number;
  /** --report_gbits: bandwidth tests report Gb/s instead of MiB/s. */
  reportGbits?: boolean;
  /** -C: latency tests report CPU cycles instead of µs (the header still says usec). */
  reportCycles?: boolean;
  /** --rate_limit/--rate_units/--rate_limit_type: bandwidth tests only. */
  rateLimit?: PerftestRateLimit;
  /** --out_json --out_json_file=FILE: perftest's own summary of the last row (truncated on each report). */
  outJsonFile?: string;
}

type TestKind = 'lat' | 'bw';

function kindOf(test: PerftestTest): TestKind {
  return test.endsWith('_lat') ? 'lat' : 'bw';
}

function positiveInt(name: string, value: number | undefined, min = 1): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`perftest: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Checks the combinations perftest would refuse or silently ignore; names the field at fault. */
export function validatePerftestParams(params: PerftestParams): void {
  if (!(PERFTEST_TESTS as readonly string[]).includes(params.test)) {
    throw new UserError(`perftest: test must be one of ${PERFTEST_TESTS.join(', ')}, got ${JSON.stringify(params.test)}`);
  }
  const kind = kindOf(params.test);
  if (params.role === 'client' && !params.serverAddress) {
    throw new UserError('perftest: serverAddress is required for role client');
  }
  if (params.role === 'server' && params.serverAddress) {
    throw new UserError('perftest: serverAddress is only for role client');
  }
  if (params.allSizes && params.msgSizeBytes !== undefined) {
    throw new UserError('perftest: allSizes (-a) and msgSizeBytes (-s) are exclusive');
  }
  if (params.iterations !== undefined && params.durationS !== undefined) {
    throw new UserError('perftest: iterations (-n) and durationS (-D) are exclusive');
  }
  if (params.allSizes && params.durationS !== undefined) {
    throw new UserError('perftest: allSizes (-a) does not work with durationS (-D)');
  }
  positiveInt('msgSizeBytes', params.msgSizeBytes);
  if (params.msgSizeBytes !== undefined && params.msgSizeBytes > PERFTEST_MAX_MSG_BYTES) {
    throw new UserError(`perftest: msgSizeBytes must be <= ${PERFTEST_MAX_MSG_BYTES}, got ${params.msgSizeBytes}`);
  }
  positiveInt('iterations', params.iterations, PERFTEST_MIN_ITERATIONS);
  positiveInt('durationS', params.durationS);
  positiveInt('ibPort', params.ibPort);
  positiveInt('tcpPort', params.tcpPort);
  positiveInt('gidIndex', params.gidIndex, 0);
  if (params.mtuBytes !== undefined && ![256, 512, 1024, 2048, 4096].includes(params.mtuBytes)) {
    throw new UserError(`perftest: mtuBytes must be 256, 512, 1024, 2048 or 4096, got ${params.mtuBytes}`);
  }
  if (params.reportGbits && kind !== 'bw') {
    throw new UserError(`perftest: reportGbits is for bandwidth tests, not ${params.test}`);
  }
  if (params.reportCycles && kind !== 'lat') {
    throw new UserError(`perftest: reportCycles (-C) is for latency tests, not ${params.test}`);
  }
  if (params.rateLimit) {
    if (kind !== 'bw') {
      throw new UserError(`perftest: rateLimit is only supported by bandwidth tests (ib_*_bw), not ${params.test}`);
    }
    if (!(params.rateLimit.limit > 0)) {
      throw new UserError(`perftest: rateLimit.limit must be > 0, got ${params.rateLimit.limit}`);
    }
    if (params.rateLimit.units === 'pps' && params.rateLimit.type === 'HW') {
      throw new UserError('perftest: rateLimit.units pps is not supported with a HW rate limit');
    }
  }
  if (params.connection === 'UD' && params.test !== 'ib_send_lat' && params.test !== 'ib_send_bw') {
    throw new UserError(`perftest: connection UD is only for send tests, not ${params.test}`);
  }
  for (const [name, value] of [
    ['device', params.device],
    ['serverAddress', params.serverAddress],
    ['outJsonFile', params.outJsonFile],
  ] as const) {
    // "rxe0", "10.231.0.1", "perftest.json": no blanks, no NUL, not a flag
    if (value !== undefined && (value === '' || value.startsWith('-') || /[\s\0]/.test(value))) {
      throw new UserError(`perftest: ${name} must be a plain word without spaces, got ${JSON.stringify(value)}`);
    }
  }
}

export function buildPerftestCommand(params: PerftestParams): string[] {
  validatePerftestParams(params);
  const argv: string[] = [params.test];
  if (params.device !== undefined) argv.push('-d', params.device);
  if (params.ibPort !== undefined) argv.push('-i', String(params.ibPort));
  if (params.gidIndex !== undefined) argv.push('-x', String(params.gidIndex));
  if (params.tcpPort !== undefined) argv.push('-p', String(params.tcpPort));
  if (params.rdmaCm) argv.push('-R');
  if (params.connection !== undefined) argv.push('-c', params.connection);
  if (params.mtuBytes !== undefined) argv.push('-m', String(params.mtuBytes));
  if (params.allSizes) argv.push('-a');
  if (params.msgSizeBytes !== undefined) argv.push('-s', String(params.msgSizeBytes));
  if (params.iterations !== undefined) argv.push('-n', String(params.iterations));
  if (params.durationS !== undefined) argv.push('-D', String(params.durationS));
  if (params.reportGbits) argv.push('--report_gbits');
  if (params.reportCycles) argv.push('-C');
  if (params.rateLimit) {
    argv.push(`--rate_limit=${params.rateLimit.limit}`, `--rate_units=${RATE_UNIT_FLAG[params.rateLimit.units]}`, `--rate_limit_type=${params.rateLimit.type}`);
  }
  if (params.outJsonFile !== undefined) argv.push('--out_json', `--out_json_file=${params.outJsonFile}`);
  if (params.role === 'client') argv.push(params.serverAddress!);
  return argv;
}
