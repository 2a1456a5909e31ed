import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { describe, expect, test } from 'vitest';
import { steps } from '.';
import { failure, output, run, thrown } from './test-harness';

const people = aq.table({
  name: ['ann', 'bob', 'cy', 'dee', 'eve'],
  age: [31, null, 25, 40, NaN],
  city: ['Oslo', 'Rome', 'Oslo', null, 'Lima'],
  born: [
    new Date('1993-05-01'),
    new Date('1990-01-01'),
    new Date('1999-12-31'),
    null,
    new Date('2001-07-04'),
  ],
});
const inputs = { people };

describe('select', () => {
  test('keeps columns in order and renames, sharing the data', async () => {
    const t = await output<ColumnTable>(
      steps.select({ table: 'people' }, { columns: ['city', 'name'], rename: { city: 'town' } }),
      inputs,
    );
    expect(t.columnNames()).toEqual(['town', 'name']);
    expect(t.column('name')).toBe(people.column('name'));
  });

  test('config errors name the path; unknown columns break the input contract', async () => {
    expect(thrown(() => steps.select({ table: 'p' }, { columns: [] })).details.pointer).toBe(
      '/columns',
    );
    expect(
      thrown(() => steps.select({ table: 'p' }, { columns: ['a', 'a'] })).details.pointer,
    ).toBe('/columns/1');
    expect(
      thrown(() => steps.select({ table: 'p' }, { columns: ['a'], rename: { b: 'c' } })).details
        .pointer,
    ).toBe('/rename/b');
    const e = await failure(
      steps.select({ table: 'people' }, { columns: ['name', 'salary'] }),
      inputs,
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details).toMatchObject({
      argument: 'table',
      column: 'salary',
      configPointer: '/columns/1',
    });
  });
});

