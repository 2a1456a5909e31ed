/**
 * apache-arrow, arquero and flechette, loaded when first used rather than when fancyflow is
 * imported: together they are ~300 modules, and a kernel's first cell, `fancyflow steps` or a
 * workflow of JSON values needs none of them. Modules import their types with `import type` and
 * call these for values. This file must stay light: it imports nothing at run time.
 */
import type * as Arrow from 'apache-arrow';
import type * as Arquero from 'arquero';
import type * as Flechette from '@uwdata/flechette';

let arrowModule: typeof Arrow | undefined;
let arqueroModule: typeof Arquero | undefined;
let flechetteModule: typeof Flechette | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- a require on first use is the point */

/** The apache-arrow module (loaded on the first call). */
export function apacheArrow(): typeof Arrow {
  return (arrowModule ??= require('apache-arrow') as typeof Arrow);
}

/** The arquero module (loaded on the first call). */
export function arquero(): typeof Arquero {
  return (arqueroModule ??= require('arquero') as typeof Arquero);
}

/** The flechette module (loaded on the first call). */
export function flechette(): typeof Flechette {
  return (flechetteModule ??= require('@uwdata/flechette') as typeof Flechette);
}

/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * True when `value` is an apache-arrow Table (of any copy of the library). Loads nothing: the
 * class check is made only once apache-arrow is loaded here (before, no table of this copy exists).
 */
export function isArrowTable(value: unknown): value is Arrow.Table {
  if (typeof value !== 'object' || value === null) return false;
  if (arrowModule && value instanceof arrowModule.Table) return true;
  const t = value as {
    batches?: unknown;
    schema?: { fields?: unknown };
    numRows?: unknown;
    getChildAt?: unknown;
  };
  return (
    Array.isArray(t.batches) &&
    typeof t.numRows === 'number' &&
    Array.isArray(t.schema?.fields) &&
    typeof t.getChildAt === 'function'
  );
}

/** True when `value` is an arquero table (of any copy of the library). Loads nothing. */
export function isArqueroTable(value: unknown): value is Arquero.ColumnTable {
  if (typeof value !== 'object' || value === null) return false;
  if (arqueroModule && value instanceof arqueroModule.ColumnTable) return true;
  const t = value as Record<string, unknown>;
  return (
    typeof t.columnNames === 'function' &&
    typeof t.numRows === 'function' &&
    typeof t.data === 'function' &&
    typeof t.getter === 'function' &&
    typeof t.indices === 'function'
  );
}
