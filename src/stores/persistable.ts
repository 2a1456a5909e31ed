/**
 * Which values a disk store can write, and why not when it cannot. JSON values are checked deeply
 * (JSON.stringify would silently drop functions, turn Maps into `{}`, NaN and undefined-in-arrays
 * into null, and throw on cycles and BigInt only).
 */
import { describeType } from '../core/contracts';
import { FancyflowError, formatPath, toJsonPointer } from '../core/errors';

/** Why a value cannot be written as JSON, and where (a path inside it), or undefined when it can. */
export interface JsonProblem {
  path: (string | number)[];
  reason: string;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Describes why a single (non-container) value is not JSON, or undefined when it is. */
function leafProblem(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${String(value)} (JSON would write null)`;
    case 'bigint':
      return 'is a BigInt (JSON has none: store it as a string or a number)';
    case 'function':
      return 'is a function (functions cannot be persisted)';
    case 'symbol':
      return 'is a symbol';
    case 'undefined':
      return inArray ? 'is undefined inside an array (JSON would write null)' : 'is undefined';
    default:
      return undefined;
  }
}

/**
 * The first reason `value` does not survive a JSON round trip unchanged, or undefined when it does.
 * Object properties that are undefined are allowed (JSON drops them, as JS code reading them sees).
 */
export function jsonProblem(value: unknown): JsonProblem | undefined {
  const ancestors = new Map<object, (string | number)[]>();
  const path: (string | number)[] = [];
  const visit = (v: unknown, inArray: boolean): JsonProblem | undefined => {
    if (v === null) return undefined;
    if (typeof v !== 'object') {
      const reason = leafProblem(v, inArray);
      return reason ? { path: [...path], reason } : undefined;
    }
    const seenAt = ancestors.get(v);
    if (seenAt) {
      return { path: [...path], reason: `refers back to ${formatPath(seenAt)} (a cycle)` };
    }
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) {
        return { path: [...path], reason: `is a ${describeType(v)} (an Array subclass)` };
      }
      ancestors.set(v, [...path]);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const problem = visit(v[i], true);
        path.pop();
        if (problem) return problem;
      }
      ancestors.delete(v);
      return undefined;
    }
    if (!isPlainObject(v)) {
      const what = describeType(v);
      const hint =
        ArrayBuffer.isView(v) || v instanceof ArrayBuffer
          ? ' inside a JSON value (persist binary data as a cell of its own)'
          : v instanceof Date
            ? ' (JSON would turn it into a string: store an ISO string)'
            : ' (only plain objects, arrays, strings, finite numbers, booleans and null are JSON)';
      return { path: [...path], reason: `is a ${what}${hint}` };
    }
    ancestors.set(v, [...path]);
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      if (child === undefined) continue;
      path.push(key);
      const problem = visit(child, false);
      path.pop();
      if (problem) return problem;
    }
    ancestors.delete(v);
    return undefined;
  };
  return visit(value, false);
}

/** The UNPERSISTABLE error for cell `cellId`. */
export function unpersistable(
  cellId: string,
  reason: string,
  path: (string | number)[] = [],
  cause?: unknown,
): FancyflowError {
  const where = path.length === 0 ? 'the value' : `the value at ${formatPath(path)}`;
  return new FancyflowError(
    'UNPERSISTABLE',
    `Cannot persist cell "${cellId}" on disk: ${where} ${reason}`,
    {
      details: { cellId, pointer: toJsonPointer(path), reason },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
