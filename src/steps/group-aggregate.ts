/** `group_aggregate`: group rows by key columns and compute aggregates per group. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { FancyflowError, STANDARD_MODULE, step } from '../core';
import { namedList, requireColumns, type NamedColumn } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { comparable, compareValues, isMissing, toJsonCell } from './values';

/** A grouping key part: missing values form one group; dates group by time. */
function groupKey(value: unknown): unknown {
  return isMissing(value) ? null : comparable(value);
}

/** Aggregate operators. */
export const AggregateOps = [
  'count',
  'sum',
  'mean',
  'median',
  'min',
  'max',
  'distinct',
  'stdev',
  'variance',
] as const;

/** An aggregate operator. */
export type AggregateOp = (typeof AggregateOps)[number];

const aggregate = z
  .strictObject({
    op: z
      .enum(AggregateOps)
      .describe(
        'count: rows (or, with a column, its non-missing values); sum, mean, median, min, max, stdev, variance: of the non-missing values; distinct: number of distinct non-missing values.',
      ),
    column: z.string().min(1).optional().describe('The column to aggregate (optional for count).'),
    as: z.string().min(1).describe('The name of the output column.'),
  })
  .describe('One aggregate column.');

const config = z
  .strictObject({
    groupby: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Key columns; one output row per distinct key. Default [] (one row for the whole table).',
      ),
    aggregates: z
      .array(aggregate)
      .min(1)
      .describe(
        'Example: [{ "op": "mean", "column": "Horsepower", "as": "mean_hp" }, { "op": "count", "as": "n" }].',
      ),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set(cfg.groupby);
    cfg.aggregates.forEach((a, i) => {
      if (a.op !== 'count' && a.column === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregates', i, 'column'],
          message: `${a.op} needs a column`,
        });
      }
      if (names.has(a.as)) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregates', i, 'as'],
          message: `the output column "${a.as}" is taken`,
        });
      }
      names.add(a.as);
    });
  });

type Aggregate = z.output<typeof aggregate>;

function numbers(values: unknown[], a: Aggregate, index: number): number[] {
  const out: number[] = [];
  for (const v of values) {
    if (isMissing(v)) continue;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number') {
      throw new FancyflowError(
        'INPUT_CONTRACT',
        `Step "group_aggregate": ${a.op} needs numbers but column "${a.column}" holds ${JSON.stringify(toJsonCell(v))} (config /aggregates/${index})`,
        {
          details: {
            slug: 'group_aggregate',
            argument: 'table',
            column: a.column ?? '',
            pointer: `/columns/${a.column}`,
          },
        },
      );
    }
    out.push(n);
  }
  return out;
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

function variance(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

/** One aggregate of one group's values (missing values skipped). */
function reduce(values: unknown[], a: Aggregate, index: number): unknown {
  switch (a.op) {
    case 'count':
      return a.column === undefined ? values.length : values.filter((v) => !isMissing(v)).length;
    case 'distinct':
      return new Set(values.filter((v) => !isMissing(v)).map(comparable)).size;
    case 'min':
    case 'max': {
      let best: unknown = null;
      const sign = a.op === 'min' ? -1 : 1;
      for (const v of values) {
        if (isMissing(v)) continue;
        if (best === null || compareValues(v, best) * sign > 0) best = v;
      }
      return best;
    }
    case 'sum':
      return numbers(values, a, index).reduce((s, x) => s + x, 0);
    case 'mean':
      return mean(numbers(values, a, index));
    case 'median': {
      const s = Float64Array.from(numbers(values, a, index)).sort();
      if (s.length === 0) return null;
      const mid = s.length >> 1;
      return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    }
    case 'variance':
      return variance(numbers(values, a, index));
    case 'stdev': {
      const v = variance(numbers(values, a, index));
      return v === null ? null : Math.sqrt(v);
    }
  }
}

/**
 * `group_aggregate`: one row per distinct combination of `groupby` keys (in order of first
 * appearance), with the key columns and one column per aggregate. Aggregates skip missing values
 * (NaN included); `sum` of nothing is 0, the other statistics of nothing are null; `stdev` and
 * `variance` are the sample ones (n - 1).
 *
 * @example
 * groupAggregate({ table: 'cars' }, {
 *   groupby: ['Origin'],
 *   aggregates: [{ op: 'mean', column: 'Horsepower', as: 'mean_hp' }, { op: 'count', as: 'n' }],
 * })
 */
export const groupAggregate = step(
  {
    slug: 'group_aggregate',
    module: STANDARD_MODULE,
    category: 'Aggregate',
    title: 'Group and aggregate',
    description:
      'Groups rows by the `groupby` columns (default []: the whole table is one group) and computes `aggregates`, each { op, column, as }: count (rows, or non-missing values of column), sum, mean, median, min, max, stdev, variance (skipping missing values), distinct (number of distinct non-missing values). One output row per group, in order of first appearance.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'group_aggregate', 'table');
    const named: NamedColumn[] = namedList(cfg.groupby, 'groupby');
    cfg.aggregates.forEach((a, i) => {
      if (a.column !== undefined)
        named.push({ column: a.column, pointer: `/aggregates/${i}/column` });
    });
    requireColumns(t, named, 'group_aggregate');
    // group rows by key, in order of first appearance
    const keyGetters = cfg.groupby.map((c) => t.getter(c));
    const groups = new Map<string, number[]>();
    for (const row of t.indices()) {
      const key = JSON.stringify(keyGetters.map((get) => groupKey(get(row))));
      let rows = groups.get(key);
      if (!rows) groups.set(key, (rows = []));
      rows.push(row);
    }
    if (groups.size === 0 && cfg.groupby.length === 0) groups.set('[]', []);
    const columns: Record<string, unknown[]> = {};
    const partitions = [...groups.values()];
    cfg.groupby.forEach((c, k) => {
      columns[c] = partitions.map((rows) => keyGetters[k]!(rows[0]!) ?? null);
    });
    cfg.aggregates.forEach((a, i) => {
      const get = a.column === undefined ? undefined : t.getter(a.column);
      columns[a.as] = partitions.map((rows) => reduce(get ? rows.map((r) => get(r)) : rows, a, i));
    });
    return arquero().table(columns);
  },
);
