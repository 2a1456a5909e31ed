/**
 * The store test suite every persistent DatumStore passes (the disk store and the S3 store run the
 * very same tests): round trips of every kind of value across a reopen, a checksum that catches a
 * flipped bit in any datum for that cell only, the same error codes, values refused before
 * anything is written, replaced and deleted cells leaving nothing behind, several store objects
 * sharing one location, and an Orchestrator picking up where another process left off.
 *
 * A store plugs in with a {@link StoreHarness}: how to open a location and how to reach a datum's
 * raw bytes (a file, an object) to damage them the way disks and networks do.
 */
import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeValue } from '../../src/core/cell';
import { isFancyflowError, type FancyflowError } from '../../src/core/errors';
import { MemoryDatumStore } from '../../src/core/memory-store';
import { Orchestrator } from '../../src/core/orchestrator';
import { FunctionRegistry } from '../../src/core/registry';
import { step } from '../../src/core/step';
import type { DatumStore } from '../../src/core/store';
import { tableAdapterFor } from '../../src/core/table';
import { Workflow } from '../../src/core/workflow';
import type { StoreProblem } from '../../src/stores/disk-datum-store';
import { utf8Vector } from '../../src/tables/arrow-build';
import '../../src/tables/register';
import { aqTable } from '../../src/tables/typed-contracts';

/** A persistent store as the suite sees it. */
export interface SuiteStore extends DatumStore {
  readonly problems: StoreProblem[];
  refresh(): Promise<void>;
  flush(): Promise<void>;
}

/** How the suite reaches one kind of store. */
export interface StoreHarness<S extends SuiteStore> {
  /** A location no store has used yet. */
  freshLocation(): string;
  open(location: string): Promise<S>;
  /** Where a cell's datum is, as the store's errors name it (`details.file`). */
  datumOf(store: S, cellId: string): string;
  readDatum(where: string): Promise<Buffer>;
  /** Replaces the datum's bytes behind the store's back. */
  writeDatum(where: string, bytes: Buffer): Promise<void>;
  removeDatum(where: string): Promise<void>;
  /** The datums stored at the location (file names, object keys), not its index or records. */
  datums(location: string): Promise<string[]>;
  /** Locations that cannot be opened: each gives STORE_IO naming it. */
  unusableLocations(): Promise<string[]>;
  /** Releases what `open` holds (connections), if anything. */
  close?(store: S): void;
}

export function arrowSample(): arrow.Table {
  return new arrow.Table({
    price: arrow.makeVector(new Float64Array([1.5, 2.25, -3, 4])),
    qty: arrow.makeVector(new Int32Array([1, 2, 3, 4])),
    city: arrow.vectorFromArray(['Oslo', 'Lima', 'Oslo', 'Pune']), // dictionary<utf8>
    note: utf8Vector(['a', null, 'ç', 'd']),
  });
}

export function aqSample(): aq.ColumnTable {
  return aq.table({
    x: [0.5, 1, null, 2],
    label: ['a', null, 'b', 'ünï'],
    ok: [true, false, true, null],
    n: new Int32Array([1, 2, 3, 4]),
  });
}

