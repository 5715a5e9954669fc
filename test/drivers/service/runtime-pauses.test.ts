// The runtimes' own pause logs, parsed from real captures (test/fixtures/service/README.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJvmLog, parseNodeGcLog } from '../../../drivers/service/index.js';
import { fixturePath } from '../../helpers/fixtures.js';

const read = (name: string, ext: string) => readFileSync(fixturePath('service', name, ext), 'utf8');

describe('JVM unified log (G1, forced System.gc() every 300 ms)', () => {
  const text = read('jvm-g1-forced-gc', 'log');
  const p = parseJvmLog(text);
  it('finds every safepoint as a pause, on the monotonic clock', () => {
    expect(p.runtime).toBe('jvm');
    expect(p.pauses).toHaveLength((text.match(/\] Safepoint "/g) ?? []).length);
    expect(p.pauses.length).toBeGreaterThan(5);
    expect(p.pauses.some((x) => x.cause === 'G1CollectFull')).toBe(true);
    for (const x of p.pauses) {
      expect(x.durationNs).toBeGreaterThan(0);
      expect(x.startNs).toBeGreaterThan(p.startNs!);
    }
    expect(p.collections).toBe((text.match(/\]\[gc\s*\] GC\(\d+\) Pause/g) ?? []).length);
  });
  it('takes the JVM start from the first line (timenanos − uptimenanos)', () => {
    // "[11919721838172ns][20248475ns][info][gc] Using G1"
    expect(p.startNs).toBe(11919721838172 - 20248475);
  });
  it('a log without the nanosecond decorators is a clear error', () => {
    expect(() => parseJvmLog('[0.012s][info][gc] Using G1\n', 'x.log')).toThrow(/x\.log: no line starts with \[timenanos\]\[uptimenanos\].*-Xlog/);
  });
});

describe('Node.js gc entries (services/node/gc-observer.cjs, forced gc() every 300 ms)', () => {
  const text = read('node-gc-forced', 'jsonl');
  const p = parseNodeGcLog(text);
  it('places each collection on the monotonic clock from the origin line', () => {
    expect(p.runtime).toBe('node');
    expect(p.startNs).toBeGreaterThan(0);
    expect(p.pauses).toHaveLength(text.trim().split('\n').length - 1);
    expect(p.pauses.some((x) => x.cause === 'major (forced)')).toBe(true);
    for (const x of p.pauses) expect(x.startNs).toBeGreaterThanOrEqual(p.startNs!);
  });
  it('names the file and line of a bad entry', () => {
    expect(() => parseNodeGcLog('{"clock":"monotonic","originMonoNs":"5"}\n{"gc":"minor","startMs":1}\n', 'g.jsonl')).toThrow(
      /g\.jsonl line 2: expected .*durationMs/,
    );
    expect(() => parseNodeGcLog('nope\n', 'g.jsonl')).toThrow(/g\.jsonl line 1: not JSON/);
  });
});

describe('Node.js gc entries from the observer installed over the inspector (attribute --pid)', () => {
  // test/fixtures/service/README.md: a plainly started Node demo service, gc() forced every 300 ms.
  const text = read('node-gc-inspector', 'jsonl');
  const p = parseNodeGcLog(text);
  it('reads like the preload’s, and says where the entries came from', () => {
    expect(p.runtime).toBe('node');
    expect(p.source).toMatch(/installed over the inspector/);
    expect(p.pauses).toHaveLength(text.trim().split('\n').length - 1);
    expect(p.pauses.every((x) => x.cause === 'major (forced)')).toBe(true);
    // Forced every 300 ms: consecutive starts about that far apart (loaded machine: 250..1000 ms).
    const gapsMs = p.pauses.slice(1).map((x, i) => (x.startNs - p.pauses[i]!.startNs) / 1e6);
    expect(gapsMs.filter((g) => g >= 250 && g <= 1000).length).toBeGreaterThan(gapsMs.length * 0.9);
  });
});
