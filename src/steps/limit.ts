/** `limit`: the first rows of a table (after an offset). */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z.strictObject({
  n: z.number().int().min(0).default(10).describe('How many rows to keep. Default 10.'),
  offset: z.number().int().min(0).default(0).describe('How many rows to skip first. Default 0.'),
});

/** `limit`: rows `offset` to `offset + n` (fewer when the table is shorter), in table order. */
export const limit = step(
  {
    slug: 'limit',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Limit rows',
    description:
      'Keeps `n` rows (default 10) after skipping `offset` rows (default 0), in table order; fewer when the table is shorter.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'limit', 'table');
    const rows = Array.from(t.indices().subarray(cfg.offset, cfg.offset + cfg.n));
    return t.reify(rows);
  },
);
