import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { createXXHash128, xxhash128 } from 'hash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeValue } from '../../src/core/cell';
import { Hash128, hash128, hashReady, isCurrentDigest } from '../../src/core/hash';

beforeAll(() => hashReady());

describe('Hash128', () => {
  it('is the standard XXH3-128 of everything fed, in whatever pieces', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 2654435761) >>> 24);
    const whole = await xxhash128(bytes);
    expect(new Hash128().update(bytes).digest()).toBe(whole);
    const pieces = new Hash128();
    for (let at = 0; at < bytes.length; at += 7001) pieces.update(bytes.subarray(at, at + 7001));
    expect(pieces.digest()).toBe(whole);
    // a typed array of another element size counts its bytes
    expect(new Hash128().update(new Uint32Array(bytes.buffer)).digest()).toBe(whole);
    expect(new Hash128().update('ab').update('c').digest()).toBe(await xxhash128('abc'));
    expect(isCurrentDigest(whole)).toBe(true);
  });

  it('keeps any number of streams apart while they interleave, one-shot digests included', async () => {
    const reference = await createXXHash128();
    const a = new Hash128();
    const b = new Hash128();
    const c = new Hash128();
    for (let i = 0; i < 50; i++) {
      a.update(`a${i}`);
      b.update(`b${i}`);
      expect(hash128(String(i))).toHaveLength(32); // another hash in between
      if (i % 2 === 0) c.update(`c${i}`);
    }
    const expected = (prefix: string, step: number) => {
      reference.init();
      for (let i = 0; i < 50; i += step) reference.update(`${prefix}${i}`);
      return reference.digest('hex');
    };
    expect([b.digest(), c.digest(), a.digest()]).toEqual([
      expected('b', 1),
      expected('c', 2),
      expected('a', 1),
    ]);
  });

  it('refuses a stream used after its digest', () => {
    const h = new Hash128().update('x');
    h.digest();
    expect(() => h.update('y')).toThrow(/after its digest/);
  });

  it('length-prefixes the parts of hash128 so that parts cannot run into each other', () => {
    expect(hash128('ab', 'c')).not.toBe(hash128('a', 'bc'));
    expect(isCurrentDigest('0123456789abcdef')).toBe(false);
  });

  it('says what to do when a digest is asked for before the module loaded', () => {
    // a fresh process, synchronously after import: the WebAssembly module is still loading
    // the built package (what a user's script imports), named as the child's first argument
    const script = `
      const { describeValue } = require(process.argv[1]);
      try { describeValue({ a: 1 }); console.log('no error'); }
      catch (e) { console.log(e.code + ': ' + e.message); }`;
    const core = path.join(__dirname, '..', '..', 'dist', 'core');
    const out = execFileSync(process.execPath, ['-e', script, core], { encoding: 'utf8' });
    expect(out.trim()).toBe(
      'INTERNAL: a digest was asked for before the hash module loaded: await hashReady() first',
    );
  });

  it('gives values 128-bit fingerprints', () => {
    expect(describeValue({ a: 1 }).fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(describeValue(new Uint8Array([1, 2])).fingerprint).toBe(
      new Hash128().update(new Uint8Array([1, 2])).digest(),
    );
  });
});
