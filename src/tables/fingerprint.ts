/**
 * Content fingerprints of table columns, built on the core {@link Hash128}. A column is hashed as
 * byte streams whose bytes depend only on the column's values, never on how they are chunked or
 * sliced: fixed-width columns without nulls feed their buffers directly (no per-row JS objects);
 * other columns go value by value through a canonical encoding.
 */
import { FancyflowError } from '../core/errors';
import { Hash128, hash128 } from '../core/hash';

const SCRATCH_BYTES = 1 << 16;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const encoder = new TextEncoder();

/**
 * Scratch buffers of finished streams, taken again by new ones: a table's fingerprint opens three
 * streams per column, and allocating (zeroing) their buffers anew each time cost more than the
 * hashing of small tables and a third of a large one's.
 */
const spareScratch: Uint8Array[] = [];
const SPARE_SCRATCH = 16;

/**
 * A hasher over a byte stream: feeding `ab` then `c` gives the digest of `abc`. Small values are
 * gathered in a scratch buffer, so that WebAssembly is called once per 64 KiB, not once per value;
 * a stream fed only big ranges (column buffers) never takes one.
 */
export class ByteStreamHasher {
  private readonly hash = new Hash128();
  private scratch: Uint8Array | undefined;
  private view: DataView | undefined;
  private fill = 0;
  private finished = false;

  /** Adds bytes. */
  bytes(view: ArrayBufferView): this {
    const u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (this.fill + u8.byteLength <= SCRATCH_BYTES) {
      this.buffer().set(u8, this.fill);
      this.fill += u8.byteLength;
    } else {
      this.flushScratch();
      this.hash.update(u8);
    }
    return this;
  }

  /** Adds one float64 (little-endian). */
  float64(value: number): this {
    this.reserve(8);
    this.view!.setFloat64(this.fill, value, true);
    this.fill += 8;
    return this;
  }

  /** Adds one int32 (little-endian). */
  int32(value: number): this {
    this.reserve(4);
    this.view!.setInt32(this.fill, value, true);
    this.fill += 4;
    return this;
  }

  /** Adds one 64-bit integer's two's-complement bytes (little-endian, as a BigInt64Array holds it). */
  int64(value: bigint): this {
    this.reserve(8);
    this.view!.setBigInt64(this.fill, value, true);
    this.fill += 8;
    return this;
  }

  /** Adds one byte. */
  byte(value: number): this {
    this.reserve(1);
    this.scratch![this.fill++] = value;
    return this;
  }

  /** Adds a string as UTF-8 and returns its byte length. */
  utf8(text: string): number {
    const n = text.length;
    if (n * 3 > SCRATCH_BYTES) {
      const encoded = encoder.encode(text);
      this.bytes(encoded);
      return encoded.byteLength;
    }
    this.reserve(n * 3);
    const start = this.fill;
    let pos = start;
    const out = this.scratch!;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        out[pos++] = c;
      } else {
        // rare in identifiers and codes: let the platform encode the rest correctly
        pos += encoder.encodeInto(text.slice(i), out.subarray(pos)).written ?? 0;
        break;
      }
    }
    this.fill = pos;
    return pos - start;
  }

  /** The digest of everything fed; the stream is finished after it. */
  digest(): string {
    this.flushScratch();
    const digest = this.hash.digest();
    this.finished = true;
    if (this.scratch && spareScratch.length < SPARE_SCRATCH) spareScratch.push(this.scratch);
    this.scratch = undefined;
    this.view = undefined;
    return digest;
  }

  /** Makes room for `n` bytes in the scratch buffer (taking one if the stream has none yet). */
  private reserve(n: number): void {
    if (this.fill + n > SCRATCH_BYTES) this.flushScratch();
    this.buffer();
  }

  private buffer(): Uint8Array {
    if (this.scratch) return this.scratch;
    if (this.finished) {
      throw new FancyflowError('INTERNAL', 'ByteStreamHasher used after its digest()');
    }
    const scratch = spareScratch.pop() ?? new Uint8Array(SCRATCH_BYTES);
    this.view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    return (this.scratch = scratch);
  }

  private flushScratch(): void {
    if (this.fill > 0) this.hash.update(this.scratch!.subarray(0, this.fill));
    this.fill = 0;
  }
}

