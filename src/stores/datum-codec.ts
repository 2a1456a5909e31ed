/**
 * Datum values to and from the bytes of their files: tables as Arrow IPC, binary data as its bytes
 * (the index keeps the class, so a Float64Array comes back as one), anything else as JSON, after a
 * deep check that JSON keeps it unchanged.
 */
import { describeType } from '../core/contracts';
import { tableAdapterFor } from '../core/table';
import type { DatumFormat } from './datum-file-name';
import { jsonProblem, unpersistable } from './persistable';
import type { Scratch } from './scratch';
import { decodeTable, encodeTable, type TableFamily } from './table-ipc';

const CLASS_NAMES = [
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
  'DataView',
  'Buffer',
] as const;
type BinaryClass = (typeof CLASS_NAMES)[number];

/** A value ready to be written: its pieces and how it is read back. */
export interface Encoded {
  pieces: Uint8Array[];
  format: DatumFormat;
  tag: string;
  /** The same content in a form that is faster to describe (see `EncodedTable.equivalent`). */
  equivalent?: unknown;
}

function binaryClassOf(value: ArrayBufferView | ArrayBuffer): BinaryClass {
  if (value instanceof ArrayBuffer) return 'ArrayBuffer';
  if (value instanceof DataView) return 'DataView';
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(value)) return 'Buffer';
  // the nearest standard class (a subclass comes back as its standard parent)
  let proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  while (proto) {
    const name = proto.constructor?.name;
    const known = CLASS_NAMES.find((c) => c === name);
    if (known) return known;
    proto = Object.getPrototypeOf(proto) as typeof proto;
  }
  return 'Uint8Array';
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

type TypedArrayCtor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => ArrayBufferView;

const TYPED_ARRAYS: Partial<Record<BinaryClass, TypedArrayCtor & { BYTES_PER_ELEMENT: number }>> = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** The stored bytes as an object of the class they were persisted as (a view where aligned). */
function restoreBinary(bytes: Buffer, cls: string): ArrayBufferView | ArrayBuffer {
  switch (cls) {
    case 'Buffer':
      return bytes;
    case 'ArrayBuffer': {
      const buffer = bytes.buffer as ArrayBuffer; // readFile allocates a plain ArrayBuffer
      return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
        ? buffer
        : buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case 'DataView':
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const ctor = TYPED_ARRAYS[cls as BinaryClass];
  if (!ctor) throw new Error(`unknown binary class "${cls}"`);
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw new Error(`${bytes.byteLength} bytes is not a whole number of ${cls} elements`);
  }
  if (bytes.byteOffset % size === 0) {
    return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, bytes.byteLength / size);
}

/**
 * The value as pieces to write, or UNPERSISTABLE saying why it cannot be written. With `scratch`,
 * the pieces and the `equivalent` may be over its memory: valid until it is released.
 */
export function encodeDatum(value: unknown, cellId: string, scratch?: Scratch): Encoded {
  const adapter = tableAdapterFor(value);
  if (adapter) {
    if (adapter.name !== 'arrow' && adapter.name !== 'arquero') {
      throw unpersistable(
        cellId,
        `is a ${adapter.name} table, which the disk store cannot write (it writes Arrow and arquero tables)`,
      );
    }
    const family: TableFamily = adapter.name;
    let encoded: ReturnType<typeof encodeTable>;
    try {
      encoded = encodeTable(value, family, scratch);
    } catch (e) {
      // e.g. an arquero column of mixed types, or one of nulls only (flechette writes neither)
      const reason = e instanceof Error ? e.message : String(e);
      throw unpersistable(
        cellId,
        `is an ${family} table that cannot be written as Arrow: ${reason}`,
        [],
        e,
      );
    }
    return {
      pieces: encoded.pieces,
      format: 'arrow',
      tag: family,
      ...(encoded.equivalent ? { equivalent: encoded.equivalent } : {}),
    };
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return { pieces: [bytesOf(value)], format: 'bytes', tag: binaryClassOf(value) };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw unpersistable(
        cellId,
        `is a ${describeType(value)} (the disk store writes tables, binary data and plain JSON values, not class instances)`,
      );
    }
  }
  const problem = jsonProblem(value);
  if (problem) throw unpersistable(cellId, problem.reason, problem.path);
  return { pieces: [Buffer.from(JSON.stringify(value), 'utf8')], format: 'json', tag: 'json' };
}

/** Reads a datum back; throws (any error) when the bytes cannot be read as what was written. */
export function decodeDatum(bytes: Buffer, format: DatumFormat, tag: string): unknown {
  switch (format) {
    case 'json':
      return JSON.parse(bytes.toString('utf8')) as unknown;
    case 'bytes':
      return restoreBinary(bytes, tag);
    case 'arrow':
      if (tag !== 'arrow' && tag !== 'arquero') throw new Error(`unknown table family "${tag}"`);
      return decodeTable(bytes, tag);
  }
}
