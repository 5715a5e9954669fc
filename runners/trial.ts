// One trial: start the recipe's services, wait until they are ready, run the measuring process,
// stop the services, parse, account CPU. Whatever happens, every process is gone when it returns.
import { createReadStream } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { PlannedTrial } from '../suites/plan.js';
import type { HostFacts } from '../core/host.js';
import { noMeasurement, type CpuCost, type Measurement, type TrialRecord, type TrialStatus } from '../core/trial.js';
import { getDriver } from '../drivers/registry.js';
import { impossibleValues } from '../drivers/value-checks.js';
import type { ArtifactFile } from '../drivers/types.js';
import { getNetnsRecipe, getRecipe, pathAvailability } from '../paths/registry.js';
import type { ArtifactSpec, CpuPlan, PreparedPath, ProcessSpec, ReadArtifact, ReadyCheck, TopologyInfo, TrialContext } from '../paths/types.js';
import { nsPerPacket } from './cpu.js';
import { measureCpu, pathCpus, sampleBaseline, sampleLeadBaseline } from './trial-cpu.js';
import { DiskFullError, diskError } from '../core/safe-write.js';
import { printable } from '../core/text.js';
import { UnsupportedError } from '../core/errors.js';
import { StepClock } from '../core/trial-steps.js';
import type { Ledger } from './ledger.js';
import { earlyExitReason, safeRead, spawnTrialProcess, waitReady, type ProcessOutcome, type RunningProcess } from './process.js';
import { ensureTracefs } from './tracefs.js';
import type { RemoteCpu } from './lab-cpu.js';

export interface TrialEnv {
  runId: string;
  runDir: string;
  rawDir: string;
  topology: TopologyInfo;
  cpu: CpuPlan;
  host: HostFacts;
  ledger: Ledger;
  durationS: number;
  warmupS: number;
  trialTimeoutS: number;
  /** Aborted on SIGINT/SIGTERM: the running trial stops at once. */
  signal: AbortSignal;
  /** What the path's set-up prepared for this block of trials. */
  prepared: PreparedPath;
  /** The path's set-up failed: every trial of the block fails with this reason. */
  setupError: string | null;
  /** Lab mode (runners/lab-executor.ts): processes run on remote hosts; absent = local namespaces. */
  executor?: TrialExecutor;
}

/** Where and how a trial's processes run when not in this machine's namespaces. */
export interface TrialExecutor {
  spawn(o: { spec: ProcessSpec; name: string; timeoutMs?: number }): RunningProcess;
  waitReady(proc: RunningProcess, check: ReadyCheck | undefined): Promise<void>;
  /** Where a process writes the artifact `name` (a path on its host). */
  artifactPath(name: string): string;
  /** Copies the artifacts back; returns them with local paths. */
  fetchArtifacts(artifacts: ArtifactSpec[]): Promise<ArtifactSpec[]>;
  /** The path cannot run on these hosts: the reason and the fix. */
  unavailableReason(planned: PlannedTrial): string | null;
  /** Starts CPU sampling on the hosts before the trial's services (runners/lab-cpu.ts); null: CPU not measured. */
  startCpu?(o: { prefix: string; plan: CpuPlan; specs: readonly ProcessSpec[] }): Promise<RemoteCpu | null>;
}

/** Ports 20000–29999, one per trial index, so a socket lingering from the last trial never interferes. */
export function trialPort(index: number): number {
  return 20000 + (index % 10000);
}

function netnsFor(spec: ProcessSpec, env: TrialEnv): string | null {
  if (spec.place === 'host') return null;
  if (spec.place === 'client') return env.topology.client.netns;
  if (spec.place === 'server') return env.topology.server.netns;
  const ns = env.prepared.namespaces[spec.place];
  if (!ns) throw new Error(`${spec.role} runs in namespace "${spec.place}", which the path did not prepare`);
  return ns;
}

/** CPU not taken (lab mode: the processes ran on other hosts). */
const UNMEASURED_CPU: CpuCost = { coresBusy: null, nsPerPacket: null, perCpu: [] };

class Interrupted extends Error {}
class ServiceDied extends Error {}
/** The tool's quiet lead ended before the services were ready and the baseline taken: run the trial again in order. */
class LeadMissed extends Error {}

