// Bench (not a test): how faithful and how cheap is bypassbench's kernel baseline?
//  1. Fidelity: p50 RTT of a bypassbench sockperf trial vs the same sockperf command started by
//     hand (plain spawn, no bypassbench machinery) in the same topology, alternated N times;
//     reports the ratio of medians (goal 1.00 ± 0.05).
//  2. Overhead: CPU seconds the orchestrator process uses during one trial of `overheadS`
//     seconds (goal < 1 % of one core).
// Usage: node dist/bench/kernel-baseline.js [--pairs 5] [--duration 3] [--overhead 10]
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { median } from 'simple-statistics';
import { shortId } from '../core/ids.js';
import type { PlannedTrial } from '../suites/plan.js';
import { sockperfDriver } from '../drivers/sockperf/index.js';
import { kernelSocketOptionsSchema } from '../paths/kernel-sockets.js';
import type { CpuPlan } from '../paths/types.js';
import { run, start } from '../runners/exec.js';
import { probeHost } from '../runners/host-probe.js';
import { Ledger } from '../runners/ledger.js';
import { createNetnsTopology } from '../runners/netns.js';
import { runTrial } from '../runners/trial.js';
import { NOTHING_PREPARED } from '../runners/path-setup.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const pairs = arg('pairs', 5);
const durationS = arg('duration', 3);
const overheadS = arg('overhead', 10);
const sizeBytes = 64;
const ratePps = 10000;

async function main() {
  const host = await probeHost();
  const id = shortId();
  const ledger = new Ledger(id, null);
  const topology = await createNetnsTopology({ shortId: id, subnet: '10.78.0', mtu: 1500, ledger });
  const cpu: CpuPlan = { client: host.cpuCount - 1, server: host.cpuCount - 1, poller: 0, orchestrator: 0 };
  const runDir = mkdtempSync(join(tmpdir(), 'bb-bench-'));
  const env = (d: number) => ({
    runId: 'bench',
    runDir,
    rawDir: runDir,
    topology,
    cpu,
    host,
    ledger,
    durationS: d,
    warmupS: 0,
    trialTimeoutS: d * 2 + 20,
    signal: new AbortController().signal,
    prepared: NOTHING_PREPARED,
    setupError: null,
  });
  let index = 0;
  const planned = (): PlannedTrial => {
    index++;
    return {
      index,
      trialId: `b${index}`,
      pathIndex: 0,
      path: 'kernel-udp',
      pathLabel: 'kernel-udp',
      driver: 'sockperf',
      mode: 'ping-pong',
      options: kernelSocketOptionsSchema.parse({}),
      msgSizeBytes: sizeBytes,
      offeredPps: ratePps,
      repetition: 1,
    };
  };

  async function byHand(port: number): Promise<number | null> {
    const ns = (side: 'client' | 'server', argv: string[], c: number) => ['ip', 'netns', 'exec', topology[side].netns, 'taskset', '-c', String(c), ...argv];
    const serverArgv = ns('server', sockperfDriver.buildCommand({ role: 'server', protocol: 'udp', serverIp: topology.server.ip, port }), cpu.server);
    const server = start(serverArgv);
    await new Promise((r) => setTimeout(r, 300));
    const clientArgv = ns(
      'client',
      sockperfDriver.buildCommand({
        role: 'client',
        protocol: 'udp',
        serverIp: topology.server.ip,
        port,
        mode: 'ping-pong',
        msgSizeBytes: sizeBytes,
        durationS,
        mps: ratePps,
        fullRtt: true,
      }),
      cpu.client,
    );
    const client = await run(clientArgv, { allowFailure: true, timeoutMs: (durationS + 30) * 1000 });
    server.kill('SIGINT');
    await server.done;
    return sockperfDriver.parse({ stdout: client.stdout, stderr: client.stderr, exitCode: client.exitCode })[0]?.latencyUs?.p50 ?? null;
  }

  try {
    const tool: number[] = [];
    const hand: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const rec = await runTrial(planned(), env(durationS));
      const p50Tool = rec?.latencyUs?.p50 ?? null;
      const p50Hand = await byHand(30000 + i);
      console.log(`pair ${i + 1}: bypassbench p50 ${p50Tool} µs, by hand p50 ${p50Hand} µs`);
      if (p50Tool !== null) tool.push(p50Tool);
      if (p50Hand !== null) hand.push(p50Hand);
    }
    const ratio = median(tool) / median(hand);
    console.log(
      `fidelity: median p50 bypassbench ${median(tool).toFixed(3)} µs / by hand ${median(hand).toFixed(3)} µs = ${ratio.toFixed(3)} (goal 1.00 ± 0.05)`,
    );

    const before = process.cpuUsage();
    const t0 = Date.now();
    const rec = await runTrial(planned(), env(overheadS));
    const used = process.cpuUsage(before);
    const wallS = (Date.now() - t0) / 1000;
    const cpuS = (used.user + used.system) / 1e6;
    console.log(
      `overhead: ${cpuS.toFixed(3)} CPU s in the orchestrator during a ${overheadS} s trial (${wallS.toFixed(1)} s wall incl. sockperf's own start-up) = ${((cpuS / wallS) * 100).toFixed(2)} % of one core (goal < 1 %); trial status ${rec?.status}`,
    );
  } finally {
    await topology.destroy();
    ledger.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
