import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { describe, expect, test } from 'vitest';
import { steps } from '.';
import { failure, output, thrown } from './test-harness';

// row nulls: r0 0/4, r1 1/4, r2 2/4, r3 3/4, r4 4/4 (NaN counts as missing)
const sparse = aq.table({
  a: [1, null, null, null, null],
  b: ['x', 'y', null, null, null],
  c: [true, false, true, null, undefined],
  d: [1.5, 2.5, 3.5, 4.5, NaN],
});

describe('drop_nulls (the seed clean_data)', () => {
  const kept = async (config: Parameters<typeof steps.drop_nulls>[1]) =>
    (await output<ColumnTable>(steps.drop_nulls({ table: 's' }, config), { s: sparse })).array('d');

  test('drops rows whose missing fraction is above the threshold', async () => {
    expect(await kept({ threshold: 0 })).toEqual([1.5]);
    expect(await kept({ threshold: 0.25 })).toEqual([1.5, 2.5]);
    expect(await kept({})).toEqual([1.5, 2.5, 3.5]);
    expect(await kept({ threshold: 0.74 })).toEqual([1.5, 2.5, 3.5]);
    expect(await kept({ threshold: 0.75 })).toEqual([1.5, 2.5, 3.5, 4.5]);
    expect((await kept({ threshold: 1 })).length).toBe(5);
    expect(await kept({ threshold: 0, columns: ['c', 'd'] })).toEqual([1.5, 2.5, 3.5]);
  });

  test('threshold outside 0..1 is INVALID_CONFIG naming /threshold', () => {
    for (const threshold of [-0.1, 1.5]) {
      const e = thrown(() => steps.drop_nulls({ table: 's' }, { threshold }));
      expect(e.code).toBe('INVALID_CONFIG');
      expect(e.details.pointer).toBe('/threshold');
    }
    expect(
      thrown(() => steps.drop_nulls({ table: 's' }, { threshold: 'high' as never })).details
        .pointer,
    ).toBe('/threshold');
  });

  test('a non-table input and an unknown column break the input contract', async () => {
    expect((await failure(steps.drop_nulls({ table: 'x' }, {}), { x: 'text' })).code).toBe(
      'INPUT_CONTRACT',
    );
    const e = await failure(steps.drop_nulls({ table: 's' }, { columns: ['a', 'zz'] }), {
      s: sparse,
    });
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.configPointer).toBe('/columns/1');
  });
});

describe('fill_nulls', () => {
  test('constant, mean, median and mode per column', async () => {
    const t = aq.table({ n: [1, null, 3, NaN, 10], s: ['a', null, 'b', 'b', null] });
    const out = await output<ColumnTable>(
      steps.fill_nulls(
        { table: 't' },
        {
          fills: [
            { column: 'n', strategy: 'median' },
            { column: 's', strategy: 'mode' },
          ],
        },
      ),
      { t },
    );
    expect(out.array('n')).toEqual([1, 3, 3, 3, 10]);
    expect(out.array('s')).toEqual(['a', 'b', 'b', 'b', 'b']);
    const mean = await output<ColumnTable>(
      steps.fill_nulls({ table: 't' }, { fills: [{ column: 'n', strategy: 'mean' }] }),
      { t },
    );
    expect(mean.array('n')).toEqual([1, 14 / 3, 3, 14 / 3, 10]);
    const constant = await output<ColumnTable>(
      steps.fill_nulls({ table: 't' }, { fills: [{ column: 's', value: '?' }] }),
      { t },
    );
    expect(constant.array('s')).toEqual(['a', '?', 'b', 'b', '?']);
    expect(constant.array('n')).toEqual(t.array('n'));
  });

  test('config and contract errors', async () => {
    expect(
      thrown(() => steps.fill_nulls({ table: 't' }, { fills: [{ column: 'n' }] })).details.pointer,
    ).toBe('/fills/0/value');
    expect(
      thrown(() =>
        steps.fill_nulls({ table: 't' }, { fills: [{ column: 'n', strategy: 'max' as never }] }),
      ).details.pointer,
    ).toBe('/fills/0/strategy');
    const e = await failure(
      steps.fill_nulls({ table: 't' }, { fills: [{ column: 's', strategy: 'mean' }] }),
      {
        t: aq.table({ s: ['a', null] }),
      },
    );
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.message).toMatch(/not numeric/);
  });
});
