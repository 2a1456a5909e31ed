/** `write_csv`: a table to a CSV file; returns where it went and how big it is. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { WriteSummarySchema, targetFields, targetFile, writeAtomic } from './data-files';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z.strictObject({
  ...targetFields('out/cars-by-origin.csv'),
  delimiter: z
    .string()
    .length(1)
    .default(',')
    .describe('The one-character field delimiter. Default ",".'),
  header: z.boolean().default(true).describe('Write a header line of column names. Default true.'),
});

/**
 * `write_csv`: writes the table as CSV (dates as ISO 8601, nulls as empty fields), atomically.
 * Its output is a small JSON summary `{ path, format, rows, columns, bytes }`, not the table: a
 * write ends a branch, and the summary is what a notebook wants to show.
 */
export const writeCsv = step(
  {
    slug: 'write_csv',
    module: STANDARD_MODULE,
    category: 'Input/Output',
    title: 'Write CSV',
    description:
      'Writes the table to a CSV file (atomically: a temporary file, then a rename; parent folders are created). `path` is absolute or relative to `baseDir`; `delimiter` default ","; `header` default true. Outputs a JSON summary { path, format, rows, columns, bytes }.',
    inputs: { table: aqTable() },
    config,
    output: WriteSummarySchema,
  },
  async ({ table }, cfg) => {
    const t = toArquero(table, 'write_csv', 'table');
    const file = targetFile(cfg);
    const text = arquero().toCSV(t, { delimiter: cfg.delimiter, header: cfg.header });
    const bytes = await writeAtomic(file, text, 'write_csv');
    return { path: file, format: 'csv' as const, rows: t.numRows(), columns: t.numCols(), bytes };
  },
);
