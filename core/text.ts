// Small text helpers shared by parsers, runners and reports.

/** CSI escape sequences: colours ("\x1b[2;35m" … "\x1b[0m") and clear-screen ("\x1b[2J\x1b[1;1H"). */
// eslint-disable-next-line no-control-regex -- matching the ESC byte is the point
export const ANSI_CSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The last `count` non-empty lines of a tool's output (text, or lines), joined with " | " for a one-line error. */
export function lastLines(output: string | readonly string[], count = 5): string {
  const lines = typeof output === 'string' ? output.split(/\r?\n/) : output;
  return lines
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join(' | ');
}

/** A ratio as a percentage with `digits` significant digits: 0.1234 → "12.3 %". */
export function percent(ratio: number, digits = 3): string {
  return `${Number((ratio * 100).toPrecision(digits))} %`;
}
