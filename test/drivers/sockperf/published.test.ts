// sockperf against captures others published (test/fixtures/sockperf/published/): every capture
// parses to the numbers a person read off it (the `expected` block of its .source.md), one record
// per run in order; then a focused test per defect those captures exposed.
import { describe, expect, test } from 'vitest';
import { sockperfDriver } from '../../../drivers/sockperf/index.js';
import type { Measurement } from '../../../core/trial.js';
import { handNumber, loadPublished, notReadable, publishedNames } from '../../helpers/published.js';

const TOOL = 'sockperf';
const parse = (text: string) => sockperfDriver.parse({ stdout: text, stderr: '', exitCode: 0 });
const nat = (m: Measurement) => m.native as Record<string, unknown> & { totalRun: Record<string, number> | null; validDuration: Record<string, number> | null };

// Hand-read keys and where the record keeps them (in sockperf's own semantics).
const PERCENTILE_KEY = /^p(\d+(?:\.\d+)?)$/;
const NATIVE_KEYS: Record<string, string> = {
  'std-dev': 'stdDevUs',
  dropped: 'droppedMessages',
  duplicated: 'duplicatedMessages',
  'out-of-order': 'outOfOrderMessages',
  summary_latency: 'summaryUs',
  summary_round_trip: 'summaryUs',
  observations: 'observations',
  max: 'maxUs',
  min: 'minUs',
  messages_sent: 'messagesSent',
  duration: 'runTimeS',
  message_rate: 'messageRatePerS',
  packet_rate: 'packetRatePps',
  ip_frags_per_msg: 'ipFragsPerMsg',
  bandwidth_MBps: 'bandwidthMBps',
  bandwidth_Mbps: 'bandwidthMbps',
};
const DISPERSION_KEYS: Record<string, string> = { 'mean-ad': 'meanAdUs', 'median-ad': 'medianAdUs', siqr: 'siqrUs', cv: 'cv', 'std-error': 'stdErrorUs' };
/** Keys that describe the capture rather than a printed figure (labels, command-line options, row counts of another file). */
const NOT_FIGURES = new Set(['tool', 'label', 'parameters', 'full_log_rows', 'mps', 'reply_every', 'pps', 'sent/received', 'mode', 'runs']);

/** Every hand-read figure of one run compared with its record; returns the mismatches. */
function compareRun(expected: Record<string, unknown>, m: Measurement, where: string): string[] {
  const bad: string[] = [];
  const native = nat(m);
  const same = (key: string, want: unknown, got: unknown) => {
    const n = handNumber(want);
    const value = n === undefined ? want : n;
    if (value !== got) bad.push(`${where} ${key}: read ${JSON.stringify(want)}, parsed ${JSON.stringify(got)}`);
  };
  for (const [key, want] of Object.entries(expected)) {
    if (NOT_FIGURES.has(key)) continue;
    const p = PERCENTILE_KEY.exec(key);
    if (p) {
      same(key, notReadable(want) ? undefined : want, (native['percentilesUs'] as Record<string, number>)[Number(p[1]).toFixed(3)]);
    } else if (key === 'total_run' || key === 'valid_duration') {
      const block = key === 'total_run' ? native.totalRun : native.validDuration;
      const w = want as Record<string, unknown>;
      same(`${key}.RunTime`, w['RunTime'], block?.['runTimeS']);
      same(`${key}.SentMessages`, w['SentMessages'], block?.['sentMessages']);
      same(`${key}.ReceivedMessages`, w['ReceivedMessages'], block?.['receivedMessages']);
      if ('warmup' in w) same(`${key}.warmup`, w['warmup'], block?.['warmupMs']);
    } else if (key === 'avg') {
      // "avg" is the mean in the tool's semantics: the avg-* line, or the Summary line when only that survived.
      const mean = native['avgUs'] ?? (native['burstSize'] === null ? native['summaryUs'] : null);
      same(key, want, mean);
    } else if (key in DISPERSION_KEYS) {
      same(key, want, (native['dispersion'] as Record<string, number> | null)?.[DISPERSION_KEYS[key]!]);
    } else if (key === 'ci99') {
      const ci = (native['dispersion'] as { ci: { lowUs: number; highUs: number } | null } | null)?.ci;
      same(key, JSON.stringify(want), JSON.stringify(ci ? [ci.lowUs, ci.highUs] : null));
    } else if (key === 'rtt') {
      const word = String(want).split(' ')[0];
      same(key, word === 'half' ? 'half-rtt' : word === 'full' ? 'rtt' : null, native['latencySemantics']);
    } else if (key === 'version') {
      same(key, notReadable(want) ? null : String(want), native['version']);
    } else if (key === 'protocol') {
      // "UDP (sockperf default; not printed)" is the reader's inference, not something the capture says.
      same(key, /^(TCP|UDP)$/.test(String(want)) ? want : null, native['protocol']);
    } else if (key === 'msg_size') {
      same(key, want, m.msgSizeBytes);
    } else if (key in NATIVE_KEYS) {
      same(key, want, native[NATIVE_KEYS[key]!]);
    } else {
      bad.push(`${where} ${key}: no rule to compare this hand-read key`);
    }
  }
  const kind = expected['mode'] === 'throughput' ? 'throughput' : 'latency';
  if (native['kind'] !== kind) bad.push(`${where}: parsed a ${String(native['kind'])} run, the capture is ${kind}`);
  return bad;
}