describe('filter', () => {
  const names = async (config: Parameters<typeof steps.filter>[1]) =>
    (await output<ColumnTable>(steps.filter({ table: 'people' }, config), inputs)).array('name');

  test('comparisons, with missing values failing every test but is_null', async () => {
    expect(await names({ where: [{ column: 'age', op: 'gt', value: 30 }] })).toEqual([
      'ann',
      'dee',
    ]);
    expect(await names({ where: [{ column: 'age', op: 'ne', value: 31 }] })).toEqual(['cy', 'dee']);
    expect(await names({ where: [{ column: 'age', op: 'is_null' }] })).toEqual(['bob', 'eve']);
    expect(await names({ where: [{ column: 'city', op: 'not_null' }] })).toEqual([
      'ann',
      'bob',
      'cy',
      'eve',
    ]);
    expect(await names({ where: [{ column: 'age', op: 'le', value: '31' }] })).toEqual([
      'ann',
      'cy',
    ]);
  });

  test('in, text tests, dates and combine', async () => {
    expect(await names({ where: [{ column: 'city', op: 'in', value: ['Oslo', 'Lima'] }] })).toEqual(
      ['ann', 'cy', 'eve'],
    );
    expect(await names({ where: [{ column: 'city', op: 'not_in', value: ['Oslo'] }] })).toEqual([
      'bob',
      'eve',
    ]);
    expect(await names({ where: [{ column: 'name', op: 'contains', value: 'e' }] })).toEqual([
      'dee',
      'eve',
    ]);
    expect(await names({ where: [{ column: 'name', op: 'starts_with', value: 'b' }] })).toEqual([
      'bob',
    ]);
    expect(await names({ where: [{ column: 'born', op: 'ge', value: '1995-01-01' }] })).toEqual([
      'cy',
      'eve',
    ]);
    expect(
      await names({
        where: [
          { column: 'city', op: 'eq', value: 'Rome' },
          { column: 'age', op: 'lt', value: 30 },
        ],
        combine: 'or',
      }),
    ).toEqual(['bob', 'cy']);
    expect(
      await names({
        where: [
          { column: 'city', op: 'eq', value: 'Oslo' },
          { column: 'age', op: 'lt', value: 30 },
        ],
      }),
    ).toEqual(['cy']);
  });

  test('works on a filtered, ordered arquero table', async () => {
    const view = people.filter((d: { age: number }) => d.age > 0).orderby('age');
    const t = await output<ColumnTable>(
      steps.filter({ table: 'v' }, { where: [{ column: 'age', op: 'lt', value: 35 }] }),
      { v: view },
    );
    expect(t.array('name')).toEqual(['cy', 'ann']);
  });

  test('bad predicates are INVALID_CONFIG naming the path', () => {
    const cases: [unknown, string][] = [
      [{ where: [] }, '/where'],
      [{ where: [{ column: 'a', op: 'like', value: 1 }] }, '/where/0/op'],
      [{ where: [{ column: 'a', op: 'in', value: 1 }] }, '/where/0/value'],
      [{ where: [{ column: 'a', op: 'eq' }] }, '/where/0/value'],
      [{ where: [{ column: 'a', op: 'is_null', value: 1 }] }, '/where/0/value'],
      [
        {
          where: [
            { column: 'a', op: 'gt', value: 1 },
            { column: 'b', op: 'contains', value: 2 },
          ],
        },
        '/where/1/value',
      ],
      [{ where: [{ column: 'a', op: 'eq', value: 1 }], combine: 'xor' }, '/combine'],
    ];
    for (const [config, pointer] of cases) {
      const e = thrown(() => steps.filter({ table: 'p' }, config as never));
      expect(e.code).toBe('INVALID_CONFIG');
      expect(e.details.pointer).toBe(pointer);
    }
  });

  test('an unknown column and a non-table input break the input contract', async () => {
    const e = await failure(
      steps.filter({ table: 'people' }, { where: [{ column: 'zip', op: 'is_null' }] }),
      inputs,
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.configPointer).toBe('/where/0/column');
    const e2 = await failure(
      steps.filter({ table: 'x' }, { where: [{ column: 'a', op: 'is_null' }] }),
      {
        x: { a: [1] },
      },
    );
    expect(e2.code).toBe('INPUT_CONTRACT');
  });
});

