// Two kinds of failure: bad input from the user (one clear message, exit 2, no stack) and
// everything else (a bug or a broken tool: stack trace, exit 1).

export class UserError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

/** A required tool or kernel feature is missing: the path is unsupported, not broken. */
export class UnsupportedError extends Error {
  readonly fix: string;
  constructor(reason: string, fix: string) {
    super(reason);
    this.name = 'UnsupportedError';
    this.fix = fix;
  }
}

export const EXIT = {
  ok: 0,
  /** An unexpected error: a bug, or a tool that failed in a way we did not expect. */
  crash: 1,
  /** Bad input: suite file, arguments, paths. */
  usage: 2,
  /** The run finished but some trials failed or timed out. */
  trialsFailed: 3,
  /** Interrupted by SIGINT/SIGTERM after cleaning up. */
  interrupted: 130,
} as const;
