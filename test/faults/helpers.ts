// Fault injection helpers: fake tools on PATH, waiting for a condition, the machine's state as
// far as a run can change it, and a suite file written for one test.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function waitFor(check: () => boolean, timeoutMs: number, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A folder with a fake `sockperf` first on PATH: the server (and --version) are the real one, the
 * client does what FAKE_SOCKPERF says: hang (with a child holding stdout open), garbage (random
 * bytes and escape sequences), exit (code 7 with an error line).
 */
export function fakeSockperfPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-fake-'));
  const real = '/usr/bin/sockperf';
  writeFileSync(
    join(dir, 'sockperf'),
    `#!/bin/sh
case "$1" in server|--version) exec ${real} "$@";; esac
case "$FAKE_SOCKPERF" in
  hang) sleep 300 & wait ;;
  garbage) head -c 905 /dev/urandom; printf '\\033[2J\\033[31mboom\\033[0m\\007\\n'; head -c 905 /dev/urandom >&2; exit 1 ;;
  exit) echo "sockperf: ERROR: fake failure" >&2; exit 7 ;;
  *) exec ${real} "$@" ;;
esac
`,
  );
  chmodSync(join(dir, 'sockperf'), 0o755);
  return `${dir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
}

/** A suite file of its own for one test. */
export function suiteFile(name: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-suite-'));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

export function outDir(tag: string): string {
  return join(mkdtempSync(join(tmpdir(), `bb-${tag}-`)), 'run');
}

export const hugepagesNow = (): number => Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));

/** hugetlbfs folders (mounted or not) a run with this orchestrator pid made. */
export function hugetlbfsFoldersOf(pid: number): string[] {
  const root = '/run/bypassbench';
  return existsSync(root) ? readdirSync(root).filter((n) => n.startsWith(`hugetlbfs-${pid}-`)) : [];
}

export function dpdkFoldersOf(shortId: string): string[] {
  return existsSync('/var/run/dpdk') ? readdirSync('/var/run/dpdk').filter((n) => n.startsWith(`bb${shortId}`)) : [];
}

export function trialLines(out: string): string[] {
  const file = join(out, 'trials.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Pids of processes in group `pgid` that are still running (zombies waiting for init do not count). */
export function liveGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "123 (sleep) S 1 123 …": after the command name come state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Other runs on this machine (their ledgers in /run/bypassbench): the hugepage pool is global,
 * so a before/after comparison of it only means something when no other run is changing it.
 */
export function otherRunsActive(): boolean {
  const root = '/run/bypassbench';
  return existsSync(root) && readdirSync(root).some((n) => /^[0-9a-f]{6}\.json$/.test(n));
}
