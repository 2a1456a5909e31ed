/**
 * The table adapter for arquero `ColumnTable`s. arquero columns come in several forms: plain JS
 * arrays, typed arrays, Arrow vectors (apache-arrow or flechette, after `fromArrow`) and arquero's
 * own wrapper of dictionary-encoded Arrow columns. Types are read from typed-array classes and
 * Arrow types; for plain arrays only the first non-null value is looked at. Each logical type has
 * one type name and one hashing whatever form holds it (a column of nulls only is `null`, bigints
 * are hashed as int64 bytes), so a table read back from a store keeps its fingerprint.
 */
import type * as aq from 'arquero';
import { arquero } from './libraries';
import type { ColumnType, ColumnInfo, MapRowsOptions, Row, TableAdapter } from '../core/table';
import { RowCollector, rowTemplate } from './arrow-adapter';
import {
  columnTypeInfo,
  isArrowType,
  jsValueColumnType,
  typedArrayColumnType,
  TYPED_ARRAY_CLASSES,
  type ArrowTypeLike,
  type FixedWidthArray,
} from './arrow-types';
import { ColumnHasher, hashArrowChunks, tableDigest, type ArrowChunkLike } from './fingerprint';
import { isArqueroTable } from './libraries';
import { nextTurn, ROWS_PER_SLICE, throwIfAborted } from './yield';

/** An arquero table. */
export type ColumnTable = aq.ColumnTable;

/** How many leading values are looked at to estimate a plain-array column's size. */
const SAMPLE = 64;

export { isArqueroTable };

/** A column as arquero may hold it. */
interface ArqueroColumn {
  length: number;
  at(row: number): unknown;
}

/** An Arrow column inside arquero: an apache-arrow Vector or a flechette Column. */
interface ArrowColumnLike extends ArqueroColumn {
  type: ArrowTypeLike;
  nullCount: number;
  data: ArrowChunkLike[];
  byteLength?: number;
}

/** arquero's wrapper of a dictionary-encoded Arrow column (see arquero's from-arrow.js). */
interface DictionaryColumnLike extends ArqueroColumn {
  key(row: number): number;
  keyFor(value: unknown): number;
  groups(names: string[]): { keys: ArrayBufferView; size: number };
}

function isArrowColumn(column: unknown): column is ArrowColumnLike {
  const c = column as Partial<ArrowColumnLike>;
  return isArrowType(c.type) && Array.isArray(c.data);
}

function isDictionaryColumn(column: unknown): column is DictionaryColumnLike {
  const c = column as Partial<DictionaryColumnLike>;
  return (
    typeof c.key === 'function' && typeof c.keyFor === 'function' && typeof c.groups === 'function'
  );
}

/**
 * The type of a plain-array column: that of its first non-null value (mixed columns are typed by
 * it), `null` when it has none (all null, or empty), as the Arrow form the store writes says.
 */
function sampleType(column: ArqueroColumn): ColumnType {
  const n = column.length;
  for (let i = 0; i < n; i++) {
    const v = column.at(i);
    if (v !== null && v !== undefined) return jsValueColumnType(v);
  }
  return 'null';
}

function columnInfo(name: string, column: unknown): ColumnInfo {
  const typed = typedArrayColumnType(column);
  if (typed) return { name, type: typed, nullable: false };
  if (isArrowColumn(column))
    return { name, ...columnTypeInfo(column.type), nullable: column.nullCount > 0 };
  if (isDictionaryColumn(column))
    return { name, type: 'dictionary', valueType: sampleType(column) };
  if (column && typeof (column as ArqueroColumn).at === 'function') {
    return { name, type: sampleType(column as ArqueroColumn) };
  }
  return { name, type: 'unknown' };
}

function columns(table: ColumnTable): ColumnInfo[] {
  return table.columnNames().map((name) => columnInfo(name, table.column(name)));
}

function chunkBytes(
  chunk: ArrowChunkLike & { validity?: ArrayBufferView; nullBitmap?: ArrayBufferView },
): number {
  return (
    (chunk.values?.byteLength ?? 0) +
    ((chunk.valueOffsets ?? chunk.offsets)?.byteLength ?? 0) +
    ((chunk.validity ?? chunk.nullBitmap)?.byteLength ?? 0)
  );
}

