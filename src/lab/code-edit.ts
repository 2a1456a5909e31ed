/**
 * Editing cell code by source ranges: an edit replaces one range, so everything around it (other
 * statements, comments, the user's formatting) stays as written. Literal edits are minimal: an
 * object keeps the entries whose values did not change, text and all.
 */
import type { JsonValue } from '../core/errors';
import { jsonOf, type LiteralNode, type ObjectNode, type Span } from './code-reader';
import { printLiteralBlock, propertyKey, type LiteralValue } from './js-literal';

/** Replace `code.slice(from, to)` by `insert`. */
export interface Edit extends Span {
  insert: string;
}

/** Applies edits that do not overlap (touching is fine). */
export function applyEdits(code: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.from - b.from || a.to - b.to);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.from < sorted[i - 1]!.to) throw new Error('overlapping edits');
  }
  let out = code;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const edit = sorted[i]!;
    out = out.slice(0, edit.from) + edit.insert + out.slice(edit.to);
  }
  return out;
}

/** The white space that starts the line holding `pos`. */
export function lineIndent(code: string, pos: number): string {
  const start = code.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(code.slice(start))![0];
}

/** The 0-based column of `pos`. */
export function columnOf(code: string, pos: number): number {
  return pos - (code.lastIndexOf('\n', pos - 1) + 1);
}

/** An edit that rewrites a node's whole range with `value`, broken over lines when long. */
export function replaceNode(code: string, node: Span, value: LiteralValue, maxLine: number): Edit {
  return {
    from: node.from,
    to: node.to,
    insert: printLiteralBlock(value, {
      indent: lineIndent(code, node.from),
      column: columnOf(code, node.from),
      maxLine,
    }),
  };
}

/** An entry to append to an object literal. */
export interface NewEntry {
  key: string;
  value: LiteralValue;
}

/** The whole lines an entry stands on alone (with its comma and a line comment), if it does. */
function ownLines(code: string, entry: Span): Span | undefined {
  const start = code.lastIndexOf('\n', entry.from - 1) + 1;
  if (code.slice(start, entry.from).trim() !== '') return undefined;
  const end = code.indexOf('\n', entry.to);
  if (end < 0 || !/^[ \t]*,?[ \t]*(\/\/.*)?$/.test(code.slice(entry.to, end))) return undefined;
  return { from: start, to: end + 1 };
}

/**
 * Where entries can go on lines of their own after `entry`: the end of its line, when only its
 * comma and a comment follow it there.
 */
function lineSlot(code: string, entry: Span): { at: number; comma: boolean } | undefined {
  const end = code.indexOf('\n', entry.to);
  if (end < 0) return undefined;
  const rest = code.slice(entry.to, end);
  if (!/^[ \t]*,?[ \t]*(\/\/.*|\/\*.*\*\/[ \t]*)?$/.test(rest)) return undefined;
  return { at: end, comma: /^[ \t]*,/.test(rest) };
}

/**
 * The edits that remove the entries named in `remove` from an object literal and append `add`
 * after its last kept entry, touching nothing else: in an object written one entry per line,
 * whole lines go and come (comments on other lines stay where they are); on one line, an entry
 * goes with its separator. Returns `undefined` when no entry would be kept (the caller rewrites
 * the whole object).
 */
