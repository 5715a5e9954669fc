// The explicit list of drivers. An unknown name lists the known ones.
import { UserError } from '../core/errors.js';
import type { Driver } from './types.js';
import { sockperfDriver } from './sockperf/index.js';
import { perftestDriver } from './perftest/index.js';
import { afxdpDriver } from './afxdp/index.js';
import { tsprobeDriver } from './tsprobe/index.js';
import { testpmdDriver } from './testpmd/index.js';
import { bpftraceDriver } from './bpftrace/index.js';
import { serviceDriver } from './service/index.js';
import { withValueChecks } from './value-checks.js';

// Each driver has its own parameter type; the registry only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriver = Driver<any>;

/** Every driver's parse() results are checked for impossible values (NaN, Infinity, negatives). */
export const DRIVERS: readonly AnyDriver[] = [sockperfDriver, afxdpDriver, testpmdDriver, tsprobeDriver, perftestDriver, bpftraceDriver, serviceDriver].map(
  (d: AnyDriver) => withValueChecks(d),
);

export function getDriver(name: string): AnyDriver {
  const driver = DRIVERS.find((d) => d.name === name);
  if (!driver) {
    throw new UserError(`unknown driver ${JSON.stringify(name)}; known drivers: ${DRIVERS.map((d) => d.name).join(', ')}`);
  }
  return driver;
}
