import { describe, expect, it } from 'vitest';
import { encodeUtf8 } from './arrow-build';

/** What encodeUtf8 must give: each value's TextEncoder bytes, one after another. */
function expected(values: readonly (string | null | undefined)[]): {
  offsets: number[];
  data: number[];
} {
  const encoder = new TextEncoder();
  const offsets = [0];
  const data: number[] = [];
  for (const v of values) {
    data.push(...encoder.encode(v ?? ''));
    offsets.push(data.length);
  }
  return { offsets, data };
}

function actual(values: readonly (string | null | undefined)[]): {
  offsets: number[];
  data: number[];
} {
  const { offsets, data } = encodeUtf8(values);
  return { offsets: Array.from(offsets), data: Array.from(data) };
}

describe('encodeUtf8', () => {
  it('encodes ASCII, nulls and empty strings into exact offsets', () => {
    const values = ['a', null, '', 'bcd', undefined, 'e'];
    expect(actual(values)).toEqual(expected(values));
    expect(actual([])).toEqual({ offsets: [0], data: [] });
  });

  it('grows for characters of 2, 3 and 4 bytes and lone surrogates, wherever they appear', () => {
    const odd = ['é', 'ü and more', '€uro', '😀', 'a😀b', '\ud800', 'x\udc00y', '中文字符'];
    for (const at of [0, 1, 500, 999]) {
      // ASCII before and after, so that bytes after a grown buffer land in the right place
      const values = Array.from({ length: 1000 }, (_, i) => `v${i}`);
      values.splice(at, 0, ...odd);
      expect(actual(values)).toEqual(expected(values));
    }
    const all = Array.from({ length: 300 }, (_, i) => odd[i % odd.length]!.repeat(1 + (i % 4)));
    expect(actual(all)).toEqual(expected(all));
  });

  it('refuses a count of units that is too small rather than dropping bytes', () => {
    expect(() => encodeUtf8(['abc', 'def'], 4)).toThrow(/too few/);
    expect(actual(['abc', 'déf'])).toEqual(expected(['abc', 'déf']));
    const { data } = encodeUtf8(['abc', 'déf'], 6);
    expect(new TextDecoder().decode(data)).toBe('abcdéf');
  });
});
