/** `filter`: keep the rows that satisfy a declarative predicate (no code, no closures). */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { coerceLiteral, comparable, isMissing } from './values';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The comparison operators of a filter clause. */
export const FilterOps = [
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'in',
  'not_in',
  'is_null',
  'not_null',
  'contains',
  'starts_with',
  'ends_with',
] as const;

/** A filter operator. */
export type FilterOp = (typeof FilterOps)[number];

const clause = z
  .strictObject({
    column: z.string().min(1).describe('The column to test.'),
    op: z
      .enum(FilterOps)
      .describe(
        'eq/ne/lt/le/gt/ge compare with value; in/not_in test membership in a value list; is_null/not_null need no value; contains/starts_with/ends_with test text.',
      ),
    value: z
      .union([scalar, z.array(scalar)])
      .optional()
      .describe(
        'The literal to compare with: a string, number or boolean (a list for in/not_in). Strings compare with date columns as ISO dates.',
      ),
  })
  .describe('One test on one column.');

const config = z
  .strictObject({
    where: z
      .array(clause)
      .min(1)
      .describe('The tests. Example: [{ "column": "Horsepower", "op": "gt", "value": 100 }].'),
    combine: z
      .enum(['and', 'or'])
      .default('and')
      .describe('"and": a row must pass every test; "or": at least one. Default "and".'),
  })
  .superRefine((cfg, ctx) => {
    cfg.where.forEach((c, i) => {
      const path = ['where', i, 'value'];
      if (c.op === 'is_null' || c.op === 'not_null') {
        if (c.value !== undefined)
          ctx.addIssue({ code: 'custom', path, message: `${c.op} takes no value` });
      } else if (c.op === 'in' || c.op === 'not_in') {
        if (!Array.isArray(c.value))
          ctx.addIssue({ code: 'custom', path, message: `${c.op} needs a list value` });
      } else if (c.value === undefined || Array.isArray(c.value)) {
        ctx.addIssue({ code: 'custom', path, message: `${c.op} needs a single value` });
      } else if (
        (c.op === 'contains' || c.op === 'starts_with' || c.op === 'ends_with') &&
        typeof c.value !== 'string'
      ) {
        ctx.addIssue({ code: 'custom', path, message: `${c.op} needs a string value` });
      }
    });
  });

type Clause = z.output<typeof clause>;

/** The test of one clause on one cell value. Missing values pass only `is_null`. */
function clauseTest(c: Clause): (value: unknown) => boolean {
  switch (c.op) {
    case 'is_null':
      return (v) => isMissing(v);
    case 'not_null':
      return (v) => !isMissing(v);
    case 'in':
    case 'not_in': {
      const list = c.value as (string | number | boolean)[];
      const want = c.op === 'in';
      return (v) => {
        if (isMissing(v)) return false;
        const x = comparable(v);
        return list.some((lit) => comparable(coerceLiteral(lit, v)) === x) === want;
      };
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      const needle = c.value as string;
      const test =
        c.op === 'contains'
          ? (s: string) => s.includes(needle)
          : c.op === 'starts_with'
            ? (s: string) => s.startsWith(needle)
            : (s: string) => s.endsWith(needle);
      return (v) => !isMissing(v) && test(String(v));
    }
    default: {
      const lit = c.value as string | number | boolean;
      const cmp = compare(c.op);
      return (v) => {
        if (isMissing(v)) return false;
        return cmp(comparable(v) as number, comparable(coerceLiteral(lit, v)) as number);
      };
    }
  }
}

function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'): (a: number, b: number) => boolean {
  switch (op) {
    case 'eq':
      return (a, b) => a === b;
    case 'ne':
      return (a, b) => a !== b;
    case 'lt':
      return (a, b) => a < b;
    case 'le':
      return (a, b) => a <= b;
    case 'gt':
      return (a, b) => a > b;
    case 'ge':
      return (a, b) => a >= b;
  }
}

/**
 * `filter`: keeps the rows that pass the `where` tests, combined with `and` (default) or `or`.
 * Missing values (null, NaN) fail every test except `is_null`; as in SQL, `ne` and `not_in` fail too.
 *
 * @example
 * filter({ table: 'cars' }, { where: [{ column: 'Origin', op: 'in', value: ['Japan', 'Europe'] }] })
 */
export const filter = step(
  {
    slug: 'filter',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Filter rows',
    description:
      'Keeps the rows that pass the `where` tests, each { column, op, value }: eq, ne, lt, le, gt, ge (a value), in, not_in (a list), is_null, not_null (no value), contains, starts_with, ends_with (a string). `combine` is "and" (default: every test) or "or" (any test). Missing values (null, NaN) fail every test but is_null. String values compare with date columns as ISO dates.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'filter', 'table');
    requireColumns(
      t,
      cfg.where.map((c, i) => ({ column: c.column, pointer: `/where/${i}/column` })),
      'filter',
    );
    const tests = cfg.where.map((c) => ({ get: t.getter(c.column), test: clauseTest(c) }));
    const any = cfg.combine === 'or';
    const keep: number[] = [];
    for (const row of t.indices()) {
      let pass = !any;
      for (const { get, test } of tests) {
        if (test(get(row)) === any) {
          pass = any;
          break;
        }
      }
      if (pass) keep.push(row);
    }
    return t.reify(keep);
  },
);
