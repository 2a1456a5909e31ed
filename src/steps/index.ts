/**
 * The standard step library. Importing this module (the package root does) registers every step in
 * the default registry, under module `fancyflow`, so a workflow document with
 * `modules: ["fancyflow"]` can use them; `steps` reaches every step of the default registry by
 * slug (the standard ones with their precise types, any other as a general FancyFunction).
 *
 * @example
 * import { steps } from 'fancyflow';
 * const cars = steps.read_json({}, { dataset: 'cars.json' }, { id: 'cars' });
 * const clean = steps.drop_nulls({ table: cars }, { threshold: 0 }, { id: 'clean' });
 */
import '../tables/register';
import { defaultRegistry, isValidSlug, type FancyFunction, type FunctionRegistry } from '../core';
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

const standardSteps = {
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

/** The standard steps by slug, with their precise types. */
export type StandardSteps = typeof standardSteps;

/**
 * Every registered step by slug: the standard ones with their precise types, and (through the
 * index signature) any step registered at run time, e.g. with `step()` in a notebook cell, as a
 * general FancyFunction.
 */
export type Steps = StandardSteps & { readonly [slug: string]: FancyFunction };

/** Keys asked of any object by runtimes and tools (promises, inspectors), never step slugs. */
const PROBES = new Set(['then', 'constructor', 'inspect', 'prototype', 'length', 'name']);

function stepByKey(key: string | symbol): FancyFunction | undefined {
  if (typeof key !== 'string') return undefined;
  const registry = defaultRegistry();
  const found = registry.get(key);
  if (found) return found;
  // a step slug that is not registered: the coded error with its did-you-mean list
  if (isValidSlug(key) && !PROBES.has(key)) return registry.require(key);
  return undefined;
}

/**
 * Every step of the process-wide default registry, by slug: call one with references and a
 * config to get a WorkflowStep. `steps.<slug>` reads the registry at the moment of the call, so
 * a step defined in a notebook cell with `step()` is reachable in the next cell; an unknown slug
 * throws `UNKNOWN_STEP` naming the closest registered slugs.
 *
 * The standard library: Input/Output (read_csv, read_json, read_arrow, write_csv, write_arrow),
 * Transform (select, filter, derive, sort, limit, sample, convert_units), Clean (drop_nulls,
 * fill_nulls), Aggregate (group_aggregate), Combine (join), Inspect (describe), Visualize (chart).
 *
 * @example
 * step({ slug: 'power_to_weight', inputs: { cars: aqTable() }, output: aqTable() }, ({ cars }) => cars);
 * steps.power_to_weight({ cars: cell('cars') }, {}, { name: 'ptw' });
 */
export const steps: Steps = new Proxy(standardSteps as Steps, {
  get(target, key, receiver) {
    return stepByKey(key) ?? Reflect.get(target, key, receiver);
  },
  has(target, key) {
    return typeof key === 'string' ? defaultRegistry().has(key) : Reflect.has(target, key);
  },
  ownKeys() {
    return defaultRegistry()
      .list()
      .map((fn) => fn.slug);
  },
  getOwnPropertyDescriptor(_target, key) {
    const fn = typeof key === 'string' ? defaultRegistry().get(key) : undefined;
    return fn ? { value: fn, enumerable: true, configurable: true, writable: false } : undefined;
  },
  set() {
    return false;
  },
  defineProperty() {
    return false;
  },
  deleteProperty() {
    return false;
  },
});
export { STANDARD_MODULE } from '../core/registry';

/**
 * Registers the standard steps in `registry` too (they are always in the default registry). For
 * tests and tools that keep their own registry.
 */
export function registerStandardSteps(registry: FunctionRegistry): void {
  for (const fn of Object.values(standardSteps) as FancyFunction[]) registry.register(fn);
}

export { VEGA_LITE_V5_SCHEMA, VegaLiteSpecSchema, type VegaLiteSpec } from './chart';
export { WriteSummarySchema, type WriteSummary } from './data-files';
export { AggregateOps, type AggregateOp } from './group-aggregate';
export { DeriveOps, type DeriveOp } from './derive';
export { FilterOps, type FilterOp } from './filter';
