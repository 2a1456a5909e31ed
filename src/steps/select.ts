/** `select`: keep some columns, in a given order, optionally renamed. */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { namedList, requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z
  .strictObject({
    columns: z
      .array(z.string().min(1))
      .min(1)
      .describe('The columns to keep, in the order wanted. Example: ["Name", "Horsepower"].'),
    rename: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('Old name → new name for kept columns. Default {} (no renames).'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.columns.forEach((c, i) => {
      if (seen.has(c))
        ctx.addIssue({ code: 'custom', path: ['columns', i], message: `"${c}" is listed twice` });
      seen.add(c);
    });
    for (const old of Object.keys(cfg.rename)) {
      if (!seen.has(old)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rename', old],
          message: `"${old}" is not among the selected columns`,
        });
      }
    }
    const out = cfg.columns.map((c) => cfg.rename[c] ?? c);
    const names = new Set<string>();
    out.forEach((name) => {
      if (names.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rename'],
          message: `two output columns would be named "${name}"`,
        });
      }
      names.add(name);
    });
  });

/**
 * `select`: keeps `columns` (in that order) and renames some of them (`rename: { old: new }`).
 * Shares the column data with its input (no copy).
 */
export const select = step(
  {
    slug: 'select',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Select columns',
    description:
      'Keeps the listed `columns`, in that order, and renames some of them with `rename` ({ old: new }, default {}). The column data are shared with the input, not copied.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'select', 'table');
    requireColumns(t, namedList(cfg.columns, 'columns'), 'select');
    const spec: Record<string, string> = {};
    for (const c of cfg.columns) spec[c] = cfg.rename[c] ?? c;
    return t.select(spec);
  },
);
