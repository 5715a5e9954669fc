// perftest's stdout as measurements: one per table row, latency as round-trip time (write and send
// latency tests print half of it), the tool's own numbers under native.
import { emptyLatency, failedMeasurement, type Measurement } from '../../core/trial.js';
import type { ToolOutput } from '../types.js';
import { PERFTEST_TESTS, type PerftestTest } from './command.js';
import { crossCheckOutJson, parsePerftestOutJson } from './out-json.js';
import { parsePerftestHeader } from './parse-header.js';
import { parseTable } from './parse-table.js';
import { commandLine, findFailure, isEmulatedDevice, splitReports } from './reports.js';

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

// " WARNING: BW peak won't be measured in this run." — perftest then prints 0.00 in the BW peak column
const NO_PEAK_RE = /BW peak won't be measured/;
// "-D 5" / "--duration=5" / "--duration 5" on the command (argv or pasted prompt line): in duration mode
// perftest does not sample the peak and prints 0.00 in the BW peak column without saying so, e.g.
// "# ib_write_bw -i 1 -d mlx5_0 -F -D 5 --report_gbits" → " 65536      560960           0.00               98.03              0.186974"
const DURATION_ARG_RE = /(?:^|\s)(?:-D|--duration)(?:=|\s+)?\d+\b/;
// " Waiting for client to connect..." / " Waiting for client rdma_cm QP to connect" — the server side
const SERVER_RE = /Waiting for client (?:rdma_cm QP )?to connect/;

/** The failure lines of the capture as one error: the root cause, then what followed it. */
function failureText(stdout: string, stderr: string): string | null {
  const failure = findFailure(`${stderr}\n${stdout}`);
  return failure ? `${failure.rootCause}${failure.others.length ? ` (then: ${failure.others.join('; ')})` : ''}` : null;
}

/** One record per table row of every report in the capture (a paste may hold the server's and the client's). */
export function parsePerftest(output: PerftestOutput): Measurement[] {
  const lines = output.stdout.split(/\r?\n/);
  const reports = splitReports(lines);
  const command = commandLine(lines);
  return reports.flatMap((report, index) => parseReport(report, index, reports.length, { ...output, command }));
}

