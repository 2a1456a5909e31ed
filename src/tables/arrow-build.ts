/**
 * Builds apache-arrow columns from JS values quickly: numbers straight into typed arrays, strings
 * into UTF-8 offsets and bytes (arrow's `vectorFromArray` is an order of magnitude slower for
 * strings), booleans into bitmaps. Used to assemble the output of row_wise steps.
 */
import type * as arrow from 'apache-arrow';
import { apacheArrow } from './libraries';
import { FancyflowError } from '../core/errors';

const encoder = new TextEncoder();

/** A validity bitmap (bit set = valid) and the null count of `values`. */
function validity(values: readonly unknown[]): {
  bitmap: Uint8Array | undefined;
  nullCount: number;
} {
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) if (values[i] == null) nullCount++;
  if (nullCount === 0) return { bitmap: undefined, nullCount };
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i] != null) bitmap[i >> 3]! |= 1 << (i & 7);
  return { bitmap, nullCount };
}

/** The UTF-16 units of `values` together (nulls count none). */
function unitsOf(values: readonly (string | null | undefined)[]): number {
  let units = 0;
  for (let i = 0; i < values.length; i++) units += values[i]?.length ?? 0;
  return units;
}

/** Where typed arrays come from: fresh memory, or a store's scratch memory (src/stores/scratch). */
export interface ArrayMemory {
  /** `length` bytes, contents unspecified. */
  bytes(length: number): Uint8Array;
  /** `length` int32 values, contents unspecified. */
  int32(length: number): Int32Array;
}

/** Fresh memory. */
const FRESH_MEMORY: ArrayMemory = {
  bytes: (length) => new Uint8Array(length),
  int32: (length) => new Int32Array(length),
};

/**
 * UTF-8 offsets and bytes of `values` (nulls as empty strings). The bytes are sized by the strings'
 * UTF-16 units (one byte each: exact for ASCII; counted here unless the caller counted them
 * already, as `units`) and grown only when a non-ASCII character needs more, so the ASCII loop
 * checks no capacity per character. `memory` gives the arrays (a grown byte array is fresh).
 */
export function encodeUtf8(
  values: readonly (string | null | undefined)[],
  units = unitsOf(values),
  memory: ArrayMemory = FRESH_MEMORY,
): {
  offsets: Int32Array;
  data: Uint8Array;
} {
  const n = values.length;
  const offsets = memory.int32(n + 1);
  offsets[0] = 0;
  let data = memory.bytes(units);
  let pos = 0;
  // invariant: `data` has room for `pos` plus one byte per unit not yet encoded (`left` after this
  // string, plus this string's), so the ASCII loop never overflows
  let left = units;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s != null) {
      const len = s.length;
      left -= len;
      let j = 0;
      for (; j < len; j++) {
        const c = s.charCodeAt(j);
        if (c >= 0x80) break;
        data[pos++] = c;
      }
      if (j < len) {
        const rest = s.slice(j);
        const needed = pos + rest.length * 3 + left; // at most 3 bytes per UTF-16 unit
        if (needed > data.length) {
          const grown = new Uint8Array(Math.max(data.length * 2, needed));
          grown.set(data.subarray(0, pos));
          data = grown;
        }
        pos += encoder.encodeInto(rest, data.subarray(pos)).written ?? 0;
      }
    }
    offsets[i + 1] = pos;
  }
  if (pos > data.length) {
    // bytes past the end were dropped: `units` was less than the strings' units
    throw new FancyflowError('INTERNAL', `encodeUtf8 was told of ${units} units, too few`);
  }
  return { offsets, data: data.subarray(0, pos) };
}

/** A Utf8 vector of `values`, built from offsets directly. */
export function utf8Vector(
  values: readonly (string | null | undefined)[],
): arrow.Vector<arrow.Utf8> {
  const { bitmap, nullCount } = validity(values);
  const { offsets, data } = encodeUtf8(values);
  return apacheArrow().makeVector(
    apacheArrow().makeData({
      type: new (apacheArrow().Utf8)(),
      length: values.length,
      nullCount,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      valueOffsets: offsets,
      data,
    }),
  );
}

function dictionaryUtf8Vector(
  values: readonly (string | null | undefined)[],
): arrow.Vector<arrow.Dictionary<arrow.Utf8, arrow.Int32>> {
  const { bitmap, nullCount } = validity(values);
  const ids = new Map<string, number>();
  const distinct: string[] = [];
  const keys = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = values[i];
    if (s == null) continue;
    let id = ids.get(s);
    if (id === undefined) {
      id = distinct.length;
      ids.set(s, id);
      distinct.push(s);
    }
    keys[i] = id;
  }
  const type = new (apacheArrow().Dictionary)(
    new (apacheArrow().Utf8)(),
    new (apacheArrow().Int32)(),
  );
  return apacheArrow().makeVector(
    apacheArrow().makeData({
      type,
      length: values.length,
      nullCount,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: keys,
      dictionary: utf8Vector(distinct),
    }),
  );
}

type NumericArrayCtor =
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

function intArrayFor(
  type: arrow.Int,
): { ctor: NumericArrayCtor; min: number; max: number } | undefined {
  const signed = type.isSigned;
  switch (type.bitWidth) {
    case 8:
      return signed
        ? { ctor: Int8Array, min: -128, max: 127 }
        : { ctor: Uint8Array, min: 0, max: 255 };
    case 16:
      return signed
        ? { ctor: Int16Array, min: -32768, max: 32767 }
        : { ctor: Uint16Array, min: 0, max: 65535 };
    case 32:
      return signed
        ? { ctor: Int32Array, min: -2147483648, max: 2147483647 }
        : { ctor: Uint32Array, min: 0, max: 4294967295 };
    default:
      return undefined;
  }
}

