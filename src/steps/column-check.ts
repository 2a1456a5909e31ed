/**
 * Checks that the columns a step's config names exist in its input table. A static contract cannot
 * say this (the names come from config), so the error is `INPUT_CONTRACT` pointing at both the
 * argument and the config field that named the column.
 */
import type { ColumnTable } from 'arquero';
import { FancyflowError } from '../core';

/** A column named by config, with the JSON pointer of the config field that names it. */
export interface NamedColumn {
  column: string;
  /** JSON pointer into the config, e.g. `/where/0/column`. */
  pointer: string;
}

/**
 * Throws `INPUT_CONTRACT` for the first named column the table lacks.
 *
 * @param argument the input the table came in as (`table`, `left`, …).
 */
export function requireColumns(
  table: ColumnTable,
  named: readonly NamedColumn[],
  slug: string,
  argument = 'table',
): void {
  if (named.length === 0) return;
  const have = new Set(table.columnNames());
  for (const { column, pointer } of named) {
    if (!have.has(column)) {
      throw new FancyflowError(
        'INPUT_CONTRACT',
        `Step "${slug}": input "${argument}" has no column "${column}" (named at config ${pointer}); it has ${[...have].join(', ') || 'no columns'}`,
        {
          details: {
            slug,
            argument,
            column,
            pointer: `/columns/${column}`,
            configPointer: pointer,
          },
        },
      );
    }
  }
}

/** `names` as NamedColumns under the config field `field` (`/columns/0`, `/columns/1`, …). */
export function namedList(names: readonly string[], field: string): NamedColumn[] {
  return names.map((column, i) => ({ column, pointer: `/${field}/${i}` }));
}