describe('derive', () => {
  test('arithmetic, rounding, strings, dates, chained columns', async () => {
    const t = await output<ColumnTable>(
      steps.derive(
        { table: 'people' },
        {
          columns: [
            { as: 'age2', op: 'mul', args: [{ column: 'age' }, { value: 2 }] },
            { as: 'age2p1', op: 'add', args: [{ column: 'age2' }, { value: 1 }] },
            { as: 'ratio', op: 'round', args: [{ column: 'age' }, { value: 3 }] },
            { as: 'third', op: 'div', args: [{ value: 1 }, { value: 3 }] },
            {
              as: 'label',
              op: 'concat',
              args: [{ column: 'name' }, { value: '@' }, { column: 'city' }],
            },
            { as: 'up', op: 'upper', args: [{ column: 'name' }] },
            { as: 'year', op: 'year', args: [{ column: 'born' }] },
            { as: 'city2', op: 'coalesce', args: [{ column: 'city' }, { value: 'unknown' }] },
            { as: 'zero', op: 'div', args: [{ column: 'age' }, { value: 0 }] },
            { as: 'lg', op: 'log10', args: [{ value: 1000 }] },
          ],
        },
      ),
      inputs,
    );
    expect(t.array('age2')).toEqual([62, null, 50, 80, null]);
    expect(t.array('age2p1')).toEqual([63, null, 51, 81, null]);
    expect(t.get('third', 0)).toBeCloseTo(1 / 3);
    expect(t.array('label')).toEqual(['ann@Oslo', 'bob@Rome', 'cy@Oslo', null, 'eve@Lima']);
    expect(t.array('up')).toEqual(['ANN', 'BOB', 'CY', 'DEE', 'EVE']);
    expect(t.array('year')).toEqual([1993, 1990, 1999, null, 2001]);
    expect(t.array('city2')).toEqual(['Oslo', 'Rome', 'Oslo', 'unknown', 'Lima']);
    expect(t.array('zero')).toEqual([null, null, null, null, null]);
    expect(t.get('lg', 0)).toBe(3);
    expect(t.columnNames().slice(0, 4)).toEqual(['name', 'age', 'city', 'born']);
  });

  test('arity and literal checks are INVALID_CONFIG naming the path', () => {
    const e = thrown(() =>
      steps.derive({ table: 'p' }, { columns: [{ as: 'x', op: 'sub', args: [{ value: 1 }] }] }),
    );
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.details.pointer).toBe('/columns/0/args');
    expect(
      thrown(() =>
        steps.derive(
          { table: 'p' },
          { columns: [{ as: 'x', op: 'round', args: [{ value: 1 }, { column: 'd' }] }] },
        ),
      ).details.pointer,
    ).toBe('/columns/0/args/1');
    expect(
      thrown(() =>
        steps.derive(
          { table: 'p' },
          { columns: [{ as: 'x', op: 'eval' as never, args: [{ value: 1 }] }] },
        ),
      ).details.pointer,
    ).toBe('/columns/0/op');
    expect(
      thrown(() =>
        steps.derive(
          { table: 'p' },
          { columns: [{ as: 'x', op: 'abs', args: [{ code: 'd.a' } as never] }] },
        ),
      ).code,
    ).toBe('INVALID_CONFIG');
  });

  test('an unknown column breaks the input contract', async () => {
    const e = await failure(
      steps.derive(
        { table: 'people' },
        { columns: [{ as: 'x', op: 'abs', args: [{ column: 'height' }] }] },
      ),
      inputs,
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.configPointer).toBe('/columns/0/args/0/column');
  });
});

describe('sort', () => {
  test('multi-key, stable, nulls last or first', async () => {
    const t = await output<ColumnTable>(
      steps.sort(
        { table: 'people' },
        { by: [{ column: 'city' }, { column: 'age', order: 'desc' }] },
      ),
      inputs,
    );
    expect(t.array('name')).toEqual(['eve', 'ann', 'cy', 'bob', 'dee']);
    const first = await output<ColumnTable>(
      steps.sort({ table: 'people' }, { by: [{ column: 'age', order: 'desc' }], nulls: 'first' }),
      inputs,
    );
    expect(first.array('name')).toEqual(['bob', 'eve', 'dee', 'ann', 'cy']);
    const dates = await output<ColumnTable>(
      steps.sort({ table: 'people' }, { by: [{ column: 'born' }] }),
      inputs,
    );
    expect(dates.array('name')).toEqual(['bob', 'ann', 'cy', 'eve', 'dee']);
  });

  test('bad order is INVALID_CONFIG; an unknown column INPUT_CONTRACT', async () => {
    expect(
      thrown(() => steps.sort({ table: 'p' }, { by: [{ column: 'a', order: 'up' as never }] }))
        .details.pointer,
    ).toBe('/by/0/order');
    expect(
      (await failure(steps.sort({ table: 'people' }, { by: [{ column: 'q' }] }), inputs)).code,
    ).toBe('INPUT_CONTRACT');
  });
});

