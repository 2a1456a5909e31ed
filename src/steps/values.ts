/**
 * Value semantics shared by the steps: what counts as missing, and how two cell values compare.
 * Missing means `null`, `undefined` or `NaN` (the seed's "null/NaN"); empty strings are values.
 */

/** True for `null`, `undefined` and `NaN`. */
export function isMissing(value: unknown): value is null | undefined {
  return (
    value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))
  );
}

/** A value as something `<` can order: Dates by time, bigints as numbers, the rest as they are. */
export function comparable(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/**
 * Coerces a config literal towards a cell value's type so that `{ op: 'ge', value: '1975-01-01' }`
 * compares with a Date column and `'8'` with a number column.
 */
export function coerceLiteral(literal: unknown, like: unknown): unknown {
  if (like instanceof Date && typeof literal === 'string') {
    const time = Date.parse(literal);
    return Number.isNaN(time) ? literal : time;
  }
  if (typeof like === 'number' && typeof literal === 'string' && literal.trim() !== '') {
    const n = Number(literal);
    return Number.isNaN(n) ? literal : n;
  }
  return literal;
}

/**
 * Orders two non-missing values: numbers numerically, strings by code unit, mixed types by type
 * name (so a sort never throws).
 */
export function compareValues(a: unknown, b: unknown): number {
  const x = comparable(a);
  const y = comparable(b);
  if (typeof x === typeof y) {
    if ((x as number) < (y as number)) return -1;
    if ((x as number) > (y as number)) return 1;
    return 0;
  }
  return typeof x < typeof y ? -1 : 1;
}

/** A cell value as JSON (Dates as ISO strings, bigints as numbers, NaN and undefined as null). */
export function toJsonCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return JSON.stringify(value) ?? null;
}
