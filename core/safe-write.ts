// Writing files so that a full disk or a hard kill never leaves a half-written one: whole files
// go to a temporary file that is renamed over the old one (rename is atomic on one file system),
// and an appended record is cut back off when it could not be written whole.
import { appendFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';

/** Replaces `file` with `content` at once: readers see the old file or the new one, never a part. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  // A name of our own (pid) so two writers never share a temporary file.
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw diskError(err, file);
  }
}

/** Appends `text` whole or not at all: on a failed write the file is cut back to its old length. */
export function appendWhole(file: string, text: string): void {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // a new file
  }
  try {
    appendFileSync(file, text);
  } catch (err) {
    try {
      truncateSync(file, size);
    } catch {
      // the reader reports and skips a cut last line
    }
    throw diskError(err, file);
  }
}

/** The disk is full or read-only: the user's problem to fix, said plainly, not a crash. */
export class DiskFullError extends UserError {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(
      `cannot write ${file}: ${code === 'ENOSPC' ? 'no space left on the device' : code === 'EDQUOT' ? 'disk quota exceeded' : 'the file system is read-only'} (${code})`,
      'free some space (or choose another --out folder). Kept: every file already written is complete (each is replaced whole or not at all), trials.jsonl holds every trial that finished, run.json its last complete state; the machine was cleaned up',
    );
    this.name = 'DiskFullError';
  }
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/** A disk error as a DiskFullError; anything else unchanged. */
export function diskError(err: unknown, file: string): unknown {
  if (err instanceof DiskFullError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code && DISK_CODES.has(code) ? new DiskFullError(file, code) : err;
}
