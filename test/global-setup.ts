// Every test run gets its own temporary folder, removed when the run ends, so run folders,
// captures and sshd configs that tests make under os.tmpdir() do not pile up in /tmp (a CI run
// made ~100 of them). Set BB_KEEP_TEST_TMP=1 to keep it for a post-mortem; its path is printed.
// The workers inherit TMPDIR: they are started after this runs. Kept short: ssh's ControlPath
// (a socket, ≤ 107 bytes) lives under it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bbt-'));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.BB_KEEP_TEST_TMP) console.log(`test temporary files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
