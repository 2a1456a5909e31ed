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
import { encodeUtf8 } from '../tables/arrow-build';

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

/** The Arrow IPC file of `table`. */
export function encodeTable(table: unknown, family: TableFamily): EncodedTable {
  if (family === 'arrow') {
    const writer = gatheringFileWriter();
    writer.writeAll(table as arrow.Table);
    return { pieces: writer.pieces };
  }
  const sink = new GatheringSink();
  const { table: converted, exact } = arqueroToFlechette(table as aq.ColumnTable);
  flechette().tableToIPC(converted, { format: 'file', sink });
  if (!exact) return { pieces: sink.pieces };
  return {
    pieces: sink.pieces,
    equivalent: arquero().fromArrow(converted as unknown as Parameters<typeof aq.fromArrow>[0]),
  };
}

type FlechetteColumn = ReturnType<typeof Fl.columnFromArray>;

/**
 * An arquero table as a flechette table, column by column, copying as little as possible: Arrow
 * columns (from `fromArrow`) pass through, typed arrays are wrapped, strings are encoded straight
 * into UTF-8 offsets (flechette's own string builder is ~10x slower). Plain arrays of numbers,
 * strings and booleans become float64, utf8 and bool, the types the arquero adapter reports, so the
 * table read back has the column types (and the fingerprint) of the table written. `exact` is false
 * when some column's type had to be inferred by Fl.
 */
function arqueroToFlechette(input: aq.ColumnTable): {
  table: ReturnType<typeof Fl.tableFromColumns>;
  exact: boolean;
} {
  const table = input.isFiltered() || input.isOrdered() ? input.reify() : input;
  let exact = true;
  const entries: [string, FlechetteColumn][] = table.columnNames().map((name) => {
    let converted: { column: FlechetteColumn; exact: boolean };
    try {
      converted = flechetteColumn(table.column(name) as unknown);
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

function flechetteColumn(column: unknown): { column: FlechetteColumn; exact: boolean } {
  if (column instanceof flechette().Column)
    return { column: column as FlechetteColumn, exact: true };
  if (ArrayBuffer.isView(column)) {
    const values = column as Parameters<typeof Fl.columnFromArray>[0];
    // flechette infers a typed array's type from its first batch, which an empty one has not
    const type = values.length === 0 ? typedArrayType(column) : undefined;
    return { column: flechette().columnFromArray(values, type), exact: true };
  }
  const c = column as { toArray?: () => ArrayLike<unknown>; key?: unknown; keyFor?: unknown };
  const values: unknown[] = Array.isArray(column) ? column : Array.from(c.toArray?.() ?? []);
  const { kind, uniform, nulls, units } = scanValues(values);
  const dictionary = typeof c.key === 'function' && typeof c.keyFor === 'function';
  const exact = (col: FlechetteColumn) => ({ column: col, exact: true });
  if (uniform && kind === STRING && !dictionary) {
    return exact(utf8Column(values as (string | null)[], nulls, units));
  }
  if (uniform && kind === STRING) {
    return exact(flechette().columnFromArray(values, flechette().dictionary(flechette().utf8())));
  }
  if (uniform && kind === NUMBER) {
    if (nulls === 0)
      return exact(flechette().columnFromArray(Float64Array.from(values as number[])));
    return exact(flechette().columnFromArray(values, flechette().float64()));
  }
  if (uniform && kind === BOOLEAN) {
    return exact(flechette().columnFromArray(values, flechette().bool()));
  }
  return { column: flechette().columnFromArray(values), exact: false };
}

/** The flechette type of a typed array, by its class (what flechette infers from its values). */
function typedArrayType(values: ArrayBufferView): Fl.DataType | undefined {
  const fl = flechette();
  if (values instanceof Float64Array) return fl.float64();
  if (values instanceof Float32Array) return fl.float32();
  if (values instanceof Int32Array) return fl.int32();
  if (values instanceof Int16Array) return fl.int16();
  if (values instanceof Int8Array) return fl.int8();
  if (values instanceof Uint32Array) return fl.uint32();
  if (values instanceof Uint16Array) return fl.uint16();
  if (values instanceof Uint8Array || values instanceof Uint8ClampedArray) return fl.uint8();
  if (values instanceof BigInt64Array) return fl.int64();
  if (values instanceof BigUint64Array) return fl.uint64();
  return undefined;
}

function utf8Column(
  values: readonly (string | null | undefined)[],
  nullCount: number,
  units: number,
): FlechetteColumn {
  const { offsets, data } = encodeUtf8(values, units);
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
