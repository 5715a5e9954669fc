// `doctor`'s section for attributing a real service (issue 15): the tracer, tracefs, the
// tracepoints drivers/bpftrace/service.bt attaches to, and the demo services' runtimes, each with a fix.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostFacts } from '../core/host.js';
import { projectRoot } from '../core/project.js';

/** The tracepoints the service tracer attaches to (category/name under tracefs' events/). */
export const SERVICE_TRACEPOINTS = [
  'net/netif_receive_skb',
  'net/net_dev_xmit',
  'syscalls/sys_enter_recvfrom',
  'syscalls/sys_exit_recvfrom',
  'syscalls/sys_enter_recvmsg',
  'syscalls/sys_exit_recvmsg',
  'syscalls/sys_enter_sendto',
  'syscalls/sys_enter_sendmsg',
  'syscalls/sys_enter_epoll_wait',
  'syscalls/sys_enter_epoll_pwait',
  'sched/sched_wakeup',
  'sched/sched_switch',
] as const;

export interface ServiceCheck {
  item: string;
  ok: boolean;
  detail: string;
  fix: string | null;
}

export function checkServiceAttribution(host: HostFacts, tracingDir = '/sys/kernel/tracing'): ServiceCheck[] {
  const checks: ServiceCheck[] = [];
  const bpftrace = host.binaries['bpftrace'];
  checks.push({
    item: 'bpftrace',
    ok: Boolean(bpftrace?.path),
    detail: bpftrace?.path ? (bpftrace.version ?? 'version unknown') : 'not installed',
    fix: bpftrace?.path ? null : 'apt-get install bpftrace (setup.sh installs it)',
  });
  const mounted = existsSync(join(tracingDir, 'events'));
  checks.push({
    item: 'tracefs',
    ok: true,
    detail: mounted ? `mounted at ${tracingDir}` : 'not mounted; a traced trial mounts it and unmounts it after (recorded in the run ledger)',
    fix: null,
  });
  if (mounted) {
    const missing = SERVICE_TRACEPOINTS.filter((tp) => !existsSync(join(tracingDir, 'events', tp)));
    checks.push({
      item: 'tracepoints',
      ok: missing.length === 0,
      detail: missing.length === 0 ? `all ${SERVICE_TRACEPOINTS.length} present` : `missing: ${missing.join(', ')}`,
      fix: missing.length === 0 ? null : 'a kernel with CONFIG_FTRACE_SYSCALLS and the net/sched tracepoints (no kprobes needed)',
    });
  } else {
    checks.push({
      item: 'tracepoints',
      ok: true,
      detail: `not checked (tracefs not mounted): ${SERVICE_TRACEPOINTS.length} needed`,
      fix: 'mount -t tracefs nodev /sys/kernel/tracing to check now',
    });
  }
  const java = host.binaries['java'];
  const built = existsSync(join(projectRoot(), 'services', 'build', 'java', 'JsonUdpService.class'));
  checks.push({
    item: 'java (demo service)',
    ok: Boolean(java?.path) && built,
    detail: !java?.path
      ? 'not installed'
      : built
        ? `${java.version ?? 'version unknown'}, services/build/java built`
        : 'installed, but the demo service is not built',
    fix: !java?.path
      ? 'apt-get install openjdk-17-jdk-headless (setup.sh installs it)'
      : built
        ? null
        : 'run ./setup.sh (javac -d services/build/java services/java/*.java)',
  });
  checks.push({ item: 'node (demo service)', ok: true, detail: `${process.version} (the project's own Node runs it)`, fix: null });
  return checks;
}
