// Fault injection: malformed and hostile suites and arguments. Each is refused at load time with
// one message naming the file, the field, the bad value and what is allowed; nothing runs.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { parseSuite } from '../../suites/load.js';
import { startCli } from '../helpers/system.js';
import { suiteFile } from './helpers.js';

const base = `name: bad
sizes: [64]
durationS: 2
warmupS: 0
repetitions: 1
`;

const CASES: [string, string, RegExp][] = [
  ['a rate beyond any tool', `${base}rates: [1000000000000]\npaths: [{ path: kernel-udp }]\n`, /rates\[0\] must be at most 100000000 packets\/s/],
  ['a NaN rate', `${base}rates: [.nan]\npaths: [{ path: kernel-udp }]\n`, /rates must be a list.*got \[NaN\]/],
  ['an infinite duration', `${base.replace('durationS: 2', 'durationS: .inf')}rates: [1000]\npaths: [{ path: kernel-udp }]\n`, /durationS .*got Infinity/],
  [
    'a timeout shorter than the trial',
    `${base}rates: [1000]\ntrialTimeoutS: 1\npaths: [{ path: kernel-udp }]\n`,
    /trialTimeoutS must be longer than the longest trial \(2 s/,
  ],
  [
    'a shell command in an RDMA address',
    `${base}closedLoop: true\npaths: [{ path: rdma, options: { serverDevice: mlx5_0, clientDevice: mlx5_1, serverAddress: "8.8.8.8; reboot" } }]\n`,
    /paths\[0\]\.options\.serverAddress must be an IPv4 address in a private test range.*got "8\.8\.8\.8; reboot"/,
  ],
  [
    'a public RDMA address',
    `${base}closedLoop: true\npaths: [{ path: rdma, options: { serverDevice: mlx5_0, clientDevice: mlx5_1, serverAddress: "8.8.8.8" } }]\n`,
    /serverAddress must be an IPv4 address in a private test range/,
  ],
  [
    'a public subnet',
    `${base}rates: [1000]\ntopology: { subnet: "8.8.8" }\npaths: [{ path: kernel-udp }]\n`,
    /topology\.subnet must be the first three octets of a private \/24/,
  ],
  ['a negative size', `${base.replace('[64]', '[-1]')}rates: [1000]\npaths: [{ path: kernel-udp }]\n`, /sizes\[0\]/],
  ['an unknown path', `${base}rates: [1000]\npaths: [{ path: warp-drive }]\n`, /paths\[0\]\.path must be one of/],
  ['a string rate', `${base}rates: ["fast"]\npaths: [{ path: kernel-udp }]\n`, /rates/],
  ['a list where a mapping goes', `- 1\n- 2\n`, /must be a YAML mapping/],
  ['broken YAML', `name: [unclosed\n`, /YAML/],
];

describe('malformed suites are refused at load time', () => {
  it.each(CASES)('%s', (_what, yaml, message) => {
    let caught: unknown;
    try {
      parseSuite('bad.yaml', yaml);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(/^bad\.yaml: /m);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('hostile command lines', () => {
  it('a plan of 20 001 trials is refused without --yes, with the trial count and an estimate; --dry-run prints the estimate', async () => {
    const rates = Array.from({ length: 20_001 }, (_, i) => 1000 + i);
    const file = suiteFile('huge', `${base}rates: [${rates.join(', ')}]\npaths: [{ path: kernel-udp }]\n`);
    const refused = await startCli(['run', file]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/the plan has 20001 trials \(more than 1000\), estimated duration at least 11\.1 h/);
    expect(refused.stderr).toMatch(/--yes/);
    const dry = await startCli(['run', file, '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stderr).toMatch(/20001 trials, 2 s each \(\+0 s warm-up\); estimated duration at least 11\.1 h/);
  }, 60_000);

  it('parse --exit-code abc is refused', async () => {
    const r = await startCli(['parse', 'sockperf', 'test/fixtures/sockperf/tcp-pingpong-fullrtt.stdout', '--exit-code', 'abc']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--exit-code must be a whole number from 0 to 255.*got NaN/);
  });
});
