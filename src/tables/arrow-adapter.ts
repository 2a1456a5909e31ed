/**
 * The table adapter for apache-arrow `Table`s: schema from the Arrow schema, sizes from buffers,
 * fingerprints from buffers, row_wise mapping a record batch (slice) at a time.
 */
import type * as arrow from 'apache-arrow';
import { apacheArrow } from './libraries';
import { FancyflowError } from '../core/errors';
import type { ColumnInfo, MapRowsOptions, Row, TableAdapter } from '../core/table';
import { buildVector, tableFromVectors } from './arrow-build';
import { columnTypeInfo } from './arrow-types';
import { ColumnHasher, hashArrowChunks, tableDigest } from './fingerprint';
import { isArrowTable } from './libraries';
import { nextTurn, ROWS_PER_SLICE, throwIfAborted } from './yield';

export { isArrowTable };

function arrowColumns(table: arrow.Table): ColumnInfo[] {
  return table.schema.fields.map((f) => ({
    name: f.name,
    ...columnTypeInfo(f.type),
    nullable: f.nullable,
  }));
}

function byteSize(table: arrow.Table): number {
  let total = 0;
  const dictionaries = new Set<unknown>();
  for (let j = 0; j < table.numCols; j++) {
    const vector = table.getChildAt(j);
    if (!vector) continue;
    for (const data of vector.data) {
      total += data.byteLength;
      const dict = data.dictionary;
      if (dict && !dictionaries.has(dict)) {
        dictionaries.add(dict);
        total += dict.byteLength;
      }
    }
  }
  return total;
}

/** Hashes one Arrow vector (any chunking gives the same digest for the same values). */
export function hashArrowVector(vector: arrow.Vector): string {
  const column = new ColumnHasher();
  const type = vector.type as arrow.DataType;
  if (hashArrowChunks(column, type, vector.data)) return column.digest();
  if (apacheArrow().DataType.isDictionary(type) && vector.nullCount === 0) {
    const dict = vector.data[0]?.dictionary;
    if (
      dict &&
      vector.data.every((d) => d.dictionary === dict) &&
      hashArrowChunks(column, type.indices, vector.data)
    ) {
      return `${column.digest()}:${hashArrowVector(dict)}`;
    }
  }
  for (const data of vector.data) {
    const chunk = apacheArrow().makeVector(data);
    for (let i = 0; i < chunk.length; i++) column.value(plainValue(chunk.get(i)));
  }
  return column.digest();
}

function fingerprint(table: arrow.Table): string {
  const columns: string[] = [];
  for (let j = 0; j < table.numCols; j++) {
    const vector = table.getChildAt(j);
    columns.push(vector ? hashArrowVector(vector) : '-');
  }
  const schema = table.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(',');
  return tableDigest('arrow', schema, table.numRows, columns);
}

/** Arrow values as plain JS: rows of structs and vectors of lists become objects and arrays. */
function plainValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return value;
  if (value instanceof apacheArrow().Vector)
    return Array.from(value.toArray() as ArrayLike<unknown>, plainValue);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJSON.call(value) as unknown;
  return value;
}

function head(table: arrow.Table, limit: number): Row[] {
  const n = Math.max(0, Math.min(limit, table.numRows));
  const names = table.schema.fields.map((f) => f.name);
  const vectors = names.map((_, j) => table.getChildAt(j));
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const row: Row = {};
    for (let j = 0; j < names.length; j++) row[names[j]!] = plainValue(vectors[j]?.get(i) ?? null);
    rows.push(row);
  }
  return rows;
}

/** A getter for row `i` of one record batch's column; typed arrays directly where no nulls. */
function columnGetter(vector: arrow.Vector): (i: number) => unknown {
  const data = vector.data[0];
  const type = vector.type as arrow.DataType;
  if (
    vector.data.length === 1 &&
    data &&
    vector.nullCount === 0 &&
    data.values &&
    ((apacheArrow().DataType.isInt(type) && type.bitWidth <= 32) ||
      (apacheArrow().DataType.isFloat(type) && type.precision !== apacheArrow().Precision.HALF))
  ) {
    const values = data.values as ArrayLike<number>;
    return (i) => values[i];
  }
  return (i) => plainValue(vector.get(i));
}

