'use strict';
/**
 * The 64-bit (2×32 cyrb53-style) JS hash fancyflow used for data fingerprints before XXH3-128,
 * kept here only as the baseline bench/cache.js measures the current hash against.
 */
class Hasher64 {
  constructor() {
    this.h1 = 0xdeadbeef;
    this.h2 = 0x41c6ce57;
  }

  /** Adds a string (its UTF-16 code units). */
  string(text) {
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
  bytes(u8) {
    let h1 = this.h1;
    let h2 = this.h2;
    const words = u8.byteOffset % 4 === 0 ? u8.byteLength >>> 2 : 0;
    if (words > 0) {
      const u32 = new Uint32Array(u8.buffer, u8.byteOffset, words);
      for (let i = 0; i < words; i++) {
        const w = u32[i];
        h1 = Math.imul(h1 ^ w, 2654435761);
        h2 = Math.imul(h2 ^ w, 1597334677);
      }
    }
    for (let i = words * 4; i < u8.byteLength; i++) {
      const b = u8[i];
      h1 = Math.imul(h1 ^ b, 2654435761);
      h2 = Math.imul(h2 ^ b, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  /** A 16-hex-digit digest. */
  digest() {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
  }
}

module.exports = { Hasher64 };
