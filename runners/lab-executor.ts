// A pair of lab hosts during a run: connections, per-host ledgers and run folders, the native
// programs copied over, the topology read from the hosts (test addresses from the inventory,
// MACs from `ip link`), and the TrialExecutor that runs a recipe's processes there. Recipes stay
// as they are: `client` and `server` places map onto the pair's hosts.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost, LabPair } from '../core/inventory.js';
import { hostWarnings, versionMismatches, type LabPreflight } from '../core/inventory-preflight.js';
import { nativeBinary } from '../core/project.js';
import { rdmaDeviceCheck } from '../core/rdma-devices.js';
import type { TopologyInfo } from '../core/topology.js';
import { getRecipe, pathAvailability } from '../paths/registry.js';
import type { ArtifactSpec, Place, ProcessSpec } from '../paths/types.js';
import type { PlannedTrial } from '../suites/plan.js';
import { NATIVE_BINARIES } from './host-probe.js';
import { remoteCpu, SampleStream, samplerArgv, waitSamples, type HostSampler } from './lab-cpu.js';
import { LabLedger } from './lab-ledger.js';
import { macArgv, parseIpLinkMac } from './lab-macs.js';
import { endpointHardware } from './lab-pci.js';
import { preflightHost, type RemoteFacts } from './lab-preflight.js';
import { remoteKillArgv, spawnRemoteProcess, waitRemoteReady } from './lab-process.js';
import type { RunningProcess } from './process.js';
import { SshHost, type SshSettings } from './ssh.js';
import type { TrialExecutor } from './trial.js';

type Role = 'client' | 'server';

export interface LabPairSession {
  pair: LabPair;
  ssh: Record<Role, SshHost>;
  ledgers: Record<Role, LabLedger>;
  remoteRunDirs: Record<Role, string>;
  nativeDirs: Record<Role, string>;
  remote: Record<Role, RemoteFacts>;
  topology: TopologyInfo;
  warnings: string[];
  /** Sets the static neighbour entry for the peer (again: a path's set-up may have flushed it). */
  neighbourArgv: Record<Role, string[]>;
  close(): Promise<void>;
}

/** The run's folder on a host: under its remote dir, named by the run (unique, simple). */
export function remoteRunDir(host: LabHost, runTag: string): string {
  return `${host.remoteDir}/${runTag}-${host.name}`;
}

/** Remote argv of the one-time preparation of a host: folders for pid files, artifacts and programs. */
export function prepareArgv(dir: string, artifactsDir: string): string[] {
  return ['mkdir', '-p', '--', `${dir}/pids`, `${dir}/bin`, artifactsDir];
}

async function macOf(ssh: SshHost, ifname: string): Promise<string> {
  const { stdout } = await ssh.run(macArgv(ifname));
  return parseIpLinkMac(stdout, ssh.name, ifname);
}

/** Everything a host of the pair had from this run goes: processes, adjustments, its run folder. */
export async function cleanHost(ssh: SshHost, ledger: LabLedger): Promise<string[]> {
  const problems: string[] = [];
  for (const p of [...ledger.snapshot.processes]) {
    await ssh.run(remoteKillArgv(p.pidFile, 'KILL'), { allowFailure: true, timeoutMs: 10_000 }).catch((e: Error) => problems.push(e.message));
  }
  for (const u of [...ledger.snapshot.undo].reverse()) {
    const r = await ssh.run(u.argv, { allowFailure: true, timeoutMs: 15_000 }).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
    if (r.exitCode !== 0) problems.push(`${ssh.name}: undoing "${u.why}" (${u.argv.join(' ')}) failed: ${r.stderr.trim()}`);
  }
  const rm = await ssh
    .run(['rm', '-rf', '--', ledger.snapshot.remoteRunDir], { allowFailure: true, timeoutMs: 30_000 })
    .catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
  if (rm.exitCode !== 0) problems.push(`${ssh.name}: removing ${ledger.snapshot.remoteRunDir} failed: ${rm.stderr.trim()}`);
  if (problems.length === 0) ledger.update((d) => ((d.processes = []), (d.undo = [])));
  return problems;
}