/** The FancyflowError a call (a function) or a value (a store's `resolve`: maybe a promise) ends in. */
export async function errorOf(promise: unknown): Promise<FancyflowError> {
  try {
    await (typeof promise === 'function' ? (promise as () => unknown)() : promise);
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FancyflowError');
}

/**
 * Tables whose columns are held in the forms that used to change their type or fingerprint through
 * the store: nulls only (an empty CSV column), no rows, bigints, typed arrays of no rows (a filter
 * that kept nothing), apache-arrow vectors inside arquero, filtered and ordered Arrow-backed tables.
 */
export function representationCases(): Record<string, unknown> {
  const sharedValues = Float64Array.from({ length: 300 }, (_, i) => i / 4);
  const shared = arrow.makeVector(sharedValues);
  const backed = aq.fromArrow(
    new arrow.Table({
      i: arrow.vectorFromArray([1, null, 3], new arrow.Int32()),
      b: arrow.vectorFromArray([1n, null, 3n], new arrow.Int64()),
      u: arrow.makeVector(BigUint64Array.from([1n, 2n ** 64n - 1n, 3n])),
      f: arrow.makeVector(new Float32Array([1.5, 2, 3])),
      d: arrow.vectorFromArray(
        [new Date(0), null, new Date(86_400_000)],
        new arrow.DateMillisecond(),
      ),
      n: arrow.vectorFromArray([null, null, null], new arrow.Null()),
    }) as unknown as Parameters<typeof aq.fromArrow>[0],
  );
  return {
    'aq-all-null': aq.table({ a: [1, 2], b: [null, null] }),
    'aq-csv-empty-column': aq.fromCSV('a,b,c\n1,,x\n2,,y\n'),
    'aq-nulls-only': aq.table({ b: [null, undefined] }),
    'aq-no-rows': aq.table({ a: [] }),
    'aq-no-rows-typed': aq.table({ a: new Float64Array(0), i: new Int32Array(0) }),
    'aq-filtered-to-nothing': aq
      .table({ a: Float64Array.from([1, 2]) })
      .filter((d: { a: number }) => d.a > 5),
    'aq-bigint': aq.table({ a: [1n, 3n] }),
    'aq-bigint-null': aq.table({ a: [1n, null] }),
    'aq-bigint-null-3': aq.table({ a: [1n, null, 3n] }),
    'aq-late-first-value': aq.table({ a: [...Array<null>(70).fill(null), 2.5] }),
    'aq-arrow-backed': backed,
    'aq-arrow-backed-filtered': backed.filter((d: { f: number }) => d.f > 1.5),
    'aq-arrow-backed-ordered': backed.orderby(aq.desc('f')),
    'arrow-nulls-only': new arrow.Table({
      n: arrow.vectorFromArray([null, null], new arrow.Null()),
    }),
    'arrow-int64-uint64-null': new arrow.Table({
      a: arrow.vectorFromArray([1n, null], new arrow.Int64()),
      u: arrow.makeVector(BigUint64Array.from([1n, 2n ** 64n - 1n])),
      n: arrow.vectorFromArray([null, null], new arrow.Null()),
    }),
    'arrow-no-rows': arrow.tableFromArrays({ a: new Float64Array(0) }),
    // one vector in two columns: apache-arrow's own tableToIPC writes such a table's buffers once
    // and its file cannot be read back (1.0e2 rows and up)
    'arrow-same-vector-twice': new arrow.Table({ a: shared, b: shared }),
    'aq-same-array-twice': aq.table({ a: sharedValues, b: sharedValues }),
  };
}

/**
 * Rows with Dates as their time (apache-arrow gives a date column's milliseconds, a store Dates)
 * and undefined as null (Arrow has one null).
 */
function plainRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.getTime() : (v ?? null)]),
    ),
  );
}

const jsonValues: Record<string, unknown> = {
  object: { a: 1, b: [true, null, 'x'], c: { d: -2.5 } },
  array: [1, 'two', { three: 3 }],
  string: 'héllo',
  number: 42.5,
  nil: null,
  flag: false,
};