/**
 * One column's fingerprint: three streams (values, ends of variable-width values, positions of
 * nulls), so values and their boundaries cannot be confused.
 */
export class ColumnHasher {
  readonly data = new ByteStreamHasher();
  /** Where each variable-width value ends in `data` (int32, wrapping as Arrow offsets do). */
  readonly ends = new ByteStreamHasher();
  /** Bytes of variable-width values fed so far. */
  end = 0;
  readonly nulls = new ByteStreamHasher();
  private index = 0;

  /** Feeds one JS value through the canonical encoding (the slow, general path). */
  value(value: unknown): void {
    const at = this.index++;
    if (value === null || value === undefined) {
      this.nulls.int32(at);
      return;
    }
    switch (typeof value) {
      case 'number':
        this.data.float64(value);
        return;
      case 'string':
        this.variable(this.data.utf8(value));
        return;
      case 'boolean':
        this.data.byte(value ? 1 : 0);
        return;
      case 'bigint':
        // as the bytes an int64 column (BigInt64Array, Arrow Int64) holds, so a plain array of
        // bigints and its Arrow form agree; beyond 64 bits (no Arrow form) as decimal text
        if (value >= INT64_MIN && value <= INT64_MAX) this.data.int64(value);
        else this.variable(this.data.utf8(value.toString()));
        return;
      default:
        if (value instanceof Date) {
          this.data.float64(value.getTime());
        } else if (ArrayBuffer.isView(value)) {
          this.variable(value.byteLength);
          this.data.bytes(value);
        } else {
          this.variable(this.data.utf8(stableText(value)));
        }
    }
  }

  private variable(byteLength: number): void {
    this.end = (this.end + byteLength) | 0;
    this.ends.int32(this.end);
  }

  /** Records a null at position `offset` after the values fed so far (buffer paths). */
  nullAt(offset: number): void {
    this.nulls.int32(this.index + offset);
  }

  /** Marks `count` values as fed through a fast path (keeps null positions aligned). */
  skip(count: number): void {
    this.index += count;
  }

  /** The column digest. */
  digest(): string {
    return hash128(this.data.digest(), this.ends.digest(), this.nulls.digest());
  }
}

function stableText(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const toArray = (value as { toArray?: unknown }).toArray;
    // Arrow rows and vectors: hash their plain form
    if (typeof toArray === 'function')
      return stableText(Array.from(toArray.call(value) as ArrayLike<unknown>));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return stableText(toJSON.call(value));
  }
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ??
      String(value)
    );
  } catch {
    return String(value);
  }
}

/** A chunk of an Arrow column, as arrow-js `Data` or flechette `Batch` hold it. */
export interface ArrowChunkLike {
  length: number;
  nullCount: number;
  values?: ArrayBufferView;
  /** arrow-js */
  valueOffsets?: ArrayBufferView;
  /** flechette */
  offsets?: ArrayBufferView;
  /** arrow-js: the validity bitmap, read from bit `offset` (empty or absent: all valid) */
  nullBitmap?: Uint8Array;
  offset?: number;
  /** flechette: the validity bitmap */
  validity?: Uint8Array;
}

/** Bytes per value of a fixed-width column type (int/float), or 0 when it has no fast path. */
export function fixedWidthBytes(type: {
  typeId: number;
  bitWidth?: number;
  precision?: number;
}): number {
  if (type.typeId === 2) return (type.bitWidth ?? 32) / 8;
  if (type.typeId === 3) return type.precision === 0 ? 2 : type.precision === 1 ? 4 : 8;
  return 0;
}