function numberVector(values: readonly unknown[], hint: arrow.DataType | undefined): arrow.Vector {
  const { bitmap, nullCount } = validity(values);
  let type: arrow.Int | arrow.Float = new (apacheArrow().Float64)();
  let ctor: NumericArrayCtor = Float64Array;
  if (hint && apacheArrow().DataType.isInt(hint)) {
    const int = intArrayFor(hint);
    if (
      int &&
      values.every(
        (v) =>
          v == null ||
          (Number.isInteger(v) && (v as number) >= int.min && (v as number) <= int.max),
      )
    ) {
      type = hint;
      ctor = int.ctor;
    }
  } else if (
    hint &&
    apacheArrow().DataType.isFloat(hint) &&
    hint.precision === apacheArrow().Precision.SINGLE
  ) {
    type = hint;
    ctor = Float32Array;
  }
  const data = new ctor(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v != null) data[i] = v as number;
  }
  return apacheArrow().makeVector(
    // the typed array matches `type` (chosen together above); makeData's overloads want one pair
    apacheArrow().makeData({
      type: type as arrow.Float64,
      length: values.length,
      nullCount,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: data as Float64Array,
    }),
  );
}

function boolVector(values: readonly unknown[]): arrow.Vector<arrow.Bool> {
  const { bitmap, nullCount } = validity(values);
  const bits = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
  return apacheArrow().makeVector(
    apacheArrow().makeData({
      type: new (apacheArrow().Bool)(),
      length: values.length,
      nullCount,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: bits,
    }),
  );
}

/**
 * An Arrow vector of `values`. `hint` (the input column's type, for a column a row_wise step kept)
 * is used where the values fit it: integers stay Int32, strings stay dictionary-encoded.
 */
export function buildVector(
  column: string,
  values: unknown[],
  hint?: arrow.DataType,
): arrow.Vector {
  let kinds = 0;
  const NUMBER = 1;
  const STRING = 2;
  const BOOLEAN = 4;
  const BIGINT = 8;
  const DATE = 16;
  const OTHER = 32;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) continue;
    switch (typeof v) {
      case 'number':
        kinds |= NUMBER;
        break;
      case 'string':
        kinds |= STRING;
        break;
      case 'boolean':
        kinds |= BOOLEAN;
        break;
      case 'bigint':
        kinds |= BIGINT;
        break;
      default:
        kinds |= v instanceof Date ? DATE : OTHER;
    }
  }
  try {
    switch (kinds) {
      case 0:
        return hint
          ? apacheArrow().vectorFromArray(values, hint)
          : apacheArrow().makeVector(
              apacheArrow().makeData({ type: new (apacheArrow().Null)(), length: values.length }),
            );
      case NUMBER:
        // apache-arrow reads dates and timestamps as epoch milliseconds: keep their type
        if (
          hint &&
          (apacheArrow().DataType.isDate(hint) || apacheArrow().DataType.isTimestamp(hint))
        ) {
          return apacheArrow().vectorFromArray(values, hint);
        }
        return numberVector(values, hint);
      case STRING:
        return hint && apacheArrow().DataType.isDictionary(hint)
          ? dictionaryUtf8Vector(values as (string | null)[])
          : utf8Vector(values as (string | null)[]);
      case BOOLEAN:
        return boolVector(values);
      case BIGINT:
        return apacheArrow().vectorFromArray(
          values as (bigint | null)[],
          hint && apacheArrow().DataType.isInt(hint) && !hint.isSigned
            ? new (apacheArrow().Uint64)()
            : new (apacheArrow().Int64)(),
        );
      case DATE:
        return apacheArrow().vectorFromArray(
          values,
          hint && (apacheArrow().DataType.isDate(hint) || apacheArrow().DataType.isTimestamp(hint))
            ? hint
            : new (apacheArrow().TimestampMillisecond)(),
        );
      default:
        return apacheArrow().vectorFromArray(values);
    }
  } catch (e) {
    throw new FancyflowError(
      'UNSUPPORTED_VALUE',
      `Cannot build an Arrow column "${column}" from the values the row function returned: ${e instanceof Error ? e.message : String(e)}`,
      { details: { column }, cause: e },
    );
  }
}

/** An apache-arrow Table from named vectors (column order kept, whatever the names). */
export function tableFromVectors(
  names: readonly string[],
  vectors: readonly arrow.Vector[],
  length: number,
): arrow.Table {
  const fields = names.map((name, i) => new (apacheArrow().Field)(name, vectors[i]!.type, true));
  const schema = new (apacheArrow().Schema)(fields);
  // one chunk per column (what buildVector makes); a chunked vector is rebuilt in one piece
  const children = vectors.map((v) =>
    v.data.length === 1 ? v.data[0]! : apacheArrow().vectorFromArray([...v], v.type).data[0]!,
  );
  const struct = apacheArrow().makeData({
    type: new (apacheArrow().Struct)(fields),
    length,
    nullCount: 0,
    children,
  });
  return new (apacheArrow().Table)(schema, [new (apacheArrow().RecordBatch)(schema, struct)]);
}