const binaryValues: Record<string, ArrayBufferView | ArrayBuffer> = {
  f64: new Float64Array([1.5, -2, Math.PI]),
  u8: new Uint8Array([0, 1, 254, 255]),
  i16: new Int16Array([-3, 7]),
  big: new BigInt64Array([1n, -2n]),
  ab: new Uint8Array([9, 8, 7]).buffer,
  dv: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
  buf: Buffer.from('raw bytes'),
};

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer
    ? new Uint8Array(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Runs the suite against one kind of store. */
export function datumStoreSuite<S extends SuiteStore>(name: string, h: StoreHarness<S>): void {
  const opened: S[] = [];
  const open = async (location: string): Promise<S> => {
    const store = await h.open(location);
    opened.push(store);
    return store;
  };

  describe(`${name}: the shared store suite`, () => {
    it('round-trips tables, JSON and bytes across a reopen in a new store instance', async () => {
      const location = h.freshLocation();
      const store = await open(location);
      const written = new Map<string, string>();
      const remember = async (value: unknown, cellId: string) => {
        const cell = await store.persist(value, {
          cellId,
          name: `v_${cellId}`,
          producedBy: { stepId: cellId, slug: 's', version: '1.0.0' },
        });
        written.set(cellId, cell.fingerprint);
        expect(cell.fingerprint).toBe(describeValue(value).fingerprint);
      };
      await remember(arrowSample(), 'arrow');
      await remember(aqSample(), 'aq');
      for (const [id, v] of Object.entries(jsonValues)) await remember(v, `json-${id}`);
      for (const [id, v] of Object.entries(binaryValues)) await remember(v, `bin-${id}`);
      await remember({ id: 'odd' }, 'cell/with spaces/ü.~1');

      const again = await open(location);
      expect(again.problems).toEqual([]);
      expect(again.list().map((c) => c.id)).toEqual([...written.keys()]);
      expect(again.cell('aq')).toMatchObject({
        kind: 'table',
        name: 'v_aq',
        producedBy: { stepId: 'aq' },
      });
      const t = (await again.resolve('arrow')) as arrow.Table;
      expect(t).toBeInstanceOf(arrow.Table);
      expect(t.getChild('note')?.toArray()).toEqual(['a', null, 'ç', 'd']);
      const q = (await again.resolve('aq')) as aq.ColumnTable;
      expect(tableAdapterFor(q)?.name).toBe('arquero');
      expect(q.objects()).toEqual(aqSample().objects());
      for (const [id, v] of Object.entries(jsonValues))
        expect(await again.resolve(`json-${id}`)).toEqual(v);
      for (const [id, v] of Object.entries(binaryValues)) {
        const back = (await again.resolve(`bin-${id}`)) as ArrayBufferView | ArrayBuffer;
        expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(v));
        expect(bytesOf(back)).toEqual(bytesOf(v));
      }
      for (const [id, fingerprint] of written) {
        expect([id, describeValue(await again.resolve(id)).fingerprint]).toEqual([id, fingerprint]);
      }
    });

    it('gives a table read back the fingerprint, column types and values it was written with, however its columns were held', async () => {
      const store = await open(h.freshLocation());
      const memory = new MemoryDatumStore();
      const cases = representationCases();
      for (const [id, value] of Object.entries(cases)) {
        const adapter = tableAdapterFor(value)!;
        const cell = await store.persist(value, { cellId: id });
        // the fingerprint a memory store gives the value, before and after the write
        expect([id, cell.fingerprint]).toEqual([
          id,
          memory.persist(value, { cellId: id }).fingerprint,
        ]);
        const back = await store.resolve(id);
        expect([id, describeValue(back).fingerprint]).toEqual([id, cell.fingerprint]);
        expect([id, adapter.columns(back).map((c) => c.type)]).toEqual([
          id,
          adapter.columns(value).map((c) => c.type),
        ]);
        expect([id, plainRows(adapter.head(back, 100))]).toEqual([
          id,
          plainRows(adapter.head(value, 100)),
        ]);
        // and written again as it was read: the same fingerprint
        const again = await store.persist(back, { cellId: `${id}-again` });
        expect([id, again.fingerprint]).toEqual([id, cell.fingerprint]);
      }
    });

    it('names the cell and the datum when one is truncated, replaced, edited or gone, and serves the others', async () => {
      const location = h.freshLocation();
      const store = await open(location);
      await store.persist(arrowSample(), { cellId: 'truncated' });
      await store.persist(aqSample(), { cellId: 'garbage' });
      await store.persist({ ok: true }, { cellId: 'edited' });
      await store.persist(new Float64Array([1, 2, 3]), { cellId: 'gone' });
      await store.persist('intact', { cellId: 'intact' });
      const where = Object.fromEntries(
        ['truncated', 'garbage', 'edited', 'gone'].map((id) => [id, h.datumOf(store, id)]),
      );
      const full = await h.readDatum(where.truncated!);
      await h.writeDatum(where.truncated!, full.subarray(0, full.byteLength - 100));
      const size = (await h.readDatum(where.garbage!)).byteLength;
      await h.writeDatum(where.garbage!, Buffer.alloc(size, 0x5a)); // same size, not Arrow
      await h.writeDatum(where.edited!, Buffer.from('{"no":true}'));
      await h.removeDatum(where.gone!);

      const again = await open(location);
      expect(again.problems.map((p) => [p.cellId, p.code])).toEqual(
        expect.arrayContaining([
          ['truncated', 'CORRUPT_DATUM'],
          ['gone', 'CORRUPT_DATUM'],
        ]),
      );
      for (const [id, at] of Object.entries(where)) {
        const error = await errorOf(again.resolve(id));
        expect([id, error.code]).toEqual([id, 'CORRUPT_DATUM']);
        expect(error.details).toMatchObject({ cellId: id, file: at });
        expect(error.message).toContain(`"${id}"`);
        expect(error.message).toContain(at);
      }
      expect(await again.resolve('intact')).toBe('intact');
      expect((await errorOf(again.resolve('nope'))).code).toBe('DATUM_NOT_FOUND');
    });

    it('checks every datum it reads: a flipped bit anywhere gives CORRUPT_DATUM for that cell only', async () => {
      const store = await open(h.freshLocation());
      const values: Record<string, unknown> = {
        arrow: arrowSample(),
        aq: aqSample(),
        json: { weight: 3353, name: 'chevrolet chevelle malibu' },
        bytes: new Float64Array([3353, 3504, -0.5]),
      };
      for (const [id, v] of Object.entries(values)) await store.persist(v, { cellId: id });
      for (const id of Object.keys(values)) {
        const at = h.datumOf(store, id);
        const original = await h.readDatum(at);
        for (const offset of new Set([0, original.byteLength >> 1, original.byteLength - 1])) {
          const damaged = Buffer.from(original);
          damaged[offset]! ^= 0x10;
          await h.writeDatum(at, damaged);
          const error = await errorOf(store.resolve(id));
          expect([id, offset, error.code]).toEqual([id, offset, 'CORRUPT_DATUM']);
          expect(error.details).toMatchObject({ cellId: id, file: at });
          for (const other of Object.keys(values).filter((o) => o !== id)) {
            const back = await store.resolve(other);
            expect(describeValue(back).fingerprint).toBe(describeValue(values[other]).fingerprint);
          }
        }
        await h.writeDatum(at, original);
        expect(describeValue(await store.resolve(id)).fingerprint).toBe(
          describeValue(values[id]).fingerprint,
        );
      }
    });

    it('refuses values it cannot persist, naming the cell and where, and writes nothing', async () => {
      const location = h.freshLocation();
      const store = await open(location);
      class Point {
        constructor(readonly x: number) {}
      }
      const cases: [string, unknown, string, RegExp][] = [
        ['fn', () => 1, '', /function/],
        ['instance', new Point(1), '', /Point/],
        ['map', { m: new Map([[1, 2]]) }, '/m', /Map/],
        ['hole', [1, undefined, 3], '/1', /undefined inside an array/],
        ['bigint', { n: 10n }, '/n', /BigInt/],
        ['nan', { x: [NaN] }, '/x/0', /NaN/],
        ['undefined', undefined, '', /undefined/],
      ];
      for (const [cellId, value, pointer, reason] of cases) {
        const error = await errorOf(() => store.persist(value, { cellId }));
        expect([cellId, error.code]).toEqual([cellId, 'UNPERSISTABLE']);
        expect(error.message).toContain(`"${cellId}"`);
        expect(error.message).toMatch(reason);
        expect(error.details.pointer).toBe(pointer);
      }
      expect(store.list()).toEqual([]);
      expect(await h.datums(location)).toEqual([]);
    });

    it('replaces and deletes cells, keeping only the datums still needed; the last call wins', async () => {
      const location = h.freshLocation();
      const store = await open(location);
      await store.persist([1], { cellId: 'a' });
      await store.persist([2], { cellId: 'b' });
      await store.persist(aqSample(), { cellId: 'a' });
      expect(store.list().map((c) => c.id)).toEqual(['b', 'a']);
      expect(store.cell('a')?.kind).toBe('table');
      // concurrent writes of one cell: the last call wins, even when it finishes writing first
      const big = store.persist(new Float64Array(1_000_000), { cellId: 'c' });
      const small = store.persist('small', { cellId: 'c' });
      await Promise.all([big, small]);
      expect(await store.resolve('c')).toBe('small');
      expect(await store.delete('b')).toBe(true);
      expect(await store.delete('b')).toBe(false);
      await store.flush();
      const again = await open(location);
      expect(again.list().map((c) => c.id)).toEqual(['a', 'c']);
      expect((await errorOf(again.resolve('b'))).code).toBe('DATUM_NOT_FOUND');
      expect((await h.datums(location)).length).toBe(2);
    });

    it('shares a location between store objects: each sees what the other wrote, nothing is lost', async () => {
      const location = h.freshLocation();
      const [a, b] = await Promise.all([open(location), open(location)]);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).persist({ i }, { cellId: `cell-${i}` }),
        ),
      );
      // a cell the other object wrote is found by resolve …
      expect(await a.resolve('cell-0')).toEqual({ i: 0 });
      // … and by has/list after refresh()
      await b.refresh();
      expect(
        b
          .list()
          .map((c) => c.id)
          .sort(),
      ).toEqual(Array.from({ length: 10 }, (_, i) => `cell-${i}`).sort());
      // a replaced cell: the reader follows to the new datum
      await b.resolve('cell-1');
      await a.persist({ i: 'new' }, { cellId: 'cell-1' });
      expect(await b.resolve('cell-1')).toEqual({ i: 'new' });
      expect(await b.delete('cell-3')).toBe(true);
      expect((await errorOf(a.resolve('cell-3'))).code).toBe('DATUM_NOT_FOUND');
      await Promise.all([a.flush(), b.flush()]);
      expect((await h.datums(location)).length).toBe(9);
    });

    it('serves an Orchestrator across a restart: a new instance on the same location runs the later steps', async () => {
      const location = h.freshLocation();
      const registry = new FunctionRegistry();
      let loads = 0;
      const load = step(
        { slug: 'load', inputs: {}, output: aqTable({ x: 'number', city: 'string' }) },
        () => {
          loads++;
          return aq.table({ x: [3, 1, 2, 5], city: ['Oslo', 'Lima', 'Oslo', 'Pune'] });
        },
        { registry },
      );
      const double = step(
        {
          slug: 'double_x',
          inputs: { t: aqTable({ x: 'number' }) },
          output: aqTable({ x: 'number' }),
          traits: { execution: 'row_wise' },
        },
        (row) => ({ ...row, x: (row.x ?? 0) * 2 }),
        { registry },
      );
      const stats = step(
        {
          slug: 'stats',
          inputs: { t: aqTable({ x: 'number' }) },
          output: z.object({ sum: z.number(), rows: z.number() }),
        },
        ({ t }) => ({
          sum: (t.array('x', Array) as number[]).reduce((x, y) => x + y, 0),
          rows: t.numRows(),
        }),
        { registry },
      );
      const workflow = () => {
        const raw = load({}, {}, { id: 'raw' });
        const doubled = double({ t: raw }, {}, { id: 'doubled' });
        return new Workflow()
          .add(raw)
          .add(doubled)
          .add(stats({ t: doubled }, {}, { id: 'stats' }));
      };
      const first = await new Orchestrator({ store: await open(location), registry }).run(
        workflow(),
      );
      expect(first.status).toBe('completed');
      const store = await open(location);
      expect(store.list().map((c) => c.id)).toEqual(['raw', 'doubled', 'stats']);
      const report = await new Orchestrator({ store, registry }).runStep(workflow(), 'stats');
      expect(report.status).toBe('completed');
      expect(loads).toBe(1);
      expect(await store.resolve('stats')).toEqual({ sum: 22, rows: 4 });
    });

    it('fails at once with STORE_IO, naming the location, where it cannot be used', async () => {
      for (const location of await h.unusableLocations()) {
        const error = await errorOf(h.open(location));
        expect([location, error.code]).toEqual([location, 'STORE_IO']);
        expect(error.message).toContain(location);
      }
    });

    afterAll(() => {
      for (const store of opened.splice(0)) h.close?.(store);
    });
  });
}
