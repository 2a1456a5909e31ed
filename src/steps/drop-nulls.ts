/** `drop_nulls`: the seed's `clean_data(df, threshold)`: drop rows that are mostly missing. */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { namedList, requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { isMissing } from './values';

const config = z.strictObject({
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      'Drop a row when the fraction of its values that are missing (null or NaN) is above this. 0 drops every row with a missing value; 1 keeps all. Default 0.5.',
    ),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('The columns to look at. Default: all of them.'),
});

/**
 * `drop_nulls`: drops the rows whose fraction of missing values (null, undefined or NaN) among
 * `columns` (default all) is strictly above `threshold` (default 0.5).
 *
 * @example
 * dropNulls({ table: 'cars' }, { threshold: 0 }) // rows with no missing value at all
 */
export const dropNulls = step(
  {
    slug: 'drop_nulls',
    module: STANDARD_MODULE,
    category: 'Clean',
    title: 'Drop sparse rows',
    description:
      'Drops the rows whose fraction of missing values (null or NaN) is above `threshold` (0 to 1, default 0.5; 0 drops any row with a missing value). `columns` limits the columns looked at (default: all).',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'drop_nulls', 'table');
    if (cfg.columns) requireColumns(t, namedList(cfg.columns, 'columns'), 'drop_nulls');
    const names = cfg.columns ?? t.columnNames();
    if (names.length === 0) return t;
    const getters = names.map((name) => t.getter(name));
    const keep: number[] = [];
    for (const row of t.indices()) {
      let missing = 0;
      for (const get of getters) if (isMissing(get(row))) missing++;
      if (missing / getters.length <= cfg.threshold) keep.push(row);
    }
    return keep.length === t.numRows() ? t : t.reify(keep);
  },
);
