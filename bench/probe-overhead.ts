// Bench (not a test): what does the attribution probe cost on top of a plain kernel UDP round trip?
// Alternates, in the same two namespaces and on the same CPUs, a sockperf UDP ping-pong trial and
// a bare bb-tsprobe trial (the attribution path: raw codec, no handler work, no pauses, no hops,
// wake-up tracer off) at each rate, 64 B, and reports per rate the p50/p99 medians and the ratio
// of the median p50s (probe / sockperf). Goal (issue 16): ≤ 1.15 at every rate. Like with like, as
// the probe-vs-kernel check: `--rx-mode block` (default) pits the blocking probe against the
// kernel-udp path (sockperf's default client: busy pacing, blocking recvfrom() in the same
// thread), both ends on one CPU; `--rx-mode spin` pits the spinning probe against
// kernel-udp-busypoll, servers on the poller CPU. The probe's p50 here is its send-based RTT
// (`native.rttUs.p50`, what sockperf measures too); its schedule-based one is printed alongside.
// On a shared machine the numbers are directional: run several rounds on a quiet one.
// Usage: node dist/bench/probe-overhead.js [--rounds 3] [--duration 2] [--rates 1000,5000,20000]
//        [--rx-mode block|spin] (the probe's receive mode and the kernel reference that matches it)
//        [--probe-warmup S] (the probe's own warm-up; default the attribution path's)
//        [--pacing busy|sleep] (the probe client's pacing; default the attribution path's, busy)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from 'simple-statistics';
import { shortId } from '../core/ids.js';
import type { TrialRecord } from '../core/trial.js';
import { attributionOptionsSchema } from '../paths/attribution.js';
import { busyPollSocketOptionsSchema, kernelSocketOptionsSchema } from '../paths/kernel-sockets.js';
import type { CpuPlan } from '../paths/types.js';
import { probeHost } from '../runners/host-probe.js';
import { Ledger } from '../runners/ledger.js';
import { createNetnsTopology } from '../runners/netns.js';
import { NOTHING_PREPARED } from '../runners/path-setup.js';
import { runTrial } from '../runners/trial.js';
import type { PlannedTrial } from '../suites/plan.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const rounds = Number(arg('rounds', '3'));
const durationS = Number(arg('duration', '2'));
const rates = arg('rates', '1000,5000,20000').split(',').map(Number);
const probeWarmup = arg('probe-warmup', '');
const pacing = arg('pacing', '');
const rxMode = arg('rx-mode', 'block');
if (rxMode !== 'block' && rxMode !== 'spin') throw new Error(`--rx-mode must be block or spin, got ${JSON.stringify(rxMode)}`);
const sizeBytes = 64;
const GOAL_RATIO = 1.15;

type Tool = 'sockperf' | 'probe';

/** The probe's send-based RTT p50/p99 (comparable with sockperf's), and its schedule-based p50. */
function probeLatency(rec: TrialRecord): { sendUs: number | null; sendP99Us: number | null; scheduleUs: number | null } {
  const rtt = rec.native['rttUs'] as { p50?: number; p99?: number } | undefined;
  return { sendUs: rtt?.p50 ?? null, sendP99Us: rtt?.p99 ?? null, scheduleUs: rec.latencyUs?.p50 ?? null };
}

const fmt = (xs: number[]) => (xs.length ? median(xs).toFixed(2) : '–');

