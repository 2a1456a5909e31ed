/** `convert_units`: a row_wise step converting one column between units (mpg → l/100km, °F → °C, …). */
import { z } from 'zod';
import { FancyflowError, STANDARD_MODULE, step } from '../core';
import { aqTable } from '../tables/typed-contracts';
import { isMissing } from './values';

/** Units by dimension: the factor and offset to the dimension's base unit (base = v * f + o). */
const UNITS = {
  length: {
    m: [1, 0],
    km: [1000, 0],
    cm: [0.01, 0],
    mm: [0.001, 0],
    in: [0.0254, 0],
    ft: [0.3048, 0],
    mi: [1609.344, 0],
  },
  mass: { kg: [1, 0], g: [0.001, 0], t: [1000, 0], lb: [0.45359237, 0], oz: [0.028349523125, 0] },
  temperature: { c: [1, 0], k: [1, -273.15], f: [5 / 9, -32 * (5 / 9)] },
  speed: { m_s: [1, 0], km_h: [1 / 3.6, 0], mph: [0.44704, 0], kn: [1852 / 3600, 0] },
  volume: { l: [1, 0], ml: [0.001, 0], gal: [3.785411784, 0], m3: [1000, 0] },
  // fuel economy: base km per litre; l_100km is reciprocal and handled apart
  fuel_economy: { km_l: [1, 0], mpg: [1.609344 / 3.785411784, 0], l_100km: [NaN, 0] },
} as const satisfies Record<string, Record<string, readonly [number, number]>>;

type Dimension = keyof typeof UNITS;
const UnitNames = Object.values(UNITS).flatMap((d) => Object.keys(d)) as [string, ...string[]];

function dimensionOf(unit: string): Dimension | undefined {
  return (Object.keys(UNITS) as Dimension[]).find((d) => unit in UNITS[d]);
}

const config = z
  .strictObject({
    column: z
      .string()
      .min(1)
      .describe('The numeric column to convert. Example: "Miles_per_Gallon".'),
    from: z.enum(UnitNames).describe('Its unit. Example: "mpg".'),
    to: z.enum(UnitNames).describe('The unit wanted (same dimension). Example: "l_100km".'),
    as: z.string().min(1).optional().describe('The output column. Default: replace `column`.'),
    digits: z
      .number()
      .int()
      .min(0)
      .max(15)
      .optional()
      .describe('Round the result to this many decimals. Default: no rounding.'),
  })
  .superRefine((cfg, ctx) => {
    const a = dimensionOf(cfg.from);
    const b = dimensionOf(cfg.to);
    if (a !== b) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `cannot convert ${a} (${cfg.from}) to ${b} (${cfg.to})`,
      });
    }
  });

function toBase(value: number, unit: string, dimension: Dimension): number {
  if (unit === 'l_100km') return 100 / value;
  const [f, o] = (UNITS[dimension] as Record<string, readonly [number, number]>)[unit]!;
  return value * f + o;
}

function fromBase(value: number, unit: string, dimension: Dimension): number {
  if (unit === 'l_100km') return 100 / value;
  const [f, o] = (UNITS[dimension] as Record<string, readonly [number, number]>)[unit]!;
  return (value - o) / f;
}

/**
 * `convert_units`: an example of a `row_wise` step. Its function sees one row and returns it with
 * `column` converted from `from` to `to` (into `as`, default in place); the Orchestrator maps it
 * over the table a record batch at a time. Missing and non-numeric values become null.
 *
 * Units: length m, km, cm, mm, in, ft, mi; mass kg, g, t, lb, oz; temperature c, f, k; speed m_s,
 * km_h, mph, kn; volume l, ml, gal (US), m3; fuel economy km_l, mpg (US), l_100km.
 */
export const convertUnits = step(
  {
    slug: 'convert_units',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Convert units',
    description:
      'Converts the numbers of `column` from unit `from` to unit `to` (same dimension), into column `as` (default: in place), optionally rounded to `digits`. Row by row (a row_wise step). Units: length m km cm mm in ft mi; mass kg g t lb oz; temperature c f k; speed m_s km_h mph kn; volume l ml gal m3; fuel economy km_l mpg l_100km. Missing or non-numeric values become null.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
    traits: { execution: 'row_wise' },
  },
  (row, cfg, context) => {
    if (context.index === 0 && !(cfg.column in row)) {
      throw new FancyflowError(
        'INPUT_CONTRACT',
        `Step "convert_units": input "table" has no column "${cfg.column}" (named at config /column); it has ${Object.keys(row).join(', ')}`,
        {
          details: {
            slug: 'convert_units',
            argument: 'table',
            column: cfg.column,
            pointer: `/columns/${cfg.column}`,
            configPointer: '/column',
          },
        },
      );
    }
    const dimension = dimensionOf(cfg.from)!;
    const v = row[cfg.column];
    let out: number | null = null;
    if (!isMissing(v) && (typeof v === 'number' || typeof v === 'bigint')) {
      const converted = fromBase(toBase(Number(v), cfg.from, dimension), cfg.to, dimension);
      if (Number.isFinite(converted)) {
        out =
          cfg.digits === undefined
            ? converted
            : Math.round(converted * 10 ** cfg.digits) / 10 ** cfg.digits;
      }
    }
    return { ...row, [cfg.as ?? cfg.column]: out };
  },
);
