// Re-capture the perftest parser fixtures from a real Soft-RoCE VM run:
//   npm run build && node dist/runners/scripts/capture-perftest-fixtures.js [--out=DIR] [CASE_ID …]
// With case ids, only those cases run (the others' fixtures stay as they are).
// Writes test/fixtures/perftest/<case>.{stdout,stderr,json} (and .outjson for --out_json cases)
// for the client of every case, for the server where the plan says so, and for every earlier
// attempt that printed inf. Nothing is edited: the files are the guest's own bytes.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../core/project.js';
import { GUEST_DEFAULTS, GUEST_TOPOLOGY, perftestCase, type GuestCase, type GuestPlan } from '../../soft-roce/plan.js';
import { detectSoftRoceVm } from '../softroce-detect.js';
import { ensureImage } from '../softroce-image.js';
import type { GuestAttempt, GuestProcessResult } from '../softroce-share.js';
import { runPlanInVm, type VmRunResult } from '../softroce-vm.js';

interface CaptureCase {
  guestCase: GuestCase;
  /** Also keep the server's output as <id>-server. */
  keepServer?: boolean;
  /** Name of a file the client writes (perftest --out_json), kept as <id>.outjson. */
  outJsonName?: string;
  note?: string;
}

const OUT_JSON = 'perftest.json';

function capturePlan(): CaptureCase[] {
  const list: CaptureCase[] = [
    { guestCase: perftestCase('ib_write_lat-2B', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000 }), keepServer: true },
    { guestCase: perftestCase('ib_send_lat-64B', { test: 'ib_send_lat', msgSizeBytes: 64, iterations: 1000 }) },
    { guestCase: perftestCase('ib_read_lat-64B', { test: 'ib_read_lat', msgSizeBytes: 64, iterations: 1000 }) },
    { guestCase: perftestCase('ib_write_lat-duration', { test: 'ib_write_lat', msgSizeBytes: 2, durationS: 2 }) },
    {
      guestCase: perftestCase('ib_write_lat-cycles', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000, reportCycles: true }),
      note: '-C: values are CPU cycles although the header says usec',
    },
    {
      guestCase: perftestCase('ib_write_lat-outjson', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000, outJsonFile: OUT_JSON }),
      outJsonName: OUT_JSON,
    },
    {
      guestCase: perftestCase('ib_write_lat-all', { test: 'ib_write_lat', allSizes: true, iterations: 5, clientTimeoutS: 300, serverTimeoutS: 330 }),
      note: '-a -n 5: every size 2 B..8 MiB; rows may print inf (failed calibration under TCG)',
    },
    { guestCase: perftestCase('ib_write_bw-64K', { test: 'ib_write_bw', msgSizeBytes: 65536, iterations: 1000 }) },
    { guestCase: perftestCase('ib_send_bw-4K-gbits', { test: 'ib_send_bw', msgSizeBytes: 4096, iterations: 1000, reportGbits: true }), keepServer: true },
    { guestCase: perftestCase('ib_read_bw-4K', { test: 'ib_read_bw', msgSizeBytes: 4096, iterations: 1000 }) },
    {
      guestCase: perftestCase('ib_write_bw-64B-rate20kpps', {
        test: 'ib_write_bw',
        msgSizeBytes: 64,
        durationS: 2,
        rateLimit: { limit: 20000, units: 'pps', type: 'SW' },
      }),
    },
    {
      guestCase: perftestCase('ib_write_bw-all-outjson', {
        test: 'ib_write_bw',
        allSizes: true,
        iterations: 20,
        outJsonFile: OUT_JSON,
        clientTimeoutS: 300,
        serverTimeoutS: 330,
      }),
      outJsonName: OUT_JSON,
      note: '-a -n 20 with --out_json: the json file holds only the last row',
    },
    { guestCase: perftestCase('ib_write_lat-rdmacm', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000, rdmaCm: true, startDelayS: 2 }) },
    {
      guestCase: perftestCase('ib_send_bw-all-timeout', {
        test: 'ib_send_bw',
        allSizes: true,
        iterations: 200,
        clientTimeoutS: 30,
        maxAttempts: 1,
        serverGraceS: 2,
      }),
      note: "-a -n 200 stopped by the guest's 30 s client timeout in the middle of the table",
    },
  ];
  // A client whose server listens on another port: a real connection failure.
  const server = perftestCase('x', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000, tcpPort: 18516 }).server;
  const client = perftestCase('x', { test: 'ib_write_lat', msgSizeBytes: 2, iterations: 1000 }).client;
  list.push({
    guestCase: { id: 'ib_write_lat-noserver', server, client, readyTcpPort: 18516, maxAttempts: 1, serverGraceS: 2 },
    note: 'the server listens on 18516, the client connects to 18515',
  });
  return list;
}

function toolVersion(): string {
  try {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    // "Package: perftest\n…\nVersion: 4.5+0.17-1"
    const m = /^Package: perftest\n(?:.+\n)*?Version: (\S+)/m.exec(status);
    return m ? `perftest ${m[1]} (Debian)` : 'perftest (version unknown)';
  } catch {
    return 'perftest (version unknown)';
  }
}

