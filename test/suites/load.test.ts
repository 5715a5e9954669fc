import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { loadSuite, parseSuite } from '../../suites/load.js';

const good = `
name: t
sizes: [64]
rates: [1000]
durationS: 2
paths:
  - path: kernel-udp
`;

function errorOf(text: string): string {
  try {
    parseSuite('suites/x.yaml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('suite loading', () => {
  it('accepts a minimal suite and fills defaults', () => {
    const { suite, pathOptions } = parseSuite('suites/x.yaml', good);
    expect(suite.repetitions).toBe(3);
    expect(suite.topology).toEqual({ kind: 'netns', subnet: '10.77.0', mtu: 1500 });
    expect(pathOptions[0]).toMatchObject({ mode: 'ping-pong', fullLog: false });
  });

  it('loads every shipped suite', () => {
    const files = readdirSync('suites').filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('quick.yaml');
    for (const f of files) expect(() => loadSuite(`suites/${f}`), f).not.toThrow();
  });

  it('names file, field, value and what is allowed for a bad rate', () => {
    const msg = errorOf(good.replace('rates: [1000]', 'rates: [1000, 2000, -5]'));
    expect(msg).toContain('suites/x.yaml: rates');
    expect(msg).toContain('-5');
  });

  it('rejects an unknown path with the list of known ones', () => {
    const msg = errorOf(good.replace('kernel-udp', 'kernel-sctp'));
    expect(msg).toMatch(/paths\[0\]\.path must be one of kernel-udp, kernel-tcp/);
    expect(msg).toContain('"kernel-sctp"');
  });

  it('rejects unknown fields by name', () => {
    expect(errorOf(`${good}durationSec: 5\n`)).toContain('suites/x.yaml: durationSec is not a known field');
  });

  it('validates per-path options against the recipe', () => {
    const msg = errorOf(good.replace('- path: kernel-udp', '- path: kernel-udp\n    options: { mode: burst }'));
    expect(msg).toContain('paths[0].options.mode');
    expect(msg).toContain('"burst"');
    expect(msg).toContain('ping-pong');
  });

  it('takes a fractional grid duration for sockperf paths (it runs the whole seconds that count it), not a fractional search trial', () => {
    expect(() => parseSuite('suites/x.yaml', good.replace('durationS: 2', 'durationS: 3.55'))).not.toThrow();
    const search = good.replace('durationS: 2', 'durationS: 2\nsearch: { trialDurationS: 2.5 }');
    expect(errorOf(search)).toContain('search.trialDurationS must be whole seconds for path kernel-udp');
  });

  it('rejects a sweep that runs backwards', () => {
    expect(errorOf(good.replace('rates: [1000]', 'rates: { from: 5000, to: 100, points: 3 }'))).toContain('rates.from must be below rates.to');
  });

  it('rejects a public subnet', () => {
    expect(errorOf(`${good}topology: { subnet: 8.8.8 }\n`)).toContain('topology.subnet must be the first three octets of a private /24');
  });

  it('rejects a too small message size', () => {
    expect(errorOf(good.replace('sizes: [64]', 'sizes: [8]'))).toMatch(/sizes\[0\] must be ≥ 16 bytes.*got 8/);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(errorOf('name: [unclosed\n')).toMatch(/^suites\/x\.yaml: YAML:/);
  });

  it('requires rates unless the suite is closed loop only', () => {
    expect(errorOf(good.replace('rates: [1000]\n', ''))).toContain('rates is required unless closedLoop is true');
  });

  it('rejects duplicate labels', () => {
    expect(errorOf(`${good}  - path: kernel-udp\n`)).toContain('used twice');
  });

  it('says when the file cannot be read', () => {
    expect(() => loadSuite('suites/does-not-exist.yaml')).toThrow(/suites\/does-not-exist\.yaml: cannot read the suite file \(ENOENT\)/);
  });
});
