/**
 * Content fingerprints without node:crypto (core runs in browsers too): cyrb53-style 2×32-bit
 * mixing, fast enough for tens of MB per second and stable across platforms. Not cryptographic.
 */
import { createXXHash128, type IHasher } from 'hash-wasm';
import { FancyflowError } from './errors';

/** A running 64-bit (2×32) hash. Feed strings and bytes, then read `digest()`. */
export class Hasher {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  /** Adds a string (its UTF-16 code units). */
  string(text: string): this {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  /** Adds raw bytes, four at a time where aligned. */
  bytes(view: ArrayBufferView | ArrayBuffer): this {
    const u8 =
      view instanceof ArrayBuffer
        ? new Uint8Array(view)
        : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let h1 = this.h1;
    let h2 = this.h2;
    const words = u8.byteOffset % 4 === 0 ? u8.byteLength >>> 2 : 0;
    if (words > 0) {
      const u32 = new Uint32Array(u8.buffer, u8.byteOffset, words);
      for (let i = 0; i < words; i++) {
        const w = u32[i]!;
        h1 = Math.imul(h1 ^ w, 2654435761);
        h2 = Math.imul(h2 ^ w, 1597334677);
      }
    }
    for (let i = words * 4; i < u8.byteLength; i++) {
      const b = u8[i]!;
      h1 = Math.imul(h1 ^ b, 2654435761);
      h2 = Math.imul(h2 ^ b, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  /** A 16-hex-digit digest. */
  digest(): string {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
  }
}

/**
 * Cache keys and code fingerprints: XXH3-128 from hash-wasm (WebAssembly, the same digests in
 * Node and in browsers; faster than {@link Hasher} on short texts and on bytes: `bench/cache.js`).
 * The WebAssembly module loads asynchronously once per process: `await hashReady()` before the
 * first {@link hash128} (the Orchestrator, the CLI and the kernel do).
 */

let xxh128: IHasher | undefined;
let loading: Promise<void> | undefined;

/**
 * Resolves once {@link hash128} can be called; undefined when it already can (so a hot path pays
 * no await).
 */
export function hashReady(): Promise<void> | undefined {
  if (xxh128) return undefined;
  return (loading ??= createXXHash128().then((hasher) => void (xxh128 = hasher)));
}

/**
 * The XXH3-128 digest (32 hex digits) of `parts`, each length-prefixed so that `['ab', 'c']` and
 * `['a', 'bc']` differ. Throws `INTERNAL` before {@link hashReady} resolved.
 *
 * @example
 * await hashReady();
 * hash128('drop_nulls', '1.0.0'); // '5c1f…' (32 hex digits)
 */
export function hash128(...parts: string[]): string {
  const hasher = xxh128;
  if (!hasher) {
    throw new FancyflowError('INTERNAL', 'hash128 was called before await hashReady()');
  }
  // one text, one call into WebAssembly: each crossing costs more than hashing a short part
  let text = '';
  for (const part of parts) text += `${part.length}:${part}`;
  return hasher.init().update(text).digest();
}
