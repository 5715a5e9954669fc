// Running the built CLI the way a user does, and checking what a run may have left on the machine.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const root = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(root, 'dist', 'cli', 'main.js');

export function startCli(args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false; stdin: 'ignore' }> {
  return execa('node', [cliPath, ...args], { reject: false, env: { ...env, CI: 'true' }, cwd: root, stdin: 'ignore' });
}

/** Namespaces, veths and live processes that belong to the run with this short id. */
export async function leftovers(shortId: string, runDir: string | null): Promise<string[]> {
  const found: string[] = [];
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  found.push(...namespaces.filter((n) => n.includes(shortId)).map((n) => `namespace ${n}`));
  const links = await execa('ip', ['-o', 'link', 'show', 'type', 'veth'], { reject: false });
  found.push(
    ...links.stdout
      .split('\n')
      .filter((l) => l.includes(`bb${shortId}`))
      .map((l) => `veth ${l.split(':')[1]?.trim()}`),
  );
  // Any process whose command line names the run (namespaces, interfaces, DPDK prefixes carry its id).
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(`bb${shortId}`) || cmdline.includes(`bypassbench-${shortId}`)) found.push(`process ${pid} ${cmdline.trim()}`);
  }
  if (runDir && existsSync(join(runDir, 'raw'))) {
    for (const f of readdirSync(join(runDir, 'raw')).filter((n) => n.endsWith('.json'))) {
      const { pid } = JSON.parse(readFileSync(join(runDir, 'raw', f), 'utf8')) as { pid?: number };
      if (pid && existsSync(`/proc/${pid}`)) {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        if (['sockperf', 'dpdk-testpmd', 'bb-afxdp', 'bb-tsprobe', 'taskset', 'ip'].includes(comm)) found.push(`process ${pid} ${comm}`);
      }
    }
  }
  return found;
}

/** The short id is the last part of the run folder name: <time>-<suite>-<id>. */
export function shortIdOf(runDir: string): string {
  return runDir.split('-').at(-1)!;
}
