/**
 * Tables to and from Arrow IPC (file format) with as few copies as the libraries allow: encoding
 * gathers the IPC pieces (the column buffers themselves, plus small headers) for one vectored write
 * instead of joining them into one big buffer; decoding reads the columns in place from the bytes
 * the file was read into.
 *
 * apache-arrow tables are written with apache-arrow; arquero tables with flechette (arquero's own
 * Arrow library, via `aq.toArrow`) and read back with `aq.fromArrow`, so each comes back in the family
 * it was written as.
 */
import type * as arrow from 'apache-arrow';
import type * as Fl from '@uwdata/flechette';
import type * as aq from 'arquero';
import { apacheArrow, arquero, flechette } from '../tables/libraries';
import type { ColumnType } from '../core/table';
import { arqueroTableAdapter } from '../tables/arquero-adapter';
import { encodeUtf8 } from '../tables/arrow-build';
import { typedArrayColumnType } from '../tables/arrow-types';
import type { Scratch } from './scratch';

/** The table families the disk store writes. */
export type TableFamily = 'arrow' | 'arquero';

/** An apache-arrow file writer that hands over its pieces instead of queueing them in a stream. */
interface GatheringFileWriter extends arrow.RecordBatchFileWriter {
  readonly pieces: Uint8Array[];
}

let GatheringWriterClass: (new () => GatheringFileWriter) | undefined;

/** A new GatheringFileWriter (its class is made on first use: it extends a lazily loaded one). */
function gatheringFileWriter(): GatheringFileWriter {
  GatheringWriterClass ??= class extends apacheArrow().RecordBatchFileWriter {
    readonly pieces: Uint8Array[] = [];

    protected override _write(chunk: unknown): this {
      if (!this._started) return this;
      const view = chunk as ArrayBufferView;
      const bytes =
        view instanceof Uint8Array
          ? view
          : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      if (bytes.byteLength > 0) {
        this.pieces.push(bytes);
        this._position += bytes.byteLength;
      }
      return this;
    }
  };
  return new GatheringWriterClass();
}

/** A flechette sink that keeps the pieces (flechette passes column buffers through unchanged). */
class GatheringSink {
  readonly pieces: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    if (bytes.byteLength > 0) this.pieces.push(bytes);
  }
  pad(byteCount: number): void {
    if (byteCount > 0) this.pieces.push(new Uint8Array(byteCount));
  }
  finish(): null {
    return null;
  }
}

/** A table encoded as Arrow IPC. */
export interface EncodedTable {
  /** The IPC file, as pieces to write in order. */
  pieces: Uint8Array[];
  /**
   * For arquero tables whose every column converted to Arrow exactly (the types the adapter
   * reports): an arquero table over the converted columns. It has the original's content, and its
   * fingerprint is computed from buffers rather than by walking JS values.
   */
  equivalent?: aq.ColumnTable;
}

/**
 * The Arrow IPC file of `table`. With `scratch`, the arrays an arquero table's columns are converted
 * into (UTF-8 strings and their offsets, float64 values of plain number arrays) come from it: the
 * pieces and the `equivalent` are then valid until the scratch is released.
 */
export function encodeTable(table: unknown, family: TableFamily, scratch?: Scratch): EncodedTable {
  if (family === 'arrow') {
    const writer = gatheringFileWriter();
    writer.writeAll(table as arrow.Table);
    return { pieces: writer.pieces };
  }
  const { table: converted, exact } = arqueroToFlechette(table as aq.ColumnTable, scratch);
  const pieces = nullsOnly(converted) ?? flechetteFile(converted);
  if (!exact) return { pieces };
  return {
    pieces,
    equivalent: arquero().fromArrow(converted as unknown as Parameters<typeof aq.fromArrow>[0]),
  };
}

type FlechetteColumn = ReturnType<typeof Fl.columnFromArray>;
type FlechetteTable = ReturnType<typeof Fl.tableFromColumns>;

function flechetteFile(table: FlechetteTable): Uint8Array[] {
  const sink = new GatheringSink();
  flechette().tableToIPC(table, { format: 'file', sink });
  return sink.pieces;
}

/**
 * The IPC file of a table with rows whose every column is of Arrow's Null type, written by
 * apache-arrow (flechette writes no field node for a Null column, so it has no batch length to
 * write and fails); flechette reads it back. Undefined for other tables.
 */
