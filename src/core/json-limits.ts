/**
 * Limits every JSON document fancyflow reads must respect, checked before any schema sees it:
 * no key that names or reaches an object's prototype (`__proto__` is silently dropped by object
 * spreading and zod, `constructor` and `prototype` are found by the `in` operator on any object),
 * and a bounded nesting depth (recursive code further on must never overflow the stack).
 */
import { ErrorCode, FancyflowError, toJsonPointer } from './errors';

/** Keys no document may use, at any depth. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * The deepest nesting a document may have: the root object or array is at depth 1, and the
 * 257th nested object or array is refused.
 */
export const MAX_JSON_DEPTH = 256;

/** What {@link findJsonViolation} found. */
export type JsonViolation =
  | { reason: 'forbidden-key'; key: string; path: (string | number)[] }
  | { reason: 'too-deep'; maxDepth: number; path: (string | number)[] };

/** One object or array on the walk's stack. */
interface Frame {
  readonly value: Record<string, unknown> | unknown[];
  readonly keys: readonly string[] | undefined;
  readonly parent: Frame | undefined;
  /** The key or index of this value in its parent. */
  readonly at: string | number | undefined;
  readonly depth: number;
  next: number;
}

function pathOf(frame: Frame | undefined, last?: string | number): (string | number)[] {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let f = frame; f && f.at !== undefined; f = f.parent) path.push(f.at);
  return path.reverse();
}

function frameOf(
  value: unknown,
  parent: Frame | undefined,
  at: string | number | undefined,
): Frame | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const depth = parent ? parent.depth + 1 : 1;
  if (Array.isArray(value)) return { value, keys: undefined, parent, at, depth, next: 0 };
  const record = value as Record<string, unknown>;
  return { value: record, keys: Object.keys(record), parent, at, depth, next: 0 };
}

/**
 * The first violation of the limits in document order, or undefined. Iterative (no recursion), so
 * a document nested 100,000 deep is refused, not a stack overflow.
 *
 * @example
 * findJsonViolation(JSON.parse('{"a": {"__proto__": 1}}'));
 * // { reason: 'forbidden-key', key: '__proto__', path: ['a', '__proto__'] }
 */
export function findJsonViolation(
  value: unknown,
  maxDepth: number = MAX_JSON_DEPTH,
): JsonViolation | undefined {
  const root = frameOf(value, undefined, undefined);
  if (!root) return undefined;
  if (root.depth > maxDepth) return { reason: 'too-deep', maxDepth, path: [] };
  const stack: Frame[] = [root];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    let child: unknown;
    let at: string | number;
    if (frame.keys === undefined) {
      const array = frame.value as unknown[];
      if (frame.next >= array.length) {
        stack.pop();
        continue;
      }
      at = frame.next++;
      child = array[at];
    } else {
      if (frame.next >= frame.keys.length) {
        stack.pop();
        continue;
      }
      at = frame.keys[frame.next++]!;
      if (FORBIDDEN_KEYS.has(at)) {
        return { reason: 'forbidden-key', key: at, path: pathOf(frame, at) };
      }
      child = (frame.value as Record<string, unknown>)[at];
    }
    const next = frameOf(child, frame, at);
    if (!next) continue;
    if (next.depth > maxDepth) return { reason: 'too-deep', maxDepth, path: pathOf(next) };
    stack.push(next);
  }
  return undefined;
}

/** Options of {@link checkJsonLimits}. */
export interface JsonLimitOptions {
  /** The JSON pointer of `value` in its file or message (prefixed to the error's pointer). Default ''. */
  base?: string;
  /** The error code thrown. Default `INVALID_DOCUMENT`. */
  code?: ErrorCode;
  /** Default {@link MAX_JSON_DEPTH}. */
  maxDepth?: number;
}

/**
 * Throws a coded error (default `INVALID_DOCUMENT`) whose `details.pointer` is the JSON pointer of
 * the first forbidden key or of the value nested past the depth limit.
 *
 * @example
 * checkJsonLimits(document, { base: '/metadata/fancyflow' });
 */
export function checkJsonLimits(value: unknown, options: JsonLimitOptions = {}): void {
  const violation = findJsonViolation(value, options.maxDepth);
  if (!violation) return;
  const pointer = (options.base ?? '') + toJsonPointer(violation.path);
  const code = options.code ?? ErrorCode.INVALID_DOCUMENT;
  if (violation.reason === 'forbidden-key') {
    throw new FancyflowError(
      code,
      `${pointer}: the key "${violation.key}" is not allowed in a document (it names an object's prototype)`,
      { details: { pointer, reason: violation.reason, key: violation.key } },
    );
  }
  throw new FancyflowError(
    code,
    `${pointer || '(root)'}: the document is nested deeper than ${violation.maxDepth} levels`,
    { details: { pointer, reason: violation.reason, maxDepth: violation.maxDepth } },
  );
}
