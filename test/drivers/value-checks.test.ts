// Impossible values in a parsed result fail it, with the fields named and the tool's line quoted:
// on a real sockperf capture whose numbers are turned into what a broken build prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDriver } from '../../drivers/registry.js';
import { impossibleValues, offendingLine } from '../../drivers/value-checks.js';
import { fixturesDir } from '../helpers/fixtures.js';

const capture = readFileSync(join(fixturesDir, 'sockperf', 'udp-pingpong-fulllog-fullrtt.stdout'), 'utf8');

describe('impossible values', () => {
  it('keeps a real capture as it is', () => {
    const [m] = getDriver('sockperf').parse({ stdout: capture, stderr: '', exitCode: 0 });
    expect(m!.status).toBe('ok');
    expect(impossibleValues(m!)).toEqual([]);
  });

  it('fails a result with NaN latencies, naming the fields and quoting the line', () => {
    // What a build with a broken clock prints: every percentile "nan".
    const broken = capture.replace(/(percentile \d+\.\d+ =\s*)[\d.]+/g, '$1nan');
    expect(broken).not.toBe(capture);
    const [m] = getDriver('sockperf').parse({ stdout: broken, stderr: '', exitCode: 0 });
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/sockperf printed impossible values \((latencyUs\.p50 = NaN|a value printed as nan)/);
    expect(m!.error).toMatch(/percentile [\d.]+ =\s+nan"/);
  });

  it('finds negative counts and infinities in the tool output', () => {
    expect(offendingLine({ stdout: 'RX-packets: 10\nTX-packets: -5\n', stderr: '', exitCode: 0 })).toBe('TX-packets: -5');
    expect(offendingLine({ stdout: 'BW average = inf\n', stderr: '', exitCode: 0 })).toBe('BW average = inf');
    expect(offendingLine({ stdout: 'port 0-1 up\n', stderr: '', exitCode: 0 })).toBeNull();
  });
});
