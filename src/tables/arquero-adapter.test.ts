import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
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
import { arqueroTableAdapter as adapter } from './arquero-adapter';
import { utf8Vector } from './arrow-build';
import './register';
import { aqTable, arrowTable } from './typed-contracts';

const cities = ['Oslo', 'Lima', 'Pune'];

/** arquero reads apache-arrow tables; its typings name only its own Arrow interface. */
const fromArrow = (t: arrow.Table): aq.ColumnTable =>
  aq.fromArrow(t as unknown as Parameters<typeof aq.fromArrow>[0]);

function plain(n = 6): aq.ColumnTable {
  return aq.table({
    x: Array.from({ length: n }, (_, i) => i * 0.5),
    label: Array.from({ length: n }, (_, i) => (i === 0 ? null : `l${i}`)),
    ok: Array.from({ length: n }, (_, i) => i % 2 === 0),
    n: Int32Array.from({ length: n }, (_, i) => i),
  });
}

describe('the arquero table adapter', () => {
  it('types plain-array columns from their first non-null value and typed arrays from their class', () => {
    const t = plain();
    expect(tableAdapterFor(t)?.name).toBe('arquero');
    expect(adapter.columns(t)).toEqual([
      { name: 'x', type: 'float64' },
      { name: 'label', type: 'utf8' },
      { name: 'ok', type: 'bool' },
      { name: 'n', type: 'int32', nullable: false },
    ]);
    expect(adapter.numRows(t.filter((d: { n: number }) => d.n > 2))).toBe(3);
    expect(adapter.head(t, 2)).toEqual([
      { x: 0, label: null, ok: true, n: 0 },
      { x: 0.5, label: 'l1', ok: false, n: 1 },
    ]);
    expect(describeValue(t).summary).toMatchObject({ type: 'arquero.ColumnTable', shape: [6, 4] });
    expect(adapter.byteSize(t)).toBeGreaterThan(6 * 4);
  });

  it('reads the Arrow types of columns from fromArrow, dictionary-encoded strings included', () => {
    const source = new arrow.Table({
      city: arrow.vectorFromArray(Array.from({ length: 9 }, (_, i) => cities[i % 3]!)),
      v: arrow.makeVector(new Float32Array(9)),
    });
    for (const t of [fromArrow(source), aq.fromArrow(arrow.tableToIPC(source))]) {
      expect(adapter.columns(t)).toEqual([
        { name: 'city', type: 'dictionary', valueType: 'utf8' },
        { name: 'v', type: 'float32', nullable: false },
      ]);
      expect(
        checkContract(aqTable({ city: 'string', v: 'number' }, { exact: true }), t),
      ).toBeUndefined();
      expect(checkContract(aqTable({ v: 'integer' }), t)?.[0]?.message).toContain('float32');
    }
  });

  it('checks contracts (the Arrow-typed contract too) and reports every problem', () => {
    const t = plain();
    expect(
      checkContract(arrowTable({ x: 'number', label: 'string', ok: 'boolean' }), t),
    ).toBeUndefined();
    const issues = checkContract(aqTable({ label: 'number', nope: 'any' }), t);
    expect(issues?.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['column_type', 'columns.label'],
      ['missing_column', 'columns.nope'],
    ]);
  });

  it('fingerprints by content, following filters and order', () => {
    const a = plain(50);
    expect(adapter.fingerprint(plain(50))).toBe(adapter.fingerprint(a));
    expect(adapter.fingerprint(plain(51))).not.toBe(adapter.fingerprint(a));
    const changed = a.derive({ x: (d: { x: number }) => d.x + 1e-9 });
    expect(adapter.fingerprint(changed)).not.toBe(adapter.fingerprint(a));
    // a filtered table and the same rows materialised have one fingerprint
    const filtered = a.filter((d: { n: number }) => d.n % 3 === 0);
    expect(adapter.fingerprint(filtered)).toBe(adapter.fingerprint(filtered.reify()));
    expect(adapter.fingerprint(filtered)).not.toBe(adapter.fingerprint(a));
    // typed and plain float64 columns with equal values are equal content
    const typed = aq.table({ x: Float64Array.from([1, 2, 3]) });
    const untyped = aq.table({ x: [1, 2, 3] });
    expect(adapter.fingerprint(typed)).toBe(adapter.fingerprint(untyped));
    // Arrow-backed strings and plain strings with equal values too
    const backed = fromArrow(arrow.tableFromArrays({ s: new Float64Array([1, 2, NaN]) }));
    expect(adapter.fingerprint(backed)).toBe(adapter.fingerprint(aq.table({ s: [1, 2, NaN] })));
    const strings = ['a', 'bé', '', 'ccc'];
    const utf8 = fromArrow(new arrow.Table({ s: utf8Vector(strings) }));
    expect(adapter.columns(utf8)).toEqual([{ name: 's', type: 'utf8', nullable: false }]);
    expect(adapter.fingerprint(utf8)).toBe(adapter.fingerprint(aq.table({ s: strings })));
    expect(adapter.fingerprint(utf8)).not.toBe(
      adapter.fingerprint(aq.table({ s: ['a', 'b', 'é', 'ccc'] })),
    );
  });

  it('gives one type and fingerprint per logical type, whichever form holds the column', () => {
    /** Every form of one column must give the first one's columns() type and fingerprint. */
    const same = (what: string, forms: aq.ColumnTable[], type: string) => {
      for (const [i, t] of forms.entries()) {
        expect([what, i, adapter.columns(t)[0]?.type]).toEqual([what, i, type]);
        expect([what, i, adapter.fingerprint(t)]).toEqual([
          what,
          i,
          adapter.fingerprint(forms[0]!),
        ]);
      }
    };
    const viaArrow = (t: arrow.Table) => [fromArrow(t), aq.fromArrow(arrow.tableToIPC(t))];
    // nulls only (what fromCSV gives for an empty column), and no rows at all: Arrow's Null type
    same(
      'nulls only',
      [
        aq.table({ a: [null, null] }),
        aq.table({ a: [undefined, undefined] }),
        aq.fromCSV('a,b\n,1\n,2').select('a'),
        ...viaArrow(new arrow.Table({ a: arrow.vectorFromArray([null, null], new arrow.Null()) })),
      ],
      'null',
    );
    same(
      'no rows',
      [
        aq.table({ a: [] }),
        ...viaArrow(new arrow.Table({ a: arrow.vectorFromArray([], new arrow.Null()) })),
      ],
      'null',
    );
    same(
      'no rows of float64',
      [
        aq.table({ a: new Float64Array(0) }),
        // (not through IPC: flechette cannot read apache-arrow's file of an empty table)
        fromArrow(arrow.tableFromArrays({ a: new Float64Array(0) })),
      ],
      'float64',
    );
    // bigints: a plain array, a BigInt64Array, Arrow Int64 (with and without nulls)
    const big = [1n, -3n, 2n ** 62n];
    same(
      'bigints',
      [
        aq.table({ a: big }),
        aq.table({ a: BigInt64Array.from(big) }),
        ...viaArrow(arrow.tableFromArrays({ a: BigInt64Array.from(big) })),
      ],
      'int64',
    );
    same(
      'bigints with nulls',
      [
        aq.table({ a: [1n, null, 3n] }),
        ...viaArrow(
          new arrow.Table({ a: arrow.vectorFromArray([1n, null, 3n], new arrow.Int64()) }),
        ),
      ],
      'int64',
    );
    // uint64 past 2^63: filtered (walked value by value) as its buffer is hashed
    const u = new arrow.Table({
      a: arrow.makeVector(BigUint64Array.from([1n, 2n ** 64n - 1n, 5n])),
    });
    const filtered = fromArrow(u).filter((d: { a: bigint }) => d.a !== 5n);
    same('uint64', [filtered, fromArrow(u.slice(0, 2))], 'uint64');
    // a plain array is typed by its first non-null value however far in, as its Arrow form is
    const late = [...Array<null>(100).fill(null), 1.5];
    same(
      'late value',
      [aq.table({ a: late }), ...viaArrow(arrow.tableFromArrays({ a: late }))],
      'float64',
    );
    // different values still differ: -1 and 2^64-1 (one byte pattern) as plain bigints
    expect(adapter.fingerprint(aq.table({ a: [-1n] }))).not.toBe(
      adapter.fingerprint(aq.table({ a: [2n ** 64n - 1n] })),
    );
    expect(adapter.fingerprint(aq.table({ a: [1n] }))).not.toBe(
      adapter.fingerprint(aq.table({ a: [1] })),
    );
  });

  it('maps a row_wise step through the Orchestrator into an arquero table', async () => {
    const registry = new FunctionRegistry();
    const tag = step(
      {
        slug: 'tag_rows',
        inputs: { t: aqTable({ x: 'number', n: 'integer' }) },
        output: aqTable({ x: 'number', n: 'integer', tag: 'string' }),
        traits: { execution: 'row_wise' },
      },
      (row, _config, { index }) => ({ x: row.x, n: row.n, tag: `#${index}` }),
      { registry },
    );
    const store = new MemoryDatumStore();
    store.persist(plain(100_000).orderby(aq.desc('n')), { cellId: 'raw' });
    const wf = new Workflow({ known: (id) => store.has(id) }).add(
      tag({ t: 'raw' }, {}, { id: 'tagged' }),
    );
    const report = await new Orchestrator({ store, registry }).run(wf);
    expect(report.status).toBe('completed');
    const out = store.resolve('tagged') as aq.ColumnTable;
    expect(tableAdapterFor(out)?.name).toBe('arquero');
    expect(out.numRows()).toBe(100_000);
    // rows in the table's order; the int32 column stays an Int32Array
    expect(adapter.head(out, 2)).toEqual([
      { x: 49999.5, n: 99999, tag: '#0' },
      { x: 49999, n: 99998, tag: '#1' },
    ]);
    expect(out.get('tag', 99_999)).toBe('#99999');
    expect(out.column('n')).toBeInstanceOf(Int32Array);
  });

  it('puts the parts of a split row_wise map together as the whole map builds it', async () => {
    const input = plain(10);
    // a key that appears only from row 7 on, a null, and typed input columns kept typed
    const fn = (row: Record<string, unknown>, i: number) => ({
      n: row.n,
      x: i === 3 ? null : (row.x as number) * 2,
      ...(i >= 7 ? { late: `r${i}` } : {}),
    });
    const whole = await adapter.mapRows(input, fn);
    const ranges = [
      [0, 4],
      [4, 8],
      [8, 10],
    ] as const;
    const parts = await Promise.all(
      ranges.map(([start, end]) =>
        adapter.mapRows(input.slice(start, end).reify(), (row, i) => fn(row, i + start)),
      ),
    );
    const joined = adapter.concatRows!(input, parts);
    expect(joined.columnNames()).toEqual(['n', 'x', 'late']);
    expect(joined.column('n')).toBeInstanceOf(Int32Array);
    expect(joined.objects()).toEqual(whole.objects());
    expect(adapter.columns(joined)).toEqual(adapter.columns(whole));
    expect(adapter.fingerprint(joined)).toBe(adapter.fingerprint(whole));
    // parts out of order give another table
    const other = [parts[0]!, parts[2]!, parts[1]!];
    expect(adapter.fingerprint(adapter.concatRows!(input, other))).not.toBe(
      adapter.fingerprint(whole),
    );
  });

  it('cancels a long map with CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await adapter
      .mapRows(plain(10), (r) => r, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isFancyflowError(error, 'CANCELLED')).toBe(true);
  });
});
