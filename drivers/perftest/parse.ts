// perftest's stdout as measurements: one per table row, latency as round-trip time (write and send
// latency tests print half of it), the tool's own numbers under native.
import { emptyLatency, failedMeasurement, type Measurement } from '../../core/trial.js';
import type { ToolOutput } from '../types.js';
import { PERFTEST_TESTS, type PerftestTest } from './command.js';
import { crossCheckOutJson, parsePerftestOutJson } from './out-json.js';
import { parsePerftestHeader } from './parse-header.js';
import { parseTable } from './parse-table.js';

/**
 * What parse() can use beyond stdout: the argv (for -C, whose header does not say so) and the
 * --out_json file, given here or among the files the process wrote (ToolOutput.files).
 */
export interface PerftestOutput extends ToolOutput {
  /** Text of the --out_json file, for a cross-check with the last table row. */
  outJson?: string | null;
}

// "--out_json_file=perftest.json": the file perftest writes its summary to (relative to its folder)
const OUT_JSON_FILE_ARG = /^--out_json_file=(.+)$/;

function outJsonText(output: PerftestOutput): string | null | undefined {
  if (output.outJson !== undefined || output.files === undefined) return output.outJson;
  const file = output.argv?.map((arg) => OUT_JSON_FILE_ARG.exec(arg)?.[1]).find((name) => name !== undefined);
  return file === undefined ? undefined : output.files[file.split('/').pop()!];
}

