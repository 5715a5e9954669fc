// A running Node process's gc observer over its inspector (runners/node-gc-inspector.ts): what it
// refuses before signalling anything, where the inspector listens, and cleanup of a process that is
// gone (the real attach, forced collections and the closing are in test/paths/service-tcp.test.ts).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachNodeGc, inspectorAddress, NodePausesNotObserved, sweepNodeInspectors } from '../../runners/node-gc-inspector.js';

describe("a running Node process's gc observer over its inspector", () => {
  let dir: string;
  const saved = process.env.BYPASSBENCH_STATE_DIR;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bb-nodegc-'));
    process.env.BYPASSBENCH_STATE_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.BYPASSBENCH_STATE_DIR;
    else process.env.BYPASSBENCH_STATE_DIR = saved;
  });

  it('finds the inspector address from --inspect-port / --inspect / --inspect-brk (default 127.0.0.1:9229)', () => {
    expect(inspectorAddress(['node', 'app.js'])).toEqual({ host: '127.0.0.1', port: 9229 });
    expect(inspectorAddress(['node', '--inspect-port=0.0.0.0:9230', 'app.js'])).toEqual({ host: '0.0.0.0', port: 9230 });
    expect(inspectorAddress(['node', '--inspect=9231'])).toEqual({ host: '127.0.0.1', port: 9231 });
    expect(inspectorAddress(['node', '--inspect-brk=localhost:9232'])).toEqual({ host: 'localhost', port: 9232 });
  });

  it('never signals a process that is not node (SIGUSR1 would kill it), leaving no undo behind', async () => {
    // pid 1 is init, not node.
    const err: unknown = await attachNodeGc(1, 80, join(dir, 'g.jsonl'), true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodePausesNotObserved);
    expect((err as Error).message).toMatch(/--pid 1 runs .*, not node/);
    expect(existsSync(join(dir, 'node-gc-1.json'))).toBe(false);
  });

  it('cleanup forgets the undo of a process that no longer runs', async () => {
    const file = join(dir, 'node-gc-4000000.json');
    writeFileSync(
      file,
      JSON.stringify({ pid: 4000000, startTicks: 1, port: 9229, file: '/tmp/g.jsonl', undo: ['node', 'inspector-gc.mjs', 'remove', '9229', 'close'] }),
    );
    expect(await sweepNodeInspectors(true)).toEqual([]);
    expect(existsSync(file)).toBe(true);
    expect(await sweepNodeInspectors(false)).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});