function writeFixture(
  dir: string,
  name: string,
  proc: GuestProcessResult,
  attempt: GuestAttempt,
  c: CaptureCase,
  vm: VmRunResult,
  extra: Record<string, unknown>,
): void {
  const g = c.guestCase;
  const nice = (role: 'server' | 'client') => (role === 'server' ? (g.server.nice ?? GUEST_DEFAULTS.serverNice) : (g.client.nice ?? GUEST_DEFAULTS.clientNice));
  writeFileSync(join(dir, `${name}.stdout`), proc.stdout);
  writeFileSync(join(dir, `${name}.stderr`), proc.stderr);
  const meta = {
    argv: proc.argv,
    captured: proc.role,
    processes: [
      { role: 'server', argv: g.server.argv, nice: nice('server'), exitCode: attempt.server.exitCode },
      { role: 'client', argv: g.client.argv, nice: nice('client'), exitCode: attempt.client.exitCode },
    ],
    exitCode: proc.exitCode,
    capturedAt: new Date().toISOString(),
    setup:
      `Soft-RoCE inside a QEMU ${vm.accel.toUpperCase()} VM (no NIC): one guest kernel, veth pair ${GUEST_TOPOLOGY.server.netdev} ${GUEST_TOPOLOGY.server.ip}/24 (server, ${GUEST_TOPOLOGY.server.device}) <-> ` +
      `${GUEST_TOPOLOGY.client.netdev} ${GUEST_TOPOLOGY.client.ip}/24 (client, ${GUEST_TOPOLOGY.client.device}), oif policy routes, accept_local=1, rp_filter=0; ` +
      `server started first (${g.readyTcpPort ? `client waited for TCP ${g.readyTcpPort} LISTEN` : `client started ${g.startDelayS ?? GUEST_DEFAULTS.startDelayS} s later`}), ` +
      `each process run as: timeout -k 5 T nice -n N stdbuf -oL ARGV; host: 2-vCPU Firecracker VM shared with other workers (noisy)` +
      (c.note ? `; ${c.note}` : ''),
    toolVersion: toolVersion(),
    kernel: vm.guest.kernelRelease,
    emulated: true,
    attempt: attempt.attempt,
    attemptsInCase: vm.cases.find((x) => x.id === g.id)?.attempts.length ?? null,
    infDetected: attempt.infDetected,
    vm: {
      accel: vm.accel,
      accelReason: vm.accelReason,
      qemuArgv: vm.qemuArgv.map((a) => a.replace(vm.paths.outDir, '<outDir>')),
      guestCpuModel: vm.guest.cpuModel,
      guestCpus: vm.guest.cpus,
      guestClocksource: vm.guest.clocksource,
      imageKey: vm.image.key,
      imageSha256: vm.image.imageSha256,
      kernelPackage: vm.image.kernel,
      hostKernel: extra['hostKernel'],
      qemuVersion: extra['qemuVersion'],
    },
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
}

async function main(): Promise<void> {
  const fixtureDir = join(projectRoot(), 'test', 'fixtures', 'perftest');
  mkdirSync(fixtureDir, { recursive: true });
  const prefix = process.env['BB_PREFIX'] ?? 'bb';
  const args = process.argv.slice(2);
  const outArg = args.find((a) => a.startsWith('--out='));
  const outDir = outArg ? outArg.slice('--out='.length) : mkdtempSync(join(tmpdir(), `${prefix}-softroce-capture-`));
  const only = args.filter((a) => !a.startsWith('--'));

  const image = await ensureImage({ onLog: (l) => process.stderr.write(`build: ${l}\n`) });
  process.stderr.write(`image ${image.manifest.key} cacheHit=${image.cacheHit} buildS=${image.buildS.toFixed(1)}\n`);
  const qemuVersion = (await detectSoftRoceVm()).qemu?.version ?? null;
  const hostKernel = release();

  const cases = capturePlan().filter((c) => only.length === 0 || only.includes(c.guestCase.id));
  if (cases.length === 0) throw new Error(`no capture case is named ${only.join(', ')}`);
  const plan: GuestPlan = cases.map((c) => c.guestCase);
  const vm = await runPlanInVm(plan, {
    outDir,
    name: `${prefix}-softroce-capture`,
    image,
    onGuestEvent: (line) => process.stderr.write(`guest: ${line}\n`),
  });
  process.stderr.write(`vm ${vm.status} in ${vm.bootToResultS.toFixed(1)} s ${vm.error ?? ''}\n`);

  for (const c of cases) {
    const result = vm.cases.find((x) => x.id === c.guestCase.id);
    if (!result?.final) {
      process.stderr.write(`case ${c.guestCase.id}: did not run\n`);
      continue;
    }
    const extra = { qemuVersion, hostKernel };
    const final = result.final;
    writeFixture(fixtureDir, c.guestCase.id, final.client, final, c, vm, extra);
    if (c.keepServer) writeFixture(fixtureDir, `${c.guestCase.id}-server`, final.server, final, c, vm, extra);
    if (c.outJsonName && final.client.files[c.outJsonName]) {
      writeFileSync(join(fixtureDir, `${c.guestCase.id}.outjson`), readFileSync(final.client.files[c.outJsonName]!));
    }
    for (const earlier of result.attempts.slice(0, -1)) {
      if (earlier.infDetected) {
        // " 4       5          inf            inf …": a row with inf values (guest/init.sh retries on it)
        const who = /\s-?inf\s/.test(earlier.client.stdout) ? earlier.client : earlier.server;
        writeFixture(fixtureDir, `${c.guestCase.id}-inf-attempt${earlier.attempt}${who.role === 'server' ? '-server' : ''}`, who, earlier, c, vm, extra);
      }
    }
    process.stderr.write(
      `case ${c.guestCase.id}: ${result.attempts.length} attempt(s), client exit ${final.client.exitCode}, server exit ${final.server.exitCode}\n`,
    );
  }
  process.stderr.write(`raw run kept in ${outDir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
