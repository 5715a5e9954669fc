// perftest (linux-rdma, Debian 4.5): ib_{write,send,read}_{lat,bw}. One process prints a header
// block and one table; a multi-size run (-a) prints one row per size, and each row becomes one
// Measurement. Latency is stored as round-trip time: write/send latency tests print half the round
// trip, read prints the full one. The tool's own numbers stay under `native`.
import { UserError } from '../core/errors.js';
import type { HostFacts } from '../core/host.js';
import { emptyLatency, failedMeasurement, type Measurement } from '../core/trial.js';
import type { Availability, Driver, ToolOutput } from './types.js';

export const PERFTEST_TESTS = ['ib_write_lat', 'ib_send_lat', 'ib_read_lat', 'ib_write_bw', 'ib_send_bw', 'ib_read_bw'] as const;
export type PerftestTest = (typeof PERFTEST_TESTS)[number];

/** perftest's own limits: at least 5 iterations, messages up to 2^23 bytes. */
export const PERFTEST_MIN_ITERATIONS = 5;
export const PERFTEST_MAX_MSG_BYTES = 8_388_608;

export type PerftestRateUnits = 'Gbps' | 'MiBps' | 'pps';
const RATE_UNIT_FLAG: Record<PerftestRateUnits, string> = { Gbps: 'g', MiBps: 'M', pps: 'p' };

export interface PerftestRateLimit {
  /** In `units`; with pps this is the offered message rate, so RDMA can join an offered-rate grid. */
  limit: number;
  units: PerftestRateUnits;
  /** SW paces in perftest itself and works on rxe; HW and PP need NIC support. */
  type: 'SW' | 'HW' | 'PP';
}

export interface PerftestParams {
  test: PerftestTest;
  role: 'server' | 'client';
  /** Client only: the server's address for the out-of-band TCP (or rdma_cm) exchange. */
  serverAddress?: string;
  /** -d: RDMA device (rxe0, mlx5_0 …); default: the first one found. */
  device?: string;
  /** -x: GID index. On RoCE, index 1 of an rxe device is the IPv4-mapped RoCE v2 GID. */
  gidIndex?: number;
  /** -i: port of the RDMA device (default 1). */
  ibPort?: number;
  /** -p: TCP port of the out-of-band exchange (default 18515). */
  tcpPort?: number;
  /** -R: connect the queue pairs through rdma_cm. */
  rdmaCm?: boolean;
  /** -c: RC (default), UC, UD (send tests only), XRC, DC. */
  connection?: 'RC' | 'UC' | 'UD' | 'XRC' | 'DC';
  /** -s: one message size. */
  msgSizeBytes?: number;
  /** -a: every size from 2 B to 8 MiB; very slow under emulation. */
  allSizes?: boolean;
  /** -n: exchanges per size (iteration mode). */
  iterations?: number;
  /** -D: run for this many seconds instead (duration mode prints only an average). */
  durationS?: number;
  /** -m: path MTU in bytes (256..4096). */
  mtuBytes?: number;
  /** --report_gbits: bandwidth tests report Gb/s instead of MiB/s. */
  reportGbits?: boolean;
  /** -C: latency tests report CPU cycles instead of µs (the header still says usec). */
  reportCycles?: boolean;
  /** --rate_limit/--rate_units/--rate_limit_type: bandwidth tests only. */
  rateLimit?: PerftestRateLimit;
  /** --out_json --out_json_file=FILE: perftest's own summary of the last row (truncated on each report). */
  outJsonFile?: string;
}

/** What parse() can use beyond stdout: the argv (for -C, whose header does not say so) and the --out_json file. */
export interface PerftestOutput extends ToolOutput {
  argv?: readonly string[];
  /** Text of the --out_json file, for a cross-check with the last table row. */
  outJson?: string | null;
}

type TestKind = 'lat' | 'bw';

function kindOf(test: PerftestTest): TestKind {
  return test.endsWith('_lat') ? 'lat' : 'bw';
}

