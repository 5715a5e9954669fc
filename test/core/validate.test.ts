import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { assertNetnsName, assertSimpleName } from '../../core/validate.js';

describe('assertSimpleName', () => {
  it('accepts letters, digits, dot, dash and underscore up to the limit', () => {
    expect(assertSimpleName('bb-softroce_1.2', 'VM name', 64)).toBe('bb-softroce_1.2');
    expect(assertSimpleName('x'.repeat(8), 'id', 8)).toBe('x'.repeat(8));
  });

  it.each([
    ['empty', ''],
    ['a comma (a QEMU option separator)', 'vm,process=x'],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['"."', '.'],
    ['".."', '..'],
    ['one character too many', 'x'.repeat(9)],
  ])('refuses %s, naming the field, the value and what is allowed', (_label, name) => {
    expect(() => assertSimpleName(name, 'plan[0].id', 8)).toThrow(UserError);
    expect(() => assertSimpleName(name, 'plan[0].id', 8)).toThrow(
      `plan[0].id must be 1–8 characters of [A-Za-z0-9_.-] (not . or ..), got ${JSON.stringify(name)}`,
    );
  });

  it('is the rule for namespace names too (64 characters)', () => {
    expect(assertNetnsName('bypassbench-abc123-client', 'namespace')).toBe('bypassbench-abc123-client');
    expect(() => assertNetnsName('n'.repeat(65), 'namespace')).toThrow(/namespace must be 1–64 characters/);
  });
});
