/** `chart`: a Vega-Lite v5 spec built from config, with the table's rows inlined as data. */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { requireColumns, type NamedColumn } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';
import { isMissing, toJsonCell } from './values';

/** The `$schema` of the specs `chart` makes. */
export const VEGA_LITE_V5_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

const Marks = [
  'point',
  'circle',
  'square',
  'tick',
  'line',
  'area',
  'bar',
  'rect',
  'rule',
  'boxplot',
] as const;
const FieldTypes = ['quantitative', 'temporal', 'ordinal', 'nominal'] as const;
const Aggregates = ['count', 'sum', 'mean', 'median', 'min', 'max', 'distinct'] as const;
const TimeUnits = ['year', 'quarter', 'month', 'yearmonth', 'date', 'day', 'hours'] as const;

const channel = z
  .strictObject({
    field: z
      .string()
      .min(1)
      .optional()
      .describe('The column shown. Optional only with aggregate "count".'),
    type: z
      .enum(FieldTypes)
      .optional()
      .describe(
        'Vega-Lite measurement type. Default: temporal for dates, quantitative for numbers and aggregates, nominal otherwise.',
      ),
    aggregate: z
      .enum(Aggregates)
      .optional()
      .describe('Aggregate the field per group of the other channels.'),
    bin: z.boolean().optional().describe('Bin a quantitative field (histograms).'),
    timeUnit: z.enum(TimeUnits).optional().describe('Discretise a temporal field.'),
    title: z
      .string()
      .optional()
      .describe("Axis or legend title. Default: Vega-Lite's, from the field."),
  })
  .superRefine((c, ctx) => {
    if (c.field === undefined && c.aggregate !== 'count') {
      ctx.addIssue({
        code: 'custom',
        path: ['field'],
        message: 'a field is needed (unless aggregate is "count")',
      });
    }
  });

const config = z.strictObject({
  mark: z.enum(Marks).default('point').describe('The mark type. Default "point".'),
  x: channel.describe('The x channel. Example: { "field": "Horsepower" }.'),
  y: channel
    .optional()
    .describe('The y channel. Example: { "field": "Miles_per_Gallon", "aggregate": "mean" }.'),
  color: channel.optional().describe('The color channel. Example: { "field": "Origin" }.'),
  title: z.string().optional().describe('The chart title.'),
  width: z.number().int().min(50).max(2000).default(400).describe('Width in pixels. Default 400.'),
  height: z
    .number()
    .int()
    .min(50)
    .max(2000)
    .default(300)
    .describe('Height in pixels. Default 300.'),
  tooltip: z.boolean().default(true).describe('Show the data under the pointer. Default true.'),
  maxRows: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(5_000)
    .describe(
      'At most this many rows are inlined (the first ones); the spec notes the truncation in usermeta. Default 5000.',
    ),
});

type Channel = z.output<typeof channel>;

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The shape of the spec `chart` outputs (a Vega-Lite v5 unit spec; extra properties allowed). */
export const VegaLiteSpecSchema = z
  .object({
    $schema: z.literal(VEGA_LITE_V5_SCHEMA),
    mark: z.object({ type: z.enum(Marks) }).loose(),
    encoding: z.record(z.string(), z.record(z.string(), z.json())),
    data: z.object({ values: z.array(z.record(z.string(), cell)) }),
  })
  .loose()
  .meta({
    title: 'Vega-Lite v5 spec',
    'x-fancyflow': { kind: 'json', mimeType: 'application/vnd.vegalite.v5+json' },
  });

/** A spec made by `chart`. */
export type VegaLiteSpec = z.output<typeof VegaLiteSpecSchema>;

function inferType(values: unknown[], c: Channel): (typeof FieldTypes)[number] {
  if (c.type) return c.type;
  if (c.aggregate || c.bin) return 'quantitative';
  for (const v of values) {
    if (isMissing(v)) continue;
    if (v instanceof Date) return 'temporal';
    if (typeof v === 'number' || typeof v === 'bigint') return 'quantitative';
    return 'nominal';
  }
  return 'nominal';
}

/**
 * `chart`: a Vega-Lite v5 spec (JSON) from `mark` and the `x`, `y`, `color` channels, with the
 * first `maxRows` rows of the used columns inlined as `data.values` (dates as ISO strings).
 * JupyterLab renders it natively (`application/vnd.vegalite.v5+json`).
 *
 * @example
 * chart({ table: 'by_origin' }, { mark: 'bar', x: { field: 'Origin' }, y: { field: 'mean_hp' } })
 */
export const chart = step(
  {
    slug: 'chart',
    module: STANDARD_MODULE,
    category: 'Visualize',
    title: 'Chart',
    description:
      'Makes a Vega-Lite v5 spec: `mark` (point, circle, square, tick, line, area, bar, rect, rule, boxplot; default point) and channels `x`, `y`, `color`, each { field, type?, aggregate?, bin?, timeUnit?, title? } (type inferred: temporal for dates, quantitative for numbers, nominal otherwise). The first `maxRows` rows (default 5000) of the used columns are inlined as data. `title`, `width` (400), `height` (300), `tooltip` (true).',
    inputs: { table: aqTable() },
    config,
    output: VegaLiteSpecSchema,
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'chart', 'table');
    const channels = (['x', 'y', 'color'] as const).flatMap((name) => {
      const c = cfg[name];
      return c ? [{ name, c }] : [];
    });
    const named: NamedColumn[] = channels.flatMap(({ name, c }) =>
      c.field === undefined ? [] : [{ column: c.field, pointer: `/${name}/field` }],
    );
    requireColumns(t, named, 'chart');
    const fields = [...new Set(named.map((n) => n.column))];
    const rows = t.indices().subarray(0, cfg.maxRows);
    const getters = fields.map((f) => t.getter(f));
    const values: Record<string, string | number | boolean | null>[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row: Record<string, string | number | boolean | null> = {};
      for (let k = 0; k < fields.length; k++) row[fields[k]!] = toJsonCell(getters[k]!(rows[i]!));
      values[i] = row;
    }
    const encoding: Record<string, Record<string, string | boolean>> = {};
    for (const { name, c } of channels) {
      const sampleValues =
        c.field === undefined ? [] : Array.from(rows.subarray(0, 100), (r) => t.get(c.field!, r));
      const enc: Record<string, string | boolean> = { type: inferType(sampleValues, c) };
      if (c.field !== undefined) enc.field = c.field;
      if (c.aggregate) enc.aggregate = c.aggregate;
      if (c.bin) enc.bin = true;
      if (c.timeUnit) enc.timeUnit = c.timeUnit;
      if (c.title !== undefined) enc.title = c.title;
      encoding[name] = enc;
    }
    const spec: VegaLiteSpec = {
      $schema: VEGA_LITE_V5_SCHEMA,
      ...(cfg.title === undefined ? {} : { title: cfg.title }),
      width: cfg.width,
      height: cfg.height,
      mark: { type: cfg.mark, tooltip: cfg.tooltip },
      encoding,
      data: { values },
      usermeta: {
        fancyflow: {
          rows: rows.length,
          totalRows: t.numRows(),
          truncated: rows.length < t.numRows(),
        },
      },
    };
    return spec;
  },
);
