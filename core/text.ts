// Small text helpers shared by parsers, runners and reports.

/** The last `count` non-empty lines of a tool's output, joined with " | " for a one-line error. */
export function lastLines(text: string, count = 5): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join(' | ');
}

/** A ratio as a percentage with `digits` significant digits: 0.1234 → "12.3 %". */
export function percent(ratio: number, digits = 3): string {
  return `${Number((ratio * 100).toPrecision(digits))} %`;
}
