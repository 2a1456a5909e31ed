/**
 * How the standard steps take their table inputs: as materialised arquero tables. Their contracts
 * (`aqTable()`) accept any table family an adapter recognises, so an Arrow table resolved from a
 * disk store arrives too: {@link toArquero} wraps it without copying its buffers.
 */
import type { ColumnTable } from 'arquero';
import { FancyflowError, describeType } from '../core';
import { arquero, isArqueroTable } from '../tables/libraries';

/**
 * The value as a materialised arquero table, whose row numbers are data indices (what the steps'
 * loops and `reify(indices)` assume): an unfiltered, unordered arquero table as it is (arquero's
 * `reify()` returns it unchanged), a filtered or ordered one materialised, an Arrow table
 * (apache-arrow or flechette) wrapped by `aq.fromArrow`, which reads the Arrow columns in place.
 */
export function toArquero(value: unknown, stepSlug: string, argument: string): ColumnTable {
  if (isArqueroTable(value)) return value.reify();
  if (
    typeof value === 'object' &&
    value !== null &&
    'schema' in value &&
    typeof (value as { getChild?: unknown }).getChild === 'function'
  ) {
    const aq = arquero();
    return aq.fromArrow(value as Parameters<typeof aq.fromArrow>[0]);
  }
  throw new FancyflowError(
    'UNSUPPORTED_VALUE',
    `Step "${stepSlug}", input "${argument}": expected an arquero or Arrow table, got ${describeType(value)}`,
    { details: { slug: stepSlug, argument } },
  );
}

/** The values of a column in table order, as a plain array (arquero's `array()` with `Array`). */
export function columnValues(t: ColumnTable, name: string): unknown[] {
  return t.array(name, Array) as unknown[];
}
