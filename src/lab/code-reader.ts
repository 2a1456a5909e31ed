/**
 * Reading a step cell's code with a real parser: `@lezer/javascript` in its TypeScript dialect (the
 * grammar CodeMirror already highlights the cell with). The reader finds the one top-level
 * statement that is a step call (`steps.<slug>(…)` or `steps['<slug>'](…)`) among whatever else
 * the cell holds (imports, comments, declarations), reads its wiring, config and options as JSON
 * literals, and keeps every node's source range so edits replace only what changed. Anything it
 * cannot express as JSON makes it refuse the cell ("custom code"), never throw.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/javascript';
import type { JsonValue } from '../core/errors';

const tsParser = parser.configure({ dialect: 'ts' });

/** A source range: `code.slice(from, to)`. */
export interface Span {
  from: number;
  to: number;
}

/** One `key: value` entry of an object literal; its span covers the whole entry. */
export interface EntryNode<V> extends Span {
  key: string;
  value: V;
}

/** An object literal and its entries, in source order. */
export interface ObjectNode<V> extends Span {
  entries: EntryNode<V>[];
}

/** A JSON value written as a literal, with the ranges of its parts. */
export type LiteralNode =
  | (Span & { type: 'scalar'; value: string | number | boolean | null })
  | (Span & { type: 'array'; items: LiteralNode[] })
  | (ObjectNode<LiteralNode> & { type: 'object' });

/** An object literal of JSON values. */
export type ObjectLiteralNode = Extract<LiteralNode, { type: 'object' }>;

/** A wiring value: `cell('<reference>')` or a bare string literal `'<reference>'`. */
export interface ReferenceNode extends Span {
  reference: string;
  style: 'cell' | 'string';
}

/** The step call of a cell, with the source ranges that edits replace. */
export interface StepCallSource {
  slug: string;
  /** The whole call expression. */
  call: Span;
  /** The arguments, in order (1 to 3). */
  args: Span[];
  wiring: ObjectNode<ReferenceNode>;
  config?: ObjectLiteralNode;
  options?: ObjectLiteralNode;
  /** The cell's import declarations, as written. */
  imports: string[];
}

/** The names the reader recognises. */
export interface ReaderNames {
  /** The object holding the steps. Default `steps`. */
  steps: string;
  /** The function that refers to a cell. Default `cell`. */
  cell: string;
}

/** Why the reader refused a piece of code. */
export class ReadError extends Error {
  override readonly name = 'ReadError';
}

/** The result of reading a cell. */
export type ReadResult = { ok: true; source: StepCallSource } | { ok: false; reason: string };

const COMMENTS = new Set(['LineComment', 'BlockComment']);

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!COMMENTS.has(child.name)) out.push(child);
  }
  return out;
}

/** 1-based line of a position, for messages. */
function lineOf(code: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < code.length; i++) if (code.charCodeAt(i) === 10) line++;
  return line;
}

function firstError(node: SyntaxNode): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  node.cursor().iterate((n) => {
    if (found) return false;
    if (n.type.isError) {
      found = n.node;
      return false;
    }
    return undefined;
  });
  return found;
}