interface PhaseResult {
  measure: ProcessOutcome;
  /** The measuring process's driver parses the trial (a path may mix drivers). */
  measureDriver: string;
  services: ProcessOutcome[];
  cpu: CpuCost;
  /** Foreign load on the path's CPUs during the window, or null. */
  noisy: string | null;
  artifacts: ArtifactSpec[];
  /** Lab mode: Date.now() when the measuring tool's start line arrived (null: none; undefined: local). */
  trafficAtMs?: number | null;
}

/** The measuring process's life split by its counted window (performance.now() ms), when known. */
function toolSteps(clock: StepClock, spawnedAtMs: number, exitedAtMs: number, windowAtMs: { startMs: number; endMs: number } | undefined): void {
  clock.set('toolS', (exitedAtMs - spawnedAtMs) / 1000);
  if (!windowAtMs) return;
  clock.set('toolStartS', (windowAtMs.startMs - spawnedAtMs) / 1000);
  clock.set('toolExitS', (exitedAtMs - windowAtMs.endMs) / 1000);
}

/**
 * Runs the recipe's processes once: services, then the measuring process (which warms itself up).
 * A measuring tool with a quiet lead (MeasuredWindow.quietLead: sockperf over UDP sleeps 2 s before
 * it sends anything) is spawned first instead, and the services' start and the idle baseline happen
 * in that sleep, when nothing is measured; `inOrder` turns that off (the retry after a missed lead).
 */
