// The attribution probe asked for hardware timestamps on this machine's veths (real run): both
// sides fall back to software stamps, the record says so and why, and the attribution still runs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../core/run-folder.js';
import { leftovers, shortIdOf, startCli } from '../helpers/system.js';

describe('attribution with hwTimestamps on veth (real)', () => {
  it('falls back to software stamps, and the record says why', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bb-hwts-')), 'run');
    const r = await startCli(['run', 'test/fixtures/suites/attribution-hwts.yaml', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    const [t] = loadRun(out).trials;
    expect(t!.status, t!.error ?? '').toBe('ok');
    const src = t!.native['timestampSource'] as Record<'client' | 'server', { source: string; reason: string }>;
    expect(src.client.source).toBe('software');
    expect(src.client.reason).toMatch(/^the NIC on bb\w+ gave no hardware stamps: NIC reports no hardware TX\/RX timestamping for all packets$/);
    // The server's side is in its own summary (raw/), which the record does not carry yet.
    expect(src.server.source).toBe('unknown');
    const serverOut = readFileSync(join(out, 'raw', 't0001-server.stdout'), 'utf8');
    expect(serverOut).toMatch(
      /"hardware":\{"requested":true,"iface":"bb\w+s0",.*"status":"unsupported","reason":"NIC reports no hardware TX\/RX timestamping for all packets"\}/,
    );
    expect(t!.native['attribution']).toBeTruthy();
    expect(await leftovers(shortIdOf(out), out)).toEqual([]);
  }, 180_000);
});
