/** `derive`: new columns computed by declarative expressions (an operator and its arguments). */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { requireColumns, type NamedColumn } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { isMissing } from './values';

/** Operators of `derive` and how many arguments each takes: [min, max]. */
export const DeriveOps = {
  add: [2, Infinity],
  sub: [2, 2],
  mul: [2, Infinity],
  div: [2, 2],
  mod: [2, 2],
  pow: [2, 2],
  neg: [1, 1],
  abs: [1, 1],
  round: [1, 2],
  floor: [1, 1],
  ceil: [1, 1],
  sqrt: [1, 1],
  log: [1, 1],
  log10: [1, 1],
  exp: [1, 1],
  min: [1, Infinity],
  max: [1, Infinity],
  concat: [1, Infinity],
  upper: [1, 1],
  lower: [1, 1],
  trim: [1, 1],
  length: [1, 1],
  to_number: [1, 1],
  to_string: [1, 1],
  year: [1, 1],
  month: [1, 1],
  day: [1, 1],
  coalesce: [1, Infinity],
  copy: [1, 1],
} as const satisfies Record<string, readonly [number, number]>;

/** A derive operator. */
export type DeriveOp = keyof typeof DeriveOps;

const opNames = Object.keys(DeriveOps) as [DeriveOp, ...DeriveOp[]];

const argument = z.union([
  z.strictObject({
    column: z.string().min(1).describe('A column of the table (or derived earlier in this step).'),
  }),
  z.strictObject({
    value: z.union([z.string(), z.number(), z.boolean(), z.null()]).describe('A literal.'),
  }),
]);

const derivation = z
  .strictObject({
    as: z.string().min(1).describe('The name of the new (or replaced) column.'),
    op: z
      .enum(opNames)
      .describe(
        'add/mul/min/max/concat/coalesce take 2+ (min/max/concat/coalesce 1+) arguments; sub/div/mod/pow take 2; round takes 1 or 2 (digits); the rest take 1. year/month/day read dates (month 1-12).',
      ),
    args: z
      .array(argument)
      .min(1)
      .describe(
        'Arguments: { "column": name } or { "value": literal }. Example: [{ "column": "Weight_in_lbs" }, { "value": 0.4536 }].',
      ),
  })
  .describe('One new column.');

const config = z
  .strictObject({
    columns: z
      .array(derivation)
      .min(1)
      .describe('The columns to compute, in order: later ones may use earlier ones.'),
  })
  .superRefine((cfg, ctx) => {
    cfg.columns.forEach((d, i) => {
      const [min, max] = DeriveOps[d.op];
      if (d.args.length < min || d.args.length > max) {
        const want =
          min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
        ctx.addIssue({
          code: 'custom',
          path: ['columns', i, 'args'],
          message: `${d.op} takes ${want} argument${min === 1 && max === 1 ? '' : 's'}, got ${d.args.length}`,
        });
      }
      if (d.op === 'round' && d.args.length === 2) {
        const digits = d.args[1]!;
        if (
          !('value' in digits) ||
          typeof digits.value !== 'number' ||
          !Number.isInteger(digits.value)
        ) {
          ctx.addIssue({
            code: 'custom',
            path: ['columns', i, 'args', 1],
            message: 'round: the digits must be an integer { "value": n }',
          });
        }
      }
    });
  });

type Value = unknown;

