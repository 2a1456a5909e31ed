/**
 * Bounds for text and JSON that came from outside and may be echoed back (in an error's message and
 * details, a reply, a log line): a client that sends 64 MB must not get 64 MB (or twice that) back.
 * Kept light: imported by `errors.ts`, so it imports nothing.
 */
import type { JsonValue } from './errors';

/** How much of an outside value an error keeps. */
export const ERROR_LIMITS = {
  /** Characters of an error's message (and of a cause's message). */
  message: 4_000,
  /** Characters of a stack kept in an error's JSON form. */
  stack: 8_000,
  /** Characters of one string in `details`. */
  string: 2_000,
  /** Characters of one object key in `details`. */
  key: 200,
  /** Items of one array (or keys of one object) in `details`. */
  items: 100,
  /** Nesting depth of `details`. */
  depth: 10,
  /** Characters of `details` as JSON, all together (strings and keys as escaped JSON; roughly). */
  budget: 32_000,
} as const;

/**
 * `text` itself when it has at most `max` characters; else its first `max` characters (never half a
 * surrogate pair) and a note of how many were left out.
 *
 * @example
 * clipText('a'.repeat(10), 4); // 'aaaa… (6 more characters)'
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/**
 * A copy of a JSON value within {@link ERROR_LIMITS}: long strings and keys clipped, long arrays and
 * objects cut (with a note of what was left out), deep nesting replaced by `'…'`. Small values are
 * copied as they are.
 */
export function boundJson(value: JsonValue, limits: BoundLimits = ERROR_LIMITS): JsonValue {
  const state = { left: limits.budget };
  return bound(value, limits, state, 0);
}

/** The limits {@link boundJson} applies. */
export interface BoundLimits {
  string: number;
  key: number;
  items: number;
  depth: number;
  budget: number;
}

function bound(
  value: JsonValue,
  limits: BoundLimits,
  state: { left: number },
  depth: number,
): JsonValue {
  if (typeof value === 'string') {
    const clipped = clipText(value, Math.min(limits.string, Math.max(16, state.left)));
    state.left -= JSON.stringify(clipped).length;
    return clipped;
  }
  if (value === null || typeof value !== 'object') {
    state.left -= 8;
    return value;
  }
  if (depth >= limits.depth) {
    state.left -= 3;
    return '…';
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      if (i >= limits.items || state.left <= 0) {
        out.push(`… (${value.length - i} more items)`);
        break;
      }
      out.push(bound(value[i]!, limits, state, depth + 1));
    }
    return out;
  }
  const out: Record<string, JsonValue> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i >= limits.items || state.left <= 0) {
      out['…'] = `${keys.length - i} more keys`;
      break;
    }
    const key = clipText(keys[i]!, limits.key);
    state.left -= JSON.stringify(key).length + 1;
    // defineProperty, not assignment: a key named `__proto__` stays a plain key.
    Object.defineProperty(out, key, {
      value: bound(value[keys[i]!]!, limits, state, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
