/** `fill_nulls`: replace missing values, per column, by a constant or a statistic of the column. */
import { z } from 'zod';
import { FancyflowError, STANDARD_MODULE, step } from '../core';
import { requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { columnValues, toArquero } from './table-contract';
import { isMissing, toJsonCell } from './values';

const fill = z
  .strictObject({
    column: z.string().min(1).describe('The column to fill.'),
    strategy: z
      .enum(['constant', 'mean', 'median', 'mode'])
      .default('constant')
      .describe(
        'constant: `value`; mean/median: of the non-missing numbers of the column; mode: its most frequent value. Default "constant".',
      ),
    value: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('The constant (strategy "constant" only).'),
  })
  .describe('How to fill one column.');

const config = z
  .strictObject({
    fills: z
      .array(fill)
      .min(1)
      .describe(
        'One entry per column. Example: [{ "column": "Horsepower", "strategy": "median" }].',
      ),
  })
  .superRefine((cfg, ctx) => {
    cfg.fills.forEach((f, i) => {
      if (f.strategy === 'constant' && f.value === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fills', i, 'value'],
          message: 'strategy "constant" needs a value',
        });
      }
      if (f.strategy !== 'constant' && f.value !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fills', i, 'value'],
          message: `strategy "${f.strategy}" takes no value`,
        });
      }
    });
  });

function numbersOf(values: unknown[], column: string, index: number): number[] {
  const out: number[] = [];
  for (const v of values) {
    if (isMissing(v)) continue;
    if (typeof v !== 'number') {
      throw new FancyflowError(
        'INPUT_CONTRACT',
        `Step "fill_nulls": column "${column}" is not numeric (it holds ${JSON.stringify(toJsonCell(v))}), so it has no mean or median (config /fills/${index}/strategy)`,
        {
          details: { slug: 'fill_nulls', argument: 'table', column, pointer: `/columns/${column}` },
        },
      );
    }
    out.push(v);
  }
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mode(values: unknown[]): unknown {
  const counts = new Map<unknown, number>();
  let best: unknown = null;
  let bestCount = 0;
  for (const v of values) {
    if (isMissing(v)) continue;
    const key = v instanceof Date ? v.getTime() : v;
    const c = (counts.get(key) ?? 0) + 1;
    counts.set(key, c);
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * `fill_nulls`: replaces missing values (null, NaN) column by column: with a `constant`, or the
 * column's `mean` / `median` (numbers only) or `mode` (first most frequent). A column with no
 * values at all keeps its nulls.
 */
export const fillNulls = step(
  {
    slug: 'fill_nulls',
    module: STANDARD_MODULE,
    category: 'Clean',
    title: 'Fill missing values',
    description:
      'Replaces missing values (null, NaN) in the `fills` columns, each { column, strategy, value }: strategy "constant" (default; uses `value`), "mean" or "median" (of the numbers in the column), or "mode" (its most frequent value). A column with no values at all keeps its nulls.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'fill_nulls', 'table').reify();
    requireColumns(
      t,
      cfg.fills.map((f, i) => ({ column: f.column, pointer: `/fills/${i}/column` })),
      'fill_nulls',
    );
    const replaced: Record<string, unknown[]> = {};
    cfg.fills.forEach((f, i) => {
      const values = replaced[f.column] ?? columnValues(t, f.column);
      let filler: unknown;
      if (f.strategy === 'constant') filler = f.value;
      else if (f.strategy === 'mode') filler = mode(values);
      else {
        const xs = numbersOf(values, f.column, i);
        filler =
          f.strategy === 'median'
            ? median(xs)
            : xs.length
              ? xs.reduce((a, b) => a + b, 0) / xs.length
              : null;
      }
      replaced[f.column] = values.map((v) => (isMissing(v) ? filler : v));
    });
    return t.assign(replaced);
  },
);
