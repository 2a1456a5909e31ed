/**
 * Content fingerprints of table columns, built on the core {@link Hasher}. A column is hashed as
 * byte streams whose bytes depend only on the column's values, never on how they are chunked or
 * sliced: fixed-width columns without nulls feed their buffers directly (no per-row JS objects);
 * other columns go value by value through a canonical encoding.
 */
import { Hasher } from '../core/hash';

const SCRATCH_BYTES = 1 << 16;

/**
 * A hasher over a byte stream: feeding `ab` then `c` gives the digest of `abc`, whatever the
 * alignment of the pieces (the core Hasher reads aligned words, so pieces are re-aligned here).
 */
export class ByteStreamHasher {
  private readonly hasher = new Hasher();
  private readonly scratch = new Uint8Array(SCRATCH_BYTES);
  private readonly view = new DataView(this.scratch.buffer);
  private fill = 0;
  private count = 0;

  /** Bytes fed so far. */
  get length(): number {
    return this.count;
  }

  /** Adds bytes. */
  bytes(view: ArrayBufferView): this {
    let u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.count += u8.byteLength;
    if (this.fill === 0 && u8.byteOffset % 4 === 0 && u8.byteLength >= 4) {
      const whole = u8.byteLength & ~3;
      this.hasher.bytes(u8.subarray(0, whole));
      u8 = u8.subarray(whole);
    }
    while (u8.byteLength > 0) {
      const n = Math.min(u8.byteLength, SCRATCH_BYTES - this.fill);
      this.scratch.set(u8.subarray(0, n), this.fill);
      this.fill += n;
      u8 = u8.subarray(n);
      if (this.fill === SCRATCH_BYTES) this.flushScratch();
    }
    return this;
  }

  /** Adds one float64 (little-endian). */
  float64(value: number): this {
    this.reserve(8);
    this.view.setFloat64(this.fill, value, true);
    this.fill += 8;
    this.count += 8;
    return this;
  }

  /** Adds one int32 (little-endian). */
  int32(value: number): this {
    this.reserve(4);
    this.view.setInt32(this.fill, value, true);
    this.fill += 4;
    this.count += 4;
    return this;
  }

  /** Adds one byte. */
  byte(value: number): this {
    this.reserve(1);
    this.scratch[this.fill++] = value;
    this.count += 1;
    return this;
  }

  /** Adds a string as UTF-8 and returns its byte length. */
  utf8(text: string): number {
    const n = text.length;
    if (n * 3 > SCRATCH_BYTES) {
      const encoded = new TextEncoder().encode(text);
      this.bytes(encoded);
      return encoded.byteLength;
    }
    this.reserve(n * 3);
    const start = this.fill;
    let pos = start;
    const out = this.scratch;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        out[pos++] = c;
      } else {
        // rare in identifiers and codes: let the platform encode the rest correctly
        pos += new TextEncoder().encodeInto(text.slice(i), out.subarray(pos)).written;
        break;
      }
    }
    this.fill = pos;
    this.count += pos - start;
    return pos - start;
  }

  /** The digest of everything fed (the stream stays usable). */
  digest(): string {
    if (this.fill > 0) {
      this.hasher.bytes(this.scratch.subarray(0, this.fill));
      this.fill = 0;
    }
    return this.hasher.string(`#${this.count}`).digest();
  }

  private reserve(n: number): void {
    if (this.fill + n > SCRATCH_BYTES) this.flushScratch();
  }

  /** Hashes the scratch's whole words and keeps the 0-3 trailing bytes for the next piece. */
  private flushScratch(): void {
    const whole = this.fill & ~3;
    if (whole > 0) this.hasher.bytes(this.scratch.subarray(0, whole));
    const rest = this.fill - whole;
    if (rest > 0) this.scratch.copyWithin(0, whole, this.fill);
    this.fill = rest;
  }
}

/**
 * One column's fingerprint: three streams (values, lengths of variable-width values, positions of
 * nulls), so values and their boundaries cannot be confused.
 */
export class ColumnHasher {
  readonly data = new ByteStreamHasher();
  readonly lengths = new ByteStreamHasher();
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
        this.lengths.int32(this.data.utf8(value));
        return;
      case 'boolean':
        this.data.byte(value ? 1 : 0);
        return;
      case 'bigint':
        this.lengths.int32(this.data.utf8(value.toString()));
        return;
      default:
        if (value instanceof Date) {
          this.data.float64(value.getTime());
        } else if (ArrayBuffer.isView(value)) {
          this.lengths.int32(value.byteLength);
          this.data.bytes(value);
        } else {
          this.lengths.int32(this.data.utf8(stableText(value)));
        }
    }
  }

  /** Marks `count` values as fed through a fast path (keeps null positions aligned). */
  skip(count: number): void {
    this.index += count;
  }

  /** The column digest. */
  digest(): string {
    return new Hasher()
      .string(this.data.digest())
      .string(this.lengths.digest())
      .string(this.nulls.digest())
      .digest();
  }
}

function stableText(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const toArray = (value as { toArray?: unknown }).toArray;
    // Arrow rows and vectors: hash their plain form
    if (typeof toArray === 'function') return stableText(Array.from(toArray.call(value) as ArrayLike<unknown>));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return stableText(toJSON.call(value));
  }
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
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
}

/** Bytes per value of a fixed-width column type (int/float), or 0 when it has no fast path. */
export function fixedWidthBytes(type: { typeId: number; bitWidth?: number; precision?: number }): number {
  if (type.typeId === 2) return (type.bitWidth ?? 32) / 8;
  if (type.typeId === 3) return type.precision === 0 ? 2 : type.precision === 1 ? 4 : 8;
  return 0;
}

/**
 * Feeds Arrow chunks without nulls through the buffer fast path: fixed-width values as bytes, utf8
 * and binary as lengths (from offsets) plus one byte range. Returns false (feeding nothing) when the
 * column has no fast path; then the caller walks values.
 */
export function hashArrowChunks(
  column: ColumnHasher,
  type: { typeId: number; bitWidth?: number; precision?: number },
  chunks: readonly ArrowChunkLike[],
): boolean {
  const width = fixedWidthBytes(type);
  const varWidth = type.typeId === 4 || type.typeId === 5; // Binary, Utf8 (32-bit offsets)
  if (!width && !varWidth) return false;
  for (const chunk of chunks) {
    if (chunk.nullCount !== 0 || !chunk.values) return false;
    if (varWidth && !(chunk.valueOffsets ?? chunk.offsets)) return false;
  }
  const lengths = new Int32Array(4096);
  for (const chunk of chunks) {
    const values = chunk.values!;
    if (width) {
      column.data.bytes(new Uint8Array(values.buffer, values.byteOffset, chunk.length * width));
    } else {
      const raw = (chunk.valueOffsets ?? chunk.offsets)!;
      const offsets = new Int32Array(raw.buffer, raw.byteOffset, chunk.length + 1);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      column.data.bytes(bytes.subarray(offsets[0], offsets[chunk.length]));
      for (let i = 0; i < chunk.length; i += lengths.length) {
        const n = Math.min(lengths.length, chunk.length - i);
        for (let j = 0; j < n; j++) lengths[j] = offsets[i + j + 1]! - offsets[i + j]!;
        column.lengths.bytes(lengths.subarray(0, n));
      }
    }
    column.skip(chunk.length);
  }
  return true;
}

/** The table fingerprint from its schema text, row count and column digests. */
export function tableDigest(family: string, schema: string, rows: number, columns: string[]): string {
  const h = new Hasher().string(`${family}|${rows}|${schema}`);
  for (const c of columns) h.string(c);
  return h.digest();
}
