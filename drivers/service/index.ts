// The demo services (services/: Java under G1, Node.js) and any service a user runs: the process
// itself measures nothing (the client does); what this driver reads are the runtime's own pause
// logs, written next to the trial's raw outputs.
import type { HostFacts } from '../../core/host.js';
import type { Availability, Driver } from '../types.js';
import { parseJvmLog, parseNodeGcLog } from './runtime-pauses.js';

export * from './runtime-pauses.js';

/** Artifact kinds: the JVM's -Xlog file and the Node GC observer's JSON lines, both read as RuntimePauses. */
export const JVM_LOG = 'jvm-log';
export const NODE_GC_LOG = 'node-gc-log';
/** The same logs of a chain's downstream service (its pauses are charged inside the hop). */
export const JVM_LOG_DOWNSTREAM = 'jvm-log-downstream';
export const NODE_GC_LOG_DOWNSTREAM = 'node-gc-log-downstream';

function detect(host: HostFacts): Availability {
  const java = host.binaries['java'];
  const node = host.binaries['node'];
  if (!java?.path)
    return {
      status: 'unsupported',
      reason: 'java (OpenJDK 17) is not installed: the Java demo service cannot run',
      fix: 'apt-get install openjdk-17-jdk-headless (setup.sh installs it)',
    };
  return { status: 'available', version: java.version, note: node?.path ? `node ${node.version ?? ''}`.trim() : undefined };
}

export const serviceDriver: Driver<undefined> = {
  name: 'service',
  description: 'a real service under test (services/ demo services or a user command); its runtime pause logs',
  binaries: ['java', 'node'],
  detect,
  buildCommand: () => {
    throw new Error('the service driver does not build commands: paths/service.ts does');
  },
  parse: () => [],
  serviceOutput: 'none',
  artifactReaders: {
    [JVM_LOG]: async (file) => parseJvmLog(file.text(), file.path),
    [NODE_GC_LOG]: async (file) => parseNodeGcLog(file.text(), file.path),
    [JVM_LOG_DOWNSTREAM]: async (file) => parseJvmLog(file.text(), file.path),
    [NODE_GC_LOG_DOWNSTREAM]: async (file) => parseNodeGcLog(file.text(), file.path),
  },
};
