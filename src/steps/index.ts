/**
 * The standard step library. Importing this module (the package root does) registers every step in
 * the default registry, under module `fancyflow`, so a workflow document with
 * `modules: ["fancyflow"]` can use them; `steps` holds their FancyFunctions by slug.
 *
 * @example
 * import { steps } from 'fancyflow';
 * const cars = steps.read_json({}, { dataset: 'cars.json' }, { id: 'cars' });
 * const clean = steps.drop_nulls({ table: cars }, { threshold: 0 }, { id: 'clean' });
 */
import '../tables/register';
import type { FancyFunction, FunctionRegistry } from '../core';
import { chart } from './chart';
import { convertUnits } from './convert-units';
import { derive } from './derive';
import { describe } from './describe';
import { dropNulls } from './drop-nulls';
import { fillNulls } from './fill-nulls';
import { filter } from './filter';
import { groupAggregate } from './group-aggregate';
import { join } from './join';
import { limit } from './limit';
import { readArrow } from './read-arrow';
import { readCsv } from './read-csv';
import { readJson } from './read-json';
import { sample } from './sample';
import { select } from './select';
import { sort } from './sort';
import { writeArrow } from './write-arrow';
import { writeCsv } from './write-csv';

/**
 * The standard steps by slug: call one with references and a config to get a WorkflowStep.
 * Categories: Input/Output (read_csv, read_json, read_arrow, write_csv, write_arrow), Transform
 * (select, filter, derive, sort, limit, sample, convert_units), Clean (drop_nulls, fill_nulls),
 * Aggregate (group_aggregate), Combine (join), Inspect (describe), Visualize (chart).
 */
export const steps = {
  read_csv: readCsv,
  read_json: readJson,
  read_arrow: readArrow,
  write_csv: writeCsv,
  write_arrow: writeArrow,
  select,
  filter,
  derive,
  sort,
  limit,
  sample,
  convert_units: convertUnits,
  drop_nulls: dropNulls,
  fill_nulls: fillNulls,
  group_aggregate: groupAggregate,
  join,
  describe,
  chart,
} as const;

/** The module name the standard steps are defined by (what workflow documents list). */
export const STANDARD_MODULE = 'fancyflow';

/**
 * Registers the standard steps in `registry` too (they are always in the default registry). For
 * tests and tools that keep their own registry.
 */
export function registerStandardSteps(registry: FunctionRegistry): void {
  for (const fn of Object.values(steps) as FancyFunction[]) registry.register(fn);
}

export { VEGA_LITE_V5_SCHEMA, VegaLiteSpecSchema, type VegaLiteSpec } from './chart';
export { WriteSummarySchema, type WriteSummary } from './data-files';
export { AggregateOps, type AggregateOp } from './group-aggregate';
export { DeriveOps, type DeriveOp } from './derive';
export { FilterOps, type FilterOp } from './filter';
