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

/**
 * Tool bytes made safe for a terminal or a one-line message: escape sequences and control
 * characters other than newline and tab become "�", and the text is cut to `maxChars` (the
 * raw bytes stay in raw/). "\x1b[2J hi\x07" → "�[2J hi�".
 */
export function printable(text: string, maxChars = 400): string {
  // eslint-disable-next-line no-control-regex -- stripping control bytes is the point
  const clean = text.replace(ANSI_CSI, '').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffd]/g, '�');
  return clean.length > maxChars ? `${clean.slice(0, maxChars)}… (${clean.length - maxChars} more characters; see raw/)` : clean;
}