/** The slug of a `steps.<slug>` / `steps['<slug>']` callee, or undefined for anything else. */
function stepSlugOf(callee: SyntaxNode, code: string, names: ReaderNames): string | undefined {
  if (callee.name !== 'MemberExpression') return undefined;
  const parts = children(callee);
  const [object, open, property, close] = parts;
  if (!object || object.name !== 'VariableName' || text(code, object) !== names.steps) {
    return undefined;
  }
  if (parts.length === 3 && open?.name === '.' && property?.name === 'PropertyName') {
    return text(code, property);
  }
  if (
    parts.length === 4 &&
    open?.name === '[' &&
    property &&
    (property.name === 'String' || property.name === 'TemplateString') &&
    close?.name === ']'
  ) {
    try {
      return readStringNode(property, code);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function text(code: string, node: SyntaxNode): string {
  return code.slice(node.from, node.to);
}

/** The step call of one top-level expression statement, when it is one. */
function stepCallOf(
  statement: SyntaxNode,
  code: string,
  names: ReaderNames,
): { node: SyntaxNode; slug: string } | undefined {
  const [expression] = children(statement);
  if (!expression || expression.name !== 'CallExpression') return undefined;
  const [callee] = children(expression);
  if (!callee) return undefined;
  const slug = stepSlugOf(callee, code, names);
  return slug === undefined ? undefined : { node: expression, slug };
}

/**
 * Reads the step call of a cell. The cell must parse without errors and hold exactly one
 * top-level expression statement that calls `steps.<slug>` (other statements are left alone);
 * its arguments must be `{ input: cell('…') }`, an optional JSON config object and optional
 * `{ name, title }` options. Never throws.
 */
export function readStepCall(code: string, names: ReaderNames): ReadResult {
  try {
    return { ok: true, source: read(code, names) };
  } catch (e) {
    if (e instanceof ReadError) return { ok: false, reason: e.message };
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

function read(code: string, names: ReaderNames): StepCallSource {
  const top = tsParser.parse(code).topNode;
  const error = firstError(top);
  if (error) throw new ReadError(`syntax error on line ${lineOf(code, error.from)}`);
  const imports: string[] = [];
  const calls: { node: SyntaxNode; slug: string }[] = [];
  for (const statement of children(top)) {
    if (statement.name === 'ImportDeclaration') imports.push(text(code, statement).trim());
    if (statement.name !== 'ExpressionStatement') continue;
    const call = stepCallOf(statement, code, names);
    if (call) calls.push(call);
  }
  if (calls.length !== 1) {
    throw new ReadError(
      calls.length === 0
        ? `no top-level ${names.steps}.<slug>(…) call`
        : `${calls.length} top-level step calls (a step cell has one)`,
    );
  }
  const { node, slug } = calls[0]!;
  const parts = children(node);
  const argList = parts[parts.length - 1];
  if (parts.length !== 2 || !argList || argList.name !== 'ArgList') {
    throw new ReadError(`line ${lineOf(code, node.from)}: type arguments or a chained call`);
  }
  const args = children(argList).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== ',');
  if (args.length === 0) throw new ReadError('the call has no wiring argument');
  if (args.length > 3) throw new ReadError('too many arguments');
  const [wiringNode, configNode, optionsNode] = args;
  const source: StepCallSource = {
    slug,
    call: { from: node.from, to: node.to },
    args: args.map((a) => ({ from: a.from, to: a.to })),
    wiring: readWiring(wiringNode!, code, names),
    imports,
  };
  if (configNode) {
    const config = readLiteral(configNode, code);
    if (config.type !== 'object') throw new ReadError('the config is not an object literal');
    source.config = config;
  }
  if (optionsNode) {
    const options = readLiteral(optionsNode, code);
    if (options.type !== 'object') throw new ReadError('the options are not an object literal');
    for (const entry of options.entries) {
      const v = entry.value;
      if ((entry.key !== 'name' && entry.key !== 'title') || v.type !== 'scalar') {
        throw new ReadError(`unsupported call option "${entry.key}"`);
      }
      if (typeof v.value !== 'string') throw new ReadError(`the ${entry.key} is not a string`);
    }
    source.options = options;
  }
  return source;
}

function unwrap(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.name === 'ParenthesizedExpression') {
    const inner = children(current).filter((c) => c.name !== '(' && c.name !== ')');
    if (inner.length !== 1) break;
    current = inner[0]!;
  }
  return current;
}

/** The `key: value` entries of an object literal, values read by `readValue`. */
function readObject<V>(
  node: SyntaxNode,
  code: string,
  readValue: (value: SyntaxNode) => V,
): ObjectNode<V> {
  const inner = unwrap(node);
  if (inner.name !== 'ObjectExpression') {
    throw new ReadError(`line ${lineOf(code, node.from)}: not an object literal`);
  }
  const entries: EntryNode<V>[] = [];
  const seen = new Set<string>();
  for (const child of children(inner)) {
    if (child.name === '{' || child.name === '}' || child.name === ',') continue;
    if (child.name !== 'Property') {
      throw new ReadError(`line ${lineOf(code, child.from)}: ${child.name} in an object literal`);
    }
    const parts = children(child);
    const [keyNode, colon, valueNode] = parts;
    if (parts.length !== 3 || !keyNode || colon?.name !== ':' || !valueNode) {
      throw new ReadError(
        `line ${lineOf(code, child.from)}: "${text(code, child)}" is not a key: value entry`,
      );
    }
    const key = readKey(keyNode, code);
    if (seen.has(key)) throw new ReadError(`the key "${key}" is written twice`);
    seen.add(key);
    entries.push({ key, from: child.from, to: child.to, value: readValue(valueNode) });
  }
  return { from: node.from, to: node.to, entries };
}

function readKey(node: SyntaxNode, code: string): string {
  switch (node.name) {
    case 'PropertyDefinition':
      return text(code, node);
    case 'String':
      return readStringNode(node, code);
    case 'Number':
      return String(readNumber(text(code, node)));
    default:
      throw new ReadError(`line ${lineOf(code, node.from)}: a computed key`);
  }
}

function readWiring(node: SyntaxNode, code: string, names: ReaderNames): ObjectNode<ReferenceNode> {
  return readObject(node, code, (value) => readReference(value, code, names));
}

function readReference(node: SyntaxNode, code: string, names: ReaderNames): ReferenceNode {
  const inner = unwrap(node);
  const span = { from: node.from, to: node.to };
  if (inner.name === 'String') {
    const reference = readStringNode(inner, code);
    if (reference) return { ...span, reference, style: 'string' };
  }
  if (inner.name === 'CallExpression') {
    const [callee, argList, ...rest] = children(inner);
    if (
      rest.length === 0 &&
      callee?.name === 'VariableName' &&
      text(code, callee) === names.cell &&
      argList?.name === 'ArgList'
    ) {
      const args = children(argList).filter((c) => c.name !== '(' && c.name !== ')');
      const only = args[0] && unwrap(args[0]);
      if (args.length === 1 && only && (only.name === 'String' || only.name === 'TemplateString')) {
        const reference = readStringNode(only, code);
        if (reference) return { ...span, reference, style: 'cell' };
      }
    }
  }
  throw new ReadError(
    `line ${lineOf(code, node.from)}: an input is not wired with ${names.cell}('…')`,
  );
}

/** Reads a JSON literal (objects, arrays, strings, numbers, booleans, null). */
export function readLiteral(node: SyntaxNode, code: string): LiteralNode {
  const span = { from: node.from, to: node.to };
  const inner = unwrap(node);
  switch (inner.name) {
    case 'String':
    case 'TemplateString':
      return { ...span, type: 'scalar', value: readStringNode(inner, code) };
    case 'Number':
      return { ...span, type: 'scalar', value: readNumber(text(code, inner)) };
    case 'BooleanLiteral':
      return { ...span, type: 'scalar', value: text(code, inner) === 'true' };
    case 'null':
      return { ...span, type: 'scalar', value: null };
    case 'UnaryExpression': {
      const [op, operand] = children(inner);
      const sign = op && text(code, op);
      if ((sign === '-' || sign === '+') && operand?.name === 'Number') {
        const n = readNumber(text(code, operand));
        return { ...span, type: 'scalar', value: sign === '-' ? (n === 0 ? 0 : -n) : n };
      }
      break;
    }
    case 'ArrayExpression': {
      const items: LiteralNode[] = [];
      let expectItem = true;
      for (const child of children(inner)) {
        if (child.name === '[') continue;
        if (child.name === ']') break;
        if (child.name === ',') {
          if (expectItem) throw new ReadError(`line ${lineOf(code, child.from)}: an array hole`);
          expectItem = true;
          continue;
        }
        items.push(readLiteral(child, code));
        expectItem = false;
      }
      return { ...span, type: 'array', items };
    }
    case 'ObjectExpression':
      return { ...readObject(node, code, (v) => readLiteral(v, code)), type: 'object' };
  }
  throw new ReadError(
    `line ${lineOf(code, node.from)}: \`${text(code, node).slice(0, 40)}\` is not a JSON value`,
  );
}

/** The JSON value of a literal node. */
export function jsonOf(node: LiteralNode): JsonValue {
  switch (node.type) {
    case 'scalar':
      return node.value;
    case 'array':
      return node.items.map(jsonOf);
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const entry of node.entries) {
        // defineProperty: a `__proto__` key stays a plain key
        Object.defineProperty(out, entry.key, {
          value: jsonOf(entry.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}

function readNumber(raw: string): number {
  const digits = raw.replace(/_/g, '');
  if (/n$/.test(digits)) throw new ReadError(`${raw} is a BigInt, not a JSON number`);
  const value = Number(digits);
  if (!Number.isFinite(value)) throw new ReadError(`${raw} is not a finite number`);
  return value;
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

function readStringNode(node: SyntaxNode, code: string): string {
  if (node.name === 'TemplateString' && children(node).some((c) => c.name === 'Interpolation')) {
    throw new ReadError(`line ${lineOf(code, node.from)}: a template literal with a substitution`);
  }
  return unescapeString(code.slice(node.from + 1, node.to - 1));
}

/** The value of a string literal's body (between its quotes), escapes decoded. */
function unescapeString(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) throw new ReadError('a string ends with a backslash');
    if (next === 'u') {
      const braced = /^\{([0-9a-fA-F]+)\}/.exec(body.slice(i + 2));
      if (braced) {
        out += String.fromCodePoint(parseInt(braced[1]!, 16));
        i += 2 + braced[0].length;
        continue;
      }
      const hex = body.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ReadError('a bad \\u escape');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
      continue;
    }
    if (next === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ReadError('a bad \\x escape');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
      continue;
    }
    if (next === '\r' && body[i + 2] === '\n') {
      i += 3;
      continue;
    }
    if (next === '\n' || next === '\r' || next === '\u2028' || next === '\u2029') {
      i += 2;
      continue;
    }
    out += ESCAPES[next] ?? next;
    i += 2;
  }
  return out;
}

/**
 * Reads a text as one JSON literal written in JavaScript (`[1, 'a']`, `"x"`, `-2`), or undefined
 * when it is anything else. For form fields that accept literals.
 */
export function readLiteralText(value: string): JsonValue | undefined {
  const code = `(${value}\n)`;
  const top = tsParser.parse(code).topNode;
  if (firstError(top)) return undefined;
  const statements = children(top);
  if (statements.length !== 1 || statements[0]!.name !== 'ExpressionStatement') return undefined;
  const [expression] = children(statements[0]!);
  if (!expression) return undefined;
  try {
    return jsonOf(readLiteral(expression, code));
  } catch {
    return undefined;
  }
}