function finite(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function scaled(value: number | undefined, factor: number): number | null {
  const v = finite(value);
  return v === null ? null : v * factor;
}

/** -C/--report-cycles is invisible in the output; only the argv says the numbers are cycles. */
function reportsCycles(argv: readonly string[] | undefined): boolean {
  return argv !== undefined && argv.some((a) => a === '-C' || a === '--report-cycles');
}

function testFromArgv(argv: readonly string[] | undefined): PerftestTest | null {
  const program = argv?.[0]?.split('/').pop();
  return program && (PERFTEST_TESTS as readonly string[]).includes(program) ? (program as PerftestTest) : null;
}

const MIB_PER_S_TO_GBPS = (1024 * 1024 * 8) / 1e9;

function stderrTail(stderr: string): string {
  return stderr.trim().split('\n').slice(-3).join(' | ');
}

export function parsePerftest(output: PerftestOutput): Measurement[] {
  const lines = output.stdout.split('\n');
  const header = parsePerftestHeader(lines);
  const test = header.test ?? testFromArgv(output.argv);
  const table = parseTable(lines);
  const stderrLines = output.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const baseNative = {
    tool: test,
    title: header.title,
    header,
    stderrLines,
    exitCode: output.exitCode,
    // rxe is Soft-RoCE: RDMA verbs over the kernel's UDP stack, so it says nothing of RDMA NICs.
    emulatedHint: header.device?.startsWith('rxe') ?? false,
  };

  if (!table || table.rows.length === 0) {
    const why =
      output.exitCode !== 0 && output.exitCode !== null
        ? `${test ?? 'perftest'} exited with code ${output.exitCode}: ${stderrTail(output.stderr) || 'no output'}`
        : output.exitCode === null
          ? `${test ?? 'perftest'} was killed before it printed a result`
          : `${test ?? 'perftest'} printed no result table${stderrLines.length ? `: ${stderrTail(output.stderr)}` : ''}`;
    return [failedMeasurement(why, { ...baseNative, innerLines: table?.innerLines ?? [] })];
  }

  const isLat = table.columns.some((c) => c.key === 'tAvg');
  const isDuration = isLat && !table.columns.some((c) => c.key === 'tTypical');
  const cycles = isLat && reportsCycles(output.argv);
  // write and send latency tests time half the round trip; read (and atomic) the whole one.
  const halfRtt = test === 'ib_write_lat' || test === 'ib_send_lat';
  const rttFactor = halfRtt ? 2 : 1;
  const warnings = table.innerLines;
  const outJson = outJsonText(output);
  const outJsonResults = outJson ? parsePerftestOutJson(outJson) : null;

  const measurements: Measurement[] = table.rows.map((row, index) => {
    const v = row.values;
    const badColumns = Object.entries(v)
      .filter(([, n]) => !Number.isFinite(n))
      .map(([k]) => k);
    const infColumns = Object.entries(v)
      .filter(([, n]) => n === Infinity || n === -Infinity)
      .map(([k]) => k);
    const isLast = index === table.rows.length - 1;
    const native: Record<string, unknown> = {
      ...baseNative,
      tableKind: isLat ? (isDuration ? 'latency-duration' : 'latency') : 'bandwidth',
      row: v,
      rowText: row.line,
      warnings,
      ...(isLat ? { latencySemantics: halfRtt ? 'half-rtt' : 'rtt', latencyUnits: cycles ? 'cycles' : 'usec' } : {}),
      ...(table.bwUnit ? { bwUnit: table.bwUnit } : {}),
      ...(badColumns.length ? { nonFiniteColumns: badColumns } : {}),
      ...(isLast && outJsonResults ? { outJson: crossCheckOutJson(outJsonResults, v) } : {}),
    };

    // An inf in the main numbers means the calibration failed; the row measured nothing usable.
    const primary = isLat ? ['tMin', 'tMax', 'tTypical', 'tAvg'] : ['bwAverage', 'msgRateMpps'];
    if (infColumns.some((c) => primary.includes(c)) || primary.some((c) => v[c] !== undefined && Number.isNaN(v[c]))) {
      return {
        ...failedMeasurement(
          `${test ?? 'perftest'} printed inf/nan in the ${v.bytes} B row (cycles-per-µs calibration failed; common under emulation)`,
          native,
        ),
        msgSizeBytes: v.bytes ?? null,
      };
    }

    const common: Measurement = {
      status: 'ok',
      error: null,
      msgSizeBytes: v.bytes ?? null,
      achievedPps: null,
      sentPackets: v.iterations ?? null,
      receivedPackets: null,
      lossRatio: null,
      latencyUs: null,
      throughputGbps: null,
      msgRateMpps: null,
      measuredS: null,
      native,
    };

    if (isLat) {
      if (cycles) return common;
      const latencyUs = emptyLatency();
      latencyUs.min = scaled(v.tMin, rttFactor);
      latencyUs.max = scaled(v.tMax, rttFactor);
      // perftest's "typical" is the median of the sorted samples.
      latencyUs.p50 = scaled(v.tTypical, rttFactor);
      latencyUs.mean = scaled(v.tAvg, rttFactor);
      latencyUs.stddev = scaled(v.tStdev, rttFactor);
      latencyUs.p99 = scaled(v.p99, rttFactor);
      latencyUs.p999 = scaled(v.p999, rttFactor);
      latencyUs.samples = isDuration ? null : (v.iterations ?? null);
      const tps = finite(v.tpsAverage);
      return { ...common, latencyUs, achievedPps: tps, msgRateMpps: tps === null ? null : tps / 1e6 };
    }

    const average = finite(v.bwAverage);
    const throughputGbps = average === null ? null : table.bwUnit === 'Gb/sec' ? average : average * MIB_PER_S_TO_GBPS;
    const mpps = finite(v.msgRateMpps);
    return { ...common, throughputGbps, msgRateMpps: mpps, achievedPps: mpps === null ? null : mpps * 1e6 };
  });

  // Rows printed before the process died are real, but the run did not finish: say so once.
  if (output.exitCode !== 0 || !table.closed) {
    const last = table.rows[table.rows.length - 1]!.values.bytes;
    measurements.push(
      failedMeasurement(
        `${test ?? 'perftest'} ${output.exitCode === 0 ? 'left its table open' : `exited with code ${output.exitCode}`} after the ${last} B row${stderrLines.length ? `: ${stderrTail(output.stderr)}` : ''}`,
        { ...baseNative, incompleteAfterBytes: last },
      ),
    );
  }
  return measurements;
}
