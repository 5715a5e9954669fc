// Closing a run's ledger: it goes, unless it still names a mount (a tracefs left mounted), which
// then stays for `bypassbench cleanup`; releaseMounts unmounts what it can first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseMounts } from '../../runners/close-run.js';
import { Ledger } from '../../runners/ledger.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bb-ledger-'));
  process.env.BYPASSBENCH_STATE_DIR = dir;
});
afterEach(() => {
  delete process.env.BYPASSBENCH_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('closing a ledger', () => {
  it('removes the ledger when nothing is left', () => {
    const ledger = new Ledger('close-empty', null);
    expect(existsSync(join(dir, 'close-empty.json'))).toBe(true);
    expect(ledger.close()).toEqual([]);
    expect(existsSync(join(dir, 'close-empty.json'))).toBe(false);
  });

  it('keeps it, naming the mount, when a mount could not be undone', async () => {
    const ledger = new Ledger('close-mount', null);
    // A mount point that is not mounted: umount fails, as on a busy tracefs.
    const point = join(dir, 'not-a-mount');
    ledger.update((d) => d.mounts.push(point));
    await releaseMounts(ledger);
    expect(ledger.mounts).toEqual([point]);
    expect(ledger.close()).toEqual([point]);
    expect(existsSync(join(dir, 'close-mount.json'))).toBe(true);
  });
});
