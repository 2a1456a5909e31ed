import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { describeValue } from '../core/cell';
import { checkContract } from '../core/contracts';
import { isFancyflowError } from '../core/errors';
import { MemoryDatumStore } from '../core/memory-store';
import { Orchestrator } from '../core/orchestrator';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { tableAdapterFor } from '../core/table';
import { Workflow } from '../core/workflow';
import { arrowTableAdapter, RowCollector } from './arrow-adapter';
import { utf8Vector } from './arrow-build';
import './register';
import { aqTable, arrowTable } from './typed-contracts';

function sample(n = 10): arrow.Table {
  return new arrow.Table({
    x: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i * 1.5)),
    n: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    // vectorFromArray encodes strings as a dictionary by default
    city: arrow.vectorFromArray(
      Array.from({ length: n }, (_, i) => ['Oslo', 'Lima', 'Pune'][i % 3]!),
    ),
    name: utf8Vector(Array.from({ length: n }, (_, i) => (i === 3 ? null : `name-${i}`))),
  });
}

describe('the Arrow table adapter', () => {
  it('reads column types from the schema, dictionary-encoded strings included', () => {
    const t = sample();
    expect(tableAdapterFor(t)?.name).toBe('arrow');
    expect(arrowTableAdapter.columns(t)).toEqual([
      { name: 'x', type: 'float64', nullable: false },
      { name: 'n', type: 'int32', nullable: false },
      { name: 'city', type: 'dictionary', valueType: 'utf8', nullable: true },
      { name: 'name', type: 'utf8', nullable: true },
    ]);
    const d = describeValue(t);
    expect(d.kind).toBe('table');
    expect(d.summary.shape).toEqual([10, 4]);
    expect(d.summary.byteSize).toBeGreaterThan(10 * (8 + 4));
    expect(arrowTableAdapter.head(t, 2)).toEqual([
      { x: 0, n: 0, city: 'Oslo', name: 'name-0' },
      { x: 1.5, n: 1, city: 'Lima', name: 'name-1' },
    ]);
  });

  it('checks table contracts without walking rows (both typed contracts accept Arrow)', () => {
    const t = sample();
    expect(
      checkContract(arrowTable({ x: 'number', n: 'integer', city: 'string', name: 'string' }), t),
    ).toBeUndefined();
    expect(checkContract(aqTable({ city: 'string' }), t)).toBeUndefined();
    const issues = checkContract(arrowTable({ n: 'string', missing: 'number' }), t);
    expect(issues?.map((i) => i.code)).toEqual(['column_type', 'missing_column']);
    expect(issues?.[0]?.message).toContain('int32');
    expect(checkContract(arrowTable({ x: 'number' }, { exact: true }), t)?.[0]?.code).toBe(
      'unexpected_column',
    );
    expect(checkContract(arrowTable(), [{ x: 1 }])?.[0]?.message).toContain('Expected a table');
  });

  it('fingerprints by content: equal for equal values however chunked, different when a value changes', () => {
    const t = sample(100);
    const same = sample(100);
    expect(arrowTableAdapter.fingerprint(same)).toBe(arrowTableAdapter.fingerprint(t));
    // the same rows in two record batches
    const rechunked = new arrow.Table([...t.slice(0, 37).batches, ...t.slice(37).batches]);
    expect(rechunked.batches.length).toBe(2);
    expect(arrowTableAdapter.fingerprint(rechunked)).toBe(arrowTableAdapter.fingerprint(t));
    const x = Float64Array.from({ length: 100 }, (_, i) => i * 1.5);
    x[50] = -1;
    const changed = new arrow.Table({
      ...Object.fromEntries(t.schema.fields.map((f) => [f.name, t.getChild(f.name)!])),
      x: arrow.makeVector(x),
    });
    expect(arrowTableAdapter.fingerprint(changed)).not.toBe(arrowTableAdapter.fingerprint(t));
    const renamed = new arrow.Table({ y: t.getChild('x')! });
    const original = new arrow.Table({ x: t.getChild('x')! });
    expect(arrowTableAdapter.fingerprint(renamed)).not.toBe(
      arrowTableAdapter.fingerprint(original),
    );
  });

  it('fingerprints from buffers: nullable numbers and utf8 agree across chunks, bytes under nulls do not count', () => {
    const withNulls = (under: number) => {
      const values = Float64Array.from({ length: 100 }, (_, i) => i / 3);
      const bitmap = new Uint8Array(13).fill(0xff);
      bitmap[5] = 0b11110111; // row 43 is null
      values[43] = under; // whatever sits under a null
      return new arrow.Table({
        score: arrow.makeVector(
          arrow.makeData({
            type: new arrow.Float64(),
            length: 100,
            nullCount: 1,
            nullBitmap: bitmap,
            data: values,
          }),
        ),
      });
    };
    const t = withNulls(0);
    expect(arrowTableAdapter.fingerprint(withNulls(12345))).toBe(arrowTableAdapter.fingerprint(t));
    // slices start at bit offsets that are not multiples of 8
    const rechunked = new arrow.Table([...t.slice(0, 37).batches, ...t.slice(37).batches]);
    expect(arrowTableAdapter.fingerprint(rechunked)).toBe(arrowTableAdapter.fingerprint(t));
    // utf8 without nulls goes through offsets: slices (offsets not from 0) agree too
    const list = Array.from({ length: 100 }, (_, i) => `w${i}é`);
    const words = new arrow.Table({ w: utf8Vector(list) });
    const split = new arrow.Table([...words.slice(0, 37).batches, ...words.slice(37).batches]);
    expect(arrowTableAdapter.fingerprint(split)).toBe(arrowTableAdapter.fingerprint(words));
    // and so do chunks built apart (each chunk's offsets from 0)
    const apart = new arrow.Table([
      ...new arrow.Table({ w: utf8Vector(list.slice(0, 37)) }).batches,
      ...new arrow.Table({ w: utf8Vector(list.slice(37)) }).batches,
    ]);
    expect(apart.batches.length).toBe(2);
    expect(arrowTableAdapter.fingerprint(apart)).toBe(arrowTableAdapter.fingerprint(words));
    const valid = new arrow.Table({
      score: arrow.makeVector(Float64Array.from({ length: 100 }, (_, i) => i / 3)),
    });
    expect(arrowTableAdapter.fingerprint(valid)).not.toBe(arrowTableAdapter.fingerprint(t));
  });

  it('maps a row_wise step through the Orchestrator into an Arrow table, keeping column types', async () => {
    const registry = new FunctionRegistry();
    const upper = step(
      {
        slug: 'upper_city',
        inputs: { t: arrowTable({ city: 'string', n: 'integer' }) },
        output: arrowTable({ city: 'string', n: 'integer', twice: 'number' }),
        traits: { execution: 'row_wise' },
      },
      (row) => ({
        city: row.city === null ? null : row.city.toUpperCase(),
        n: row.n,
        twice: (row.n ?? 0) * 2,
      }),
      { registry },
    );
    const store = new MemoryDatumStore();
    const input = sample(200_000); // several slices: the map yields between them
    store.persist(input, { cellId: 'raw' });
    const wf = new Workflow({ known: (id) => store.has(id) }).add(
      upper({ t: 'raw' }, {}, { id: 'up' }),
    );
    const report = await new Orchestrator({ store, registry }).run(wf);
    expect(report.status).toBe('completed');
    const out = store.resolve('up') as arrow.Table;
    expect(out).toBeInstanceOf(arrow.Table);
    expect(out.numRows).toBe(200_000);
    expect(arrowTableAdapter.columns(out)).toEqual([
      { name: 'city', type: 'dictionary', valueType: 'utf8', nullable: true },
      { name: 'n', type: 'int32', nullable: true },
      { name: 'twice', type: 'float64', nullable: true },
    ]);
    expect(arrowTableAdapter.head(out, 2)).toEqual([
      { city: 'OSLO', n: 0, twice: 0 },
      { city: 'LIMA', n: 1, twice: 2 },
    ]);
  });

  it('keeps types and content through an identity map: dates, timestamps, int64, bool, lists, nulls', async () => {
    const t = new arrow.Table({
      ts: arrow.vectorFromArray(
        [new Date(0), null, new Date(86_400_000)],
        new arrow.TimestampMillisecond(),
      ),
      day: arrow.vectorFromArray([new Date(0), new Date(86_400_000), null], new arrow.DateDay()),
      big: arrow.vectorFromArray([1n, -2n, null], new arrow.Int64()),
      ok: arrow.vectorFromArray([true, null, false]),
      list: arrow.vectorFromArray([[1, 2], [3], [4, 5, 6]]),
      small: arrow.vectorFromArray([1, null, 3], new arrow.Int16()),
    });
    const out = await arrowTableAdapter.mapRows(t, (row) => row);
    expect(arrowTableAdapter.columns(out)).toEqual(arrowTableAdapter.columns(t));
    expect(arrowTableAdapter.fingerprint(out)).toBe(arrowTableAdapter.fingerprint(t));
    expect(arrowTableAdapter.head(out, 3)).toEqual(arrowTableAdapter.head(t, 3));
  });

  it('stops a long map between batches when the run is cancelled', async () => {
    const controller = new AbortController();
    let seen = 0;
    const map = arrowTableAdapter.mapRows(
      sample(300_000),
      (row) => {
        if (++seen === 1000) setTimeout(() => controller.abort(), 0);
        return row;
      },
      { signal: controller.signal },
    );
    const error = await map.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFancyflowError(error, 'CANCELLED')).toBe(true);
    expect(seen).toBeLessThan(300_000);
  });

  it('collects row_wise output rows: a key a row lacks is null there, a late key null before it', () => {
    const out = new RowCollector(4);
    out.add({ a: 1.5, b: 'x' }, 0, 't');
    out.add({ b: 'y', a: 2.5 }, 1, 't'); // the same keys in another order
    out.add({ a: 3.5, c: true }, 2, 't'); // b missing, c new
    out.add({ a: undefined, b: 'z' }, 3, 't');
    expect(out.names).toEqual(['a', 'b', 'c']);
    expect(out.length).toBe(4);
    expect([...out.columns.get('a')!]).toEqual([1.5, 2.5, 3.5, null]);
    expect([...out.columns.get('b')!]).toEqual(['x', 'y', null, 'z']);
    expect([...out.columns.get('c')!]).toEqual([null, null, true, null]);
    expect(() => out.add(7, 4, 'step "s"')).toThrow(/returned number for row 4/);
  });
});
