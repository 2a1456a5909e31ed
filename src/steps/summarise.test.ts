import { readFileSync } from 'node:fs';
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { describe, expect, test } from 'vitest';
import { steps } from '.';
import { failure, output, run, thrown } from './test-harness';
import { VEGA_LITE_V5_SCHEMA, type VegaLiteSpec } from './chart';

interface Car {
  Name: string;
  Miles_per_Gallon: number | null;
  Horsepower: number | null;
  Cylinders: number;
  Origin: string;
}
const carsFile = require.resolve('vega-datasets').replace(/build[/\\]index\.js$/, 'data/cars.json');
const cars = JSON.parse(readFileSync(carsFile, 'utf8')) as Car[];

describe('group_aggregate', () => {
  test('per-origin statistics of cars.json match a plain computation', async () => {
    const r = await run([
      steps.read_json({}, { dataset: 'cars.json' }, { id: 'cars' }),
      steps.group_aggregate(
        { table: 'cars' },
        {
          groupby: ['Origin'],
          aggregates: [
            { op: 'count', as: 'n' },
            { op: 'count', column: 'Horsepower', as: 'n_hp' },
            { op: 'mean', column: 'Horsepower', as: 'mean_hp' },
            { op: 'max', column: 'Miles_per_Gallon', as: 'best_mpg' },
            { op: 'min', column: 'Name', as: 'first_name' },
            { op: 'distinct', column: 'Cylinders', as: 'cyl_kinds' },
            { op: 'sum', column: 'Cylinders', as: 'cyl_sum' },
          ],
        },
        { id: 'g' },
      ),
    ]);
    const g = r.output<ColumnTable>('g');
    const origins = [...new Set(cars.map((c) => c.Origin))];
    expect(g.array('Origin')).toEqual(origins);
    origins.forEach((origin, i) => {
      const group = cars.filter((c) => c.Origin === origin);
      const hp = group.map((c) => c.Horsepower).filter((v): v is number => v !== null);
      const mpg = group.map((c) => c.Miles_per_Gallon).filter((v): v is number => v !== null);
      expect(g.get('n', i)).toBe(group.length);
      expect(g.get('n_hp', i)).toBe(hp.length);
      expect(g.get('mean_hp', i)).toBeCloseTo(hp.reduce((a, b) => a + b, 0) / hp.length, 10);
      expect(g.get('best_mpg', i)).toBe(Math.max(...mpg));
      expect(g.get('first_name', i)).toBe(group.map((c) => c.Name).sort()[0]);
      expect(g.get('cyl_kinds', i)).toBe(new Set(group.map((c) => c.Cylinders)).size);
      expect(g.get('cyl_sum', i)).toBe(group.reduce((s, c) => s + c.Cylinders, 0));
    });
  });

  test('no groupby gives one row; median, stdev and variance', async () => {
    const t = aq.table({ x: [1, 2, 3, 4, null, NaN] });
    const out = await output<ColumnTable>(
      steps.group_aggregate(
        { table: 't' },
        {
          aggregates: [
            { op: 'median', column: 'x', as: 'med' },
            { op: 'variance', column: 'x', as: 'var' },
            { op: 'stdev', column: 'x', as: 'sd' },
            { op: 'count', as: 'rows' },
          ],
        },
      ),
      { t },
    );
    expect(out.objects()).toEqual([{ med: 2.5, var: 5 / 3, sd: Math.sqrt(5 / 3), rows: 6 }]);
  });

  test('config and contract errors', async () => {
    expect(
      thrown(() => steps.group_aggregate({ table: 't' }, { aggregates: [{ op: 'mean', as: 'm' }] }))
        .details.pointer,
    ).toBe('/aggregates/0/column');
    expect(
      thrown(() =>
        steps.group_aggregate(
          { table: 't' },
          { groupby: ['k'], aggregates: [{ op: 'count', as: 'k' }] },
        ),
      ).details.pointer,
    ).toBe('/aggregates/0/as');
    expect(
      thrown(() =>
        steps.group_aggregate(
          { table: 't' },
          { aggregates: [{ op: 'mode' as never, column: 'x', as: 'm' }] },
        ),
      ).details.pointer,
    ).toBe('/aggregates/0/op');
    const e = await failure(
      steps.group_aggregate(
        { table: 't' },
        { groupby: ['nope'], aggregates: [{ op: 'count', as: 'n' }] },
      ),
      { t: aq.table({ x: [1] }) },
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.configPointer).toBe('/groupby/0');
    const f = await failure(
      steps.group_aggregate({ table: 't' }, { aggregates: [{ op: 'sum', column: 's', as: 'n' }] }),
      { t: aq.table({ s: ['a'] }) },
    );
    expect(f.code).toBe('INPUT_CONTRACT');
  });
});