describe('limit and sample', () => {
  const numbers = aq.table({ i: Array.from({ length: 1000 }, (_, i) => i) });

  test('limit keeps n rows after offset', async () => {
    const t = await output<ColumnTable>(steps.limit({ table: 'n' }, { n: 3, offset: 10 }), {
      n: numbers,
    });
    expect(t.array('i')).toEqual([10, 11, 12]);
    const short = await output<ColumnTable>(steps.limit({ table: 'n' }, { n: 5, offset: 998 }), {
      n: numbers,
    });
    expect(short.array('i')).toEqual([998, 999]);
    expect(thrown(() => steps.limit({ table: 'n' }, { n: -1 })).details.pointer).toBe('/n');
  });

  test('sample is deterministic per seed, without repeats, in table order', async () => {
    const draw = async (config: Parameters<typeof steps.sample>[1]) =>
      (await output<ColumnTable>(steps.sample({ table: 'n' }, config), { n: numbers })).array(
        'i',
      ) as number[];
    const a = await draw({ n: 50, seed: 7 });
    expect(await draw({ n: 50, seed: 7 })).toEqual(a);
    expect(await draw({ n: 50, seed: 8 })).not.toEqual(a);
    expect(new Set(a).size).toBe(50);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect((await draw({ fraction: 0.1 })).length).toBe(100);
    expect((await draw({ n: 5000 })).length).toBe(1000);
    const replaced = await draw({ n: 2000, replace: true, seed: 1 });
    expect(replaced.length).toBe(2000);
    expect(new Set(replaced).size).toBeLessThan(1000);
    // roughly uniform: the mean of a 50% sample is near the middle
    const half = await draw({ fraction: 0.5, seed: 3 });
    const mean = half.reduce((s, x) => s + x, 0) / half.length;
    expect(Math.abs(mean - 499.5)).toBeLessThan(40);
  });

  test('sample needs exactly one of n and fraction', () => {
    expect(thrown(() => steps.sample({ table: 'n' }, {})).details.pointer).toBe('/n');
    expect(thrown(() => steps.sample({ table: 'n' }, { n: 1, fraction: 0.5 })).code).toBe(
      'INVALID_CONFIG',
    );
    expect(thrown(() => steps.sample({ table: 'n' }, { fraction: 2 })).details.pointer).toBe(
      '/fraction',
    );
  });
});

describe('convert_units (row_wise)', () => {
  test('converts through the Orchestrator row by row', async () => {
    const t = aq.table({ mpg: [30, null, 15], f: [212, 32, -40], lb: [1, 2, 3] });
    const r = await run(
      [
        steps.convert_units(
          { table: 't' },
          { column: 'mpg', from: 'mpg', to: 'l_100km', as: 'l100', digits: 2 },
          { id: 'a' },
        ),
        steps.convert_units({ table: 'a' }, { column: 'f', from: 'f', to: 'c' }, { id: 'b' }),
        steps.convert_units(
          { table: 'b' },
          { column: 'lb', from: 'lb', to: 'kg', digits: 3 },
          { id: 'c' },
        ),
      ],
      { t },
    );
    const out = r.output<ColumnTable>('c');
    expect(out.array('l100')).toEqual([7.84, null, 15.68]);
    expect((out.array('f') as number[]).map((v) => Math.round(v))).toEqual([100, 0, -40]);
    expect(out.array('lb')).toEqual([0.454, 0.907, 1.361]);
    expect(out.array('mpg')).toEqual([30, null, 15]);
  });

  test('mismatched dimensions are INVALID_CONFIG; a missing column INPUT_CONTRACT', async () => {
    const e = thrown(() =>
      steps.convert_units({ table: 't' }, { column: 'x', from: 'kg', to: 'km' }),
    );
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.details.pointer).toBe('/to');
    const f = await failure(
      steps.convert_units({ table: 't' }, { column: 'x', from: 'kg', to: 'lb' }),
      {
        t: aq.table({ y: [1] }),
      },
    );
    expect(f.code).toBe('INPUT_CONTRACT');
  });
});

describe('strict configs', () => {
  test('a misspelt config key is INVALID_CONFIG naming it, not silently ignored', () => {
    const e = thrown(() => steps.drop_nulls({ table: 't' }, { treshold: 0.2 } as never));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('treshold');
    const f = thrown(() =>
      steps.filter({ table: 't' }, { where: [{ colum: 'a', op: 'is_null' }] } as never),
    );
    expect(f.code).toBe('INVALID_CONFIG');
    expect(f.details.pointer).toMatch(/^\/where\/0/);
  });
});