describe('sockperf: captures others published parse to the numbers read off them by hand', () => {
  test.each(publishedNames(TOOL))('%s', (name) => {
    const capture = loadPublished(TOOL, name);
    const runs = (capture.expected['runs'] as Record<string, unknown>[] | undefined) ?? [capture.expected];
    const records = parse(capture.text);
    expect(records.map((r) => r.status)).toEqual(runs.map(() => 'ok'));
    const shared = Object.fromEntries(Object.entries(capture.expected).filter(([k]) => k !== 'runs'));
    const bad = runs.flatMap((run, i) => compareRun({ ...shared, ...run }, records[i]!, `run ${i + 1}`));
    expect(bad).toEqual([]);
    for (const r of records) expect(r.native['outputForm']).toEqual(expect.any(String));
  });
});

describe('sockperf: defects the published captures exposed', () => {
  const one = (name: string, i = 0) => parse(loadPublished(TOOL, name).text)[i]!;

  test('the older avg-lat= form, padded or not, gives mean and std-dev (half round trip)', () => {
    const padded = one('tcp-v3.1-ansi-graft');
    expect(padded.native['avgUs']).toBe(6.588);
    expect(padded.native['stdDevUs']).toBe(2.179);
    expect(padded.latencyUs!.mean).toBeCloseTo(2 * 6.588, 9);
    expect(padded.native['outputForm']).toMatch(/avg-lat\b/);
    expect(one('fulllog-nowarmup-yjjieqc').native['avgUs']).toBe(117.369);
  });

  test('several runs in one capture: one record each, each with its own [Total Run] send rate', () => {
    const [prior, after] = parse(loadPublished(TOOL, 'tcp-two-runs-i40e-vecera').text);
    expect(prior!.achievedPps).toBeCloseTo(2438563 / 119.999, 6);
    expect(after!.achievedPps).toBeCloseTo(2400055 / 119.999, 6);
    expect(after!.native['avgUs']).toBe(24.965);
  });

  test('ping-pong then throughput in one log: a latency record and a throughput record, in order', () => {
    const records = parse(loadPublished(TOOL, 'tcp-pp-tp-elided-aks').text);
    expect(records.map((r) => r.native['kind'])).toEqual(['latency', 'throughput']);
    expect(records[1]!.achievedPps).toBe(127096);
  });

  test('[Total Run] without the warm-up field still gives the send rate, warm-up null', () => {
    const m = one('udp-crlf-preload-noise-graft');
    expect(m.native['totalRun']).toMatchObject({ runTimeS: 30.45, warmupMs: null, sentMessages: 2342025 });
    expect(m.achievedPps).toBeCloseTo(2342025 / 30.45, 6);
    expect(m.native['outputForm']).toMatch(/without warm-up/);
  });

  test('a capture whose top was not pasted parses what survived; the rest is null with a warning', () => {
    const m = one('summary-only-microvm');
    expect(m.status).toBe('ok');
    expect(m.native['summaryUs']).toBe(68.964);
    expect(m.latencyUs!.p99).toBeCloseTo(2 * 123.873, 9);
    expect(m.latencyUs!.stddev).toBeNull();
    expect(m.achievedPps).toBeNull();
    expect(m.native['warnings']).toEqual(expect.arrayContaining([expect.stringMatching(/\[Total Run\]/), expect.stringMatching(/std-dev not printed/)]));
  });

  test('without avg or Summary lines the semantics are unknown: percentiles kept natively, latencyUs null', () => {
    const m = one('pr73-bracketless-maxmin-snippet');
    expect(m.native['latencySemantics']).toBeNull();
    expect(m.latencyUs).toBeNull();
    expect(m.native['maxUs']).toBe(42.328);
    expect(m.native['warnings']).toEqual(expect.arrayContaining([expect.stringMatching(/half vs full round trip unknown/)]));
  });

  test('prefixes people paste with ([STDOUT], "> ", indentation, Markdown bold) are not part of the numbers', () => {
    expect(one('stdout-prefixed-ansi-microvm').native['avgUs']).toBe(32.867);
    expect(one('issue77-blockquote-padded-truncated').native['version']).toBe('');
    expect(one('issue106-single-observation-topcut').native['summaryUs']).toBe(121.88);
    expect(one('issue172-fullrtt-bracketless-max-truncated').native['maxUs']).toBe(11541.068);
  });

  test('lines without the tool prefix lose nested quote markers and indentation: the [ 0] IP line still gives the protocol', () => {
    expect(one('tcp-tp-quoted-wrapped-note-bpf').native['protocol']).toBe('TCP');
    expect(one('v3.7-colon-prefix-indented-fraunhofer').native['protocol']).toBe('TCP');
    expect(one('tcp-tp-quoted-wrapped-note-bpf').msgSizeBytes).toBe(1200);
  });

  test('two throughput runs with elided totals: one record each, message size from the pasted command', () => {
    const records = parse(loadPublished(TOOL, 'udp-tp-ipfrags-annotated-ntb').text);
    expect(records.map((r) => r.achievedPps)).toEqual([8636, 14283]);
    expect(records.map((r) => r.msgSizeBytes)).toEqual([65400, 65400]);
    expect(records[0]!.native['warnings']).toEqual(expect.arrayContaining([expect.stringMatching(/Total of N messages sent/)]));
  });
});