function nullsOnly(table: FlechetteTable): Uint8Array[] | undefined {
  const columns = table.children;
  if (table.numRows === 0 || columns.some((c) => c.type.typeId !== 1)) return undefined;
  const arrow = apacheArrow();
  const nulls = new Array<null>(table.numRows).fill(null);
  const vectors = Object.fromEntries(
    table.names.map((name) => [name, arrow.vectorFromArray(nulls, new arrow.Null())]),
  );
  const writer = gatheringFileWriter();
  writer.writeAll(new arrow.Table(vectors));
  return writer.pieces;
}

/**
 * An arquero table as a flechette table, column by column, copying as little as possible: Arrow
 * columns (from `fromArrow`) pass through, typed arrays are wrapped, strings are encoded straight
 * into UTF-8 offsets (flechette's own string builder is ~10x slower). Plain arrays of numbers,
 * strings and booleans become float64, utf8 and bool, and other Arrow columns (apache-arrow ones,
 * or any of a filtered or ordered table) keep their Arrow type: the types the arquero adapter
 * reports, so the table read back has the column types (and the fingerprint) of the table written.
 * A filtered or ordered table's rows are gathered column by column, typed arrays into their own
 * class. `exact` is false when some column's type had to be inferred by flechette.
 */
function arqueroToFlechette(
  table: aq.ColumnTable,
  scratch: Scratch | undefined,
): {
  table: FlechetteTable;
  exact: boolean;
} {
  const rows = table.isFiltered() || table.isOrdered() ? table.indices(true) : undefined;
  const types = new Map(arqueroTableAdapter.columns(table).map((c) => [c.name, c.type]));
  let exact = true;
  const entries: [string, FlechetteColumn][] = table.columnNames().map((name) => {
    let converted: { column: FlechetteColumn; exact: boolean };
    try {
      converted = flechetteColumn(table.column(name) as unknown, rows, types.get(name), scratch);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new Error(`its column "${name}": ${reason}`, { cause: e });
    }
    exact &&= converted.exact;
    return [name, converted.column];
  });
  return { table: flechette().tableFromColumns(entries), exact };
}

const STRING = 1;
const NUMBER = 2;
const BOOLEAN = 3;
const OTHER = 4;

/**
 * The kind of a column's non-null values (STRING, NUMBER, BOOLEAN, OTHER; 0 when all are null),
 * whether they all share it, the nulls, and the strings' UTF-16 units (which size their UTF-8
 * bytes). Kinds are small integers and each test a `typeof v === '…'`, which V8 compiles to a type
 * check: comparing `typeof` results as strings made this pass 2-4x slower (1e6 short strings:
 * 3.5-11.7 ms against 1.6-2.9 ms).
 */
function scanValues(values: readonly unknown[]): {
  kind: number;
  uniform: boolean;
  nulls: number;
  units: number;
} {
  let kind = 0;
  let nulls = 0;
  let units = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let k: number;
    if (typeof v === 'string') {
      units += v.length;
      k = STRING;
    } else if (typeof v === 'number') {
      k = NUMBER;
    } else if (v === null || v === undefined) {
      nulls++;
      continue;
    } else {
      k = typeof v === 'boolean' ? BOOLEAN : OTHER;
    }
    if (k !== kind) {
      if (kind !== 0) return { kind, uniform: false, nulls, units };
      kind = k;
    }
  }
  return { kind, uniform: true, nulls, units };
}

/** A column as arquero may hold it (plain arrays, Arrow columns, arquero's dictionary wrapper). */
interface HeldColumn {
  length: number;
  at(row: number): unknown;
  key?: unknown;
  keyFor?: unknown;
}

