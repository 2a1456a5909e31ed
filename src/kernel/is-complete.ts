/**
 * `is_complete`: would a console run this code on Enter (`complete`), wait for more lines
 * (`incomplete`), or run it to show a syntax error (`invalid`)?
 *
 * tslab's check answers `incomplete` for an unclosed bracket at the very end. On top of it, code
 * whose only syntax problems are at its end and can be fixed by more lines is `incomplete` too: an
 * unterminated template literal or block comment (both span lines), a string continued with a
 * backslash at the end of a line, an operand or a closing token still expected after trailing
 * whitespace. A quoted string left open on its last line is `invalid`: a newline cannot close it.
 */
import * as ts from '@tslab/typescript-for-tslab';
import { isCompleteCode } from 'tslab/dist/converter';

/** An is_complete answer. */
export interface Completeness {
  status: 'complete' | 'incomplete' | 'invalid';
  indent?: string;
}

/** The longest indent answered (it is taken from the code, which a client sent). */
const MAX_INDENT = 64;

// TypeScript's diagnostic codes for what more input can still fix.
const UNTERMINATED_STRING = 1002;
const UNEXPECTED_END_OF_TEXT = 1126;
const BLOCK_COMMENT_END_EXPECTED = 1010;
const UNTERMINATED_TEMPLATE = 1160;
/** Diagnostics of an open literal or comment: no indent is added inside text. */
const OPEN_TEXT = new Set([
  UNTERMINATED_STRING,
  UNEXPECTED_END_OF_TEXT,
  BLOCK_COMMENT_END_EXPECTED,
  UNTERMINATED_TEMPLATE,
]);

/** Code that ends with two blank lines: a console's way to say "run it now" (tslab's rule). */
const FORCED = /(^|\n)\s*\n\s*$/;
/** A backslash and a line terminator at the end: a string literal continued on the next line. */
const CONTINUED_LINE = /\\(\r\n|[\n\r\u2028\u2029])$/;

interface ParseDiagnostic {
  code: number;
  start?: number;
  messageText: unknown;
}

function parseDiagnostics(code: string): readonly ParseDiagnostic[] {
  const source = ts.createSourceFile(
    'cell.ts',
    code,
    ts.ScriptTarget.Latest,
    false,
    ts.ScriptKind.TS,
  );
  return (source as unknown as { parseDiagnostics?: ParseDiagnostic[] }).parseDiagnostics ?? [];
}

/** True when `d` is a problem more lines after the code can fix. */
function fixableByMoreInput(d: ParseDiagnostic, code: string, forced: boolean): boolean {
  const atEnd = d.start === code.length;
  switch (d.code) {
    case UNTERMINATED_TEMPLATE:
    case BLOCK_COMMENT_END_EXPECTED:
      // Blank lines are part of a template's or a comment's text, so they do not force a run.
      return atEnd;
    case UNTERMINATED_STRING:
      return atEnd && CONTINUED_LINE.test(code);
    case UNEXPECTED_END_OF_TEXT:
      return atEnd && code.endsWith('\\');
    default:
      return (
        !forced &&
        d.start !== undefined &&
        d.start >= code.trimEnd().length &&
        typeof d.messageText === 'string' &&
        d.messageText.endsWith(' expected.')
      );
  }
}

function clipIndent(indent: string): string {
  return indent.length <= MAX_INDENT ? indent : indent.slice(0, MAX_INDENT);
}

/** The leading whitespace of the last line. */
function lastLineIndent(code: string): string {
  const line = code.slice(code.lastIndexOf('\n') + 1);
  return clipIndent(/^[ \t]*/.exec(line)![0]);
}

/**
 * Whether `code` is a complete cell (a console's Enter key).
 *
 * @example
 * isComplete('const s = `abc'); // { status: 'incomplete', indent: '' }
 * isComplete('const = ;');      // { status: 'invalid' }
 */
export function isComplete(code: string): Completeness {
  const tslab = isCompleteCode(code);
  if (!tslab.completed) return { status: 'incomplete', indent: clipIndent(tslab.indent ?? '') };
  const diagnostics = parseDiagnostics(code);
  if (diagnostics.length === 0) return { status: 'complete' };
  const forced = FORCED.test(code);
  if (!diagnostics.every((d) => fixableByMoreInput(d, code, forced))) return { status: 'invalid' };
  const insideText = diagnostics.some((d) => OPEN_TEXT.has(d.code));
  return { status: 'incomplete', indent: insideText ? '' : lastLineIndent(code) };
}
