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
