/** `write_arrow`: a table to an Arrow IPC file; returns where it went and how big it is. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { WriteSummarySchema, targetFields, targetFile, writeAtomic } from './data-files';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z.strictObject({
  ...targetFields('out/cars.arrow'),
  format: z
    .enum(['file', 'stream'])
    .default('file')
    .describe(
      'Arrow IPC file format (random access, .arrow) or stream format (.arrows). Default "file".',
    ),
});

/**
 * `write_arrow`: writes the table as Arrow IPC, atomically. Its output is a small JSON summary
 * `{ path, format, rows, columns, bytes }`, not the table (see `write_csv`).
 */
export const writeArrow = step(
  {
    slug: 'write_arrow',
    module: STANDARD_MODULE,
    category: 'Input/Output',
    title: 'Write Arrow',
    description:
      'Writes the table to an Apache Arrow IPC file (atomically; parent folders are created). `path` is absolute or relative to `baseDir`; `format` is "file" (default) or "stream". Outputs a JSON summary { path, format, rows, columns, bytes }.',
    inputs: { table: aqTable() },
    config,
    output: WriteSummarySchema,
  },
  async ({ table }, cfg) => {
    const t = toArquero(table, 'write_arrow', 'table');
    const file = targetFile(cfg);
    const bytes = await writeAtomic(
      file,
      arquero().toArrowIPC(t, { format: cfg.format }),
      'write_arrow',
    );
    return { path: file, format: 'arrow' as const, rows: t.numRows(), columns: t.numCols(), bytes };
  },
);