/** The rows `rows` of a typed array, in an array of its class. */
function gatherTyped(values: ArrayBufferView, rows: Uint32Array): ArrayBufferView {
  const source = values as unknown as ArrayLike<unknown> & {
    constructor: new (length: number) => ArrayLike<unknown> & Record<number, unknown>;
  };
  const out = new source.constructor(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = source[rows[i]!];
  return out as unknown as ArrayBufferView;
}

/**
 * The values of `rows` (all when undefined) of a plain array (itself when all) or an Arrow column.
 */
function gatherValues(column: HeldColumn, rows: Uint32Array | undefined): unknown[] {
  if (Array.isArray(column) && !rows) return column as unknown[];
  const n = rows ? rows.length : column.length;
  const out = new Array<unknown>(n);
  if (Array.isArray(column)) {
    const array = column as unknown[];
    for (let i = 0; i < n; i++) out[i] = array[rows![i]!];
  } else if (rows) {
    for (let i = 0; i < n; i++) out[i] = column.at(rows[i]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = column.at(i);
  }
  return out;
}

/**
 * One column as a flechette column: `rows` are the rows to take (all when undefined), `type` the
 * column type the arquero adapter reports for it, `scratch` where its converted strings and
 * numbers go (fresh memory when undefined).
 */
function flechetteColumn(
  column: unknown,
  rows: Uint32Array | undefined,
  type: ColumnType | undefined,
  scratch: Scratch | undefined,
): { column: FlechetteColumn; exact: boolean } {
  const fl = flechette();
  if (!rows && column instanceof fl.Column)
    return { column: column as FlechetteColumn, exact: true };
  if (ArrayBuffer.isView(column)) {
    const values = (rows ? gatherTyped(column, rows) : column) as Parameters<
      typeof Fl.columnFromArray
    >[0];
    // flechette infers a typed array's type from its first batch, which an empty one has not
    const typed =
      values.length === 0 ? ARROW_TYPES[typedArrayColumnType(column) ?? 'unknown']?.() : undefined;
    return { column: fl.columnFromArray(values, typed), exact: true };
  }
  const c = column as HeldColumn;
  // (an apache-arrow vector's toArray() gives the bytes under nulls, not nulls: read values)
  const values = gatherValues(c, rows);
  const dictionary = typeof c.key === 'function' && typeof c.keyFor === 'function';
  // an Arrow column keeps its type (its values are all of it; a plain array's may be mixed)
  const arrowType = !Array.isArray(column) && !dictionary && type ? ARROW_TYPES[type] : undefined;
  if (arrowType) return { column: fl.columnFromArray(values, arrowType()), exact: true };
  const { kind, uniform, nulls, units } = scanValues(values);
  const exact = (col: FlechetteColumn) => ({ column: col, exact: true });
  if (uniform && kind === STRING && !dictionary) {
    return exact(utf8Column(values as (string | null)[], nulls, units, scratch));
  }
  if (uniform && kind === STRING) {
    return exact(fl.columnFromArray(values, fl.dictionary(fl.utf8())));
  }
  if (uniform && kind === NUMBER) {
    if (nulls === 0) {
      const numbers = scratch ? scratch.float64(values.length) : new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) numbers[i] = values[i] as number;
      return exact(fl.columnFromArray(numbers));
    }
    return exact(fl.columnFromArray(values, fl.float64()));
  }
  if (uniform && kind === BOOLEAN) {
    return exact(fl.columnFromArray(values, fl.bool()));
  }
  return { column: fl.columnFromArray(values), exact: false };
}

/** Flechette types of the column types whose Arrow columns are rebuilt from their values. */
const ARROW_TYPES: Partial<Record<ColumnType, () => Fl.DataType>> = {
  int8: () => flechette().int8(),
  int16: () => flechette().int16(),
  int32: () => flechette().int32(),
  int64: () => flechette().int64(),
  uint8: () => flechette().uint8(),
  uint16: () => flechette().uint16(),
  uint32: () => flechette().uint32(),
  uint64: () => flechette().uint64(),
  float32: () => flechette().float32(),
  float64: () => flechette().float64(),
  bool: () => flechette().bool(),
  // Dates and their milliseconds (what apache-arrow gives) alike; read back as Dates
  date: () => flechette().dateMillisecond(),
  null: () => flechette().nullType(),
};

function utf8Column(
  values: readonly (string | null | undefined)[],
  nullCount: number,
  units: number,
  scratch: Scratch | undefined,
): FlechetteColumn {
  const { offsets, data } = encodeUtf8(values, units, scratch);
  let validity = new Uint8Array(0); // flechette writes an empty validity buffer when no nulls
  if (nullCount > 0) {
    validity = new Uint8Array((values.length + 7) >> 3);
    for (let i = 0; i < values.length; i++)
      if (values[i] != null) validity[i >> 3]! |= 1 << (i & 7);
  }
  const type = flechette().utf8();
  const Batch = flechette().batchType(type);
  const batch = new Batch({
    length: values.length,
    nullCount,
    type,
    validity,
    offsets,
    values: data,
  });
  return new (flechette().Column)([batch]) as FlechetteColumn;
}

/** The table in `bytes` (an Arrow IPC file or stream), as a table of `family`. Throws on bad bytes. */
export function decodeTable(bytes: Uint8Array, family: TableFamily): arrow.Table | aq.ColumnTable {
  if (family === 'arrow') return apacheArrow().tableFromIPC(bytes);
  // flechette's Table is what arquero's fromArrow reads natively (columns read in place)
  // 64-bit integers come back as bigints, as they were written (numbers would lose digits past 2^53)
  const table = flechette().tableFromIPC(bytes, { useDate: true, useBigInt: true });
  return arquero().fromArrow(table as unknown as Parameters<typeof aq.fromArrow>[0]);
}
