// A perftest capture as reports and failures. A paste may hold several reports (the server's and
// the client's, one per run), each a banner, a header and a table; and a failed run prints its
// reasons on stdout or stderr, the root cause first, then the generic lines each layer adds.
import { TABLE_HEADER_RE } from './parse-table.js';

// "---------------------------------------------------------------------------------------" (closes a table)
const RULE_RE = /^-{20,}\s*$/;

/**
 * The lines cut into reports, one per result table, in order: each runs from the end of the
 * previous table (so a banner and the warnings printed before it belong to it) to the rule that
 * closes its own table; lines after the last table stay with it. No table: one report.
 */
export function splitReports(lines: string[]): string[][] {
  const reports: string[][] = [];
  let current: string[] = [];
  let inTable = false;
  let tables = 0;
  for (const line of lines) {
    current.push(line);
    if (TABLE_HEADER_RE.test(line)) {
      inTable = true;
      tables++;
    } else if (inTable && RULE_RE.test(line)) {
      inTable = false;
      reports.push(current);
      current = [];
    }
  }
  if (reports.length === 0 || tables > reports.length) reports.push(current);
  else reports[reports.length - 1]!.push(...current);
  return reports;
}

// Lines that say a run failed, as perftest and the verbs/rdma_cm layers print them:
// "Couldn't connect to 192.168.125.211:18515", "Unable to create QP.", "Failed to create QP.",
// "ethernet_read_keys: Couldn't read remote address", "Event: RDMA_CM_EVENT_REJECTED; error: -111.",
// "Couldn't get context for the device", "No IB devices found", "IB device rxe9 not found",
// "Failed to modify QP 17 to RTR", "Completion with error at client", "Unable to open file descriptor for socket connection"
const FAILURE_RE = /couldn'?t|could not|unable to|failed to|RDMA_CM_EVENT_(?!ESTABLISHED)|\bnot found\b|no .*devices? found|completion with error|\berror\b/i;
// "ERRNO: No such file or directory." — errno left over from an earlier call; misleading, never the cause
const ERRNO_RE = /^ERRNO:/;
// "RDMA CM event error:" — the heading of the event line that follows it
const HEADING_RE = /^RDMA CM event error:?$/;
// The summary lines each layer adds on the way out; the cause is the line before them:
// "Failed to exchange data between server and clients", "Couldn't create IB resources",
// "Unable to init the socket connection", "Failed to handle RDMA CM event.", "Failed to connect RDMA CM events.",
// "Unable to read to socket/rdam_cm", "Failed to create QP." (after "Unable to create QP.")
const GENERIC_RE =
  /^(Failed to exchange data between server and clients|Couldn't create IB resources|Unable to init the socket connection|Failed to handle RDMA CM event|Failed to connect RDMA CM events|Unable to read to socket\/rdam_cm|Failed to create QP|Unable to open file descriptor for socket connection)/;
// Two messages printed without a newline between them (perftest before PR #228):
// "Unable to open file descriptor for socket connection Unable to init the socket connection"
// (only after a word: "ethernet_read_keys: Couldn't read remote address" is one message)
const GLUED_RE = /(?<=[A-Za-z0-9.]) (?=(?:Unable to|Failed to|Couldn't) )/;
// "Conflicting CPU frequency values detected: …" and "WARNING: BW peak won't be measured in this run." are warnings, not failures
const NOT_FAILURE_RE = /^WARNING:|Conflicting CPU frequency/;

export interface Failure {
  /** The tool's own line that names the cause. */
  rootCause: string;
  /** The other failure lines, in order. */
  others: string[];
}

/** The failure lines of a whole capture (stdout and stderr), root cause first; null when there are none. */
export function findFailure(text: string): Failure | null {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !ERRNO_RE.test(l) && !HEADING_RE.test(l) && !NOT_FAILURE_RE.test(l))
    .flatMap((l) => l.split(GLUED_RE))
    .filter((l) => FAILURE_RE.test(l));
  if (lines.length === 0) return null;
  const root = lines.find((l) => !GENERIC_RE.test(l)) ?? lines[0]!;
  return { rootCause: root, others: lines.filter((l) => l !== root) };
}

// A pasted command line: "# ib_write_bw -d rocep133s0f0 192.168.125.211",
// "[root@host perftest]# ./ib_write_bw -R -F -n10 …", "Starting RDMA client 'ib_read_lat' for mlx5_0 (Port 18515)..."
const COMMAND_RE = /(?<![\w-])(ib_(?:write|read|send|atomic)_(?:bw|lat))\b(.*)$/;
// The device option inside it: "-d mlx4_0", "--ib-dev=siw_0"
const DEVICE_ARG_RE = /(?:^|\s)(?:-d|--ib-dev)(?:=|\s+)(\S+)/;

/** The test and the device a pasted command line names, when the capture has one. */
export function commandLine(lines: string[]): { test: string | null; device: string | null; args: string } | null {
  for (const line of lines) {
    const m = COMMAND_RE.exec(line);
    if (m) return { test: m[1]!, device: DEVICE_ARG_RE.exec(m[2] ?? '')?.[1] ?? null, args: (m[2] ?? '').trim() };
  }
  return null;
}

/** Soft-RoCE (rxe) and Soft-iWARP (siw) are kernel software devices: results say nothing of RDMA NICs. */
export function isEmulatedDevice(device: string | null): boolean {
  return device !== null && /^(rxe|siw)/.test(device);
}