/**
 * Feeds Arrow chunks through the buffer fast paths: fixed-width values as bytes (with nulls: the
 * valid values' bytes plus the null positions), utf8 and binary without nulls as value ends (from
 * offsets) plus one byte range. Returns false (feeding nothing) when the column has no fast path;
 * then the caller walks values.
 */
export function hashArrowChunks(
  column: ColumnHasher,
  type: { typeId: number; bitWidth?: number; precision?: number },
  chunks: readonly ArrowChunkLike[],
): boolean {
  const width = fixedWidthBytes(type);
  const varWidth = type.typeId === 4 || type.typeId === 5; // Binary, Utf8 (32-bit offsets)
  if (!width && !varWidth) return false;
  const masked = chunks.some((chunk) => chunk.nullCount !== 0);
  for (const chunk of chunks) {
    if (!chunk.values) return false;
    if (varWidth && (masked || !(chunk.valueOffsets ?? chunk.offsets))) return false;
  }
  const ends = new Int32Array(4096);
  for (const chunk of chunks) {
    const values = chunk.values!;
    if (width && masked) {
      hashMaskedChunk(column, chunk, width);
    } else if (width) {
      column.data.bytes(new Uint8Array(values.buffer, values.byteOffset, chunk.length * width));
    } else {
      const raw = (chunk.valueOffsets ?? chunk.offsets)!;
      const offsets = new Int32Array(raw.buffer, raw.byteOffset, chunk.length + 1);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      column.data.bytes(bytes.subarray(offsets[0], offsets[chunk.length]));
      const shift = (column.end - offsets[0]!) | 0;
      if (shift === 0) {
        // the usual case (one chunk, offsets from 0): the offsets are the ends already
        column.ends.bytes(offsets.subarray(1));
      } else {
        for (let i = 0; i < chunk.length; i += ends.length) {
          const n = Math.min(ends.length, chunk.length - i);
          for (let j = 0; j < n; j++) ends[j] = (offsets[i + j + 1]! + shift) | 0;
          column.ends.bytes(ends.subarray(0, n));
        }
      }
      column.end = (offsets[chunk.length]! + shift) | 0;
    }
    column.skip(chunk.length);
  }
  return true;
}

/** Fixed-width values with nulls: the valid values' bytes (copied a block at a time, as whole
 * 8/16/32-bit words so no float is ever normalised) and the null positions. */
function hashMaskedChunk(column: ColumnHasher, chunk: ArrowChunkLike, width: number): void {
  const values = chunk.values!;
  const bitmap = chunk.nullBitmap ?? chunk.validity;
  const bit0 = chunk.offset ?? 0;
  if (!bitmap || bitmap.length === 0 || chunk.nullCount === 0) {
    column.data.bytes(new Uint8Array(values.buffer, values.byteOffset, chunk.length * width));
    return;
  }
  const unit = width >= 4 ? 4 : width;
  const words = width / unit;
  const Words = unit === 4 ? Uint32Array : unit === 2 ? Uint16Array : Uint8Array;
  const source = new Words(values.buffer as ArrayBuffer, values.byteOffset, chunk.length * words);
  const block = new Words(4096 * words);
  let fill = 0;
  for (let i = 0; i < chunk.length; i++) {
    const bit = bit0 + i;
    if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) {
      column.nullAt(i);
      continue;
    }
    for (let w = 0; w < words; w++) block[fill++] = source[i * words + w]!;
    if (fill === block.length) {
      column.data.bytes(block);
      fill = 0;
    }
  }
  if (fill > 0) column.data.bytes(block.subarray(0, fill));
}

/** The table fingerprint from its schema text, row count and column digests. */
export function tableDigest(
  family: string,
  schema: string,
  rows: number,
  columns: string[],
): string {
  return hash128(`${family}|${rows}|${schema}`, ...columns);
}
