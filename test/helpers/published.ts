// Captures others published (test/fixtures/<tool>/published/<name>.txt), each with a .source.md
// holding its origin and a ```yaml block of the numbers a person read off it by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fixturesDir } from './fixtures.js';

export interface PublishedCapture {
  name: string;
  text: string;
  /** The `expected` block, as YAML data. */
  expected: Record<string, unknown>;
}

export function publishedNames(tool: string): string[] {
  return readdirSync(join(fixturesDir, tool, 'published'))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.replace(/\.txt$/, ''))
    .sort();
}

export function loadPublished(tool: string, name: string): PublishedCapture {
  const dir = join(fixturesDir, tool, 'published');
  const source = readFileSync(join(dir, `${name}.source.md`), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(source);
  if (!block) throw new Error(`${name}.source.md has no \`\`\`yaml expected block`);
  return { name, text: readFileSync(join(dir, `${name}.txt`), 'utf8'), expected: parseYaml(block[1]!) as Record<string, unknown> };
}

/**
 * A hand-read value as a number: 10.100 → 10.1, "10.100 sec" → 10.1, "400 msec" → 400; null for
 * what a person could not read ("not printed", "absent", "not in the available copy", "none").
 * undefined when the value is not a number at all (a label or a description).
 */
export function handNumber(value: unknown): number | null | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (/^(not |absent|none)/.test(value)) return null;
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(?:sec|msec|usec|s)\b|s$|$)/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/** Whether the hand-read value says the figure is not in the capture. */
export function notReadable(value: unknown): boolean {
  return typeof value === 'string' && /^(not |absent|none)/.test(value);
}