function positiveInt(name: string, value: number | undefined, min = 1): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`perftest: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Checks the combinations perftest would refuse or silently ignore; names the field at fault. */
export function validatePerftestParams(params: PerftestParams): void {
  if (!(PERFTEST_TESTS as readonly string[]).includes(params.test)) {
    throw new UserError(`perftest: test must be one of ${PERFTEST_TESTS.join(', ')}, got ${JSON.stringify(params.test)}`);
  }
  const kind = kindOf(params.test);
  if (params.role === 'client' && !params.serverAddress) {
    throw new UserError('perftest: serverAddress is required for role client');
  }
  if (params.role === 'server' && params.serverAddress) {
    throw new UserError('perftest: serverAddress is only for role client');
  }
  if (params.allSizes && params.msgSizeBytes !== undefined) {
    throw new UserError('perftest: allSizes (-a) and msgSizeBytes (-s) are exclusive');
  }
  if (params.iterations !== undefined && params.durationS !== undefined) {
    throw new UserError('perftest: iterations (-n) and durationS (-D) are exclusive');
  }
  if (params.allSizes && params.durationS !== undefined) {
    throw new UserError('perftest: allSizes (-a) does not work with durationS (-D)');
  }
  positiveInt('msgSizeBytes', params.msgSizeBytes);
  if (params.msgSizeBytes !== undefined && params.msgSizeBytes > PERFTEST_MAX_MSG_BYTES) {
    throw new UserError(`perftest: msgSizeBytes must be <= ${PERFTEST_MAX_MSG_BYTES}, got ${params.msgSizeBytes}`);
  }
  positiveInt('iterations', params.iterations, PERFTEST_MIN_ITERATIONS);
  positiveInt('durationS', params.durationS);
  positiveInt('ibPort', params.ibPort);
  positiveInt('tcpPort', params.tcpPort);
  positiveInt('gidIndex', params.gidIndex, 0);
  if (params.mtuBytes !== undefined && ![256, 512, 1024, 2048, 4096].includes(params.mtuBytes)) {
    throw new UserError(`perftest: mtuBytes must be 256, 512, 1024, 2048 or 4096, got ${params.mtuBytes}`);
  }
  if (params.reportGbits && kind !== 'bw') {
    throw new UserError(`perftest: reportGbits is for bandwidth tests, not ${params.test}`);
  }
  if (params.reportCycles && kind !== 'lat') {
    throw new UserError(`perftest: reportCycles (-C) is for latency tests, not ${params.test}`);
  }
  if (params.rateLimit) {
    if (kind !== 'bw') {
      throw new UserError(`perftest: rateLimit is only supported by bandwidth tests (ib_*_bw), not ${params.test}`);
    }
    if (!(params.rateLimit.limit > 0)) {
      throw new UserError(`perftest: rateLimit.limit must be > 0, got ${params.rateLimit.limit}`);
    }
    if (params.rateLimit.units === 'pps' && params.rateLimit.type === 'HW') {
      throw new UserError('perftest: rateLimit.units pps is not supported with a HW rate limit');
    }
  }
  if (params.connection === 'UD' && params.test !== 'ib_send_lat' && params.test !== 'ib_send_bw') {
    throw new UserError(`perftest: connection UD is only for send tests, not ${params.test}`);
  }
  for (const [name, value] of [
    ['device', params.device],
    ['serverAddress', params.serverAddress],
    ['outJsonFile', params.outJsonFile],
  ] as const) {
    // "rxe0", "10.231.0.1", "perftest.json": no blanks, no NUL, not a flag
    if (value !== undefined && (value === '' || value.startsWith('-') || /[\s\0]/.test(value))) {
      throw new UserError(`perftest: ${name} must be a plain word without spaces, got ${JSON.stringify(value)}`);
    }
  }
}

function buildPerftestCommand(params: PerftestParams): string[] {
  validatePerftestParams(params);
  const argv: string[] = [params.test];
  if (params.device !== undefined) argv.push('-d', params.device);
  if (params.ibPort !== undefined) argv.push('-i', String(params.ibPort));
  if (params.gidIndex !== undefined) argv.push('-x', String(params.gidIndex));
  if (params.tcpPort !== undefined) argv.push('-p', String(params.tcpPort));
  if (params.rdmaCm) argv.push('-R');
  if (params.connection !== undefined) argv.push('-c', params.connection);
  if (params.mtuBytes !== undefined) argv.push('-m', String(params.mtuBytes));
  if (params.allSizes) argv.push('-a');
  if (params.msgSizeBytes !== undefined) argv.push('-s', String(params.msgSizeBytes));
  if (params.iterations !== undefined) argv.push('-n', String(params.iterations));
  if (params.durationS !== undefined) argv.push('-D', String(params.durationS));
  if (params.reportGbits) argv.push('--report_gbits');
  if (params.reportCycles) argv.push('-C');
  if (params.rateLimit) {
    argv.push(`--rate_limit=${params.rateLimit.limit}`, `--rate_units=${RATE_UNIT_FLAG[params.rateLimit.units]}`, `--rate_limit_type=${params.rateLimit.type}`);
  }
  if (params.outJsonFile !== undefined) argv.push('--out_json', `--out_json_file=${params.outJsonFile}`);
  if (params.role === 'client') argv.push(params.serverAddress!);
  return argv;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** The test title line perftest prints centred in the header, mapped to the program. */
const TITLE_TO_TEST: Record<string, PerftestTest> = {
  'RDMA_Write Latency Test': 'ib_write_lat',
  'Send Latency Test': 'ib_send_lat',
  'RDMA_Read Latency Test': 'ib_read_lat',
  'RDMA_Write BW Test': 'ib_write_bw',
  'Send BW Test': 'ib_send_bw',
  'RDMA_Read BW Test': 'ib_read_bw',
};

/** How each table column's values are printed: integers, or %.2f / %.6f with fixed decimals. */
type ValueFormat = 'int' | 'f2' | 'f6';

interface ColumnDef {
  key: string;
  label: RegExp;
  format: ValueFormat;
}

// Known column labels, as they appear in the table header line, units in brackets:
// " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]"
// " #bytes        #iterations       t_avg[usec]    tps average" (-D; tps = transactions/s)
// " #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]" (MB = MiB; or Gb/sec)
const COLUMN_DEFS: ColumnDef[] = [
  { key: 'bytes', label: /#bytes/y, format: 'int' },
  { key: 'iterations', label: /#iterations/y, format: 'int' },
  { key: 'tMin', label: /t_min\[\w+\]/y, format: 'f2' },
  { key: 'tMax', label: /t_max\[\w+\]/y, format: 'f2' },
  { key: 'tTypical', label: /t_typical\[\w+\]/y, format: 'f2' },
  { key: 'tAvg', label: /t_avg\[\w+\]/y, format: 'f2' },
  { key: 'tStdev', label: /t_stdev\[\w+\]/y, format: 'f2' },
  { key: 'p99', label: /99% percentile\[\w+\]/y, format: 'f2' },
  { key: 'p999', label: /99\.9% percentile\[\w+\]/y, format: 'f2' },
  { key: 'tpsAverage', label: /tps average/y, format: 'f2' },
  { key: 'bwPeak', label: /BW peak\[(?:MB|Gb)\/sec\]/y, format: 'f2' },
  { key: 'bwAverage', label: /BW average\[(?:MB|Gb)\/sec\]/y, format: 'f2' },
  { key: 'msgRateMpps', label: /MsgRate\[Mpps\]/y, format: 'f6' },
  { key: 'cpuUtilPct', label: /CPU_Util\[%\]/y, format: 'f2' },
];

// One value of a row. Fixed decimals split values whose columns ran together ("5984.9310709.02"
// is 5984.93 then 10709.02); inf and nan come from a failed cycles-per-µs calibration.
const VALUE_PATTERNS: Record<ValueFormat | 'float', RegExp> = {
  int: /\s*(\d+)/y,
  // Any decimals: with --report_gbits and --rate_limit, bandwidth prints 6 decimals ("0.012243").
  float: /\s+(-?(?:\d+(?:\.\d+)?|inf|nan))/y,
  f2: /\s*(-?(?:\d+\.\d{2}|inf|nan))/y,
  f6: /\s*(-?(?:\d+\.\d{6}|inf|nan))/y,
};

/** A table: its columns (from the header line) and the rows under it. */
interface ParsedTable {
  columns: ColumnDef[];
  headerLine: string;
  /** 'MB/sec' or 'Gb/sec' for bandwidth tables, null otherwise. */
  bwUnit: 'MB/sec' | 'Gb/sec' | null;
  rows: { line: string; values: Record<string, number> }[];
  /** Lines inside the table that are not rows (warnings perftest prints between rows). */
  innerLines: string[];
  /** The closing dashed line was printed (a killed process leaves the table open). */
  closed: boolean;
}

// " #bytes #iterations    t_min[usec] …" or " #bytes     #iterations    BW peak[MB/sec] …"
const TABLE_HEADER_RE = /^\s*#bytes\s/;
// "---------------------------------------------------------------------------------------"
const RULE_RE = /^-{20,}\s*$/;

function parseColumns(headerLine: string): ColumnDef[] | null {
  const columns: ColumnDef[] = [];
  let pos = 0;
  const text = headerLine.trimEnd();
  while (pos < text.length) {
    // skip the blanks between two labels
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) break;
    const def = COLUMN_DEFS.find((d) => {
      d.label.lastIndex = pos;
      return d.label.test(text);
    });
    if (!def) return null;
    pos = def.label.lastIndex;
    columns.push(def);
  }
  return columns.length >= 3 ? columns : null;
}

function parseNumber(token: string): number {
  // "inf" / "-nan": what printf gives for a division by a zero cycles-per-µs
  if (/^-?inf$/.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (/^-?nan$/.test(token)) return Number.NaN;
  return Number(token);
}

/**
 * Values of one row, column by column; null when the line is not a row of this table. Fixed
 * decimals first (they split values that ran together); when a column prints other decimals than
 * usual, blank-separated values of any precision.
 */
function parseRow(line: string, columns: ColumnDef[]): Record<string, number> | null {
  return parseRowWith(line, columns, (c) => c.format) ?? parseRowWith(line, columns, (c) => (c.format === 'int' ? 'int' : 'float'));
}

function parseRowWith(line: string, columns: ColumnDef[], formatOf: (c: ColumnDef) => ValueFormat | 'float'): Record<string, number> | null {
  const values: Record<string, number> = {};
  let pos = 0;
  for (const column of columns) {
    const re = VALUE_PATTERNS[formatOf(column)];
    re.lastIndex = pos;
    const m = re.exec(line);
    if (!m) return null;
    values[column.key] = parseNumber(m[1]!);
    pos = re.lastIndex;
  }
  return line.slice(pos).trim() === '' ? values : null;
}

function parseTable(lines: string[]): ParsedTable | null {
  const start = lines.findIndex((l) => TABLE_HEADER_RE.test(l));
  if (start < 0) return null;
  const headerLine = lines[start]!;
  const columns = parseColumns(headerLine);
  if (!columns) return null;
  // "BW average[Gb/sec]" (--report_gbits, 10^9 bit/s) or "BW average[MB/sec]" (2^20 byte/s)
  const bwUnit = /\[Gb\/sec\]/.test(headerLine) ? 'Gb/sec' : /\[MB\/sec\]/.test(headerLine) ? 'MB/sec' : null;
  const table: ParsedTable = { columns, headerLine, bwUnit, rows: [], innerLines: [], closed: false };
  for (const line of lines.slice(start + 1)) {
    if (RULE_RE.test(line)) {
      table.closed = true;
      break;
    }
    if (line.trim() === '') continue;
    const values = parseRow(line, columns);
    if (values) table.rows.push({ line, values });
    else table.innerLines.push(line.trim());
  }
  return table;
}

export interface PerftestHeader {
  title: string | null;
  test: PerftestTest | null;
  /** Every "Key : value" pair of the header block, as printed. */
  fields: Record<string, string>;
  device: string | null;
  transportType: string | null;
  connectionType: string | null;
  linkType: string | null;
  mtuBytes: number | null;
  gidIndex: number | null;
  txDepth: number | null;
  numberOfQps: number | null;
  maxInlineBytes: number | null;
  rdmaCm: boolean | null;
  dataExchange: string | null;
  localGid: string | null;
  remoteGid: string | null;
}

// " Dual-port       : OFF\t\tDevice         : rxe1" holds two pairs separated by tabs;
// " Mtu             : 1024[B]" (bytes); " rdma_cm QPs\t : OFF"
const HEADER_PAIR_RE = /^\s*([A-Za-z][^:]*?)\s*:\s*(.*?)\s*$/;
// " GID: 00:00:00:00:00:00:00:00:00:00:255:255:10:231:00:02" (decimal bytes, after an address line)
const GID_RE = /^\s*GID:\s*([0-9a-f:]+)\s*$/i;
// " local address: LID 0000 QPN 0x0011 PSN 0x74ae06 …" / " remote address: …"
const ADDRESS_RE = /^\s*(local|remote) address:/;

function intOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  // "1024[B]" (bytes) or "1"
  const m = /^(-?\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

export function parsePerftestHeader(lines: string[]): PerftestHeader {
  const fields: Record<string, string> = {};
  let title: string | null = null;
  let localGid: string | null = null;
  let remoteGid: string | null = null;
  let lastAddress: 'local' | 'remote' | null = null;
  const tableStart = lines.findIndex((l) => TABLE_HEADER_RE.test(l));
  const headerLines = tableStart < 0 ? lines : lines.slice(0, tableStart);
  for (const line of headerLines) {
    const trimmed = line.trim();
    if (title === null && Object.hasOwn(TITLE_TO_TEST, trimmed)) {
      title = trimmed;
      continue;
    }
    const address = ADDRESS_RE.exec(line);
    if (address) {
      lastAddress = address[1] as 'local' | 'remote';
      continue;
    }
    const gid = GID_RE.exec(line);
    if (gid) {
      if (lastAddress === 'local') localGid = gid[1]!;
      if (lastAddress === 'remote') remoteGid = gid[1]!;
      continue;
    }
    if (title === null) continue;
    // Tabs separate two pairs only when a key follows ("OFF\t\tDevice"), not in "rdma_cm QPs\t : OFF".
    for (const part of line.split(/\t+(?=[A-Za-z])/)) {
      const m = HEADER_PAIR_RE.exec(part);
      if (m && !(m[1]! in fields)) fields[m[1]!] = m[2]!;
    }
  }
  const onOff = (v: string | undefined) => (v === 'ON' ? true : v === 'OFF' ? false : null);
  return {
    title,
    test: title ? TITLE_TO_TEST[title]! : null,
    fields,
    device: fields['Device'] ?? null,
    transportType: fields['Transport type'] ?? null,
    connectionType: fields['Connection type'] ?? null,
    linkType: fields['Link type'] ?? null,
    mtuBytes: intOrNull(fields['Mtu']),
    gidIndex: intOrNull(fields['GID index']),
    txDepth: intOrNull(fields['TX depth']),
    numberOfQps: intOrNull(fields['Number of qps']),
    maxInlineBytes: intOrNull(fields['Max inline data']),
    rdmaCm: onOff(fields['rdma_cm QPs']),
    dataExchange: fields['Data ex. method'] ?? null,
    localGid,
    remoteGid,
  };
}

/**
 * perftest's --out_json file is not strict JSON ("test: RDMA_Write_Latency_Test," with bare words
 * and trailing commas). Returns the `results` block's numbers, or null when there is none.
 */
export function parsePerftestOutJson(text: string): Record<string, number> | null {
  const start = text.search(/results\s*:\s*\{/);
  if (start < 0) return null;
  const results: Record<string, number> = {};
  const block = text.slice(start).split('\n').slice(1);
  for (const line of block) {
    // "}," closes the results block
    if (/^\s*\}/.test(line)) break;
    // "t_typical: 21.77," (µs, or cycles with -C) / "percentile_99.9: 10037.87," / "MsgRate: 0.000006,"
    const m = /^\s*([A-Za-z_][\w.]*)\s*:\s*(-?(?:[\d.]+|inf|nan))\s*,?\s*$/.exec(line);
    if (m) results[m[1]!] = parseNumber(m[2]!);
  }
  return Object.keys(results).length > 0 ? results : null;
}

// --out_json result keys and the table columns they repeat.
const OUT_JSON_TO_COLUMN: Record<string, string> = {
  MsgSize: 'bytes',
  n_iterations: 'iterations',
  t_min: 'tMin',
  t_max: 'tMax',
  t_typical: 'tTypical',
  t_avg: 'tAvg',
  t_stdev: 'tStdev',
  percentile_99: 'p99',
  'percentile_99.9': 'p999',
  BW_peak: 'bwPeak',
  BW_average: 'bwAverage',
  MsgRate: 'msgRateMpps',
};

export interface OutJsonCheck {
  /** The json file holds only the last report, so it is compared with the last row. */
  matchesLastRow: boolean;
  mismatches: { key: string; json: number; table: number | null }[];
  results: Record<string, number>;
}

function crossCheckOutJson(results: Record<string, number>, lastRow: Record<string, number>): OutJsonCheck {
  const mismatches: OutJsonCheck['mismatches'] = [];
  for (const [key, value] of Object.entries(results)) {
    const column = OUT_JSON_TO_COLUMN[key];
    if (!column) continue;
    const table = lastRow[column];
    const same =
      table !== undefined &&
      (Object.is(table, value) || (Number.isNaN(table) && Number.isNaN(value)) || Math.abs(table - value) <= 1e-6 + 1e-9 * Math.abs(value));
    if (!same) mismatches.push({ key, json: value, table: table ?? null });
  }
  return { matchesLastRow: mismatches.length === 0, mismatches, results };
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
  const outJsonResults = output.outJson ? parsePerftestOutJson(output.outJson) : null;

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

function detectPerftest(host: HostFacts): Availability {
  const binary = host.binaries['ib_write_lat'];
  if (!binary?.path) {
    return { status: 'unsupported', reason: 'perftest is not installed (no ib_write_lat)', fix: 'apt-get install perftest rdma-core ibverbs-providers' };
  }
  const version = host.packages['perftest'] ?? binary.version ?? null;
  if (host.features.rdmaDevices.length === 0) {
    return {
      status: 'unsupported',
      reason: host.features.rxe
        ? 'no RDMA device under /sys/class/infiniband (rdma_rxe is available but no rxe link exists)'
        : 'no RDMA device under /sys/class/infiniband and this kernel has no rdma_rxe',
      fix: host.features.rxe
        ? 'create one: rdma link add rxe0 type rxe netdev IFACE (see soft-roce/README.md)'
        : 'use the rdma-rxe path, which runs in the Soft-RoCE QEMU VM (./bypassbench run suites/softroce.yaml), or a kernel with RDMA',
    };
  }
  return { status: 'available', version, note: `RDMA devices: ${host.features.rdmaDevices.join(', ')}` };
}

export const perftestDriver: Driver<PerftestParams> & { parse(output: PerftestOutput): Measurement[] } = {
  name: 'perftest',
  description: 'RDMA verbs latency and bandwidth (ib_write/send/read _lat/_bw) from linux-rdma perftest',
  binaries: PERFTEST_TESTS,
  detect: detectPerftest,
  buildCommand: buildPerftestCommand,
  parse: parsePerftest,
};
