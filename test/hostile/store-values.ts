/**
 * The values the hostile store suite writes, the same in the writing processes and in the test
 * that checks them: each cell id gives one value, of the kind its name starts with.
 */
import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import { describeValue } from '../../src/core/cell';
import type { DiskDatumStore } from '../../src/stores/disk-datum-store';
import { utf8Vector } from '../../src/tables/arrow-build';

/** The datum kinds, one per file format (and both table families). */
export const KINDS = ['arrow', 'arquero', 'json', 'bytes'] as const;
export type Kind = (typeof KINDS)[number];

/** A small number derived from a text, so every cell's value differs. */
function seedOf(text: string): number {
  let h = 7;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 100_003;
  return h;
}

/** The kind of the cell `id` (`<kind>-…`). */
export function kindOf(id: string): Kind {
  const kind = KINDS.find((k) => id.startsWith(`${k}-`));
  if (!kind) throw new Error(`no kind in the cell id "${id}"`);
  return kind;
}

/** The value of cell `id`: `rows` rows for tables (default 40), a few fields or numbers otherwise. */
export function valueFor(id: string, rows = 40): unknown {
  const seed = seedOf(id);
  const weights = Float64Array.from({ length: rows }, (_, i) => 1500 + ((seed + i * 37) % 3500));
  const cylinders = Int32Array.from({ length: rows }, (_, i) => 4 + ((seed + i) % 3) * 2);
  const names = Array.from({ length: rows }, (_, i) => `car ${seed}-${i}`);
  switch (kindOf(id)) {
    case 'arrow':
      return new arrow.Table({
        Weight_in_lbs: arrow.makeVector(weights),
        Cylinders: arrow.makeVector(cylinders),
        Name: utf8Vector(names),
      });
    case 'arquero':
      return aq.table({ Weight_in_lbs: weights, Cylinders: cylinders, Name: names });
    case 'json':
      return { id, seed, Weight_in_lbs: weights[0], names: names.slice(0, 3) };
    case 'bytes':
      return weights;
  }
}

/** The cells of `ids` that do not resolve, checked by their checksum, to their values. */
export async function wrongCells(store: DiskDatumStore, ids: readonly string[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const id of ids) {
    const check = store.checkOf(id);
    if (check !== 'checksum') {
      wrong.push(`${id}: check ${check}`);
      continue;
    }
    try {
      const back = describeValue(await store.resolve(id)).fingerprint;
      if (back !== describeValue(valueFor(id)).fingerprint) wrong.push(`${id}: another value`);
    } catch (e) {
      wrong.push(`${id}: ${String(e)}`);
    }
  }
  return wrong;
}