function columnBytes(column: unknown): number {
  if (ArrayBuffer.isView(column)) return column.byteLength;
  if (isArrowColumn(column)) {
    if (typeof column.byteLength === 'number') return column.byteLength;
    return column.data.reduce((sum, chunk) => sum + chunkBytes(chunk), 0);
  }
  const c = column as ArqueroColumn;
  if (isDictionaryColumn(column)) return c.length * 4; // keys; the dictionary is small by design
  if (!c || typeof c.at !== 'function') return 0;
  // a plain array: estimate its Arrow size from a few values
  const n = Math.min(c.length, SAMPLE);
  let bytes = 0;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const v = c.at(i);
    if (v === null || v === undefined) continue;
    seen++;
    bytes += typeof v === 'string' ? v.length + 4 : typeof v === 'boolean' ? 1 : 8;
  }
  return seen === 0 ? 0 : Math.round((bytes / seen) * c.length);
}

function byteSize(table: ColumnTable): number {
  const data = table.data() as Record<string, unknown>;
  let total = 0;
  for (const name of table.columnNames()) total += columnBytes(data[name]);
  return total;
}

type GatherableArray = ArrayBufferView & {
  length: number;
  [index: number]: number | bigint;
  constructor: new (length: number) => GatherableArray;
};

/** Hashes the rows `indices` of a typed-array column as the bytes of the same typed array would
 * read (so a filtered table and its materialised copy agree), a block at a time. */
function hashGathered(hasher: ColumnHasher, column: GatherableArray, indices: Uint32Array): void {
  const block = new column.constructor(Math.min(indices.length, 16384));
  for (let start = 0; start < indices.length; start += block.length) {
    const n = Math.min(block.length, indices.length - start);
    for (let i = 0; i < n; i++) block[i] = column[indices[start + i]!]!;
    hasher.data.bytes(new Uint8Array(block.buffer, 0, n * (block.byteLength / block.length)));
  }
}

/**
 * Hashes an Arrow fixed-width column read value by value (a filtered or ordered table's) as its
 * buffers are hashed: the valid values' bytes, in an array of its type, and the null positions.
 */
function hashFixedWidthValues(
  hasher: ColumnHasher,
  get: (row: number) => unknown,
  n: number,
  Block: new (length: number) => FixedWidthArray,
): void {
  const block = new Block(Math.min(Math.max(n, 1), 16384));
  const width = block.byteLength / block.length;
  let fill = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === null || v === undefined) {
      hasher.nullAt(i);
      continue;
    }
    block[fill++] = v as number | bigint;
    if (fill === block.length) {
      hasher.data.bytes(block);
      fill = 0;
    }
  }
  if (fill > 0) hasher.data.bytes(new Uint8Array(block.buffer, 0, fill * width));
  hasher.skip(n);
}

function fingerprint(table: ColumnTable): string {
  const n = table.numRows();
  const direct = !table.isFiltered() && !table.isOrdered();
  const digests: string[] = [];
  for (const name of table.columnNames()) {
    const column = table.column(name) as unknown;
    const hasher = new ColumnHasher();
    if (ArrayBuffer.isView(column) && !(column instanceof DataView)) {
      if (direct) hasher.data.bytes(column);
      else hashGathered(hasher, column as GatherableArray, table.indices(true));
      hasher.skip(n);
    } else if (!(
      direct &&
      isArrowColumn(column) &&
      hashArrowChunks(hasher, column.type, column.data)
    )) {
      const get = table.getter(name);
      const Block = isArrowColumn(column)
        ? TYPED_ARRAY_CLASSES[columnInfo(name, column).type]
        : undefined;
      if (Block) hashFixedWidthValues(hasher, get, n, Block);
      else for (let i = 0; i < n; i++) hasher.value(get(i));
    }
    digests.push(hasher.digest());
  }
  const schema = columns(table)
    .map((c) => `${c.name}:${c.type}${c.valueType ? `<${c.valueType}>` : ''}`)
    .join(',');
  return tableDigest('arquero', schema, n, digests);
}

function head(table: ColumnTable, limit: number): Row[] {
  return table.objects({ limit: Math.max(0, limit) }) as Row[];
}

type TypedArrayCtor = new (values: ArrayLike<number>) => ArrayBufferView & ArrayLike<number>;

/** Keeps a typed-array column typed when every value the row function returned still fits it. */
function assembleColumn(values: unknown[], input: unknown): unknown[] | ArrayBufferView {
  if (!ArrayBuffer.isView(input) || input instanceof DataView) return values;
  if (input instanceof BigInt64Array || input instanceof BigUint64Array) return values;
  const ctor = input.constructor as TypedArrayCtor;
  for (const v of values) if (typeof v !== 'number') return values;
  const out = new ctor(values as number[]);
  for (let i = 0; i < values.length; i++)
    if (out[i] !== values[i] && !Number.isNaN(values[i])) return values;
  return out;
}