async function runPhase(planned: PlannedTrial, env: TrialEnv, durationS: number, tag: string, clock: StepClock, inOrder = false): Promise<PhaseResult> {
  const recipe = getNetnsRecipe(planned.path);
  const ctx: TrialContext = {
    topology: env.topology,
    prepared: env.prepared,
    cpu: env.cpu,
    msgSizeBytes: planned.msgSizeBytes,
    offeredPps: planned.offeredPps,
    durationS,
    warmupS: env.warmupS,
    port: trialPort(planned.index),
    artifactPath: (name) =>
      env.executor ? env.executor.artifactPath(`${planned.trialId}${tag}-${name}`) : join(env.rawDir, `${planned.trialId}${tag}-${name}`),
  };
  const ex = env.executor;
  const spawn = (spec: ProcessSpec, name: string, timeoutMs?: number): RunningProcess =>
    ex
      ? ex.spawn({ spec, name, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })
      : spawnTrialProcess({
          spec,
          netns: netnsFor(spec, env),
          rawBase: join(env.rawDir, name),
          ledger: env.ledger,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
  const { processes, artifacts = [] } = recipe.plan(ctx, planned.options);
  const services: RunningProcess[] = [];
  const measureSpec = processes.find((p) => p.kind === 'measure');
  if (!measureSpec) throw new Error(`recipe for ${planned.path} planned no measuring process`);
  // Lab mode keeps the plain order: its baseline is taken on the hosts before the services.
  const declaredWindow = measureSpec.measuredWindow;
  const lead = !ex && !inOrder && declaredWindow?.quietLead ? { ...declaredWindow, quietLead: declaredWindow.quietLead } : null;
  let measure: RunningProcess | null = null;
  let spawnedAtMs = 0;
  const spawnMeasure = (): RunningProcess => {
    spawnedAtMs = performance.now();
    return spawn(measureSpec, `${planned.trialId}${tag}-${measureSpec.role}`, env.trialTimeoutS * 1000);
  };
  const stopAll = async () => {
    // A measuring process spawned before the services (quiet lead) is stopped with them when the trial fails early.
    if (measure && !measure.exited()) await measure.stop(1000);
    for (const s of [...services].reverse()) {
      s.sampleCpu();
      await s.stop();
    }
  };
  const onAbort = () => void stopAll();
  env.signal.addEventListener('abort', onAbort, { once: true });
  let releaseTracefs: (() => Promise<void>) | null = null;
  let remote: RemoteCpu | null = null;
  const cpus = pathCpus(env.cpu, processes);
  try {
    // What the path's CPUs do with nothing of the trial running: the idle baseline (this machine's
    // CPUs; in lab mode the processes run elsewhere and no CPU is taken).
    let baseline = ex || lead ? null : await sampleBaseline(cpus);
    // Lab mode: a sampler per host, started now so its first samples are the hosts' idle baseline.
    remote = ex?.startCpu ? await ex.startCpu({ prefix: `${planned.trialId}${tag}`, plan: env.cpu, specs: processes }) : null;
    if (lead) {
      if (env.signal.aborted) throw new Interrupted();
      measure = spawnMeasure();
      // The plan and spawn are not the baseline's time (trialOther); from here on everything is inside the tool's life.
      clock.skip();
    } else clock.lap('baselineS');
    // Lab hosts mount their own tracefs (not done by lab mode yet): only a local trial mounts it here.
    if (!ex && processes.some((p) => p.tracefs)) releaseTracefs = await ensureTracefs(env.ledger);
    // Services started so far, by role: a tracer that filters by process id is planned with them.
    const pids: Record<string, number> = {};
    for (const declared of processes.filter((p) => p.kind === 'service')) {
      const spec = declared.argvFromPids ? { ...declared, argv: declared.argvFromPids(pids) } : declared;
      const attempts = 1 + (spec.restartOnEarlyExit?.attempts ?? 0);
      for (let attempt = 1; ; attempt++) {
        if (env.signal.aborted) throw new Interrupted();
        const suffix = attempt > 1 ? `-attempt${attempt}` : '';
        const proc = spawn(spec, `${planned.trialId}${tag}-${spec.role}${suffix}`);
        services.push(proc);
        try {
          await (ex ? ex.waitReady(proc, spec.ready) : waitReady(proc, spec.ready));
          if (proc.pid !== null) pids[spec.role] = proc.pid;
          break;
        } catch (err) {
          if (!proc.exited() || attempt >= attempts) throw err;
          services.pop();
          await new Promise((r) => setTimeout(r, spec.restartOnEarlyExit!.delayMs));
        }
      }
    }
    if (lead && measure) {
      // Inside the tool's life, not extra wall time: the steps say so (leadServicesStartS, leadBaselineS).
      clock.lap('leadServicesStartS');
      baseline = await sampleLeadBaseline(measure, services, cpus, lead);
      if (baseline === null) throw new LeadMissed(`the ${measureSpec.role}'s quiet lead ended before the services were ready and the idle baseline was taken`);
      clock.lap('leadBaselineS');
    } else clock.lap('servicesStartS');
    if (env.signal.aborted) throw new Interrupted();
    const running = measure ?? spawnMeasure();
    measure = running;
    const stopMeasure = () => void running.stop(1000);
    env.signal.addEventListener('abort', stopMeasure, { once: true });
    // Tools without a duration of their own are stopped with SIGINT, which makes them print
    // their final statistics; that is a normal end, not a timeout.
    const stopTimer = measureSpec.stopAfterS === undefined ? null : setTimeout(() => void running.stop(10_000), measureSpec.stopAfterS * 1000);
    // In lab mode this machine only orchestrates: its CPU time says nothing about the hosts' (unknown, never 0).
    let trafficAtMs: number | null | undefined;
    const cpuDone =
      baseline !== null
        ? measureCpu(running, services, { cpus, baseline, window: measureSpec.measuredWindow })
        : (remote?.measure(running, services, measureSpec.measuredWindow).then((r) => ((trafficAtMs = r.trafficAtMs), r)) ?? null);
    const measureOutcome = await running.done;
    const exitedAtMs = performance.now();
    const windowed = cpuDone === null ? { cost: UNMEASURED_CPU, noisy: null } : await cpuDone;
    toolSteps(clock, spawnedAtMs, exitedAtMs, 'windowAtMs' in windowed ? windowed.windowAtMs : undefined);
    clock.skip();
    if (stopTimer) clearTimeout(stopTimer);
    env.signal.removeEventListener('abort', stopMeasure);
    if (env.signal.aborted) throw new Interrupted();
    // A lost ssh connection is the cause of whatever the tool's output lacks: say so.
    if (measureOutcome.lostConnection) throw new Error(measureOutcome.lostConnection);
    // A service that died under the client (testpmd failing to start its port, out of memory) is
    // the cause of whatever the client saw: report it, not the client's "no replies".
    const died = services.find((s) => s.exited());
    if (died) {
      const o = await died.done;
      throw new ServiceDied(o.lostConnection ?? (await earlyExitReason(died)));
    }
    for (const s of services) s.sampleCpu();
    const serviceOutcomes: ProcessOutcome[] = [];
    for (const s of [...services].reverse()) serviceOutcomes.unshift(await s.stop(s.spec.stopGraceMs));
    clock.lap('servicesStopS');
    return {
      measure: measureOutcome,
      measureDriver: measureSpec.driver,
      services: serviceOutcomes,
      cpu: windowed.cost,
      noisy: windowed.noisy,
      artifacts,
      ...(trafficAtMs === undefined ? {} : { trafficAtMs }),
    };
  } finally {
    env.signal.removeEventListener('abort', onAbort);
    await stopAll();
    await remote?.stop();
    // After the tracer stopped: unmounting under a running bpftrace fails.
    if (releaseTracefs) await releaseTracefs();
  }
}

export function unavailableReason(planned: PlannedTrial, host: HostFacts): string | null {
  const a = pathAvailability(getRecipe(planned.path), host);
  return a.status === 'unsupported' ? `${a.reason} (fix: ${a.fix})` : null;
}

function baseRecord(planned: PlannedTrial, env: TrialEnv, startedAt: Date): Omit<TrialRecord, keyof Measurement | 'status'> {
  return {
    trialId: planned.trialId,
    runId: env.runId,
    path: planned.path,
    pathLabel: planned.pathLabel,
    driver: planned.driver,
    mode: planned.mode,
    offeredPps: planned.offeredPps,
    latencyKind: 'rtt',
    cpu: null,
    repetition: planned.repetition,
    emulated: false,
    raw: [],
    startedAt: startedAt.toISOString(),
    durationS: 0,
  };
}

/**
 * What the services (reflectors, wires, servers, sinks) said when stopped, by role: a reflector's
 * own counters show where packets were lost. A driver whose tool says nothing as a service opts out.
 */
function parseServices(outcomes: ProcessOutcome[]): Record<string, Measurement> {
  const out: Record<string, Measurement> = {};
  for (const o of outcomes) {
    const driver = getDriver(o.driver);
    if (driver.serviceOutput === 'none') continue;
    const [m] = driver.parse({ stdout: safeRead(o.stdoutFile), stderr: safeRead(o.stderrFile), exitCode: o.exitCode });
    if (m) out[o.role] = m;
  }
  return out;
}

/** A file the trial's processes wrote, as drivers read it: whole, or line by line. */
function artifactFile(path: string): ArtifactFile {
  return { path, text: () => safeRead(path), lines: () => createInterface({ input: createReadStream(path), crlfDelay: Infinity }) };
}

/** Each artifact, read by the driver of the tool that wrote it. */
async function readArtifacts(artifacts: readonly ArtifactSpec[]): Promise<ReadArtifact[]> {
  const read: ReadArtifact[] = [];
  for (const a of artifacts) {
    const reader = getDriver(a.driver).artifactReaders?.[a.kind];
    if (!reader) throw new Error(`driver ${a.driver} has no reader for artifacts of kind "${a.kind}" (${a.path})`);
    read.push({ ...a, content: await reader(artifactFile(a.path)) });
  }
  return read;
}

/** Packets crossing the path per second, both directions (requests and the replies to them). */
function packetRate(m: Measurement): number | null {
  if (m.achievedPps === null) return null;
  const replyShare = m.sentPackets && m.receivedPackets !== null ? m.receivedPackets / m.sentPackets : 0;
  return m.achievedPps * (1 + replyShare);
}

export async function runTrial(planned: PlannedTrial, env: TrialEnv): Promise<TrialRecord | null> {
  const startedAt = new Date();
  const clock = new StepClock();
  const base = baseRecord(planned, env, startedAt);
  const finish = (status: TrialStatus, m: Omit<Measurement, 'status'>, extra: Partial<TrialRecord> = {}): TrialRecord => ({
    ...base,
    ...m,
    // The planned size keys the record (grouping, verdicts); a tool that sent another size (a JSON
    // codec rounds to whole fields) says so in native.msgSizeBytesSent.
    msgSizeBytes: planned.msgSizeBytes,
    native: m.msgSizeBytes !== null && m.msgSizeBytes !== planned.msgSizeBytes ? { ...m.native, msgSizeBytesSent: m.msgSizeBytes } : m.native,
    status,
    durationS: Math.round(((Date.now() - startedAt.getTime()) / 1000) * 1000) / 1000,
    stepsS: clock.steps,
    ...extra,
  });

  const unsupported = env.executor ? env.executor.unavailableReason(planned) : unavailableReason(planned, env.host);
  if (unsupported) return finish('unsupported', noMeasurement(planned.msgSizeBytes, unsupported));
  if (env.setupError) return finish('failed', noMeasurement(planned.msgSizeBytes, env.setupError));

  try {
    // No separate warm-up run: it would warm another process. Each client warms itself (ctx.warmupS).
    let leadMissed: string | null = null;
    const phase = await runPhase(planned, env, env.durationS, '', clock).catch((err: unknown) => {
      if (!(err instanceof LeadMissed) || env.signal.aborted) throw err;
      // Once more in the plain order (baseline, services, tool), its raw files tagged "-inorder".
      leadMissed = err.message;
      return runPhase(planned, env, env.durationS, '-inorder', clock, true);
    });
    const rawError = [phase.measure, ...phase.services].find((o) => o.rawError !== undefined)?.rawError;
    if (rawError !== undefined) throw rawError instanceof Error ? rawError : new Error(String(rawError));
    const raw = [phase.measure, ...phase.services].flatMap((o) => [o.stdoutFile, o.stderrFile]).map((f) => relative(env.runDir, f));
    if (phase.measure.timedOut) {
      return finish('timed-out', noMeasurement(planned.msgSizeBytes, `no result after ${env.trialTimeoutS} s; the client was stopped`), { raw });
    }
    const driver = getDriver(phase.measureDriver);
    // The argv tells a parser what was asked (sockperf's -t: its send rate is over the requested window).
    const parsed = driver.parse({
      stdout: safeRead(phase.measure.stdoutFile),
      stderr: safeRead(phase.measure.stderrFile),
      exitCode: phase.measure.exitCode,
      argv: phase.measure.argv,
    });
    const services = parseServices(phase.services);
    const recipe = getNetnsRecipe(planned.path);
    const m = parsed[0] && recipe.combine ? recipe.combine(parsed[0], services, planned.options) : parsed[0];
    clock.lap('parseS');
    if (!m) return finish('failed', noMeasurement(planned.msgSizeBytes, 'the tool printed no result'), { raw });
    // The driver checked its own result; a combination with the services' counters is checked here.
    const impossible = m.status === 'ok' ? impossibleValues(m) : [];
    if (impossible.length > 0) {
      const error = `the ${phase.measureDriver} result holds impossible values (${impossible.join(', ')}); the tool's output is in ${raw[0] ?? 'raw/'}`;
      return finish('failed', noMeasurement(planned.msgSizeBytes, error), { raw });
    }
    const native: Record<string, unknown> = { ...m.native, ...(leadMissed ? { quietLeadMissed: leadMissed } : {}) };
    if (Object.keys(services).length > 0) {
      native.services = Object.fromEntries(
        Object.entries(services).map(([role, s]) => [
          role,
          { status: s.status, error: s.error, achievedPps: s.achievedPps, lossRatio: s.lossRatio, native: s.native },
        ]),
      );
    }
    const artifacts = await readArtifacts(env.executor ? await env.executor.fetchArtifacts(phase.artifacts) : phase.artifacts);
    Object.assign(native, recipe.nativeFromArtifacts ? recipe.nativeFromArtifacts(artifacts) : Object.fromEntries(artifacts.map((a) => [a.kind, a.content])));
    raw.push(...artifacts.map((a) => relative(env.runDir, a.path)));
    clock.lap('analysisS');
    const cpu: CpuCost = { ...phase.cpu, nsPerPacket: phase.cpu.coresBusy === null ? null : nsPerPacket(phase.cpu.coresBusy, packetRate(m)) };
    const { status, ...measurement } = m;
    const traffic =
      phase.trafficAtMs === undefined ? {} : { trafficStartS: phase.trafficAtMs === null ? null : (phase.trafficAtMs - startedAt.getTime()) / 1000 };
    return finish(status, { ...measurement, native }, { cpu, raw, warmupS: m.warmupS ?? null, noisy: phase.noisy, ...traffic });
  } catch (err) {
    if (err instanceof Interrupted || env.signal.aborted) return null;
    // A recipe that finds the topology lacks what it needs (a lab's PCI NIC, RDMA device): unsupported, with the fix.
    if (err instanceof UnsupportedError) return finish('unsupported', noMeasurement(planned.msgSizeBytes, `${err.message} (fix: ${err.fix})`));
    // A full disk ends the run (nothing more can be saved); the run says so and cleans up.
    const disk = diskError(err, (err as NodeJS.ErrnoException).path ?? env.rawDir);
    if (disk instanceof DiskFullError) throw disk;
    return finish('failed', noMeasurement(planned.msgSizeBytes, printable((err as Error).message, 600)));
  }
}
