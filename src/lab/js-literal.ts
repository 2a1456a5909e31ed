/**
 * Printing JSON values as readable JavaScript literals (`{ threshold: 0.5, where: [{ op: 'eq' }] }`)
 * for step-cell code. Reading code back is the parser's job (./code-reader.ts).
 */
import type { JsonValue } from '../core/errors';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
]);

/** True when `name` can be written as a bare property key or after a dot. */
export function isIdentifierName(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED.has(name);
}

/** A string as a single-quoted JavaScript string literal. */
export function quote(text: string): string {
  let out = "'";
  for (const ch of text) {
    switch (ch) {
      case "'":
        out += "\\'";
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = ch.codePointAt(0)!;
        out +=
          code < 0x20 || code === 0x2028 || code === 0x2029
            ? `\\u${code.toString(16).padStart(4, '0')}`
            : ch;
      }
    }
  }
  return out + "'";
}

/** A property key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(key: string): string {
  return isIdentifierName(key) ? key : quote(key);
}

/** A value the printer can write: JSON, plus raw code fragments (`cell('x')`). */
export type LiteralValue =
  JsonValue | { readonly [RAW]: string } | LiteralValue[] | { [key: string]: LiteralValue };

const RAW = Symbol('raw');

/** A code fragment that the printer writes as it is (e.g. a `cell('x')` call). */
export function raw(code: string): { readonly [RAW]: string } {
  return { [RAW]: code };
}

function isRaw(value: unknown): value is { readonly [RAW]: string } {
  return typeof value === 'object' && value !== null && RAW in value;
}

function entriesOf(value: { [key: string]: LiteralValue }): [string, LiteralValue][] {
  return Object.entries(value).filter(([, v]) => v !== undefined);
}

/**
 * Prints a value as a JavaScript literal on one line: `{ a: 1, 'b c': [true, null] }`. Numbers
 * that are not finite print as `null` (what JSON would do).
 */
export function printLiteral(value: LiteralValue): string {
  if (isRaw(value)) return value[RAW];
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(printLiteral).join(', ')}]`;
  const entries = entriesOf(value as { [key: string]: LiteralValue });
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${printLiteral(v)}`).join(', ')} }`;
}

/** Where a printed value goes: the indentation of its line and the column it starts at. */
export interface PrintPosition {
  /** The white space that starts the line the value is written on. */
  indent: string;
  /** The column the value starts at (0-based). */
  column: number;
  /** The longest line wanted. */
  maxLine: number;
}

/**
 * Prints a value on one line when it fits in `maxLine` from `column`, else breaks objects and
 * arrays into one entry per line (indented two spaces more than `indent`, trailing commas), as a
 * formatter would.
 */
export function printLiteralBlock(value: LiteralValue, at: PrintPosition): string {
  const flat = printLiteral(value);
  if (at.column + flat.length <= at.maxLine || isRaw(value) || typeof value !== 'object') {
    return flat;
  }
  if (value === null) return flat;
  const inner = at.indent + '  ';
  const lines: string[] = [];
  if (Array.isArray(value)) {
    if (value.length === 0) return flat;
    for (const item of value) {
      const printed = printLiteralBlock(item, {
        indent: inner,
        column: inner.length,
        maxLine: at.maxLine,
      });
      lines.push(`${inner}${printed},`);
    }
    return `[\n${lines.join('\n')}\n${at.indent}]`;
  }
  const entries = entriesOf(value as { [key: string]: LiteralValue });
  if (entries.length === 0) return flat;
  for (const [key, item] of entries) {
    const head = `${inner}${propertyKey(key)}: `;
    const printed = printLiteralBlock(item, {
      indent: inner,
      column: head.length,
      maxLine: at.maxLine,
    });
    lines.push(`${head}${printed},`);
  }
  return `{\n${lines.join('\n')}\n${at.indent}}`;
}