export async function openPair(pair: LabPair, runTag: string, settings: SshSettings, mtu: number, cpusWanted: number[]): Promise<LabPairSession> {
  const roles: Role[] = ['client', 'server'];
  const ssh = { client: new SshHost(pair.client, settings), server: new SshHost(pair.server, settings) };
  const dirs = { client: remoteRunDir(pair.client, runTag), server: remoteRunDir(pair.server, runTag) };
  // Written before anything happens on the hosts: cleanup knows where to look from the start.
  const ledgers = { client: new LabLedger(runTag, pair.client, dirs.client), server: new LabLedger(runTag, pair.server, dirs.server) };
  const artifactsDir = `${dirs.client}/artifacts`;
  const nativeDirs = { client: pair.client.nativeDir ?? `${dirs.client}/bin`, server: pair.server.nativeDir ?? `${dirs.server}/bin` };
  const close = async () => {
    const problems: string[] = [];
    for (const r of roles) {
      problems.push(...(await cleanHost(ssh[r], ledgers[r])));
      await ssh[r].close();
      if (problems.length === 0) ledgers[r].close();
    }
    if (problems.length > 0) throw new Error(`cleaning the lab hosts left work for \`bypassbench cleanup --inventory\`:\n${problems.join('\n')}`);
  };
  try {
    await Promise.all(roles.map((r) => ssh[r].connect()));
    // The server writes its artifacts under the same path as the client (the recipe names one
    // path per artifact): that folder, outside the server's run folder, goes at the end too.
    if (dirs.server !== dirs.client) {
      // A constant script: removes the artifacts folder, then the folder above it only if empty.
      const argv = ['sh', '-c', 'rm -rf -- "$0/artifacts"; rmdir -- "$0" 2>/dev/null; true', dirs.client];
      ledgers.server.update((d) => d.undo.push({ argv, why: "the artifacts folder on the server host (under the client's run folder path)" }));
    }
    for (const r of roles) {
      await ssh[r].run(prepareArgv(dirs[r], artifactsDir));
      if (!pair[r].nativeDir) {
        // The native programs built here are copied: the hosts must share this machine's architecture and libraries (see README "Lab mode").
        for (const b of NATIVE_BINARIES) if (existsSync(nativeBinary(b))) await ssh[r].copyTo(nativeBinary(b), `${dirs[r]}/bin/${b}`);
      }
    }
    const remote = { client: await preflightHost(ssh.client, nativeDirs.client), server: await preflightHost(ssh.server, nativeDirs.server) };
    const [clientMac, serverMac] = await Promise.all([macOf(ssh.client, pair.client.testIface), macOf(ssh.server, pair.server.testIface)]);
    const warnings = [
      ...hostWarnings(remote.client.preflight, cpusWanted),
      ...hostWarnings(remote.server.preflight, cpusWanted),
      ...versionMismatches(remote.client.preflight, remote.server.preflight),
    ];
    for (const r of roles) remote[r].preflight.warnings = warnings.filter((w) => w.startsWith(`${pair[r].name}:`));
    // The inventory's NIC facts (PCI, NUMA, RDMA device) and DPDK lcores near the NIC, per host.
    const hw = { client: endpointHardware(pair.client, remote.client.preflight), server: endpointHardware(pair.server, remote.server.preflight) };
    for (const r of roles) if (hw[r].warning) warnings.push(hw[r].warning);
    for (const r of roles) {
      const rdma = pair[r].rdmaDev ? rdmaDeviceCheck(pair[r], remote[r].preflight.rdma ?? null).warning : null;
      if (rdma) warnings.push(rdma);
    }
    // Static neighbour entries for the peer, as the local topology has: a reflector that takes
    // every frame off the wire (XDP, af_packet) never answers ARP. Ledgered before, deleted at the end.
    const peers = { client: { ip: pair.server.testIp, mac: serverMac }, server: { ip: pair.client.testIp, mac: clientMac } };
    const neighbourArgv = {} as Record<Role, string[]>;
    for (const r of roles) {
      const { ip, mac } = peers[r];
      // Gone already when a path's set-up took the address off the interface (its entries went with it).
      const undo = ['sh', '-c', 'ip neigh del "$0" dev "$1" 2>/dev/null; true', ip, pair[r].testIface];
      ledgers[r].update((d) => d.undo.push({ argv: undo, why: `static neighbour ${ip} on ${pair[r].testIface}` }));
      neighbourArgv[r] = ['ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', pair[r].testIface, 'nud', 'permanent'];
      await ssh[r].run(neighbourArgv[r]);
    }
    const topology: TopologyInfo = {
      kind: 'lab',
      runTag,
      mtu,
      client: { netns: pair.client.name, ifname: pair.client.testIface, ip: pair.client.testIp, mac: clientMac, hw: hw.client.hw },
      server: { netns: pair.server.name, ifname: pair.server.testIface, ip: pair.server.testIp, mac: serverMac, hw: hw.server.hw },
    };
    return { pair, ssh, ledgers, remoteRunDirs: dirs, nativeDirs, remote, topology, warnings, neighbourArgv, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

function roleOf(place: Place, what: string): Role {
  if (place === 'client') return 'client';
  if (place === 'server') return 'server';
  throw new Error(`${what} runs in "${place}", which lab mode has no host for (only client and server)`);
}

/** The recipe's argv with the local native programs replaced by their copies on the host. */
export function hostArgv(argv: readonly string[], nativeDir: string): string[] {
  const local = Object.fromEntries(NATIVE_BINARIES.map((b) => [nativeBinary(b), `${nativeDir}/${b}`]));
  return argv.map((a) => local[a] ?? a);
}

/** Why a path cannot run on this pair (checked per host), or null. */
export function labUnavailableReason(planned: PlannedTrial, s: LabPairSession): string | null {
  const recipe = getRecipe(planned.path);
  if (recipe.runner !== 'netns') {
    return `${planned.path} runs in the Soft-RoCE VM on this machine, which lab mode does not drive (fix: run it without --inventory, or use the rdma path: perftest between the hosts' bypassbench_rdma_dev devices)`;
  }
  const setup = recipe.setup?.(planned.options, s.topology);
  if (setup && ((setup.namespaces?.length ?? 0) > 0 || (setup.links?.length ?? 0) > 0)) {
    return `${planned.path} with these options needs extra namespaces or veth links on one machine, which two lab hosts do not have (fix: run it locally, or choose options without a middle hop)`;
  }
  for (const r of ['client', 'server'] as const) {
    const a = pathAvailability(recipe, s.remote[r].facts);
    if (a.status === 'unsupported') return `on ${r} host ${s.pair[r].name}: ${a.reason} (fix: ${a.fix})`;
    // perftest between the hosts: the inventory's device must exist on each host and be up.
    const rdma = planned.path === 'rdma' ? rdmaDeviceCheck(s.pair[r], s.remote[r].preflight.rdma ?? null).problem : null;
    if (rdma) return `${rdma.reason} (fix: ${rdma.fix})`;
  }
  return null;
}

export function labExecutor(s: LabPairSession, rawDir: string): TrialExecutor {
  const artifactsDir = `${s.remoteRunDirs.client}/artifacts`;
  return {
    spawn: ({ spec, name, timeoutMs }) => {
      const role = roleOf(spec.place, spec.role);
      const dir = join(rawDir, s.pair[role].name);
      mkdirSync(dir, { recursive: true });
      const hostSpec: ProcessSpec = { ...spec, argv: hostArgv(spec.argv, s.nativeDirs[role]) };
      return spawnRemoteProcess({
        ssh: s.ssh[role],
        spec: hostSpec,
        rawBase: join(dir, name),
        ledger: s.ledgers[role],
        remoteRunDir: s.remoteRunDirs[role],
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
    },
    waitReady: (proc: RunningProcess, check) => {
      const role = roleOf(proc.spec.place, proc.spec.role);
      return waitRemoteReady(s.ssh[role], proc as RunningProcess & { remotePid: Promise<number | null> }, check);
    },
    artifactPath: (name) => `${artifactsDir}/${name}`,
    fetchArtifacts: async (artifacts: ArtifactSpec[]) => {
      const out: ArtifactSpec[] = [];
      for (const a of artifacts) {
        const name = a.path.split('/').at(-1)!;
        // A process's stdout named as an artifact (a tracer's event log) is here already: it streamed into raw/<host>/.
        const streamed = (['client', 'server'] as const).map((r) => join(rawDir, s.pair[r].name, name)).find((f) => existsSync(f));
        if (streamed) {
          out.push({ ...a, path: streamed });
          continue;
        }
        // Every host writes under the same artifacts folder path; the file is on the host whose process wrote it.
        out.push({ ...a, path: await copyArtifact(s, a.path, name, rawDir) });
      }
      return out;
    },
    unavailableReason: (planned) => labUnavailableReason(planned, s),
    startCpu: async ({ prefix, plan, specs }) => {
      const samplers: HostSampler[] = [];
      for (const role of ['client', 'server'] as const) {
        const dir = join(rawDir, s.pair[role].name);
        mkdirSync(dir, { recursive: true });
        const spec: ProcessSpec = {
          role: 'cpu-sampler',
          place: role,
          driver: 'none',
          kind: 'service',
          cpu: null,
          argv: samplerArgv(`${s.remoteRunDirs[role]}/pids`, `${prefix}-`),
        };
        const name = `${prefix}-cpu-sampler`;
        const proc = spawnRemoteProcess({ ssh: s.ssh[role], spec, rawBase: join(dir, name), ledger: s.ledgers[role], remoteRunDir: s.remoteRunDirs[role] });
        samplers.push({ host: s.pair[role].name, role, proc, stream: new SampleStream(proc.stdoutFile) });
      }
      // Two samples before anything of the trial starts: the idle baseline of each host's CPUs.
      if (!(await waitSamples(samplers, 2, 10_000))) {
        await Promise.all(samplers.map((x) => x.proc.stop(1000)));
        return null;
      }
      return remoteCpu(samplers, plan, specs, (p) => {
        const place: string = p.place;
        return place === 'client' || place === 'server' ? place : null;
      });
    },
  };
}

async function copyArtifact(s: LabPairSession, remotePath: string, name: string, rawDir: string): Promise<string> {
  const errors: string[] = [];
  for (const r of ['client', 'server'] as const) {
    const dir = join(rawDir, s.pair[r].name);
    mkdirSync(dir, { recursive: true });
    const local = join(dir, name);
    const found = await s.ssh[r].run(['test', '-f', remotePath], { allowFailure: true, timeoutMs: 10_000 });
    if (found.exitCode !== 0) {
      errors.push(`not on ${s.pair[r].name}`);
      continue;
    }
    await s.ssh[r].copyFrom(remotePath, local);
    return local;
  }
  throw new Error(`artifact ${remotePath} was not written on either host (${errors.join(', ')})`);
}

export type { LabPreflight };