function parseReport(
  lines: string[],
  reportIndex: number,
  reportCount: number,
  output: PerftestOutput & { command: ReturnType<typeof commandLine> },
): Measurement[] {
  const header = parsePerftestHeader(lines);
  const own = commandLine(lines) ?? output.command;
  const test = header.test ?? testFromArgv(output.argv) ?? (own?.test as PerftestTest | undefined) ?? null;
  const table = parseTable(lines);
  const device = header.device ?? own?.device ?? null;
  // stderr belongs to the process; a multi-report paste has none.
  const stderr = reportIndex === 0 ? output.stderr : '';
  const stderrLines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const side = lines.some((l) => SERVER_RE.test(l)) ? 'server' : header.remoteGid !== null || lines.some((l) => /remote address:/.test(l)) ? 'client' : null;
  const warnings: string[] = [];
  const baseNative = {
    tool: test,
    title: header.title,
    header,
    device,
    side,
    reportIndex,
    reportCount,
    stderrLines,
    exitCode: output.exitCode,
    bidirectional: header.bidirectional || (output.argv?.some((a) => a === '-b' || a === '--bidirectional') ?? false),
    postList: header.postList,
    // rxe is Soft-RoCE, siw Soft-iWARP: RDMA verbs over the kernel's own stack, so they say nothing of RDMA NICs.
    emulatedHint: isEmulatedDevice(device),
    toolVersion: null,
    outputForm: '',
    warnings,
  };

  if (!table || table.rows.length === 0) {
    const cause = failureText(lines.join('\n'), stderr);
    const why =
      output.exitCode !== 0 && output.exitCode !== null
        ? `${test ?? 'perftest'} exited with code ${output.exitCode}: ${cause ?? (stderrTail(stderr) || 'no output')}`
        : output.exitCode === null
          ? `${test ?? 'perftest'} was killed before it printed a result${cause ? `: ${cause}` : ''}`
          : `${test ?? 'perftest'} printed no result table${cause ? `: ${cause}` : stderrLines.length ? `: ${stderrTail(stderr)}` : ''}`;
    baseNative.outputForm = table ? 'table header, then failure' : header.title ? 'banner, then failure' : 'failure before any banner';
    return [failedMeasurement(why, { ...baseNative, bwUnit: table?.bwUnit ?? null, innerLines: table?.innerLines ?? [] })];
  }
  const warnedNoPeak = lines.some((l) => NO_PEAK_RE.test(l));
  const durationMode = DURATION_ARG_RE.test(own?.args ?? '') || (output.argv?.some((a, i, all) => DURATION_ARG_RE.test(` ${a} ${all[i + 1] ?? ''}`)) ?? false);
  // A peak printed 0.00 beside a non-zero average was never measured (a peak cannot be below the average).
  const zeroPeakRows = table.rows.some((r) => r.values['bwPeak'] === 0 && (r.values['bwAverage'] ?? 0) > 0);
  if (warnedNoPeak) warnings.push("BW peak won't be measured in this run: the 0.00 perftest prints in the BW peak column is kept as null");
  else if (zeroPeakRows && durationMode)
    warnings.push('duration mode (-D): perftest does not measure the BW peak; the 0.00 it prints in the BW peak column is kept as null');
  else if (zeroPeakRows) warnings.push('BW peak printed 0.00 beside a non-zero average: not measured (peak cannot be below the average); kept as null');
  if (baseNative.bidirectional)
    warnings.push('bidirectional (-b): BW average and MsgRate are the sum of both directions; perftest prints no per-direction figures');
  if (!header.title) warnings.push('no banner in the capture: device, transport and link type unknown');
  const legacy = !table.columns.some((c) => c.key === 'msgRateMpps') && table.columns.some((c) => c.key === 'bwAverage');
  if (legacy) warnings.push('no MsgRate column (perftest 1.x layout): message rate not printed');
  baseNative.outputForm = [
    table.columns.some((c) => c.key === 'tAvg') ? 'latency table' : 'bandwidth table',
    table.bwUnit ? `in ${table.bwUnit}` : null,
    header.bidirectional ? 'bidirectional' : null,
    header.postList ? 'post list' : null,
    legacy ? 'legacy 4-column layout' : null,
    header.title ? null : 'no banner',
    reportCount > 1 ? `report ${reportIndex + 1} of ${reportCount}` : null,
  ]
    .filter((p) => p !== null)
    .join(', ');

  const isLat = table.columns.some((c) => c.key === 'tAvg');
  const isDuration = isLat && !table.columns.some((c) => c.key === 'tTypical');
  const cycles = isLat && reportsCycles(output.argv);
  // write and send latency tests time half the round trip; read (and atomic) the whole one.
  const halfRtt = test === 'ib_write_lat' || test === 'ib_send_lat';
  const rttFactor = halfRtt ? 2 : 1;
  // Lines perftest printed inside the table ("Conflicting CPU frequency values detected: …") are warnings too.
  warnings.push(...table.innerLines);
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
      // "BW peak won't be measured", or 0.00 beside a non-zero average: a placeholder, not a measured peak.
      row: 'bwPeak' in v && (warnedNoPeak || (v['bwPeak'] === 0 && (v['bwAverage'] ?? 0) > 0)) ? { ...v, bwPeak: null } : v,
      rowText: row.line,
      ...(isLat ? { latencySemantics: halfRtt ? 'half-rtt' : 'rtt', latencyUnits: cycles ? 'cycles' : 'usec' } : {}),
      ...(table.bwUnit ? { bwUnit: table.bwUnit } : {}),
      ...(baseNative.bidirectional && !isLat ? { directionScope: 'sum of both directions' } : {}),
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
    const cause = failureText(lines.slice(lines.indexOf(table.headerLine)).join('\n'), stderr);
    const detail = cause ?? (stderrLines.length ? stderrTail(stderr) : null);
    measurements.push(
      failedMeasurement(
        `${test ?? 'perftest'} ${output.exitCode === 0 ? 'left its table open' : `exited with code ${output.exitCode}`} after the ${last} B row${detail ? `: ${detail}` : ''}`,
        { ...baseNative, incompleteAfterBytes: last },
      ),
    );
  }
  return measurements;
}
