import { describe, expect, it } from 'vitest';
import { isFancyflowError } from './errors';
import { checkJsonLimits, findJsonViolation, MAX_JSON_DEPTH } from './json-limits';

describe('JSON limits', () => {
  it('finds the first forbidden key in document order, at any depth', () => {
    const value = JSON.parse(
      '{"a": [1, {"b": {"__proto__": {}}}], "constructor": 2, "c": {"prototype": 3}}',
    ) as unknown;
    expect(findJsonViolation(value)).toEqual({
      reason: 'forbidden-key',
      key: '__proto__',
      path: ['a', 1, 'b', '__proto__'],
    });
    expect(findJsonViolation({ a: [{ b: 'prototype' }], ok: { toString: 1 } })).toBeUndefined();
  });

  it('refuses the first object or array nested past the limit, without recursion', () => {
    expect(findJsonViolation([[[1]]], 3)).toBeUndefined();
    expect(findJsonViolation([[[[1]]]], 3)).toEqual({
      reason: 'too-deep',
      maxDepth: 3,
      path: [0, 0, 0],
    });
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
    expect(findJsonViolation(deep)?.path).toHaveLength(MAX_JSON_DEPTH);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findJsonViolation(cyclic)?.reason).toBe('too-deep');
  });

  it('throws a coded error with the pointer (escaped, under a base)', () => {
    const value = JSON.parse('{"a/b": {"~": {"constructor": 1}}}') as unknown;
    try {
      checkJsonLimits(value, { base: '/metadata/fancyflow', code: 'PROTOCOL' });
      expect.unreachable();
    } catch (e) {
      expect(isFancyflowError(e, 'PROTOCOL')).toBe(true);
      if (!isFancyflowError(e)) return;
      expect(e.details).toEqual({
        pointer: '/metadata/fancyflow/a~1b/~0/constructor',
        reason: 'forbidden-key',
        key: 'constructor',
      });
      expect(e.message).toContain('"constructor" is not allowed');
    }
    expect(() => checkJsonLimits({ a: [1, 'two', null] })).not.toThrow();
  });
});
