// Identifiers for runs and the kernel objects they create. Names are derived from a short random
// id so two runs at once never collide, and carry a fixed prefix so `cleanup` can recognise them.
import { randomBytes } from 'node:crypto';

/** Every namespace and veth the project creates starts with this. */
export const OBJECT_PREFIX = 'bb';

export function shortId(): string {
  return randomBytes(3).toString('hex');
}

/** results/<UTC time>-<suite>-<short id>: sorts by time, says what ran, never collides. */
export function runFolderName(suiteName: string, at: Date, id: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safeSuite = suiteName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `${stamp}-${safeSuite}-${id}`;
}
