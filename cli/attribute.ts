// `bypassbench attribute`: a latency-attribution run from the command line, without writing a
// suite. It builds a one-path suite (the attribution path with the options given), runs it like
// any other suite — same run folder, records and report — and prints where the time went.
import { displayComponents } from '../analysis/attribution-display.js';
import type { Argv } from 'yargs';
import type { AttributionResult } from '../analysis/attribution.js';
import type { TrialRecord } from '../core/trial.js';
import { parseSuite } from '../suites/load.js';
import { data, human } from './output.js';
import { runToReport } from './run-flow.js';
import { serviceHandler } from './attribute-service.js';

export const command = 'attribute [command..]';
export const describe = 'Split kernel UDP request latency into NIC/wire, kernel, serialization, application, pauses and hops (one quick run)';

export function builder(y: Argv) {
  return y
    .option('size', { type: 'number', array: true, default: [64], describe: 'request payload bytes (one or more)' })
    .option('rate', { type: 'number', array: true, default: [1000], describe: 'offered requests/s (one or more)' })
    .option('duration', {
      type: 'number',
      default: 5,
      describe: 'measured seconds per trial (shares of p99 need ≥ 5 000 requests: 5 s at 1 000/s; fewer give n/a with the reason)',
    })
    .option('repetitions', { type: 'number', default: 1, describe: 'repetitions of each size × rate' })
    .option('codec', { choices: ['raw', 'json'] as const, default: 'raw' as const, describe: 'serialization of the message in the server' })
    .option('fields', { type: 'number', default: 8, describe: 'JSON object fields (json codec)' })
    .option('service-us', { type: 'number', default: 0, describe: "the handler's own work per request, µs" })
    .option('pause-us', { type: 'number', default: 0, describe: 'GC-like stop-the-world pause length, µs (with --pause-every-ms)' })
    .option('pause-every-ms', { type: 'number', default: 0, describe: 'how often the pause happens, ms' })
    .option('hops', { type: 'number', default: 0, describe: 'relay services between client and server (0–4)' })
    .option('arrivals', { choices: ['fixed', 'poisson'] as const, default: 'fixed' as const })
    .option('pacing', { choices: ['busy', 'sleep'] as const, default: 'busy' as const, describe: 'client pacing between sends' })
    .option('out', { type: 'string', describe: 'run folder (default results/<UTC time>-attribute-<id>)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the attribution of each trial as JSON' })
    .positional('command', {
      type: 'string',
      array: true,
      describe: 'a real service to start in the server namespace (after --); {ip} and {port} are filled in',
    })
    .option('pid', { type: 'number', describe: 'attribute an already running service on this host (with --port)' })
    .option('port', { type: 'number', describe: 'the port the real service listens on' })
    .option('protocol', { choices: ['udp', 'tcp'] as const, default: 'udp' as const, describe: "the real service's protocol" })
    .option('connections', { type: 'number', describe: 'TCP: persistent connections the load is spread over (default 1)' })
    .option('framing', {
      choices: ['header', 'ndjson'] as const,
      describe: "TCP: requests as bb-tsprobe's 24-byte header + JSON body (default), or one JSON object per line with an id",
    })
    .example(
      '$0 attribute --rate 500 -- java -cp services/build/java JsonUdpService --bind {ip} --port {port}',
      'a real (Java) service, started in the server namespace',
    )
    .example('$0 attribute --pid 1234 --port 7000', 'an already running UDP service, loaded over its own loopback (in its network namespace)')
    .example('$0 attribute --protocol tcp --rate 200 -- node services/node/json-tcp-service.mjs --bind {ip} --port {port}', 'a TCP service')
    .example('$0 attribute --rate 1000 5000', 'bare UDP request/response at two rates')
    .example('$0 attribute --codec json --hops 2 --pause-us 2000 --pause-every-ms 50 --pacing sleep', 'an application-heavy service');
}

