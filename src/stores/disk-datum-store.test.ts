import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeValue } from '../core/cell';
import { isFancyflowError, type FancyflowError } from '../core/errors';
import { Orchestrator } from '../core/orchestrator';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { tableAdapterFor } from '../core/table';
import { Workflow } from '../core/workflow';
import { utf8Vector } from '../tables/arrow-build';
import '../tables/register';
import { aqTable } from '../tables/typed-contracts';
import { encodeDatum } from './datum-codec';
import { datumFileName } from './datum-file-name';
import { DiskDatumStore, INDEX_FILE, JOURNAL_FILE, LOCK_FILE } from './disk-datum-store';
import { scratchKept } from './scratch';

const root = mkdtempSync(path.join(tmpdir(), 'ff-disk-store-'));
let counter = 0;
const freshDir = () => path.join(root, `store-${++counter}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function arrowSample(): arrow.Table {
  return new arrow.Table({
    price: arrow.makeVector(new Float64Array([1.5, 2.25, -3, 4])),
    qty: arrow.makeVector(new Int32Array([1, 2, 3, 4])),
    city: arrow.vectorFromArray(['Oslo', 'Lima', 'Oslo', 'Pune']), // dictionary<utf8>
    note: utf8Vector(['a', null, 'ç', 'd']),
  });
}

function aqSample(): aq.ColumnTable {
  return aq.table({
    x: [0.5, 1, null, 2],
    label: ['a', null, 'b', 'ünï'],
    ok: [true, false, true, null],
    n: new Int32Array([1, 2, 3, 4]),
  });
}

async function errorOf(promise: Promise<unknown> | (() => unknown)): Promise<FancyflowError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FancyflowError');
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

describe('DiskDatumStore', () => {
  it('round-trips tables, JSON and bytes across a reopen in a new store instance', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    const written = new Map<string, string>();
    const remember = async (value: unknown, cellId: string) => {
      const cell = await store.persist(value, {
        cellId,
        name: `v_${cellId}`,
        producedBy: { stepId: cellId, slug: 's', version: '1.0.0' },
      });
      written.set(cellId, cell.fingerprint);
      // the fingerprint recorded is the value's own (whatever shortcut the store took)
      expect(cell.fingerprint).toBe(describeValue(value).fingerprint);
      expect(cell.uri.startsWith('file://')).toBe(true);
      await fs.access(fileURLToPath(cell.uri));
    };
    await remember(arrowSample(), 'arrow');
    await remember(aqSample(), 'aq');
    const fromArrow = aq.fromArrow(arrow.tableToIPC(arrowSample()));
    await remember(fromArrow, 'aq-from-arrow');
    for (const [id, v] of Object.entries(jsonValues)) await remember(v, `json-${id}`);
    for (const [id, v] of Object.entries(binaryValues)) await remember(v, `bin-${id}`);

    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual([...written.keys()]);
    expect(again.cell('aq')).toMatchObject({
      kind: 'table',
      name: 'v_aq',
      producedBy: { stepId: 'aq' },
    });

    const t = (await again.resolve('arrow')) as arrow.Table;
    expect(t).toBeInstanceOf(arrow.Table);
    expect(
      tableAdapterFor(t)
        ?.columns(t)
        .map((c) => [c.name, c.type, c.valueType]),
    ).toEqual([
      ['price', 'float64', undefined],
      ['qty', 'int32', undefined],
      ['city', 'dictionary', 'utf8'],
      ['note', 'utf8', undefined],
    ]);
    expect(t.getChild('note')?.toArray()).toEqual(['a', null, 'ç', 'd']);

    const q = (await again.resolve('aq')) as aq.ColumnTable;
    expect(tableAdapterFor(q)?.name).toBe('arquero');
    expect(q.objects()).toEqual(aqSample().objects());
    const q2 = (await again.resolve('aq-from-arrow')) as aq.ColumnTable;
    expect(q2.array('city', Array)).toEqual(['Oslo', 'Lima', 'Oslo', 'Pune']);

    for (const [id, v] of Object.entries(jsonValues))
      expect(await again.resolve(`json-${id}`)).toEqual(v);
    for (const [id, v] of Object.entries(binaryValues)) {
      const back = await again.resolve(`bin-${id}`);
      expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(v));
      expect(
        new Uint8Array(
          back instanceof ArrayBuffer ? back : (back as ArrayBufferView).buffer,
          back instanceof ArrayBuffer ? 0 : (back as ArrayBufferView).byteOffset,
          (back as ArrayBuffer).byteLength,
        ),
      ).toEqual(
        new Uint8Array(
          v instanceof ArrayBuffer ? v : v.buffer,
          v instanceof ArrayBuffer ? 0 : v.byteOffset,
          v.byteLength,
        ),
      );
    }
    // what comes back has the content fingerprint of what went in
    for (const [id, fingerprint] of written) {
      expect([id, describeValue(await again.resolve(id)).fingerprint]).toEqual([id, fingerprint]);
    }
  });

  it('writes arquero columns of every kind it converts, keeping values and fingerprint', async () => {
    const store = await DiskDatumStore.open(freshDir(), { durable: false });
    const words = Array.from({ length: 70_000 }, (_, i) => (i === 40_000 ? 'ünï😀' : `w${i}`));
    const columns: Record<string, unknown[]> = {
      numbers: [1.5, 2, -3, 0],
      numbersWithNulls: [null, 2, null, 4],
      strings: ['ä', null, 'b😀', ''],
      nullFirst: [null, 'x', 'y', 'z'],
      booleans: [true, null, false, true],
      // 64-bit integers come back as bigints, digits past 2^53 included
      bigints: [2n ** 60n + 1n, null, -5n, 2n ** 53n + 1n],
    };
    for (const [name, values] of Object.entries(columns)) {
      const table = aq.table({ [name]: values });
      const cell = await store.persist(table, { cellId: name });
      expect([name, cell.fingerprint]).toEqual([name, describeValue(table).fingerprint]);
      const back = (await store.resolve(name)) as aq.ColumnTable;
      expect([name, back.objects()]).toEqual([name, table.objects()]);
    }
    const long = aq.table({ words });
    const cell = await store.persist(long, { cellId: 'long' });
    expect(cell.fingerprint).toBe(describeValue(long).fingerprint);
    expect(((await store.resolve('long')) as aq.ColumnTable).array('words', Array)).toEqual(words);
  });

  it('names the cell and the file when a datum file is truncated or corrupt, and serves the others', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist(arrowSample(), { cellId: 'arrow' });
    await store.persist(aqSample(), { cellId: 'aq' });
    await store.persist({ ok: true }, { cellId: 'json' });
    await store.persist(new Float64Array([1, 2, 3]), { cellId: 'bytes' });
    await store.persist('intact', { cellId: 'intact' });
    await store.persist(arrowSample(), { cellId: 'flipped' });
    await store.persist({ ok: true }, { cellId: 'edited' });

    const arrowFile = store.fileOf('arrow')!;
    const full = await fs.readFile(arrowFile);
    await fs.writeFile(arrowFile, full.subarray(0, full.byteLength - 100)); // truncated
    const aqFile = store.fileOf('aq')!;
    const garbage = Buffer.alloc((await fs.stat(aqFile)).size, 0x5a); // same size, not Arrow
    await fs.writeFile(aqFile, garbage);
    const jsonFile = store.fileOf('json')!;
    await fs.writeFile(
      jsonFile,
      '{"ok":!}'
        .padEnd((await fs.stat(jsonFile)).size, ' ')
        .slice(0, (await fs.stat(jsonFile)).size),
    );
    await fs.rm(store.fileOf('bytes')!);
    // damage that keeps the size and still parses: only the checksum can tell
    const flippedFile = store.fileOf('flipped')!;
    const flipped = await fs.readFile(flippedFile);
    const at = flipped.indexOf(Buffer.from(new Float64Array([2.25]).buffer));
    expect(at).toBeGreaterThan(0);
    flipped[at + 7]! ^= 0x01;
    await fs.writeFile(flippedFile, flipped);
    const editedFile = store.fileOf('edited')!;
    await fs.writeFile(editedFile, '{"no":true}');

    const again = await DiskDatumStore.open(dir);
    expect(again.problems.map((p) => [p.cellId, p.code])).toEqual(
      expect.arrayContaining([
        ['arrow', 'CORRUPT_DATUM'],
        ['bytes', 'CORRUPT_DATUM'],
      ]),
    );
    for (const [id, file] of [
      ['arrow', arrowFile],
      ['aq', aqFile],
      ['json', jsonFile],
      ['bytes', store.fileOf('bytes')!],
      ['flipped', flippedFile],
      ['edited', editedFile],
    ] as const) {
      const error = await errorOf(again.resolve(id));
      expect(error.code).toBe('CORRUPT_DATUM');
      expect(error.details).toMatchObject({ cellId: id, file });
      expect(error.message).toContain(`"${id}"`);
      expect(error.message).toContain(file);
    }
    expect(await again.resolve('intact')).toBe('intact');
    expect((await errorOf(again.resolve('nope'))).code).toBe('DATUM_NOT_FOUND');
  });

  it('refuses values it cannot persist, naming the cell and where, and writes nothing', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    class Point {
      constructor(readonly x: number) {}
    }
    const cycle: Record<string, unknown> = { a: { b: [] as unknown[] } };
    ((cycle.a as { b: unknown[] }).b as unknown[]).push(cycle);
    const cases: [string, unknown, string, RegExp][] = [
      ['fn', () => 1, '', /function/],
      ['instance', new Point(1), '', /Point/],
      ['map', { m: new Map([[1, 2]]) }, '/m', /Map/],
      ['hole', [1, undefined, 3], '/1', /undefined inside an array/],
      ['bigint', { n: 10n }, '/n', /BigInt/],
      ['nan', { x: [NaN] }, '/x/0', /NaN/],
      ['date', { when: new Date(0) }, '/when', /Date/],
      ['nested-fn', { deep: { deeper: [{ f: () => 2 }] } }, '/deep/deeper/0/f', /function/],
      ['cycle', cycle, '/a/b/0', /cycle/],
      ['undefined', undefined, '', /undefined/],
      ['mixed-column', aq.table({ m: [1, 'a'] }), '', /arquero table .*column "m".*[Mm]ixed types/],
      // (a column of nulls only is written, as Arrow's Null type; bigints must fit 64 bits)
      ['huge-bigint', aq.table({ h: [1n, 2n ** 64n] }), '', /column "h".*exceeds 64 bits/],
      ['bigint-number', aq.table({ m: [1n, 2] }), '', /column "m".*[Mm]ixed types/],
    ];
    for (const [cellId, value, pointer, reason] of cases) {
      const error = await errorOf(() => store.persist(value, { cellId }));
      expect([cellId, error.code]).toEqual([cellId, 'UNPERSISTABLE']);
      expect(error.message).toContain(`"${cellId}"`);
      expect(error.message).toMatch(reason);
      expect(error.details.pointer).toBe(pointer);
    }
    expect(store.list()).toEqual([]);
    expect((await fs.readdir(dir)).filter((f) => f !== INDEX_FILE)).toEqual([]);
    // an object property that is undefined is dropped, as JSON does
    await store.persist({ a: 1, b: undefined }, { cellId: 'ok' });
    expect(await (await DiskDatumStore.open(dir)).resolve('ok')).toEqual({ a: 1 });
  });

  it('encodes arquero columns into reused memory: writes at once and one after another keep their own bytes', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    const rows = 40_000; // strings, offsets and numbers each above the size that is pooled
    const tableOf = (k: number) =>
      aq.table({
        s: Array.from({ length: rows }, (_, i) => `t${k}-${(i * 7919) % 1000}`),
        x: Array.from({ length: rows }, (_, i) => i * 0.5 + k),
      });
    const tables = [0, 1, 2, 3, 4].map(tableOf);
    // two at once: the first one's file waits for a thread of the pool (every thread held by an
    // open of a FIFO that has no writer yet) while the second encodes, so memory given back
    // before the first file was written would put the second's bytes into it
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const fifos = Array.from({ length: threads }, (_, i) => path.join(dir, `fifo-${i}`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    const held = fifos.map((fifo) => fs.open(fifo, 'r'));
    const first = store.persist(tables[0], { cellId: 't0' });
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.persist(tables[1], { cellId: 't1' });
    const writers = fifos.map((fifo) => openSync(fifo, 'w')); // the pool's threads go free
    await Promise.all([first, second]);
    for (const handle of await Promise.all(held)) await handle.close();
    for (const fd of writers) closeSync(fd);
    for (const fifo of fifos) rmSync(fifo);
    // then three in turn, each encoding into memory an earlier write gave back
    expect(scratchKept().bytes).toBeGreaterThan(0);
    for (const k of [2, 3, 4]) await store.persist(tables[k], { cellId: `t${k}` });
    // a table that fails after its first column was encoded gives its memory back too
    const kept = scratchKept().bytes;
    const mixed = aq.table({ s: tables[0]!.array('s') as string[], m: [1, 'a'] });
    expect((await errorOf(store.persist(mixed, { cellId: 'bad' }))).code).toBe('UNPERSISTABLE');
    expect(scratchKept().bytes).toBe(kept);
    const again = await DiskDatumStore.open(dir);
    for (const k of [0, 1, 2, 3, 4]) {
      const back = (await again.resolve(`t${k}`)) as aq.ColumnTable;
      expect(back.objects()).toEqual(tables[k]!.objects());
      expect(again.cell(`t${k}`)!.fingerprint).toBe(describeValue(tables[k]).fingerprint);
    }
  });

  it('ignores leftovers of a crash: temp files and datum files the index never listed', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist({ v: 1 }, { cellId: 'kept' });
    // a crash in the middle of writing a datum, and one between the datum's rename and the index
    await fs.writeFile(path.join(dir, '.tmp-999-abcd-kept~7.json.json'), '{"v": 2, "trunc');
    await fs.writeFile(path.join(dir, '.tmp-999-abcd-index.json'), '{"format": "fancyf');
    await fs.writeFile(path.join(dir, 'kept~8.json.json'), '{"v": 3}');
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual(['kept']);
    expect(await again.resolve('kept')).toEqual({ v: 1 });
    // and later writes do not collide with the leftovers
    await again.persist({ v: 4 }, { cellId: 'kept' });
    expect(await (await DiskDatumStore.open(dir)).resolve('kept')).toEqual({ v: 4 });
  });

  it('rebuilds a corrupt index from the datum files, keeps the old index aside and says so', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist(arrowSample(), {
      cellId: 'prices',
      producedBy: { stepId: 'prices', slug: 'p', version: '1' },
    });
    await store.persist({ a: [1, 2] }, { cellId: 'cfg/ü.1' });
    await store.persist(new Int16Array([5, -5]), { cellId: 'raw' });
    await store.persist({ a: 'replaced' }, { cellId: 'cfg/ü.1' });
    const before = store.list().map((c) => [c.id, c.fingerprint]);
    await fs.writeFile(path.join(dir, INDEX_FILE), '{"format": "fancyflow-disk-store", "ver'); // torn

    const again = await DiskDatumStore.open(dir);
    expect(again.list().map((c) => [c.id, c.fingerprint])).toEqual(before);
    expect(await again.resolve('cfg/ü.1')).toEqual({ a: 'replaced' });
    expect(await again.resolve('raw')).toEqual(new Int16Array([5, -5]));
    expect(tableAdapterFor(await again.resolve('prices'))?.name).toBe('arrow');
    const notice = again.problems.find((p) => p.code === 'STORE_IO');
    expect(notice?.message).toMatch(/rebuilt from 3 datum file/);
    const backups = (await fs.readdir(dir)).filter((f) => f.startsWith(`${INDEX_FILE}.corrupt-`));
    expect(backups).toHaveLength(1);
    expect(notice?.file).toBe(path.join(dir, backups[0]!));
    // the rebuilt index is written: the next open is clean
    expect((await DiskDatumStore.open(dir)).problems).toEqual([]);
  });

  it('replaces and deletes cells, removing the files they no longer need', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist([1], { cellId: 'a' });
    await store.persist([2], { cellId: 'b' });
    const first = store.fileOf('a')!;
    await store.persist(aqSample(), { cellId: 'a' });
    expect(store.list().map((c) => c.id)).toEqual(['b', 'a']);
    await expect(fs.access(first)).rejects.toThrow();
    expect(store.cell('a')?.kind).toBe('table');
    // concurrent writes of one cell: the last call wins, even when it finishes writing first
    const big = store.persist(new Float64Array(2_000_000), { cellId: 'c' });
    const small = store.persist('small', { cellId: 'c' });
    await Promise.all([big, small]);
    expect(await store.resolve('c')).toBe('small');
    expect(await store.delete('b')).toBe(true);
    expect(await store.delete('b')).toBe(false);
    const again = await DiskDatumStore.open(dir);
    expect(again.list().map((c) => c.id)).toEqual(['a', 'c']);
    expect((await fs.readdir(dir)).sort()).toEqual(
      [
        path.basename(store.fileOf('a')!),
        path.basename(store.fileOf('c')!),
        INDEX_FILE,
        JOURNAL_FILE,
      ].sort(),
    );
  });

  it('serves an Orchestrator across a restart: a new instance on the same folder runs the later steps', async () => {
    const dir = freshDir();
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
        sum: (t.array('x', Array) as number[]).reduce((a, b) => a + b, 0),
        rows: t.numRows(),
      }),
      { registry },
    );
    const workflow = () => {
      const wf = new Workflow();
      const raw = load({}, {}, { id: 'raw' });
      const doubled = double({ t: raw }, {}, { id: 'doubled' });
      return wf
        .add(raw)
        .add(doubled)
        .add(stats({ t: doubled }, {}, { id: 'stats' }));
    };
    const first = await new Orchestrator({
      store: await DiskDatumStore.open(dir, { durable: false }),
      registry,
    }).run(workflow());
    expect(first.status).toBe('completed');

    // "restart": a new store instance, a new orchestrator; run only the last step, from disk
    const store = await DiskDatumStore.open(dir);
    expect(store.list().map((c) => c.id)).toEqual(['raw', 'doubled', 'stats']);
    const report = await new Orchestrator({ store, registry }).runStep(workflow(), 'stats');
    expect(report.status).toBe('completed');
    expect(loads).toBe(1);
    expect(await store.resolve('stats')).toEqual({ sum: 22, rows: 4 });
    const doubled = (await store.resolve('doubled')) as aq.ColumnTable;
    expect(doubled.objects()).toEqual([
      { x: 6, city: 'Oslo' },
      { x: 2, city: 'Lima' },
      { x: 4, city: 'Oslo' },
      { x: 10, city: 'Pune' },
    ]);
  });
  it('checks every datum it reads: a flipped bit anywhere gives CORRUPT_DATUM for that cell only', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    const values: Record<string, unknown> = {
      arrow: arrowSample(),
      aq: aqSample(),
      json: { weight: 3353, name: 'chevrolet chevelle malibu' },
      bytes: new Float64Array([3353, 3504, -0.5]),
    };
    for (const [id, v] of Object.entries(values)) await store.persist(v, { cellId: id });
    for (const id of Object.keys(values)) expect(store.checkOf(id)).toBe('checksum');
    const again = await DiskDatumStore.open(dir);
    for (const id of Object.keys(values)) {
      const file = again.fileOf(id)!;
      const original = await fs.readFile(file);
      const offsets = new Set([0, 1, original.byteLength >> 1, original.byteLength - 1]);
      for (const at of offsets) {
        const damaged = Buffer.from(original);
        damaged[at]! ^= 0x10;
        await fs.writeFile(file, damaged);
        const error = await errorOf(again.resolve(id));
        expect([id, at, error.code]).toEqual([id, at, 'CORRUPT_DATUM']);
        expect(error.details).toMatchObject({ cellId: id, file });
        expect(error.message).toContain(`"${id}"`);
        expect(error.message).toContain(file);
        for (const other of Object.keys(values).filter((o) => o !== id)) {
          const back = await again.resolve(other);
          expect(describeValue(back).fingerprint).toBe(describeValue(values[other]).fingerprint);
        }
      }
      await fs.writeFile(file, original);
      expect(describeValue(await again.resolve(id)).fingerprint).toBe(
        describeValue(values[id]).fingerprint,
      );
    }
  });

  it('opens a store of version 1: entries with a 128-bit fingerprint are checked, the others reported unchecked', async () => {
    const dir = freshDir();
    await fs.mkdir(dir);
    // the files and the index as the version without checksums wrote them
    const legacy = async (cellId: string, value: unknown, verify: boolean, recorded?: string) => {
      const encoded = encodeDatum(value, cellId);
      const file = datumFileName({
        cellId,
        generation: 1,
        format: encoded.format,
        tag: encoded.tag,
      });
      const bytes = Buffer.concat(encoded.pieces);
      await fs.writeFile(path.join(dir, file), bytes);
      const { kind, summary, fingerprint } = describeValue(encoded.equivalent ?? value);
      const uri = `file://${path.join(dir, file)}`;
      const cell = {
        id: cellId,
        uri,
        kind,
        summary,
        createdAt: new Date(0).toISOString(),
        fingerprint: recorded ?? fingerprint,
      };
      return {
        file,
        byteLength: bytes.byteLength,
        format: encoded.format,
        tag: encoded.tag,
        cell,
        ...(verify ? { verify } : {}),
      };
    };
    const entries = [
      await legacy('checked', { weight: 3353 }, true),
      await legacy('table', arrowSample(), true),
      await legacy('unchecked', aqSample(), false),
      // fancyflow's fingerprints were 64-bit before XXH3-128: no longer computed, so unchecked
      await legacy('old64', { weight: 1 }, true, '5f2a8c0d9b1e3a47'),
    ];
    await fs.writeFile(
      path.join(dir, INDEX_FILE),
      JSON.stringify({ format: 'fancyflow-disk-store', version: 1, generation: 1, entries }),
    );

    const store = await DiskDatumStore.open(dir);
    expect(store.list().map((c) => c.id)).toEqual(['checked', 'table', 'unchecked', 'old64']);
    expect(['checked', 'table', 'unchecked', 'old64'].map((id) => store.checkOf(id))).toEqual([
      'fingerprint',
      'fingerprint',
      'unchecked',
      'unchecked',
    ]);
    expect(store.problems.map((p) => [p.cellId, p.code])).toEqual([
      ['unchecked', 'UNCHECKED_DATUM'],
      ['old64', 'UNCHECKED_DATUM'],
    ]);
    expect(store.problems[0]!.message).toContain(store.fileOf('unchecked')!);
    expect(store.problems[1]!.message).toContain('64-bit fingerprint');
    expect(await store.resolve('old64')).toEqual({ weight: 1 });
    expect(await store.resolve('checked')).toEqual({ weight: 3353 });
    expect((await store.resolve('unchecked')) as aq.ColumnTable).toBeDefined();
    // the old fingerprint still catches a changed value
    const file = store.fileOf('checked')!;
    await fs.writeFile(file, '{"weight":3354}');
    expect((await errorOf(store.resolve('checked'))).code).toBe('CORRUPT_DATUM');
    // writing a cell again gives it a checksum; the index becomes version 3 and keeps the rest
    await store.persist({ weight: 3353 }, { cellId: 'checked' });
    await store.persist(aqSample(), { cellId: 'unchecked' });
    await store.persist({ weight: 1 }, { cellId: 'old64' });
    const index = JSON.parse(await fs.readFile(path.join(dir, INDEX_FILE), 'utf8')) as {
      version: number;
    };
    expect(index.version).toBe(3);
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(['table', 'checked', 'unchecked'].map((id) => again.checkOf(id))).toEqual([
      'fingerprint',
      'checksum',
      'checksum',
    ]);
    expect(
      tableAdapterFor(await again.resolve('table'))?.numRows(await again.resolve('table')),
    ).toBe(4);
  });

  it('rebuilds an index changed in place (it still parses) and keeps every datum checked', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist(arrowSample(), { cellId: 'prices', name: 'prices' });
    await store.persist({ a: 1 }, { cellId: 'config', name: 'config' });
    await store.compact(); // the index file itself lists both cells
    const indexFile = path.join(dir, INDEX_FILE);
    const text = await fs.readFile(indexFile, 'utf8');
    // one byte of the index changed: still JSON, still the schema
    await fs.writeFile(indexFile, text.replace('"name": "config"', '"name": "conFig"'));
    const again = await DiskDatumStore.open(dir);
    expect(again.problems.map((p) => p.code)).toEqual(['STORE_IO']);
    expect(again.problems[0]!.message).toMatch(/checksum/);
    expect(again.list().map((c) => [c.id, again.checkOf(c.id)])).toEqual([
      ['prices', 'checksum'],
      ['config', 'checksum'],
    ]);
    expect(await again.resolve('config')).toEqual({ a: 1 });
    // a datum damaged while the index is lost: left out of the rebuilt index, and said so
    const damaged = await fs.readFile(again.fileOf('config')!);
    damaged[2]! ^= 0x01;
    await fs.writeFile(again.fileOf('config')!, damaged);
    await fs.rm(indexFile);
    const third = await DiskDatumStore.open(dir);
    expect(third.list().map((c) => c.id)).toEqual(['prices']);
    expect(third.problems.map((p) => [p.cellId, p.code])).toEqual([
      ['config', 'CORRUPT_DATUM'],
      [undefined, 'STORE_IO'],
    ]);
    expect(third.problems[0]!.message).toMatch(/checksum/);
  });

  it('shares a folder between store objects: each sees what the other wrote, nothing is lost', async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([
      DiskDatumStore.open(dir, { durable: false }),
      DiskDatumStore.open(dir, { durable: false }),
    ]);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).persist({ i }, { cellId: `cell-${i}` })),
    );
    // a cell the other object wrote is found by resolve (which reads the index again) …
    expect(await a.resolve('cell-0')).toEqual({ i: 0 });
    // … and by has/list after refresh()
    await b.refresh();
    expect(
      b
        .list()
        .map((c) => c.id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `cell-${i}`).sort());
    // a replaced cell: the old file is gone, the reader follows the index to the new one
    await b.resolve('cell-1');
    await a.persist({ i: 'new' }, { cellId: 'cell-1' });
    expect(await b.resolve('cell-1')).toEqual({ i: 'new' });
    expect(await b.delete('cell-3')).toBe(true);
    expect((await errorOf(a.resolve('cell-3'))).code).toBe('DATUM_NOT_FOUND');
    const files = await fs.readdir(dir);
    expect(files).not.toContain(LOCK_FILE);
    expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(files.length).toBe(9 + 2); // nine datum files, the index and its journal
  });

  it('records a write as one journal line, folds the journal into the index once it is as long, and reads it back whole', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    const indexFile = path.join(dir, INDEX_FILE);
    const journalFile = path.join(dir, JOURNAL_FILE);
    const indexed = async () =>
      (JSON.parse(await fs.readFile(indexFile, 'utf8')) as { entries: unknown[] }).entries.length;
    const lines = async () => (await fs.readFile(journalFile, 'utf8')).split('\n').length - 1;
    await store.persist({ i: 0 }, { cellId: 'c0' }); // a new store: the index is written whole
    const firstIndex = await fs.readFile(indexFile);
    for (let i = 1; i < 40; i++) await store.persist({ i }, { cellId: `c${i}` });
    await store.delete('c3');
    // the index file was not touched; 39 writes and a delete are 40 lines after the journal's id
    expect(await fs.readFile(indexFile)).toEqual(firstIndex);
    expect(await lines()).toBe(41);
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`).filter((id) => id !== 'c3');
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual(ids);
    expect(await again.resolve('c39')).toEqual({ i: 39 });
    // a replaced cell moves to the end, as in the index
    await again.persist({ i: 'again' }, { cellId: 'c0' });
    await store.refresh();
    expect(store.list().map((c) => c.id)).toEqual([...ids.slice(1), 'c0']);
    for (let i = 40; i < 70; i++) await store.persist({ i }, { cellId: `c${i}` });
    // folded in at 64 lines: the index lists every cell, the journal starts again
    expect(await indexed()).toBeGreaterThanOrEqual(60);
    expect(await lines()).toBeLessThan(10);
    await again.refresh(); // the other object follows the compaction
    expect(again.list().map((c) => c.id)).toEqual(store.list().map((c) => c.id));
    expect(await again.resolve('c69')).toEqual({ i: 69 });
  });

  it('ignores a journal line cut short (a writer killed mid-line), and the next write cuts it off', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    await store.persist({ v: 1 }, { cellId: 'a' });
    await store.persist({ v: 2 }, { cellId: 'b' });
    const journalFile = path.join(dir, JOURNAL_FILE);
    const whole = await fs.readFile(journalFile);
    const lastLine = whole.subarray(whole.lastIndexOf('\n', whole.byteLength - 2) + 1);
    // a third line, cut in its middle
    await fs.appendFile(journalFile, lastLine.subarray(0, lastLine.byteLength >> 1));
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual(['a', 'b']);
    await again.persist({ v: 3 }, { cellId: 'c' });
    const third = await DiskDatumStore.open(dir);
    expect(third.problems).toEqual([]);
    expect(third.list().map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(await third.resolve('c')).toEqual({ v: 3 });
  });

  it('a journal line changed in place: the index is set aside and rebuilt, every datum checked', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    for (const id of ['a', 'b', 'c']) await store.persist({ id }, { cellId: id, name: id });
    const journalFile = path.join(dir, JOURNAL_FILE);
    const text = await fs.readFile(journalFile, 'utf8');
    await fs.writeFile(journalFile, text.replace('"name":"b"', '"name":"B"'));
    const again = await DiskDatumStore.open(dir);
    expect(again.problems.map((p) => p.code)).toEqual(['STORE_IO']);
    expect(again.problems[0]!.message).toMatch(/journal is corrupt \(line 1 .*checksum/);
    expect(again.list().map((c) => [c.id, again.checkOf(c.id)])).toEqual([
      ['a', 'checksum'],
      ['b', 'checksum'],
      ['c', 'checksum'],
    ]);
    expect(await again.resolve('b')).toEqual({ id: 'b' });
    const backups = (await fs.readdir(dir)).filter((f) => f.startsWith(`${JOURNAL_FILE}.corrupt-`));
    expect(backups).toHaveLength(1);
  });

  it('a compaction stopped halfway (new index, old journal): the old journal is known as folded in', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    for (const id of ['a', 'b', 'c']) await store.persist({ id }, { cellId: id });
    const journalFile = path.join(dir, JOURNAL_FILE);
    const old = await fs.readFile(journalFile);
    await store.delete('b');
    await store.compact();
    await fs.writeFile(journalFile, old); // as if the process stopped before the new journal
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual(['a', 'c']);
    await again.persist({ id: 'd' }, { cellId: 'd' });
    expect((await DiskDatumStore.open(dir)).list().map((c) => c.id)).toEqual(['a', 'c', 'd']);
  });

  it('opens an index of version 2 (before the journal) as it is, and continues it', async () => {
    const dir = freshDir();
    const store = await DiskDatumStore.open(dir, { durable: false });
    for (const id of ['a', 'b']) await store.persist({ id }, { cellId: id });
    await store.compact();
    const indexFile = path.join(dir, INDEX_FILE);
    const index = JSON.parse(await fs.readFile(indexFile, 'utf8')) as Record<string, unknown>;
    delete index.journal;
    await fs.writeFile(indexFile, JSON.stringify({ ...index, version: 2 }, null, 1));
    // a journal beside an index that names none is not read
    await fs.writeFile(path.join(dir, JOURNAL_FILE), 'anything\n');
    const again = await DiskDatumStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.list().map((c) => c.id)).toEqual(['a', 'b']);
    await again.persist({ id: 'c' }, { cellId: 'c' });
    const written = JSON.parse(await fs.readFile(indexFile, 'utf8')) as { version: number };
    expect(written.version).toBe(3);
    const third = await DiskDatumStore.open(dir);
    expect(third.problems).toEqual([]);
    expect(await Promise.all(['a', 'b', 'c'].map((id) => third.resolve(id)))).toEqual([
      { id: 'a' },
      { id: 'b' },
      { id: 'c' },
    ]);
  });

  it('fails at once with STORE_IO, naming the path, where the folder cannot be made', async () => {
    const file = path.join(root, `a-file-${++counter}`);
    await fs.writeFile(file, 'x');
    for (const dir of ['/proc/self/nope/store', path.join(file, 'store')]) {
      const error = await errorOf(DiskDatumStore.open(dir));
      expect([dir, error.code]).toEqual([dir, 'STORE_IO']);
      expect(error.message).toContain(dir);
      expect(error.details).toMatchObject({ dir });
    }
  });
});
