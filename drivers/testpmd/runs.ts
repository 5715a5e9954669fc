// A testpmd capture can hold several runs: pasted comparisons ("without this commit … with this
// commit …"), a process started twice, or start/stop cycles in one interactive session. Cumulative
// port counters only grow within a process, so a snapshot whose counters are lower than the last
// one seen for that port starts a new run; so does a new EAL start-up after statistics, and any
// statistics after the accumulated forward statistics a `stop` printed.
import { cleanLines, FWD_ALL_HEADER, NIC_RX_LINE, NIC_STATS_HEADER, NIC_TX_LINE } from './parse-native.js';

// "EAL: Detected CPU lcores: 24" / "EAL: Detected 4 lcore(s)" — the first line of a new process
const EAL_START = /^EAL: Detected (?:CPU lcores|\d+ lcore)/;
// "  RX-packets: 0          RX-errors: 1         RX-bytes: 0" — the first counter line, any layout (packets)
const ANY_RX_PACKETS = /^\s*RX-packets:\s*(\d+)/;

/** The stdout cut into runs, in order; one element (the whole text) when it holds one run. */
export function splitTestpmdRuns(stdout: string): string[] {
  const lines = cleanLines(stdout);
  const cuts: number[] = [];
  const lastCounters = new Map<number, { rx: number; tx: number }>();
  let sawStats = false;
  let afterStop = false;
  let stopBlockOpen = false;
  const newRun = (index: number) => {
    cuts.push(index);
    lastCounters.clear();
    sawStats = false;
    afterStop = false;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (EAL_START.test(line) && sawStats) newRun(i);
    if (FWD_ALL_HEADER.test(line)) {
      stopBlockOpen = true;
      sawStats = true;
      continue;
    }
    if (stopBlockOpen && /^\s*\+{20,}\s*$/.test(line)) {
      stopBlockOpen = false;
      afterStop = true;
      continue;
    }
    const header = NIC_STATS_HEADER.exec(line);
    if (!header) continue;
    if (afterStop) newRun(i);
    const port = Number(header[1]);
    // The counter lines follow the header within a few lines.
    const block = lines.slice(i + 1, i + 8);
    const rx = block.map((l) => (NIC_RX_LINE.exec(l) ?? ANY_RX_PACKETS.exec(l))?.[1]).find((v) => v !== undefined);
    const tx = block.map((l) => NIC_TX_LINE.exec(l)?.[1] ?? /^\s*TX-packets:\s*(\d+)/.exec(l)?.[1]).find((v) => v !== undefined);
    const now = { rx: Number(rx ?? 0), tx: Number(tx ?? 0) };
    const before = lastCounters.get(port);
    if (before && (now.rx < before.rx || now.tx < before.tx)) newRun(i);
    lastCounters.set(port, now);
    sawStats = true;
  }
  if (cuts.length === 0) return [stdout];
  const bounds = [0, ...cuts, lines.length];
  return bounds.slice(0, -1).map((start, k) => lines.slice(start, bounds[k + 1]).join('\n'));
}
