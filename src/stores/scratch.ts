/**
 * Scratch memory for encoding a datum. The UTF-8 bytes and offsets a string column of an arquero
 * table is encoded into (and the float64 values of a plain number column) are needed only until the
 * store has written the file and described the value; then they are garbage. A {@link Scratch}
 * hands out typed arrays over memory that earlier writes gave back, and gives its own back when
 * the store is done with it, so a write of a big table encodes into memory the process has touched
 * before rather than into fresh pages.
 *
 * Measured with bench/disk-store.js (1e6 rows, a string column of 6 MB plus 4 MB of offsets; four
 * runs alternating with and without reuse, 15 rounds each): a durable arquero write took 57 and 61
 * ms with reused memory against 104 and 99 ms with fresh (the process's CPU time 3.9-4.2x the
 * floor's against 12.2-12.4x: in this VM fresh memory is dear, more so while fsync's writeback
 * runs); without fsync 35-38 ms either way.
 *
 * Only the store that took a Scratch may release it, and only once nothing reads its arrays any
 * more (the file written, the value described). Memory kept for reuse is bounded: buffers of at
 * least {@link MIN_POOLED} bytes, {@link FREE_LIMIT} bytes in all, none once no write gave any back
 * for {@link IDLE_MS}.
 */
import { FancyflowError } from '../core/errors';

/** Smaller arrays are allocated as usual: fresh memory costs little there. */
export const MIN_POOLED = 64 << 10;
/** At most this many bytes are kept for reuse. */
export const FREE_LIMIT = 128 << 20;
/** Kept memory is let go this long after the last release. */
export const IDLE_MS = 10_000;

/** Buffers given back and not taken since. */
const free: ArrayBuffer[] = [];
let freeBytes = 0;
let idle: ReturnType<typeof setTimeout> | undefined;

/** The free buffer that fits `byteLength` best without wasting more than its size, or undefined. */
function takeFree(byteLength: number): ArrayBuffer | undefined {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i]!.byteLength;
    if (size >= byteLength && size <= 2 * byteLength && (best < 0 || size < free[best]!.byteLength))
      best = i;
  }
  if (best < 0) return undefined;
  const [buffer] = free.splice(best, 1);
  freeBytes -= buffer!.byteLength;
  return buffer;
}

function letGo(): void {
  idle = undefined;
  free.length = 0;
  freeBytes = 0;
}

/** Scratch arrays for one datum's encoding; {@link release} when the store is done with them. */
export class Scratch {
  private readonly taken: ArrayBuffer[] = [];
  private released = false;

  /** `length` bytes, contents unspecified. */
  bytes(length: number): Uint8Array {
    return new Uint8Array(this.take(length), 0, length);
  }

  /** `length` int32 values, contents unspecified. */
  int32(length: number): Int32Array {
    return new Int32Array(this.take(length * 4), 0, length);
  }

  /** `length` float64 values, contents unspecified. */
  float64(length: number): Float64Array {
    return new Float64Array(this.take(length * 8), 0, length);
  }

  /** Gives the memory back for later writes: no array handed out may be read after this. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.taken.length === 0) return; // (most writes: JSON, bytes, small tables)
    for (const buffer of this.taken) {
      if (freeBytes + buffer.byteLength > FREE_LIMIT) continue;
      free.push(buffer);
      freeBytes += buffer.byteLength;
    }
    this.taken.length = 0;
    if (idle) clearTimeout(idle);
    idle = setTimeout(letGo, IDLE_MS);
    idle.unref?.();
  }

  private take(byteLength: number): ArrayBuffer {
    if (this.released) {
      throw new FancyflowError('INTERNAL', 'scratch memory was asked for after its release');
    }
    if (byteLength < MIN_POOLED) return new ArrayBuffer(byteLength);
    const buffer = takeFree(byteLength) ?? new ArrayBuffer(byteLength);
    this.taken.push(buffer);
    return buffer;
  }
}

/** How much memory is kept for reuse now (for tests). */
export function scratchKept(): { buffers: number; bytes: number } {
  return { buffers: free.length, bytes: freeBytes };
}
