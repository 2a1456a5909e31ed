/** `sort`: order rows by one or more columns. */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { compareValues, isMissing } from './values';

const config = z.strictObject({
  by: z
    .array(
      z.strictObject({
        column: z.string().min(1).describe('The column to sort by.'),
        order: z.enum(['asc', 'desc']).default('asc').describe('"asc" (default) or "desc".'),
      }),
    )
    .min(1)
    .describe(
      'Sort keys, most significant first. Example: [{ "column": "Horsepower", "order": "desc" }].',
    ),
  nulls: z
    .enum(['last', 'first'])
    .default('last')
    .describe('Where missing values go, whatever the order. Default "last".'),
});

/**
 * `sort`: a stable sort by `by` keys (numbers numerically, strings by code unit, dates by time);
 * missing values go `last` (default) or `first` whatever the order.
 */
export const sort = step(
  {
    slug: 'sort',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Sort rows',
    description:
      'Sorts rows (stably) by the `by` keys, each { column, order: "asc" | "desc" }, most significant first. Numbers sort numerically, strings by code unit, dates by time. `nulls`: "last" (default) or "first" puts missing values at that end whatever the order.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'sort', 'table');
    requireColumns(
      t,
      cfg.by.map((k, i) => ({ column: k.column, pointer: `/by/${i}/column` })),
      'sort',
    );
    const keys = cfg.by.map((k) => ({
      get: t.getter(k.column),
      sign: k.order === 'desc' ? -1 : 1,
    }));
    const nullSign = cfg.nulls === 'last' ? 1 : -1;
    const rows = Array.from(t.indices());
    rows.sort((a, b) => {
      for (const { get, sign } of keys) {
        const x = get(a);
        const y = get(b);
        const mx = isMissing(x);
        const my = isMissing(y);
        if (mx || my) {
          if (mx && my) continue;
          return mx ? nullSign : -nullSign;
        }
        const c = compareValues(x, y);
        if (c !== 0) return c * sign;
      }
      return a - b;
    });
    return t.reify(rows);
  },
);
