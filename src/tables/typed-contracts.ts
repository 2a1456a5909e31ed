/**
 * Table contracts typed as one library's table: `aqTable()` gives steps an arquero `ColumnTable`,
 * `arrowTable()` an apache-arrow `Table`.
 *
 * Like the core `table()`, both accept a table of either family at run time (the check reads the
 * schema through whichever adapter recognises the value): the standard steps take Arrow tables
 * resolved from a disk store and wrap them with `aq.fromArrow` without copying. The TypeScript type
 * states what the step author expects to work with; a step that must have one family converts.
 */
import type * as arrow from 'apache-arrow';
import type { ColumnTable } from 'arquero';
import {
  typedTable,
  type ColumnSpecs,
  type TableContractOptions,
  type TypedTableContract,
} from '../core/contracts';

/**
 * A table contract whose value type is an arquero `ColumnTable`.
 *
 * @param columns required columns and their types (`'number'`, `'string'`, `'int32'`, …); default
 *   none.
 * @param options `exact: true` refuses columns not listed (default false); `description`.
 * @example
 * const cars = aqTable({ Horsepower: 'number', Origin: 'string' });
 * step({ slug: 'fast', inputs: { cars }, output: aqTable() }, ({ cars }) => cars.filter((d) => d.Horsepower > 200));
 */
export function aqTable<const S extends ColumnSpecs = Record<never, never>>(
  columns?: S,
  options: TableContractOptions = {},
): TypedTableContract<ColumnTable, S> {
  return typedTable<ColumnTable, S>(columns, options);
}

/**
 * A table contract whose value type is an apache-arrow `Table`.
 *
 * @param columns required columns and their types; default none.
 * @param options `exact: true` refuses columns not listed (default false); `description`.
 * @example
 * const prices = arrowTable({ price: 'float64', sku: 'string' });
 */
export function arrowTable<const S extends ColumnSpecs = Record<never, never>>(
  columns?: S,
  options: TableContractOptions = {},
): TypedTableContract<arrow.Table, S> {
  return typedTable<arrow.Table, S>(columns, options);
}