interface AttributeArgs {
  size: number[];
  rate: number[];
  duration: number;
  repetitions: number;
  codec: 'raw' | 'json';
  fields: number;
  serviceUs: number;
  pauseUs: number;
  pauseEveryMs: number;
  hops: number;
  arrivals: 'fixed' | 'poisson';
  pacing: 'busy' | 'sleep';
  out?: string;
  json: boolean;
  command?: string[];
  pid?: number;
  port?: number;
  protocol: 'udp' | 'tcp';
  connections?: number;
  framing?: 'header' | 'ndjson';
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

interface AttributedTrial extends Pick<TrialRecord, 'msgSizeBytes' | 'offeredPps' | 'status' | 'error'> {
  attribution: AttributionResult | null;
}

/** One trial: where its round-trip time went, component by component. */
function printAttribution(r: AttributedTrial): void {
  human('');
  human(`${r.msgSizeBytes} B @ ${r.offeredPps} req/s: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  const a = r.attribution;
  if (!a) return;
  if (a.status !== 'ok') {
    human(`  attribution: ${a.reason}`);
    return;
  }
  human(
    `  RTT p50 ${a.rttUs.p50.toFixed(1)} µs, p99 ${a.rttUs.p99.toFixed(1)} µs; kernel share ${pct(a.kernelShare.p50)} of p50, ${pct(a.kernelShare.p99)} of p99`,
  );
  for (const b of [a.bands.p50, a.bands.p99]) if (b.reason) human(`  shares n/a: ${b.reason}`);
  human(`  ${'component'.padEnd(16)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${'share p50'.padStart(10)} ${'share p99'.padStart(10)}`);
  const byShare = Object.entries(a.components).sort((x, y) => (y[1].shareP99 ?? y[1].shareP50 ?? -1) - (x[1].shareP99 ?? x[1].shareP50 ?? -1));
  for (const [name, c] of byShare) {
    human(
      `  ${name.padEnd(16)} ${c.p50Us.toFixed(2).padStart(9)} ${c.p99Us.toFixed(2).padStart(9)} ${pct(c.shareP50).padStart(10)} ${pct(c.shareP99).padStart(10)}`,
    );
  }
  // Kernel RX split by the wake-up trace (measured), when there was one.
  for (const c of displayComponents(a).filter((d) => d.name.startsWith('kernelRx') || d.name.startsWith('wakeup')))
    human(`  ${c.label.padEnd(34)} share p50 ${pct(c.shareP50).padStart(6)}, p99 ${pct(c.shareP99).padStart(6)}`);
  human(
    `  components sum to the RTT within ${a.sumCheck.toleranceUs} µs for ${pct(a.sumCheck.withinToleranceRatio)} of ${a.complete} requests; load CV ${a.steadiness.cv?.toFixed(2) ?? '—'}`,
  );
}

export async function handler(args: AttributeArgs): Promise<number> {
  // A real service (issue 15): cli/attribute-service.ts.
  // Words after "--" arrive in yargs' `_` (after the command's own name), not in the positional.
  const rest = ((args as unknown as { _?: unknown[] })._ ?? []).slice(1);
  const command = [...(args.command ?? []), ...rest].map(String);
  if (command.length > 0 || args.pid !== undefined) return serviceHandler({ ...args, command });
  // The same validation as a suite file: a bad flag gets the same clear message.
  const suiteText = JSON.stringify({
    name: 'attribute',
    description: 'bypassbench attribute (command line)',
    sizes: args.size,
    rates: args.rate,
    durationS: args.duration,
    repetitions: args.repetitions,
    paths: [
      {
        path: 'attribution',
        options: {
          codec: args.codec,
          fields: args.fields,
          serviceUs: args.serviceUs,
          pauseUs: args.pauseUs,
          pauseEveryMs: args.pauseEveryMs,
          hops: args.hops,
          arrivals: args.arrivals,
          pacing: args.pacing,
        },
      },
    ],
  });
  const loaded = parseSuite('bypassbench attribute', suiteText);
  return runToReport({ loaded, outDir: args.out, json: args.json }, ({ summary }) => {
    const rows = summary.records.map((t) => ({
      msgSizeBytes: t.msgSizeBytes,
      offeredPps: t.offeredPps,
      status: t.status,
      error: t.error,
      attribution: (t.native['attribution'] ?? null) as AttributionResult | null,
    }));
    if (args.json) data({ runDir: summary.runDir, status: summary.status, error: summary.error ?? null, trials: rows });
    else {
      for (const r of rows) printAttribution(r);
      human('');
    }
  });
}
