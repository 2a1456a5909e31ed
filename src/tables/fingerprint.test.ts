import { xxhash128 } from 'hash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashReady } from '../core/hash';
import { ByteStreamHasher } from './fingerprint';

beforeAll(() => hashReady());

/** Bytes that are not all alike (a multiplicative hash of the position). */
function bytesOf(length: number, seed = 0): Uint8Array {
  return new Uint8Array(length).map((_, i) => ((i + seed) * 2654435761) >>> 24);
}

function joined(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

describe('ByteStreamHasher', () => {
  const big = bytesOf(200_000, 1);
  const other = bytesOf(150_000, 2);

  it('gives the digest of the bytes fed, however they were fed', async () => {
    const cases: [string, (h: ByteStreamHasher) => void, Uint8Array][] = [
      ['nothing', () => undefined, new Uint8Array(0)],
      ['one big range', (h) => h.bytes(big), big],
      ['small values only', (h) => h.int32(7).byte(1).float64(0.5), smallBytes()],
      [
        'a big range, then small values',
        (h) => h.bytes(big).int32(7).byte(1).float64(0.5),
        joined(big, smallBytes()),
      ],
      [
        'small values, then a big range',
        (h) => h.int32(7).byte(1).float64(0.5).bytes(big),
        joined(smallBytes(), big),
      ],
      ['two big ranges', (h) => h.bytes(big).bytes(other), joined(big, other)],
      [
        'a big range, then a string',
        (h) => void h.bytes(big).utf8('é, ü and ascii'),
        joined(big, new TextEncoder().encode('é, ü and ascii')),
      ],
      [
        'a big range as a wider typed array',
        (h) => h.bytes(new Uint32Array(big.buffer, 0, big.byteLength / 4)),
        big,
      ],
    ];
    for (const [what, feed, expected] of cases) {
      const hasher = new ByteStreamHasher();
      feed(hasher);
      expect([what, hasher.digest()]).toEqual([what, await xxhash128(expected)]);
    }
  });

  it('keeps streams apart when a finished one hands its scratch buffer to a new one', async () => {
    const first = new ByteStreamHasher().int32(1).int32(2);
    const second = new ByteStreamHasher().int32(3);
    const firstDigest = first.digest(); // its scratch buffer goes back to the spares
    const third = new ByteStreamHasher().int32(4); // and is taken here
    second.int32(5);
    const expected = (...values: number[]) =>
      xxhash128(new Uint8Array(Int32Array.from(values).buffer));
    expect([firstDigest, second.digest(), third.digest()]).toEqual([
      await expected(1, 2),
      await expected(3, 5),
      await expected(4),
    ]);
  });

  it('refuses to be used after its digest', () => {
    for (const feed of [
      (h: ByteStreamHasher) => h.int32(1),
      (h: ByteStreamHasher) => h.bytes(new Uint8Array(3)),
      (h: ByteStreamHasher) => h.bytes(big),
      (h: ByteStreamHasher) => h.utf8('x'),
    ]) {
      const hasher = new ByteStreamHasher().bytes(big).int32(7);
      hasher.digest();
      expect(() => feed(hasher)).toThrow(/after its digest/);
    }
  });
});

function smallBytes(): Uint8Array {
  const out = new Uint8Array(13);
  const view = new DataView(out.buffer);
  view.setInt32(0, 7, true);
  out[4] = 1;
  view.setFloat64(5, 0.5, true);
  return out;
}
