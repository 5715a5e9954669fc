// The 9p share between host and Soft-RoCE guest: the host writes the plan's files, the guest
// writes back, per case and attempt, each process's output and bookkeeping (guest/init.sh), and
// facts about itself under guest/.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { GuestFacts, VmCaseRecord, VmProcessRecord } from '../core/vm-run.js';
import { parseTimeline, planShareFiles, type GuestPlan } from '../soft-roce/plan.js';

export interface GuestProcessResult {
  role: 'server' | 'client';
  argv: string[];
  stdout: string;
  stderr: string;
  /** Exit code as the guest saw it: 124 = its own timeout fired, 143 = stopped with SIGTERM. */
  exitCode: number | null;
  timedOut: boolean;
  /** The guest stopped a server still waiting after its client had exited. */
  stoppedByGuest: boolean;
  startedUptimeS: number | null;
  endedUptimeS: number | null;
  /** Host folder holding stdout, stderr, exit-code and any file the process wrote (perftest --out_json). */
  dir: string;
  /** Files the process wrote in its working folder, by name → host path. */
  files: Record<string, string>;
}

export interface GuestAttempt {
  attempt: number;
  /** A row printed inf, so the guest ran the case again (while attempts remained). */
  infDetected: boolean;
  server: GuestProcessResult;
  client: GuestProcessResult;
}

export interface GuestCaseResult {
  id: string;
  attempts: GuestAttempt[];
  /** The attempt whose output counts: the last one. null when the case never ran. */
  final: GuestAttempt | null;
}

// Declared with vm-run.json, which records them (core/vm-run.ts).
export type { GuestFacts } from '../core/vm-run.js';

/** Writes the plan's files into an empty (or new) share folder. */
export function writePlanToShare(plan: GuestPlan, shareDir: string): void {
  if (existsSync(shareDir) && readdirSync(shareDir).length > 0) {
    throw new UserError(`${shareDir} already holds a run; give runPlanInVm an empty outDir`);
  }
  mkdirSync(shareDir, { recursive: true });
  for (const file of planShareFiles(plan)) {
    const path = join(shareDir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(path: string): number | null {
  const text = readText(path)?.trim();
  return text !== undefined && text !== '' && Number.isFinite(Number(text)) ? Number(text) : null;
}

const PROCESS_BOOKKEEPING = new Set(['stdout', 'stderr', 'exit-code', 'started-uptime-s', 'ended-uptime-s', 'killed']);

function readProcess(dir: string, role: 'server' | 'client', argv: string[]): GuestProcessResult {
  const exitCode = readNumber(join(dir, 'exit-code'));
  const files: Record<string, string> = {};
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) if (!PROCESS_BOOKKEEPING.has(name)) files[name] = join(dir, name);
  }
  return {
    role,
    argv,
    stdout: readText(join(dir, 'stdout')) ?? '',
    stderr: readText(join(dir, 'stderr')) ?? '',
    exitCode,
    timedOut: exitCode === 124,
    stoppedByGuest: existsSync(join(dir, 'killed')),
    startedUptimeS: readNumber(join(dir, 'started-uptime-s')),
    endedUptimeS: readNumber(join(dir, 'ended-uptime-s')),
    dir,
    files,
  };
}

/** Every attempt of every case of `plan` the guest left on the share, in attempt order. */
export function collectCases(plan: GuestPlan, shareDir: string): GuestCaseResult[] {
  return plan.map((c) => {
    const caseDir = join(shareDir, 'cases', c.id);
    const attemptNumbers = existsSync(caseDir)
      ? readdirSync(caseDir)
          // "attempt-2" -> 2
          .map((name) => /^attempt-(\d+)$/.exec(name))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => Number(m[1]))
          .sort((a, b) => a - b)
      : [];
    const attempts = attemptNumbers.map((n): GuestAttempt => {
      const dir = join(caseDir, `attempt-${n}`);
      return {
        attempt: n,
        infDetected: existsSync(join(dir, 'inf-detected')),
        server: readProcess(join(dir, 'server'), 'server', c.server.argv),
        client: readProcess(join(dir, 'client'), 'client', c.client.argv),
      };
    });
    return { id: c.id, attempts, final: attempts[attempts.length - 1] ?? null };
  });
}

/** What the guest wrote about itself under share/guest/. */
export function readGuestFacts(shareDir: string): GuestFacts {
  const guestDir = join(shareDir, 'guest');
  return {
    status: readText(join(guestDir, 'status'))?.trim() ?? null,
    kernelRelease: readText(join(guestDir, 'kernel-release'))?.trim() ?? null,
    uname: readText(join(guestDir, 'uname'))?.trim() ?? null,
    // "model name\t: QEMU TCG CPU version 2.5+"
    cpuModel:
      readText(join(guestDir, 'cpu-model'))
        ?.replace(/^model name\s*:\s*/, '')
        .trim() ?? null,
    cpus: readNumber(join(guestDir, 'nproc')),
    clocksource: readText(join(guestDir, 'clocksource'))?.trim() ?? null,
    timeline: parseTimeline(readText(join(guestDir, 'timeline')) ?? ''),
  };
}

/** The case as vm-run.json stores it: exit codes and file paths, not the outputs themselves. */
export function summarizeCase(c: GuestCaseResult): VmCaseRecord {
  const proc = (p: GuestProcessResult): VmProcessRecord => ({
    argv: p.argv,
    exitCode: p.exitCode,
    timedOut: p.timedOut,
    stoppedByGuest: p.stoppedByGuest,
    dir: p.dir,
    files: p.files,
  });
  return { id: c.id, attempts: c.attempts.map((a) => ({ attempt: a.attempt, infDetected: a.infDetected, server: proc(a.server), client: proc(a.client) })) };
}
