// A running JVM's logging switched on for `attribute --pid` (runners/jvm-log.ts): the undo is in
// the state folder before the JVM is touched, a refused attach leaves nothing behind, and cleanup
// forgets the undo of a JVM that is gone (the real switch on/off is in test/paths/service-tcp.test.ts).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepJvmLogs, switchOnJvmLog } from '../../runners/jvm-log.js';

describe('JVM logging switched on at runtime', () => {
  let dir: string;
  const saved = process.env.BYPASSBENCH_STATE_DIR;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bb-jvmlog-'));
    process.env.BYPASSBENCH_STATE_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.BYPASSBENCH_STATE_DIR;
    else process.env.BYPASSBENCH_STATE_DIR = saved;
  });

  it('never attaches to a process that is not a JVM (the SIGQUIT of jcmd would kill it), leaving no undo behind', async () => {
    await expect(switchOnJvmLog(process.pid, join(dir, 'x.log'))).rejects.toThrow(/--pid \d+: not a JVM \(runs node\); jcmd would kill it/);
    expect(existsSync(join(dir, `jvm-log-${process.pid}.json`))).toBe(false);
  });

  it('refuses a log file name jcmd would split', async () => {
    await expect(switchOnJvmLog(process.pid, '/tmp/a b.log')).rejects.toThrow(/must not contain spaces or commas/);
  });

  it('cleanup forgets the undo of a JVM that no longer runs', async () => {
    const file = join(dir, 'jvm-log-4000000.json');
    writeFileSync(
      file,
      JSON.stringify({ pid: 4000000, startTicks: 1, file: '/tmp/x.log', undo: ['jcmd', '4000000', 'VM.log', 'output=file=/tmp/x.log', 'what=all=off'] }),
    );
    expect(await sweepJvmLogs(true)).toEqual([]);
    expect(existsSync(file)).toBe(true);
    expect(await sweepJvmLogs(false)).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});
