/** `describe`: summary statistics of every column, as a table (one row per column). */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { STANDARD_MODULE, step, tableAdapterFor } from '../core';
import { namedList, requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { columnValues, toArquero } from './table-contract';
import { comparable, isMissing } from './values';

const config = z.strictObject({
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('The columns to describe. Default: all of them.'),
});

/** The columns of the output table (names and text columns may be empty, so typed loosely). */
const OUTPUT_COLUMNS = {
  column: 'any',
  type: 'any',
  count: 'integer',
  nulls: 'integer',
  distinct: 'integer',
} as const;

/**
 * One pass over a column: missing count, value kind, and the numbers (sorted); distinct values are
 * counted on the sorted numbers for numeric columns (a Set of 1e5 doubles is the slow part).
 */
function scan(values: unknown[]): {
  present: number;
  kind: string;
  distinct: number;
  numbers: Float64Array | undefined;
} {
  let kind = 'null';
  let present = 0;
  const numbers = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    const k = v instanceof Date ? 'date' : typeof v;
    if (kind !== k) kind = kind === 'null' ? k : 'mixed';
    if (k === 'number' || k === 'bigint') numbers[present] = Number(v);
    present++;
  }
  if (kind === 'number' || kind === 'bigint') {
    const sorted = numbers.subarray(0, present).sort();
    let distinct = present > 0 ? 1 : 0;
    for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
    return { present, kind, distinct, numbers: sorted };
  }
  const seen = new Set<unknown>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isMissing(v)) seen.add(comparable(v));
  }
  return { present, kind, distinct: seen.size, numbers: undefined };
}

/**
 * `describe`: one row per column with `column`, `type` (the Arrow type name, e.g. float64, utf8),
 * `count` (non-missing values), `nulls`, `distinct` (non-missing), and for numeric columns `mean`,
 * `std` (sample), `min`, `p25`, `median`, `p75`, `max` (null for other columns).
 */
export const describe = step(
  {
    slug: 'describe',
    module: STANDARD_MODULE,
    category: 'Inspect',
    title: 'Describe columns',
    description:
      'Summary statistics as a table, one row per column (`columns`, default all): column, type, count (non-missing), nulls, distinct, and for numeric columns mean, std (sample), min, p25, median, p75, max (null otherwise). Quantiles interpolate linearly.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(OUTPUT_COLUMNS),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'describe', 'table');
    if (cfg.columns) requireColumns(t, namedList(cfg.columns, 'columns'), 'describe');
    const names = cfg.columns ?? t.columnNames();
    const adapter = tableAdapterFor(t);
    const types = new Map((adapter?.columns(t) ?? []).map((c) => [c.name, c.valueType ?? c.type]));
    const out = {
      column: [] as string[],
      type: [] as string[],
      count: [] as number[],
      nulls: [] as number[],
      distinct: [] as number[],
      mean: [] as (number | null)[],
      std: [] as (number | null)[],
      min: [] as (number | null)[],
      p25: [] as (number | null)[],
      median: [] as (number | null)[],
      p75: [] as (number | null)[],
      max: [] as (number | null)[],
    };
    for (const name of names) {
      const values = columnValues(t, name);
      const { present, kind, distinct, numbers } = scan(values);
      out.column.push(name);
      out.type.push(types.get(name) ?? kind);
      out.count.push(present);
      out.nulls.push(values.length - present);
      out.distinct.push(distinct);
      const stats = numbers && numbers.length ? numericStats(numbers) : undefined;
      out.mean.push(stats?.mean ?? null);
      out.std.push(stats?.std ?? null);
      out.min.push(stats ? numbers![0]! : null);
      out.p25.push(stats ? quantile(numbers!, 0.25) : null);
      out.median.push(stats ? quantile(numbers!, 0.5) : null);
      out.p75.push(stats ? quantile(numbers!, 0.75) : null);
      out.max.push(stats ? numbers![numbers!.length - 1]! : null);
    }
    return arquero().table({
      ...out,
      count: Int32Array.from(out.count),
      nulls: Int32Array.from(out.nulls),
      distinct: Int32Array.from(out.distinct),
    });
  },
);

function numericStats(sorted: Float64Array): { mean: number; std: number | null } {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  const mean = sum / sorted.length;
  if (sorted.length < 2) return { mean, std: null };
  let ss = 0;
  for (let i = 0; i < sorted.length; i++) ss += (sorted[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (sorted.length - 1)) };
}

/** The q-quantile of sorted numbers, interpolating linearly (numpy's default, R type 7). */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