describe('join', () => {
  const left = aq.table({ id: [1, 2, 3], v: ['a', 'b', 'c'] });
  const right = aq.table({ key: [2, 3, 4], v: [20, 30, 40] });
  const joined = async (how: 'inner' | 'left' | 'right' | 'full') =>
    (
      await output<ColumnTable>(
        steps.join({ left: 'l', right: 'r' }, { on: ['id'], rightOn: ['key'], how }),
        {
          l: left,
          r: right,
        },
      )
    ).objects() as Record<string, unknown>[];

  test('inner, left, right and full joins with suffixes', async () => {
    expect(await joined('inner')).toEqual([
      { id: 2, v_1: 'b', key: 2, v_2: 20 },
      { id: 3, v_1: 'c', key: 3, v_2: 30 },
    ]);
    expect((await joined('left')).map((r) => [r.id, r.v_2 ?? null])).toEqual([
      [2, 20],
      [3, 30],
      [1, null],
    ]);
    expect((await joined('right')).map((r) => [r.key, r.v_1 ?? null])).toEqual([
      [2, 'b'],
      [3, 'c'],
      [4, null],
    ]);
    expect((await joined('full')).length).toBe(4);
  });

  test('same-name keys come out once', async () => {
    const out = await output<ColumnTable>(steps.join({ left: 'l', right: 'r' }, { on: ['k'] }), {
      l: aq.table({ k: ['x', 'y'], a: [1, 2] }),
      r: aq.table({ k: ['y', 'x'], b: [true, false] }),
    });
    expect(out.columnNames()).toEqual(['k', 'a', 'b']);
    expect(out.objects()).toEqual([
      { k: 'x', a: 1, b: false },
      { k: 'y', a: 2, b: true },
    ]);
  });

  test('config and contract errors name the side', async () => {
    expect(
      thrown(() => steps.join({ left: 'l', right: 'r' }, { on: ['a'], rightOn: ['b', 'c'] }))
        .details.pointer,
    ).toBe('/rightOn');
    expect(
      thrown(() => steps.join({ left: 'l', right: 'r' }, { on: ['a'], how: 'outer' as never }))
        .details.pointer,
    ).toBe('/how');
    expect(thrown(() => steps.join({ left: 'l' } as never, { on: ['a'] })).code).toBe(
      'MISSING_ARGUMENT',
    );
    const e = await failure(steps.join({ left: 'l', right: 'r' }, { on: ['id'] }), {
      l: left,
      r: right,
    });
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.argument).toBe('right');
    const f = await failure(steps.join({ left: 'l', right: 'r' }, { on: ['id'] }), {
      l: left,
      r: [1],
    });
    expect(f.code).toBe('INPUT_CONTRACT');
    expect(f.details.argument).toBe('right');
  });
});

describe('describe', () => {
  test('one row per column with statistics of numeric columns', async () => {
    const t = aq.table({ x: [4, 1, 3, 2, null], s: ['a', 'b', 'a', null, null] });
    const d = await output<ColumnTable>(steps.describe({ table: 't' }, {}), { t });
    const [x, s] = d.objects() as Record<string, unknown>[];
    expect(x).toMatchObject({
      column: 'x',
      count: 4,
      nulls: 1,
      distinct: 4,
      min: 1,
      max: 4,
      median: 2.5,
      p25: 1.75,
    });
    expect(x!.mean).toBe(2.5);
    expect(x!.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s).toMatchObject({
      column: 's',
      type: 'utf8',
      count: 3,
      nulls: 2,
      distinct: 2,
      mean: null,
      max: null,
    });
  });

  test('cars.json: counts of nulls per column match', async () => {
    const d = await output<ColumnTable>(
      steps.describe({ table: 'cars' }, { columns: ['Horsepower', 'Miles_per_Gallon'] }),
      { cars: aq.from(cars) },
    );
    expect(d.array('nulls')).toEqual([
      cars.filter((c) => c.Horsepower === null).length,
      cars.filter((c) => c.Miles_per_Gallon === null).length,
    ]);
    expect(
      (
        await failure(steps.describe({ table: 'cars' }, { columns: ['Price'] }), {
          cars: aq.from(cars),
        })
      ).code,
    ).toBe('INPUT_CONTRACT');
  });
});

describe('chart', () => {
  test('a Vega-Lite v5 spec with inferred types and inlined, limited data', async () => {
    const t = aq.table({
      when: [new Date('2020-01-01'), new Date('2020-01-02'), new Date('2020-01-03')],
      value: [1, NaN, 3],
      group: ['a', 'b', 'a'],
      unused: [0, 0, 0],
    });
    const spec = await output<VegaLiteSpec>(
      steps.chart(
        { table: 't' },
        {
          mark: 'line',
          x: { field: 'when' },
          y: { field: 'value', aggregate: 'mean', title: 'Mean value' },
          color: { field: 'group' },
          title: 'Values',
          maxRows: 2,
        },
      ),
      { t },
    );
    expect(spec.$schema).toBe(VEGA_LITE_V5_SCHEMA);
    expect(spec.mark).toEqual({ type: 'line', tooltip: true });
    expect(spec.encoding).toEqual({
      x: { field: 'when', type: 'temporal' },
      y: { field: 'value', type: 'quantitative', aggregate: 'mean', title: 'Mean value' },
      color: { field: 'group', type: 'nominal' },
    });
    expect(spec.data.values).toEqual([
      { when: '2020-01-01T00:00:00.000Z', value: 1, group: 'a' },
      { when: '2020-01-02T00:00:00.000Z', value: null, group: 'b' },
    ]);
    expect(spec.usermeta).toEqual({ fancyflow: { rows: 2, totalRows: 3, truncated: true } });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  test('count needs no field; other channels do', async () => {
    const spec = await output<VegaLiteSpec>(
      steps.chart({ table: 't' }, { mark: 'bar', x: { field: 'g' }, y: { aggregate: 'count' } }),
      { t: aq.table({ g: ['a', 'b'] }) },
    );
    expect(spec.encoding.y).toEqual({ type: 'quantitative', aggregate: 'count' });
    expect(thrown(() => steps.chart({ table: 't' }, { x: {} })).details.pointer).toBe('/x/field');
    expect(
      thrown(() => steps.chart({ table: 't' }, { mark: 'pie' as never, x: { field: 'a' } })).details
        .pointer,
    ).toBe('/mark');
    expect(
      thrown(() => steps.chart({ table: 't' }, { x: { field: 'a' }, maxRows: 0 })).details.pointer,
    ).toBe('/maxRows');
    const e = await failure(
      steps.chart({ table: 't' }, { x: { field: 'g' }, color: { field: 'h' } }),
      {
        t: aq.table({ g: [1] }),
      },
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.configPointer).toBe('/color/field');
  });
});
