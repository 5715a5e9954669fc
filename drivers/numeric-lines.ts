// Table-driven parsing of lines that carry numbers ("RX-packets: 502784  RX-missed: 0 …"): each
// parser lists its line patterns with the fields their groups fill, instead of repeating the
// match-then-assign code per line. The patterns stay in the parsers, next to their sample lines.

/** Fields of T that hold a number (or null until seen). */
type NumericKey<T> = { [K in keyof T]-?: T[K] extends number | null ? K : never }[keyof T];

/** A line pattern and, in group order, the numeric field each capture group fills. */
export type NumericLine<T> = readonly [pattern: RegExp, fields: readonly NumericKey<T>[]];

/**
 * Fills `target` from the first pattern that matches `line`: each group as a number, an optional
 * group that did not take part as null. Returns whether a pattern matched.
 */
export function fillNumbers<T>(line: string, target: T, lines: readonly NumericLine<T>[]): boolean {
  for (const [pattern, fields] of lines) {
    const m = pattern.exec(line);
    if (!m) continue;
    fields.forEach((field, i) => {
      const group = m[i + 1];
      target[field] = (group === undefined ? null : Number(group)) as T[NumericKey<T>];
    });
    return true;
  }
  return false;
}
