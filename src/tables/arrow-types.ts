/**
 * Arrow data types (of apache-arrow or of flechette, which share the Arrow spec's type ids) mapped
 * to fancyflow's {@link ColumnType}s. Reads only the type object: never the data.
 */
import type { ColumnType } from '../core/table';

/** The parts of an Arrow data type this module reads (arrow-js and flechette spell a few apart). */
export interface ArrowTypeLike {
  typeId: number;
  bitWidth?: number;
  /** arrow-js */
  isSigned?: boolean;
  /** flechette */
  signed?: boolean;
  precision?: number;
  /** Dictionary types: the type of the dictionary's values. */
  dictionary?: ArrowTypeLike;
}

// Type ids of the Arrow specification (Schema.fbs), as both libraries number them.
const DICTIONARY = -1;
const NULL = 1;
const INT = 2;
const FLOAT = 3;

const BY_ID: Record<number, ColumnType> = {
  [NULL]: 'null',
  4: 'binary',
  5: 'utf8',
  6: 'bool',
  7: 'decimal',
  8: 'date',
  9: 'time',
  10: 'timestamp',
  11: 'interval',
  12: 'list',
  13: 'struct',
  15: 'binary',
  16: 'list',
  17: 'map',
  18: 'duration',
  19: 'binary',
  20: 'utf8',
  21: 'list',
  23: 'binary',
  24: 'utf8',
  25: 'list',
  26: 'list',
};

/** True when `value` looks like an Arrow data type (a numeric `typeId`). */
export function isArrowType(value: unknown): value is ArrowTypeLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { typeId?: unknown }).typeId === 'number'
  );
}

/** The column type of an Arrow data type. */
export function columnTypeOf(type: ArrowTypeLike): ColumnType {
  switch (type.typeId) {
    case DICTIONARY:
      return 'dictionary';
    case INT: {
      const signed = type.isSigned ?? type.signed ?? true;
      const bits = type.bitWidth ?? 32;
      const name = `${signed ? 'int' : 'uint'}${bits}`;
      return (
        (['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'] as const).find(
          (t) => t === name,
        ) ?? 'unknown'
      );
    }
    case FLOAT:
      return type.precision === 0 ? 'float16' : type.precision === 1 ? 'float32' : 'float64';
    default:
      return BY_ID[type.typeId] ?? 'unknown';
  }
}

/** `{ type, valueType? }` of an Arrow data type (dictionaries name their value type). */
export function columnTypeInfo(type: ArrowTypeLike): { type: ColumnType; valueType?: ColumnType } {
  const t = columnTypeOf(type);
  if (t === 'dictionary' && type.dictionary && isArrowType(type.dictionary)) {
    return { type: t, valueType: columnTypeOf(type.dictionary) };
  }
  return { type: t };
}

/** A typed array of a fixed-width number column type. */
export type FixedWidthArray = ArrayBufferView & {
  length: number;
  [index: number]: number | bigint;
};

/**
 * The typed-array class of each fixed-width number column type, whose Arrow buffers hold its bytes
 * (the other way round from {@link typedArrayColumnType}).
 */
export const TYPED_ARRAY_CLASSES: Partial<
  Record<ColumnType, new (length: number) => FixedWidthArray>
> = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** The column type of a typed array, by its constructor (undefined for other values). */
export function typedArrayColumnType(value: unknown): ColumnType | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  if (value instanceof Float64Array) return 'float64';
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof Int16Array) return 'int16';
  if (value instanceof Int8Array) return 'int8';
  if (value instanceof Uint32Array) return 'uint32';
  if (value instanceof Uint16Array) return 'uint16';
  if (value instanceof Uint8Array || value instanceof Uint8ClampedArray) return 'uint8';
  if (value instanceof BigInt64Array) return 'int64';
  if (value instanceof BigUint64Array) return 'uint64';
  return 'unknown';
}

/** The column type of one JS value (for columns held as plain arrays). */
export function jsValueColumnType(value: unknown): ColumnType {
  switch (typeof value) {
    case 'number':
      return 'float64';
    case 'string':
      return 'utf8';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'object':
      if (value instanceof Date) return 'date';
      if (Array.isArray(value) || ArrayBuffer.isView(value)) return 'list';
      return value === null ? 'null' : 'struct';
    default:
      return 'unknown';
  }
}
