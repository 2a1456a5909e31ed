/**
 * Content fingerprints, cache keys and code fingerprints: XXH3-128 from hash-wasm (WebAssembly, the
 * same digests in Node and in browsers; 2.5-5 GB/s here, `bench/cache.js` compares it with the
 * 64-bit JS hash fancyflow used before). Not cryptographic: it tells contents apart, it does not
 * resist forgery.
 *
 * The WebAssembly module loads asynchronously once per process, starting when this module is
 * imported: `await hashReady()` before the first digest (the Orchestrator, the stores, the CLI and
 * the kernel do). A digest asked for earlier throws `INTERNAL` saying so.
 */
import { createXXHash128, type IHasher } from 'hash-wasm';
import { FancyflowError } from './errors';

let xxh128: IHasher | undefined;
let loading: Promise<void> | undefined;

/**
 * Resolves once digests can be taken; undefined when they already can (so a hot path pays no
 * await).
 */
export function hashReady(): Promise<void> | undefined {
  if (xxh128) return undefined;
  return (loading ??= createXXHash128().then((hasher) => void (xxh128 = hasher)));
}

// start loading now: by the time a value is first described, the module is usually there
hashReady()?.catch(() => undefined); // a failure is reported by the next hashReady() or digest

/** A stream's state while another stream uses the one WebAssembly instance. */
interface Slot {
  saved: Uint8Array | undefined;
}

/** The slot of the stream whose state the WebAssembly instance holds now. */
let holder: Slot | undefined;

/**
 * A running XXH3-128: feed strings (as UTF-8) and bytes in any pieces, then read `digest()` once.
 * Any number of streams can be open at a time (each keeps its state while another one hashes).
 *
 * @example
 * await hashReady();
 * new Hash128().update('ab').update('c').digest() === new Hash128().update('abc').digest(); // true
 */
export class Hash128 {
  readonly #slot: Slot = { saved: undefined };
  #finished = false;

  /** Adds a string (its UTF-8 bytes) or bytes. */
  update(data: string | ArrayBufferView): this {
    const hasher = this.#take();
    hasher.update(
      typeof data === 'string' || data instanceof Uint8Array
        ? data
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return this;
  }

  /** The 32-hex-digit digest of everything fed; the stream is finished after it. */
  digest(): string {
    const digest = this.#take().digest('hex');
    holder = undefined;
    this.#finished = true;
    return digest;
  }

  #take(): IHasher {
    if (this.#finished) throw new FancyflowError('INTERNAL', 'Hash128 used after its digest()');
    const hasher = xxh128;
    if (!hasher) {
      throw new FancyflowError(
        'INTERNAL',
        'a digest was asked for before the hash module loaded: await hashReady() first',
      );
    }
    const slot = this.#slot;
    if (holder !== slot) {
      if (holder) holder.saved = hasher.save();
      if (slot.saved) hasher.load(slot.saved);
      else hasher.init();
      holder = slot;
    }
    return hasher;
  }
}

/**
 * True for a digest as fancyflow makes them now (32 hex digits); fingerprints recorded by
 * fancyflow before XXH3-128 had 16 and are never equal to a current one.
 */
export function isCurrentDigest(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

/**
 * The XXH3-128 digest (32 hex digits) of `parts`, each length-prefixed so that `['ab', 'c']` and
 * `['a', 'bc']` differ.
 *
 * @example
 * await hashReady();
 * hash128('drop_nulls', '1.0.0'); // '5c1f…' (32 hex digits)
 */
export function hash128(...parts: string[]): string {
  // one text, one call into WebAssembly: each crossing costs more than hashing a short part
  let text = '';
  for (const part of parts) text += `${part.length}:${part}`;
  return new Hash128().update(text).digest();
}
