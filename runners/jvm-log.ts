// Runtime pauses of an already running JVM (`bypassbench attribute --pid` of a Java service): its
// unified logging is switched on at runtime with
//   jcmd PID VM.log output=file=FILE what=gc*,safepoint decorators=timenanos,uptimenanos,level,tags
// (the same lines -Xlog:gc*,safepoint would write from the start; drivers/service reads them) and
// switched off again with `what=all=off` on that output, which makes the JVM drop the output (its
// other logging, e.g. warnings on stdout, is untouched; checked with `jcmd PID VM.log list`). The
// undo is written to the state folder before the JVM is touched, so `bypassbench cleanup` undoes it
// after a crash (sweepJvmLogs), only for the same process (pid and start time).
import { mkdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { run, tryRun, which } from './exec.js';
import { ledgerDir, readStartTicks } from './ledger.js';
import { sweepPendingUndos, type PendingUndo as BasePendingUndo } from './pending-undo.js';

/** What -Xlog:gc*,safepoint logs, with the decorators drivers/service/runtime-pauses.ts aligns clocks by. */
const WHAT = 'gc*,safepoint';
const DECORATORS = 'timenanos,uptimenanos,level,tags';

interface PendingUndo extends BasePendingUndo {
  file: string;
  undo: string[];
}

const pendingFile = (pid: number) => join(ledgerDir(), `jvm-log-${pid}.json`);

function offArgv(pid: number, file: string): string[] {
  return ['jcmd', String(pid), 'VM.log', `output=file=${file}`, 'what=all=off'];
}

/** Switches the JVM's gc and safepoint logging on into `file`; returns the undo. A clear error when jcmd cannot. */
export async function switchOnJvmLog(pid: number, file: string): Promise<() => Promise<void>> {
  if (/[\s,]/.test(file)) throw new UserError(`JVM log file ${JSON.stringify(file)}: must not contain spaces or commas (jcmd's option syntax)`);
  // jcmd attaches by sending SIGQUIT, which kills a process that is not a JVM: make sure first.
  let exe = '';
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    // gone or not readable: refused below
  }
  if (exe !== 'java') throw new UserError(`--pid ${pid}: not a JVM (runs ${exe || 'an unreadable program'}); jcmd would kill it`);
  if (!which('jcmd')) throw new UserError(`--pid ${pid}: a JVM, but jcmd (which reads its pauses) is not installed: apt-get install openjdk-17-jdk-headless`);
  const pending: PendingUndo = { pid, startTicks: readStartTicks(pid), file, undo: offArgv(pid, file) };
  mkdirSync(ledgerDir(), { recursive: true });
  writeFileSync(pendingFile(pid), JSON.stringify(pending));
  const undo = async () => {
    await tryRun(pending.undo, 30_000);
    rmSync(pendingFile(pid), { force: true });
  };
  try {
    const r = await run(['jcmd', String(pid), 'VM.log', `output=file=${file}`, `what=${WHAT}`, `decorators=${DECORATORS}`], { timeoutMs: 30_000 });
    // jcmd exits 0 even when the JVM refused; its answer says so.
    if (!/Command executed successfully/.test(r.stdout)) throw new Error(r.stdout.trim().split('\n').slice(-2).join(' | '));
  } catch (err) {
    await undo();
    throw new UserError(
      `--pid ${pid}: could not switch on the JVM's logging with jcmd (${(err as Error).message}); run bypassbench as the JVM's user, or without -XX:+DisableAttachMechanism`,
    );
  }
  return undo;
}

/** cleanup: undoes the logging a killed `attribute --pid` left on, when that JVM still runs. */
export function sweepJvmLogs(dryRun: boolean): Promise<string[]> {
  return sweepPendingUndos<PendingUndo>('jvm-log', dryRun, (p) => `switch off JVM ${p.pid}'s logging into ${p.file}`);
}
