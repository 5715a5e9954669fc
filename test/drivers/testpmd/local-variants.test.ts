// testpmd's interactive forms, captured on this machine (test/fixtures/testpmd/<name>.json records
// the command and the piped commands). Numbers read off the capture by hand.
import { describe, expect, test } from 'vitest';
import { testpmdDriver, type TestpmdNative } from '../../../drivers/testpmd/index.js';
import { loadFixture } from '../../helpers/fixtures.js';

describe('testpmd: interactive show port stats / xstats / fwd stats on net_null', () => {
  const f = loadFixture('testpmd', 'null-interactive-show-stats');
  const records = testpmdDriver.parse({ stdout: f.stdout, stderr: f.stderr, exitCode: f.exitCode });

  test('one run: two snapshots (the first has no baseline, so its pps is 0), xstats, and the stop totals', () => {
    expect(records).toHaveLength(1);
    const m = records[0]!;
    const native = m.native as unknown as TestpmdNative & { outputForm: string };
    expect(m.status).toBe('ok');
    expect(native.rxPpsPerBlock).toEqual([0, 9277662 + 9277639]);
    expect(m.achievedPps).toBe(9277662 + 9277639);
    expect(native.extendedStats.map((x) => x.values['rx_good_packets'])).toEqual([9198848, 9127264]);
    expect(native.outputForm).toMatch(/show port stats \(2 block\(s\)\).*show port xstats/);
  });

  test('"show fwd stats all" then stop: the stop totals win, even though a prompt echo split a line of the first print', () => {
    const m = records[0]!;
    const final = (m.native as unknown as TestpmdNative).final!;
    expect(final.ports.map((p) => p.rxPackets)).toEqual([8905728, 8905728]);
    expect(final.accumulated!.rxPackets).toBe(17811456);
    expect(m.receivedPackets).toBe(17811456);
    expect(m.lossRatio).toBe(0);
    // net_null counts no bytes: no throughput rather than 0 Gb/s.
    expect(m.throughputGbps).toBeNull();
  });
});
