// perftest's result table: the columns named by its header line, then one row per message size.

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
// " #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]" (MB = MiB; or Gb/sec);
// newer builds say so: " #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]";
// perftest 1.x prints no MsgRate column: " #bytes #iterations    BW peak[MB/sec]    BW average[MB/sec]"
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
  { key: 'bwPeak', label: /BW peak\[(?:MB|MiB|Gb)\/sec\]/y, format: 'f2' },
  { key: 'bwAverage', label: /BW average\[(?:MB|MiB|Gb)\/sec\]/y, format: 'f2' },
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
export interface ParsedTable {
  columns: ColumnDef[];
  headerLine: string;
  /** 'MB/sec', 'MiB/sec' (both 2^20 bytes/s) or 'Gb/sec' (10^9 bits/s) for bandwidth tables, null otherwise. */
  bwUnit: 'MB/sec' | 'MiB/sec' | 'Gb/sec' | null;
  rows: { line: string; values: Record<string, number> }[];
  /** Lines inside the table that are not rows (warnings perftest prints between rows). */
  innerLines: string[];
  /** The closing dashed line was printed (a killed process leaves the table open). */
  closed: boolean;
}

// " #bytes #iterations    t_min[usec] …" or " #bytes     #iterations    BW peak[MB/sec] …"
export const TABLE_HEADER_RE = /^\s*#bytes\s/;
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

export function parseNumber(token: string): number {
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

export function parseTable(lines: string[]): ParsedTable | null {
  const start = lines.findIndex((l) => TABLE_HEADER_RE.test(l));
  if (start < 0) return null;
  const headerLine = lines[start]!;
  const columns = parseColumns(headerLine);
  if (!columns) return null;
  // "BW average[Gb/sec]" (--report_gbits, 10^9 bit/s) or "BW average[MB/sec]" (2^20 byte/s)
  const bwUnit = /\[Gb\/sec\]/.test(headerLine) ? 'Gb/sec' : /\[MiB\/sec\]/.test(headerLine) ? 'MiB/sec' : /\[MB\/sec\]/.test(headerLine) ? 'MB/sec' : null;
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
