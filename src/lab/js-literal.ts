/**
 * Printing JSON values as readable JavaScript literals (`{ threshold: 0.5, where: [{ op: 'eq' }] }`)
 * and reading them back from cell code. The reader understands the small subset of JavaScript that
 * generated step cells use: literals, `cell('x')` references, member access and calls. Anything else
 * makes it return a failure, never throw, so hand-edited code is recognised as custom.
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
  const entries = Object.entries(value as Record<string, LiteralValue>).filter(
    ([, v]) => v !== undefined,
  );
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${printLiteral(v)}`).join(', ')} }`;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A node of the expression subset the reader understands. */
export type ExpressionNode =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'object'; entries: [string, ExpressionNode][] }
  | { type: 'array'; items: ExpressionNode[] }
  | { type: 'identifier'; name: string }
  | { type: 'member'; object: ExpressionNode; property: string }
  | { type: 'call'; callee: ExpressionNode; args: ExpressionNode[] };

type Token =
  | { kind: 'punct'; value: string; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'name'; value: string; at: number };

/** Why the reader refused a piece of code (for tests and debugging). */
export class ReadError extends Error {
  override readonly name = 'ReadError';
}

/** Splits code into tokens, skipping white space and comments. Throws ReadError. */
export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = code.length;
  while (i < n) {
    const ch = code[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '/' && code[i + 1] === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) throw new ReadError('unterminated comment');
      i = end + 2;
    } else if ('{}[](),:;.'.includes(ch) && !(ch === '.' && /[0-9]/.test(code[i + 1] ?? ''))) {
      tokens.push({ kind: 'punct', value: ch, at: i });
      i++;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const [value, next] = readString(code, i);
      tokens.push({ kind: 'string', value, at: i });
      i = next;
    } else if (/[0-9.\-+]/.test(ch)) {
      const match = /^[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(
        code.slice(i),
      );
      if (!match) throw new ReadError(`unexpected ${JSON.stringify(ch)} at ${i}`);
      tokens.push({ kind: 'number', value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(ch)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(code.slice(i))!;
      tokens.push({ kind: 'name', value: match[0], at: i });
      i += match[0].length;
    } else {
      throw new ReadError(`unexpected ${JSON.stringify(ch)} at ${i}`);
    }
  }
  return tokens;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

function readString(code: string, start: number): [string, number] {
  const q = code[start]!;
  let out = '';
  let i = start + 1;
  while (i < code.length) {
    const ch = code[i]!;
    if (ch === q) return [out, i + 1];
    if (q === '`' && ch === '$' && code[i + 1] === '{') {
      throw new ReadError('template literal with a substitution');
    }
    if (ch === '\n' && q !== '`') throw new ReadError('line break in a string');
    if (ch === '\\') {
      const next = code[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(code.slice(i + 2));
        if (braced) {
          out += String.fromCodePoint(parseInt(braced[1]!, 16));
          i += 3 + braced[0].length - 1;
          continue;
        }
        const hex = code.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ReadError('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      if (next === 'x') {
        const hex = code.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ReadError('bad \\x escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        continue;
      }
      if (next === '\n') {
        i += 2;
        continue;
      }
      out += ESCAPES[next] ?? next;
      i += 2;
      continue;
    }
    out += ch;
    i++;
  }
  throw new ReadError('unterminated string');
}

class Reader {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  isPunct(value: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'punct' && t.value === value;
  }

  expectPunct(value: string): void {
    if (!this.isPunct(value)) {
      const t = this.peek();
      throw new ReadError(`expected "${value}"${t ? ` at ${t.at}` : ' at the end'}`);
    }
    this.pos++;
  }

  expression(): ExpressionNode {
    let node = this.primary();
    for (;;) {
      if (this.isPunct('.')) {
        this.pos++;
        const t = this.peek();
        if (!t || t.kind !== 'name') throw new ReadError('expected a property name');
        this.pos++;
        node = { type: 'member', object: node, property: t.value };
      } else if (this.isPunct('[') && node.type !== 'literal') {
        this.pos++;
        const t = this.peek();
        if (!t || t.kind !== 'string') throw new ReadError('expected a string property');
        this.pos++;
        this.expectPunct(']');
        node = { type: 'member', object: node, property: t.value };
      } else if (this.isPunct('(')) {
        this.pos++;
        const args: ExpressionNode[] = [];
        while (!this.isPunct(')')) {
          args.push(this.expression());
          if (!this.isPunct(')')) this.expectPunct(',');
        }
        this.pos++;
        node = { type: 'call', callee: node, args };
      } else {
        return node;
      }
    }
  }

  private primary(): ExpressionNode {
    const t = this.peek();
    if (!t) throw new ReadError('unexpected end of code');
    this.pos++;
    switch (t.kind) {
      case 'string':
        return { type: 'literal', value: t.value };
      case 'number':
        return { type: 'literal', value: t.value };
      case 'name':
        if (t.value === 'true' || t.value === 'false') {
          return { type: 'literal', value: t.value === 'true' };
        }
        if (t.value === 'null') return { type: 'literal', value: null };
        return { type: 'identifier', name: t.value };
      case 'punct':
        if (t.value === '{') return this.object();
        if (t.value === '[') return this.array();
        if (t.value === '(') {
          const inner = this.expression();
          this.expectPunct(')');
          return inner;
        }
    }
    throw new ReadError(`unexpected "${String(t.value)}" at ${t.at}`);
  }

  private object(): ExpressionNode {
    const entries: [string, ExpressionNode][] = [];
    while (!this.isPunct('}')) {
      const key = this.peek();
      if (!key || (key.kind !== 'name' && key.kind !== 'string' && key.kind !== 'number')) {
        throw new ReadError('expected a property key');
      }
      this.pos++;
      this.expectPunct(':');
      entries.push([String(key.value), this.expression()]);
      if (!this.isPunct('}')) this.expectPunct(',');
    }
    this.pos++;
    return { type: 'object', entries };
  }

  private array(): ExpressionNode {
    const items: ExpressionNode[] = [];
    while (!this.isPunct(']')) {
      items.push(this.expression());
      if (!this.isPunct(']')) this.expectPunct(',');
    }
    this.pos++;
    return { type: 'array', items };
  }
}

/**
 * Reads a sequence of expression statements (each optionally ended by `;`). Throws ReadError on
 * anything outside the subset.
 */
export function readStatements(code: string): ExpressionNode[] {
  const reader = new Reader(tokenize(code));
  const out: ExpressionNode[] = [];
  while (!reader.done) {
    if (reader.isPunct(';')) {
      reader.expectPunct(';');
      continue;
    }
    out.push(reader.expression());
  }
  return out;
}

/** Reads exactly one expression (an optional trailing `;` allowed). Throws ReadError. */
export function readExpression(code: string): ExpressionNode {
  const statements = readStatements(code);
  if (statements.length !== 1)
    throw new ReadError(`expected one expression, got ${statements.length}`);
  return statements[0]!;
}

/** The JSON value of a literal node (objects, arrays, strings, numbers, booleans, null). */
export function toJson(node: ExpressionNode): JsonValue {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'array':
      return node.items.map(toJson);
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of node.entries) {
        // defineProperty: a `__proto__` key stays a plain key
        Object.defineProperty(out, k, {
          value: toJson(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      throw new ReadError(`not a literal: ${node.type}`);
  }
}