function num(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

function text(v: Value): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

function date(v: Value): Date | null {
  if (v instanceof Date) return v;
  if (typeof v === 'number' || typeof v === 'string') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

function numeric(fn: (...xs: number[]) => number): (args: Value[]) => Value {
  return (args) => {
    const xs: number[] = [];
    for (const a of args) {
      if (isMissing(a)) return null;
      xs.push(num(a));
    }
    return finite(fn(...xs));
  };
}

function unary<T>(fn: (v: Value) => T): (args: Value[]) => T | null {
  return (args) => (isMissing(args[0]) ? null : fn(args[0]));
}

/** The function of each operator, from argument values to the cell value (null when undefined). */
const implementations: Record<DeriveOp, (args: Value[]) => Value> = {
  add: numeric((...xs) => xs.reduce((a, b) => a + b, 0)),
  sub: numeric((a, b) => a! - b!),
  mul: numeric((...xs) => xs.reduce((a, b) => a * b, 1)),
  div: numeric((a, b) => a! / b!),
  mod: numeric((a, b) => a! % b!),
  pow: numeric((a, b) => a! ** b!),
  neg: numeric((a) => -a!),
  abs: numeric(Math.abs),
  round: numeric((a, digits = 0) => {
    const f = 10 ** digits;
    return Math.round(a! * f) / f;
  }),
  floor: numeric(Math.floor),
  ceil: numeric(Math.ceil),
  sqrt: numeric(Math.sqrt),
  log: numeric(Math.log),
  log10: numeric(Math.log10),
  exp: numeric(Math.exp),
  min: numeric(Math.min),
  max: numeric(Math.max),
  concat: (args) => (args.some(isMissing) ? null : args.map(text).join('')),
  upper: unary((v) => text(v).toUpperCase()),
  lower: unary((v) => text(v).toLowerCase()),
  trim: unary((v) => text(v).trim()),
  length: unary((v) => text(v).length),
  to_number: unary((v) => finite(num(v))),
  to_string: unary(text),
  year: unary((v) => date(v)?.getUTCFullYear() ?? null),
  month: unary((v) => {
    const d = date(v);
    return d ? d.getUTCMonth() + 1 : null;
  }),
  day: unary((v) => date(v)?.getUTCDate() ?? null),
  coalesce: (args) => args.find((a) => !isMissing(a)) ?? null,
  copy: (args) => (isMissing(args[0]) ? null : args[0]),
};

/**
 * `derive`: adds (or replaces) columns computed row by row from declarative expressions.
 * Arithmetic and math on a missing argument give null, as do results that are not finite numbers
 * (division by zero, log of 0). Dates are read in UTC.
 *
 * @example
 * derive({ table: 'cars' }, {
 *   columns: [{ as: 'Weight_kg', op: 'mul', args: [{ column: 'Weight_in_lbs' }, { value: 0.4536 }] }],
 * })
 */
export const derive = step(
  {
    slug: 'derive',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Derive columns',
    description:
      'Adds or replaces `columns`, each { as, op, args } with args { column } or { value }. Operators: add, sub, mul, div, mod, pow, neg, abs, round (optional digits), floor, ceil, sqrt, log, log10, exp, min, max, concat, upper, lower, trim, length, to_number, to_string, year, month, day (UTC), coalesce, copy. Later columns may use earlier ones. Missing arguments and non-finite results (x/0, log 0) give null.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'derive', 'table').reify();
    const derived = new Map<string, Value[]>();
    const named: NamedColumn[] = [];
    cfg.columns.forEach((d, i) =>
      d.args.forEach((a, j) => {
        if ('column' in a && !cfg.columns.slice(0, i).some((e) => e.as === a.column)) {
          named.push({ column: a.column, pointer: `/columns/${i}/args/${j}/column` });
        }
      }),
    );
    requireColumns(t, named, 'derive');
    const n = t.numRows();
    for (const d of cfg.columns) {
      const readers = d.args.map((a): ((row: number) => Value) => {
        if ('value' in a) return () => a.value;
        const computed = derived.get(a.column);
        if (computed) return (row) => computed[row];
        return t.getter(a.column);
      });
      const fn = implementations[d.op];
      const out = new Array<Value>(n);
      const args = new Array<Value>(readers.length);
      for (let row = 0; row < n; row++) {
        for (let k = 0; k < readers.length; k++) args[k] = readers[k]!(row);
        out[row] = fn(args);
      }
      derived.set(d.as, out);
    }
    return t.assign(Object.fromEntries(derived));
  },
);