/**
 * Output columns of a row_wise map, in order of first appearance. A key missing from a row is null
 * there.
 */
export class RowCollector {
  readonly names: string[] = [];
  readonly columns = new Map<string, unknown[]>();
  /** The columns in `names` order (the fast path writes by position). */
  private readonly list: unknown[][] = [];
  length = 0;

  /**
   * `rows`: how many rows will be added, exactly. Each column is made that long at once instead of
   * growing row by row (growing copies a column about three times over, in fresh memory).
   */
  constructor(private readonly rows: number) {}

  add(row: unknown, index: number, stepLabel: string): void {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new FancyflowError(
        'STEP_FAILED',
        `${stepLabel}: the row function returned ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row} for row ${index}, expected an object (one row)`,
        { details: { row: index } },
      );
    }
    const at = this.length++;
    const record = row as Record<string, unknown>;
    // fast path: the same keys in the same order as the columns so far (the usual case)
    let k = 0;
    let same = true;
    for (const key in record) {
      if (key !== this.names[k]) {
        same = false;
        break;
      }
      k++;
    }
    if (same && k === this.names.length) {
      for (let j = 0; j < k; j++) {
        const v = record[this.names[j]!];
        this.list[j]![at] = v === undefined ? null : v;
      }
      return;
    }
    for (const key in record) {
      let column = this.columns.get(key);
      if (!column) {
        column = new Array<unknown>(Math.max(this.rows, at + 1));
        // (no null is written where it is not needed: a column of numbers stays unboxed)
        if (at > 0) column.fill(null, 0, at);
        this.columns.set(key, column);
        this.names.push(key);
        this.list.push(column);
      }
      const v = record[key];
      column[at] = v === undefined ? null : v;
    }
    // a column this row has no key for (still a hole there: a value set is never undefined)
    for (const column of this.list) if (column[at] === undefined) column[at] = null;
  }
}

/** A row object with `names` as its keys, in a shape the engine keeps fast (not a dictionary). */
export function rowTemplate(names: readonly string[]): Row {
  const template: Row = {};
  for (const name of names) template[name] = null;
  return template;
}

async function mapRows(
  table: arrow.Table,
  fn: (row: Row, index: number) => Row,
  options: MapRowsOptions = {},
): Promise<arrow.Table> {
  const { signal } = options;
  const names = table.schema.fields.map((f) => f.name);
  const out = new RowCollector(table.numRows);
  const template = rowTemplate(names);
  let index = 0;
  for (const batch of table.batches) {
    const getters = names.map((_, j) => columnGetter(batch.getChildAt(j)!));
    for (let start = 0; start < batch.numRows; start += ROWS_PER_SLICE) {
      throwIfAborted(signal, 'The row_wise map');
      const end = Math.min(batch.numRows, start + ROWS_PER_SLICE);
      for (let i = start; i < end; i++) {
        const row: Row = { ...template };
        for (let j = 0; j < names.length; j++) row[names[j]!] = getters[j]!(i);
        out.add(fn(row, index), index, 'row_wise step');
        index++;
      }
      if (end < batch.numRows || batch !== table.batches[table.batches.length - 1])
        await nextTurn();
    }
  }
  throwIfAborted(signal, 'The row_wise map');
  const hints = new Map(table.schema.fields.map((f) => [f.name, f.type as arrow.DataType]));
  const vectors = out.names.map((name) =>
    buildVector(name, out.columns.get(name)!, hints.get(name)),
  );
  return tableFromVectors(out.names, vectors, out.length);
}

/** The adapter for apache-arrow Tables (name `arrow`). */
export const arrowTableAdapter: TableAdapter<arrow.Table> = {
  name: 'arrow',
  is: isArrowTable,
  columns: arrowColumns,
  numRows: (table) => table.numRows,
  byteSize,
  fingerprint,
  head,
  mapRows,
};