export function restructureObject<V>(
  code: string,
  node: ObjectNode<V>,
  remove: ReadonlySet<string>,
  add: readonly NewEntry[],
  maxLine: number,
): Edit[] | undefined {
  const entries = node.entries;
  let lastKept = -1;
  entries.forEach((e, i) => {
    if (!remove.has(e.key)) lastKept = i;
  });
  if (lastKept < 0) return undefined;
  const kept = entries[lastKept]!;
  const multiline = code.slice(node.from, entries[0]!.from).includes('\n');
  const indent = multiline ? lineIndent(code, kept.from) : '';
  const removed = entries.filter((e) => remove.has(e.key));
  const lines = removed.map((e) => (multiline ? ownLines(code, e) : undefined));
  const edits: Edit[] = [];
  let tail: Edit | undefined;
  if (multiline && lines.every((l) => l !== undefined)) {
    for (const span of lines) edits.push({ ...span!, insert: '' });
  } else {
    // a removed entry before the last kept one goes with everything up to the next entry
    for (let i = 0; i < lastKept; i++) {
      if (remove.has(entries[i]!.key)) {
        edits.push({ from: entries[i]!.from, to: entries[i + 1]!.from, insert: '' });
      }
    }
    // removed entries after it go from its end (its comma stays, as written) to the last one's end
    const tailEnd = entries[entries.length - 1]!.to;
    if (tailEnd > kept.to) tail = { from: kept.to, to: tailEnd, insert: '' };
  }
  if (add.length > 0) {
    const slot = multiline && !tail ? lineSlot(code, kept) : undefined;
    if (slot) {
      // new entries on lines of their own below the kept one, in its comma style
      if (!slot.comma) edits.push({ from: kept.to, to: kept.to, insert: ',' });
      const printed = add.map(({ key, value }) => {
        const head = `${indent}${propertyKey(key)}: `;
        return head + printLiteralBlock(value, { indent, column: head.length, maxLine });
      });
      const insert = printed.map((line) => `\n${line}`).join(',') + (slot.comma ? ',' : '');
      edits.push({ from: slot.at, to: slot.at, insert });
    } else {
      let insert = '';
      let column = columnOf(code, kept.to);
      for (const { key, value } of add) {
        const head = multiline ? `,\n${indent}${propertyKey(key)}: ` : `, ${propertyKey(key)}: `;
        const start = multiline ? head.length - 2 : column + head.length;
        const printed = printLiteralBlock(value, { indent, column: start, maxLine });
        insert += head + printed;
        column = multiline ? 0 : start + printed.length;
      }
      tail = tail ? { ...tail, insert } : { from: kept.to, to: kept.to, insert };
    }
  }
  if (tail) edits.push(tail);
  return edits;
}

function isPlainObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/**
 * The smallest edits that turn a literal into `next`: unchanged parts keep their text (and the
 * comments and formatting around them); changed values are rewritten in place; an object gains
 * new keys after its last entry and loses removed ones with their separators.
 */
export function literalEdits(
  code: string,
  node: LiteralNode,
  next: JsonValue,
  maxLine: number,
): Edit[] {
  const current = jsonOf(node);
  if (jsonEqualStrict(current, next)) return [];
  if (node.type === 'object' && isPlainObject(next) && node.entries.length > 0) {
    const remove = new Set(
      node.entries
        .filter((e) => !hasOwn(next, e.key) || next[e.key] === undefined)
        .map((e) => e.key),
    );
    const written = new Set(node.entries.map((e) => e.key));
    const add = Object.keys(next)
      .filter((k) => !written.has(k) && next[k] !== undefined)
      .map((key) => ({ key, value: next[key]! }));
    const edits = restructureObject(code, node, remove, add, maxLine);
    if (!edits) return [replaceNode(code, node, next, maxLine)];
    for (const entry of node.entries) {
      if (remove.has(entry.key)) continue;
      edits.push(...literalEdits(code, entry.value, next[entry.key]!, maxLine));
    }
    return edits;
  }
  if (
    node.type === 'array' &&
    Array.isArray(next) &&
    next.length === node.items.length &&
    next.length > 0
  ) {
    return node.items.flatMap((item, i) => literalEdits(code, item, next[i]!, maxLine));
  }
  return [replaceNode(code, node, next, maxLine)];
}

/** Deep equality where key order does not matter but types do (1 ≠ '1'). */
function jsonEqualStrict(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => jsonEqualStrict(v, b[i]!))
    );
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => hasOwn(b, k) && jsonEqualStrict(a[k]!, b[k]!));
}
