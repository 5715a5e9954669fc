// bpftrace as a side process of a trial: it traces the scheduler (sched_wakeup → sched_switch) for
// the probe's threads while the probe runs, so attribution can measure waiting to run instead of
// inferring it (wakeup.ts: the script, its output, the join to the probe's records).
import type { HostFacts } from '../../core/host.js';
import type { Availability, Driver } from '../types.js';
import { buildWakeupCommand, parseWakeupEvents } from './wakeup.js';
import { parseServiceTrace } from './service.js';

export * from './wakeup.js';
export * from './service.js';

/** Artifact kind of the service tracer's stdout, read as ServiceTrace. */
export const BPFTRACE_SERVICE_TRACE = 'bpftrace-service-trace';

/** Artifact kind of the tracer's stdout (its event lines), read as WakeupEvent[]. */
export const BPFTRACE_WAKEUPS = 'bpftrace-wakeups';

function detect(host: HostFacts): Availability {
  const bin = host.binaries['bpftrace'];
  if (!bin?.path) return { status: 'unsupported', reason: 'bpftrace is not installed', fix: 'apt-get install bpftrace (setup.sh installs it)' };
  return { status: 'available', version: bin.version, note: 'sched tracepoints; tracefs is mounted for the trial if it is not, and unmounted after' };
}

export const bpftraceDriver: Driver<{ mapEntries?: number } | undefined> = {
  name: 'bpftrace',
  description: 'bpftrace: scheduler tracepoints (wake-up → switch-in) of the probe threads, for measured wake-up time',
  binaries: ['bpftrace'],
  detect,
  buildCommand: (params) => buildWakeupCommand(params?.mapEntries),
  // Its output is events, not a measurement: read as an artifact.
  parse: () => [],
  serviceOutput: 'none',
  artifactReaders: {
    [BPFTRACE_WAKEUPS]: async (file) => parseWakeupEvents(file.text(), file.path),
    [BPFTRACE_SERVICE_TRACE]: async (file) => parseServiceTrace(file.text(), file.path),
  },
};