async function main() {
  const host = await probeHost();
  const id = shortId();
  const ledger = new Ledger(id, null);
  const topology = await createNetnsTopology({ shortId: id, subnet: '10.79.0', mtu: 1500, ledger });
  // Client and server share the last CPU, as in the quick suite's default placement of both tools;
  // spinning servers (both tools) go to the poller CPU, as the suites place them.
  const last = host.cpuCount - 1;
  const cpu: CpuPlan = { client: last, server: last, poller: 0, orchestrator: 0 };
  const kernelPath = rxMode === 'spin' ? 'kernel-udp-busypoll' : 'kernel-udp';
  console.log(`command: node ${process.argv.slice(1).join(' ')}`);
  console.log(`probe rxMode ${rxMode} vs ${kernelPath} (sockperf), ${sizeBytes} B, ${rounds} rounds of ${durationS} s, CPUs ${JSON.stringify(cpu)}`);
  const runDir = mkdtempSync(join(tmpdir(), 'bb-probe-bench-'));
  const env = {
    runId: 'bench',
    runDir,
    rawDir: runDir,
    topology,
    cpu,
    host,
    ledger,
    durationS,
    warmupS: 0,
    trialTimeoutS: durationS * 2 + 30,
    signal: new AbortController().signal,
    prepared: NOTHING_PREPARED,
    setupError: null,
  };
  let index = 0;
  const planned = (tool: Tool, ratePps: number): PlannedTrial => {
    index++;
    const common = { index, trialId: `b${index}`, pathIndex: 0, msgSizeBytes: sizeBytes, offeredPps: ratePps, repetition: 1 };
    return tool === 'sockperf'
      ? {
          ...common,
          path: kernelPath,
          pathLabel: kernelPath,
          driver: 'sockperf',
          mode: 'ping-pong',
          options: rxMode === 'spin' ? busyPollSocketOptionsSchema.parse({}) : kernelSocketOptionsSchema.parse({}),
        }
      : {
          ...common,
          path: 'attribution',
          pathLabel: 'attribution',
          driver: 'tsprobe',
          mode: 'open-loop',
          options: attributionOptionsSchema.parse({
            wakeup: 'off',
            rxMode,
            ...(probeWarmup === '' ? {} : { warmupS: Number(probeWarmup) }),
            ...(pacing === '' ? {} : { pacing }),
          }),
        };
  };

  const p50: Record<Tool, Map<number, number[]>> = { sockperf: new Map(), probe: new Map() };
  const p99: Record<Tool, Map<number, number[]>> = { sockperf: new Map(), probe: new Map() };
  const p50Sched = new Map<number, number[]>();
  const push = (m: Map<number, number[]>, rate: number, v: number | null) => {
    if (v !== null) m.set(rate, [...(m.get(rate) ?? []), v]);
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const rate of rates) {
        // Alternate which tool goes first, so a drift in machine load does not favour one.
        const order: Tool[] = round % 2 === 1 ? ['sockperf', 'probe'] : ['probe', 'sockperf'];
        for (const tool of order) {
          const rec = await runTrial(planned(tool, rate), env);
          if (!rec || rec.status !== 'ok') {
            console.log(`round ${round} ${rate} pps ${tool}: ${rec?.status ?? 'no record'} ${rec?.error ?? ''}`);
            continue;
          }
          if (tool === 'sockperf') {
            push(p50.sockperf, rate, rec.latencyUs?.p50 ?? null);
            push(p99.sockperf, rate, rec.latencyUs?.p99 ?? null);
            console.log(`round ${round} ${rate} pps sockperf p50 ${rec.latencyUs?.p50} p99 ${rec.latencyUs?.p99} µs (receiveMode ${rec.receiveMode})`);
          } else {
            const { sendUs, sendP99Us, scheduleUs } = probeLatency(rec);
            push(p50.probe, rate, sendUs);
            push(p99.probe, rate, sendP99Us);
            push(p50Sched, rate, scheduleUs);
            console.log(
              `round ${round} ${rate} pps probe p50 ${sendUs} p99 ${sendP99Us} µs (from schedule p50 ${scheduleUs} µs; receiveMode ${rec.receiveMode}; ` +
                `unsent ${rec.unsentRequests}; page faults while sending ${String(rec.native['minorFaultsWhileSending'])})`,
            );
          }
        }
      }
    }
    const load = (await import('node:os')).loadavg();
    console.log(`\nprobe / sockperf p50 (median over ${rounds} rounds of ${durationS} s, 64 B; load average ${load.map((l) => l.toFixed(2)).join(' ')}):`);
    for (const rate of rates) {
      const s = p50.sockperf.get(rate) ?? [];
      const p = p50.probe.get(rate) ?? [];
      const ps = p50Sched.get(rate) ?? [];
      if (s.length === 0 || p.length === 0) {
        console.log(`${rate} pps: not measured (sockperf ${s.length}, probe ${p.length} trials ok)`);
        continue;
      }
      const ratio = median(p) / median(s);
      console.log(
        `${rate} pps: p50 probe ${fmt(p)} µs (from schedule ${fmt(ps)}) / sockperf ${fmt(s)} µs = ${ratio.toFixed(3)} ` +
          `(goal ≤ ${GOAL_RATIO}${ratio <= GOAL_RATIO ? ', met' : ', missed'}); p99 probe ${fmt(p99.probe.get(rate) ?? [])} µs, sockperf ${fmt(p99.sockperf.get(rate) ?? [])} µs`,
      );
    }
  } finally {
    await topology.destroy();
    ledger.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
