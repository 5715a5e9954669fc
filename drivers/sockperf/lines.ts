// sockperf's output lines as a parser sees them: what it prints (every form seen in the project's
// own runs and in captures others published, test/fixtures/sockperf/published/), how pasted text
// is cleaned back to the tool's lines, and how a capture holding several runs is cut into runs.
import { ANSI_CSI } from '../../core/text.js';

// What people paste around the tool's lines: "[STDOUT] sockperf: …" (a harness), "> sockperf: …"
// (a Markdown quote), "    sockperf: …" (indented in a mail), "**sockperf: Summary …**" (bold).
// Everything up to "sockperf: " is dropped; "sockperf[CLIENT] …" keeps its line.
const TOOL_PREFIX = /^.*?\bsockperf: ?/;
// "**121.880 usec**": Markdown bold around a number
const MARKDOWN_BOLD = /\*\*/g;
// A line that does not carry the tool prefix, pasted quoted or indented: "> $ sockperf ping-pong …"
// (Markdown quote), ">> [ 0] IP = x.x.x.x    PORT =  7654 # TCP" (a mail quoted twice),
// "                                            [ 0] IP = 127.0.0.1       PORT = 11111 # TCP"
// (indented inside a source-code string): every quote marker and the indentation are dropped.
const QUOTE_PREFIX = /^\s*(?:>\s?)*\s*/;

/** Output lines without colour codes, CR, Markdown or the "sockperf: " prefix; blank lines dropped. */
export function cleanLines(text: string): string[] {
  return text
    .replace(ANSI_CSI, '')
    .split(/\r?\n|\r/)
    .map((line) => line.replace(MARKDOWN_BOLD, ''))
    .map((line) => (TOOL_PREFIX.test(line) ? line.replace(TOOL_PREFIX, '') : line.replace(QUOTE_PREFIX, '')).trimEnd())
    .filter((line) => line.trim() !== '');
}

// "== version #3.7-no.git == " — the first line of every run; a 2016 git build prints "== version # ==".
export const VERSION_LINE = /^== version #(\S*) ==/;
// "[Total Run] RunTime=2.000 sec; Warm up time=400 msec; SentMessages=4001; ReceivedMessages=4001"
// (seconds, milliseconds, message counts); newer builds may add "; SkippedMessages=N" or say
// "Warm up packets=N"; 2.x/3.1 builds print no warm-up field:
// "[Total Run] RunTime=30.450 sec; SentMessages=2304602; ReceivedMessages=2304601"
export const TOTAL_RUN =
  /^\[Total Run\] RunTime=([\d.]+) sec;(?: Warm up (?:time=(\d+) msec|packets=(\d+));)? SentMessages=(\d+); ReceivedMessages=(\d+)(?:; SkippedMessages=(\d+))?/;
