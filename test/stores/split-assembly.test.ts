/**
 * A split row_wise step's parts, as a queue worker assembles them: each part written to a disk
 * store and read back, then put together by the arquero adapter's `concatRows` and written as the
 * step's output. The output must have the fingerprint, column types and rows of the output a local
 * run writes (one map over the whole input), whether a number column is copied whole (every part
 * has it with one type and no nulls) or value by value.
 */
import * as aq from 'arquero';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/table';
import { DiskDatumStore } from '../../src/stores/disk-datum-store';
import { arqueroTableAdapter as adapter } from '../../src/tables/arquero-adapter';
import '../../src/tables/register';

const root = mkdtempSync(path.join(tmpdir(), 'ff-split-assembly-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let stores = 0;

const N = 30;
const input = aq.table({
  n: Int32Array.from({ length: N }, (_, i) => i),
  x: Float64Array.from({ length: N }, (_, i) => i * 0.5),
  label: Array.from({ length: N }, (_, i) => `l${i}`),
});
const ranges = [
  [0, 8],
  [8, 16],
  [16, 24],
  [24, 30],
] as const;

/** The output of a local run and of a split run of `fn`, both as written to and read from a store. */
async function localAndSplit(fn: (row: Row, i: number) => Row) {
  const store = await DiskDatumStore.open(path.join(root, `store-${++stores}`));
  const whole = await store.persist(await adapter.mapRows(input, fn), { cellId: 'local' });
  const parts: aq.ColumnTable[] = [];
  for (const [k, [start, end]] of ranges.entries()) {
    const part = await adapter.mapRows(input.slice(start, end).reify(), (row, i) =>
      fn(row, i + start),
    );
    await store.persist(part, { cellId: `part-${k}` });
    parts.push((await store.resolve(`part-${k}`)) as aq.ColumnTable);
  }
  const joined = adapter.concatRows!(input, parts);
  const split = await store.persist(joined, { cellId: 'split' });
  return {
    whole,
    split,
    joined,
    local: (await store.resolve('local')) as aq.ColumnTable,
    read: (await store.resolve('split')) as aq.ColumnTable,
  };
}

describe('assembling a split row_wise step from its parts', () => {
  it('copies the parts’ number columns whole when their types agree: the same output as a local run', async () => {
    // typed integers kept typed, numbers without nulls, numbers and strings with nulls in some
    // parts only, booleans
    const { whole, split, joined, local, read } = await localAndSplit((row, i) => ({
      n: row.n,
      y: (row.x as number) * 3,
      w: i % 7 === 3 ? null : (row.x as number) * 3,
      label: i === 20 ? null : row.label,
      even: i % 2 === 0,
    }));
    expect(joined.column('n')).toBeInstanceOf(Int32Array);
    expect(joined.column('y')).toBeInstanceOf(Float64Array);
    expect(Array.isArray(joined.column('w'))).toBe(true);
    expect(split.fingerprint).toBe(whole.fingerprint);
    expect(split.summary).toEqual(whole.summary);
    expect(adapter.columns(read)).toEqual(adapter.columns(local));
    expect(read.objects()).toEqual(local.objects());
  });

  it('copies the rows when the parts’ column types differ: still the output of a local run', async () => {
    // integers in the first parts, fractions in the last (Int32 there, float64 here); a column
    // that is all nulls in one part
    const { whole, split, joined, local, read } = await localAndSplit((row, i) => ({
      n: i >= 24 ? (row.n as number) + 0.5 : row.n,
      z: i < 8 ? null : i,
    }));
    expect(Array.isArray(joined.column('n'))).toBe(true);
    expect(split.fingerprint).toBe(whole.fingerprint);
    expect(split.summary).toEqual(whole.summary);
    expect(adapter.columns(read)).toEqual(adapter.columns(local));
    expect(read.objects()).toEqual(local.objects());
  });
  it('gives the local output for columns of nulls only and of bigints (with nulls in some parts)', async () => {
    const fn = (row: Row, i: number) => ({
      n: row.n,
      none: null,
      big: BigInt(i) * 2n ** 40n,
      bigNull: i % 9 === 2 ? null : BigInt(i),
      late: i < 20 ? null : i * 0.25,
    });
    const { whole, split, joined, local, read } = await localAndSplit(fn);
    const inMemory = await adapter.mapRows(input, fn);
    expect(adapter.fingerprint(joined)).toBe(adapter.fingerprint(inMemory));
    expect(whole.fingerprint).toBe(adapter.fingerprint(inMemory));
    expect(split.fingerprint).toBe(whole.fingerprint);
    expect(adapter.fingerprint(read)).toBe(whole.fingerprint);
    expect(split.summary).toEqual(whole.summary);
    expect(adapter.columns(read).map((c) => c.type)).toEqual([
      'int32',
      'null',
      'int64',
      'int64',
      'float64',
    ]);
    expect(adapter.columns(read)).toEqual(adapter.columns(local));
    expect(read.objects()).toEqual(inMemory.objects());
  });
});