async function mapRows(
  table: ColumnTable,
  fn: (row: Row, index: number) => Row,
  options: MapRowsOptions = {},
): Promise<ColumnTable> {
  const { signal } = options;
  const names = table.columnNames();
  const getters = names.map((name) => table.getter(name));
  const n = table.numRows();
  const out = new RowCollector(n);
  const template = rowTemplate(names);
  for (let start = 0; start < n; start += ROWS_PER_SLICE) {
    throwIfAborted(signal, 'The row_wise map');
    const end = Math.min(n, start + ROWS_PER_SLICE);
    for (let i = start; i < end; i++) {
      const row: Row = { ...template };
      for (let j = 0; j < names.length; j++) row[names[j]!] = getters[j]!(i);
      out.add(fn(row, i), i, 'row_wise step');
    }
    if (end < n) await nextTurn();
  }
  throwIfAborted(signal, 'The row_wise map');
  const data: Record<string, unknown[] | ArrayBufferView> = {};
  for (const name of out.names) {
    const values = out.columns.get(name)!;
    data[name] = names.includes(name) ? assembleColumn(values, table.column(name)) : values;
  }
  return arquero().table(data, out.names);
}

/**
 * Column `name` of every part in one typed array, copied batch by batch, when each part's column is
 * an Arrow column (a part read back from a store) of one fixed-width number type (Int or Float)
 * with no nulls; undefined otherwise. A local map's column has that type too (the store writes
 * numbers without nulls as float64, typed arrays as their own type), and is written as this array
 * is: one copy of the bytes instead of a getter call per value.
 */
const COPIED = new Set<unknown>([
  Float64Array,
  Float32Array,
  Int32Array,
  Int16Array,
  Int8Array,
  Uint32Array,
  Uint16Array,
  Uint8Array,
]);

function copyNumbers(parts: readonly ColumnTable[], name: string): ArrayBufferView | undefined {
  let key: string | undefined;
  const values: ArrayBufferView[] = [];
  let length = 0;
  for (const part of parts) {
    const column = part.column(name) as unknown;
    if (!isArrowColumn(column) || column.nullCount !== 0) return undefined;
    const type = column.type as ArrowTypeLike & { signed?: boolean };
    if (type.typeId !== 2 && type.typeId !== 3) return undefined; // Int, Float
    const k = `${type.typeId}:${type.bitWidth}:${type.signed}:${type.precision}`;
    if (key !== undefined && k !== key) return undefined;
    key = k;
    for (const chunk of column.data) {
      const v = chunk.values;
      if (!v || !('subarray' in v) || (chunk.offset ?? 0) !== 0) return undefined;
      values.push((v as Float64Array).subarray(0, chunk.length));
      length += chunk.length;
    }
  }
  const first = values[0] as Float64Array | undefined;
  // not 64-bit integers: a local map leaves bigints in a plain array, whose type the store infers
  if (
    !first ||
    !COPIED.has(first.constructor) ||
    values.some((v) => v.constructor !== first.constructor)
  )
    return undefined;
  const out = new (first.constructor as Float64ArrayConstructor)(length);
  let at = 0;
  for (const v of values as Float64Array[]) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

function concatRows(input: ColumnTable, parts: readonly ColumnTable[]): ColumnTable {
  // the columns in the order mapRows' collector meets them: a part's new names after those before
  const names: string[] = [];
  for (const part of parts)
    for (const name of part.columnNames()) if (!names.includes(name)) names.push(name);
  const n = parts.reduce((sum, part) => sum + part.numRows(), 0);
  const inputNames = input.columnNames();
  const data: Record<string, unknown[] | ArrayBufferView> = {};
  for (const name of names) {
    const copied = parts.every((part) => part.columnNames().includes(name))
      ? copyNumbers(parts, name)
      : undefined;
    if (copied) {
      data[name] = copied;
      continue;
    }
    const values = new Array<unknown>(n).fill(null);
    let at = 0;
    for (const part of parts) {
      const rows = part.numRows();
      if (part.columnNames().includes(name)) {
        const get = part.getter(name);
        for (let i = 0; i < rows; i++) {
          const v: unknown = get(i);
          values[at + i] = v === undefined ? null : v;
        }
      }
      at += rows;
    }
    data[name] = inputNames.includes(name) ? assembleColumn(values, input.column(name)) : values;
  }
  return arquero().table(data, names);
}

/** The adapter for arquero ColumnTables (name `arquero`). */
export const arqueroTableAdapter: TableAdapter<ColumnTable> = {
  name: 'arquero',
  is: isArqueroTable,
  columns,
  numRows: (table) => table.numRows(),
  byteSize,
  fingerprint,
  head,
  mapRows,
  concatRows,
};