// "========= Printing statistics for Server No: 0" — one block per server.
export const SERVER_BLOCK = /^=+ Printing statistics for Server No: (\d+)/;
// "[Valid Duration] RunTime=1.549 sec; SentMessages=3099; ReceivedMessages=3099" (seconds, counts)
export const VALID_DURATION = /^\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)/;
// "====> avg-latency=7.440 (std-dev=1.112)", "====> avg-rtt=33.701 (std-dev=19.718)", and the older
// padded "====> avg-lat=  6.703 (std-dev=2.345)" (µs); newer builds continue after the std-dev:
// "(std-dev=8.246, mean-ad=4.603, median-ad=4.552, siqr=3.649, cv=0.099, std-error=0.034, 99.0% ci=[83.058, 83.236])"
export const AVERAGE = /^=+> avg-(latency|lat|rtt)=\s*([\d.]+) \(std-dev=([\d.]+)(.*)\)\s*$/;
// one dispersion figure after the std-dev: ", mean-ad=4.603" (µs; cv is a ratio)
export const DISPERSION = /,\s*(mean-ad|median-ad|siqr|cv|std-error)=([\d.]+)/g;
// the confidence interval after them: ", 99.0% ci=[83.058, 83.236]" (percent, µs, µs)
export const CONFIDENCE = /,\s*([\d.]+)% ci=\[([\d.]+),\s*([\d.]+)\]/;
// "# dropped messages = 3; # duplicated messages = 0; # out-of-order messages = 0" (counts)
export const ERROR_COUNTS = /^# dropped messages = (\d+); # duplicated messages = (\d+); # out-of-order messages = (\d+)/;
// "Summary: Latency is 7.440 usec", "Summary: Round trip is 33.701 usec",
// "Summary: Round trip of burst of 4 messages is 50.100 usec" (µs)
export const SUMMARY_LATENCY = /^Summary: (Latency|Round trip)(?: of burst of (\d+) messages)? is ([\d.]+) usec/;
// "Total 3099 observations; each percentile contains 30.99 observations" (count)
export const TOTAL_OBSERVATIONS = /^Total (\d+) observations/;
// "---> percentile 99.900 =   16.809" (percentile, µs); PR #73 builds add "  <=== New report"
export const PERCENTILE = /^---> percentile\s+([\d.]+)\s*=\s*([\d.]+)/;
// "---> <MAX> observation =   21.677"; older builds: "---> MAX observation = 21.677" (µs)
export const EXTREME = /^--->\s+<?(MAX|MIN)>?\s+observation\s*=\s*([\d.]+)/;
// "Total of 293513 messages sent in 2.000 sec" (count, seconds; newer builds may append
// " (N messages skipped)")
export const THROUGHPUT_TOTAL = /^Total of (\d+) messages sent in ([\d.]+) sec(?: \((\d+) messages skipped\))?/;
// "Summary: Message Rate is 146722 [msg/sec]" or, for fragmented messages,
// "Summary: Message Rate is 81560 [msg/sec], Packet Rate is about 244680 [pkt/sec] (3 ip frags / msg)"
export const MESSAGE_RATE = /^Summary: Message Rate is (\d+) \[msg\/sec\](?:, Packet Rate is about (\d+) \[pkt\/sec\] \((\d+) ip frags \/ msg\))?/;
// "Summary: BandWidth is 8.955 MBps (71.642 Mbps)"; with --giga-size "… is 0.009 GBps (0.072 Gbps)"
// (2^20-based payload bytes; the G forms are the M figure / 1000)
export const BANDWIDTH = /^Summary: BandWidth is ([\d.]+) (MBps|GBps) \(([\d.]+) (Mbps|Gbps)\)/;
// "NOTE: test was performed, using msg-size=64, mps=50000. For getting …" (bytes, msg/s); also
// "using average msg-size=64 (+/-8)" with --range, and no ", mps=" at --mps=max
export const THROUGHPUT_NOTE = /^NOTE: test was performed, using (?:average )?msg-size=(\d+)(?: \(\+\/-(\d+)\))?(?:, mps=(\d+))?/;
// "[ 0] IP = 10.0.0.2        PORT = 11111 # TCP" — the server a client talks to, and the protocol
export const TARGET_LINE = /^\[\s*(\d+)\] IP = (\S+)\s+PORT =\s*(\d+) # (TCP|UDP)/;
// A command line pasted with the output: "[root@host net]# sockperf ping-pong -i 10.9.9.1 --tcp -m 1000 --mps=max -t 120",
// "$ sudo sockperf tp -i $SERVER_IP -m 65400 -t 10", "*** client : ('sockperf under-load  -i 10.0.0.200 …',)"
export const COMMAND_LINE = /(?<![A-Za-z0-9])sockperf\s+(ping-pong|pp|under-load|ul|throughput|tp|playback|pb|server|sr)\b(.*)$/;
// A full-log file's parameter line: "test was performed using the following parameters: --mps=100 --burst=1 --msg-size=14 --time=20"
export const PARAMETERS_LINE = /^test was performed using the following parameters: (.*)$/;
// The message size inside a command or parameter line: "-m 1000", "--msg-size=14", "--msg-size 64" (bytes)
export const MSG_SIZE_ARG = /(?:^|\s)(?:-m|--msg-size)(?:=|\s+)(\d+)\b/;
// "ERROR: Can`t connect socket (errno=111 Connection refused)"; also "[fd=5] … ERROR: …" forms
export const ERROR_LINE = /\bERROR: (.+)$/;
// "No messages were received from the server. Is the server down?"
export const NO_MESSAGES = /^No messages were received from the server/;
// "No valid observations found. Try tune parameters: --time/--mps/--reply-every"
export const NO_VALID = /^No valid observations found/;
// "Test end before test start. Ending statistics early"
export const END_BEFORE_START = /^Test end before test start/;
// "Usage: sockperf ping-pong [options] [args]..." — printed after an argument sockperf rejected
export const USAGE = /^Usage: sockperf\b/;
// "Info: The requested message-per-second rate is too high. Try tuning --mps or --burst arguments"
export const INFO = /^Info: (.+)$/;
// "[SERVER] listen on:" — a server's output holds no measurement
export const SERVER_LISTEN = /^\[SERVER\] listen on:/;

/** Lines that carry a result: a run that printed one is complete, and the next opening line starts another. */
const RESULT_LINES = [
  TOTAL_RUN,
  SERVER_BLOCK,
  VALID_DURATION,
  AVERAGE,
  SUMMARY_LATENCY,
  TOTAL_OBSERVATIONS,
  PERCENTILE,
  EXTREME,
  THROUGHPUT_TOTAL,
  MESSAGE_RATE,
  BANDWIDTH,
];
/** Lines that open a run: the version banner, a pasted command, the first summary line of either mode. */
const OPENING_LINES = [VERSION_LINE, COMMAND_LINE, PARAMETERS_LINE, TOTAL_RUN, THROUGHPUT_TOTAL];

/**
 * The capture cut into runs, in order: a run ends where a line that opens one (banner, command,
 * [Total Run], "Total of …") follows results, or where a second "Message Rate" summary appears.
 * One run per capture is the usual case; pasted comparisons ("Prior: … After: …") hold several.
 */
export function splitRuns(lines: string[]): string[][] {
  const runs: string[][] = [];
  let current: string[] = [];
  let hasResults = false;
  let hasRate = false;
  for (const line of lines) {
    const opens = OPENING_LINES.some((re) => re.test(line)) || (hasRate && MESSAGE_RATE.test(line));
    if (opens && hasResults) {
      runs.push(current);
      current = [];
      hasResults = false;
      hasRate = false;
    }
    current.push(line);
    if (RESULT_LINES.some((re) => re.test(line))) hasResults = true;
    if (MESSAGE_RATE.test(line)) hasRate = true;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
