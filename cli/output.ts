// Human output goes to stderr, data to stdout: `bypassbench run --json > run.json` stays clean.
import { printable } from '../core/text.js';

/** Anything printed for people passes through printable(): a tool's escape sequences never reach the terminal. */
export const human = (line = ''): void => {
  process.stderr.write(`${printable(line, 20_000)}\n`);
};

export const data = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const isTty = (): boolean => process.stderr.isTTY === true && !process.env.CI;
