// perftest's --out_json file: its own summary of the last row, cross-checked against the table.
import { parseNumber } from './parse-table.js';

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

export function crossCheckOutJson(results: Record<string, number>, lastRow: Record<string, number>): OutJsonCheck {
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
