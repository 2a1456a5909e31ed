import { describe, expect, it } from 'vitest';
import { isComplete } from './is-complete';

describe('is_complete', () => {
  const cases: [string, 'complete' | 'incomplete' | 'invalid'][] = [
    ['1 + 1', 'complete'],
    ['const s = `abc`', 'complete'],
    ['// a comment', 'complete'],
    ['', 'complete'],
    ['if (x) {', 'incomplete'],
    ['const s = `abc', 'incomplete'],
    ['const s = `abc\ndef', 'incomplete'],
    ['const s = `a ${ `inner', 'incomplete'],
    ['f(`a ${1} b', 'incomplete'],
    ['const s = `abc\n\n\n', 'incomplete'], // blank lines are the template's text
    ['/* a block comment', 'incomplete'],
    ['/** docs\n * more', 'incomplete'],
    ['const s = "abc\\', 'incomplete'], // a backslash continues the string on the next line
    ['const s = "abc\\\n', 'incomplete'],
    ["const s = 'abc\\\r\n", 'incomplete'],
    ['x = 1 +\n', 'incomplete'],
    ['const = ;', 'invalid'],
    ['const s = "abc', 'invalid'], // a newline cannot close a quoted string
    ['const s = "abc\ndef"', 'invalid'],
    ['const = ; const s = `abc', 'invalid'], // an error before the open template
    ['let r = /abc', 'invalid'],
    ['if (x) {\n\n\n', 'invalid'], // two blank lines force the run
  ];
  for (const [code, status] of cases) {
    it(`${JSON.stringify(code)} is ${status}`, () => {
      expect(isComplete(code).status).toBe(status);
    });
  }

  it('adds no indent inside text and bounds the indent it echoes', () => {
    expect(isComplete('const s = `abc\n    def')).toEqual({ status: 'incomplete', indent: '' });
    const indent = isComplete(`if (x) {\n${' '.repeat(100_000)}if (y) {`).indent ?? '';
    expect(indent.length).toBeLessThanOrEqual(64);
  });
});
