import type { ColumnTable } from 'arquero';
import { expectTypeOf, test } from 'vitest';
import type { FancyFunction, InputValues } from '../core';
import { steps } from '.';

test('configs are typed from their schemas', () => {
  steps.filter({ table: 'x' }, { where: [{ column: 'a', op: 'gt', value: 1 }], combine: 'or' });
  // @ts-expect-error an operator the filter does not have
  steps.filter({ table: 'x' }, { where: [{ column: 'a', op: 'like', value: 1 }] });
  // @ts-expect-error threshold is a number
  steps.drop_nulls({ table: 'x' }, { threshold: 'half' });
  // @ts-expect-error derive arguments are { column } or { value }, never code
  steps.derive({ table: 'x' }, { columns: [{ as: 'y', op: 'abs', args: [{ code: 'd.a' }] }] });
  steps.group_aggregate({ table: 'x' }, { aggregates: [{ op: 'count', as: 'n' }] });
});

test('references are typed from the inputs', () => {
  steps.join({ left: 'a', right: 'b' }, { on: ['k'] });
});

test('table inputs are arquero tables', () => {
  type Inputs<F> = F extends FancyFunction<infer I, infer _C, infer _O> ? InputValues<I> : never;
  expectTypeOf<Inputs<typeof steps.sort>>().toEqualTypeOf<{ table: ColumnTable }>();
  expectTypeOf<Inputs<typeof steps.join>>().toEqualTypeOf<{
    left: ColumnTable;
    right: ColumnTable;
  }>();
  expectTypeOf<keyof Inputs<typeof steps.read_csv>>().toEqualTypeOf<never>();
});

test('a step registered at run time type-checks as a general FancyFunction', () => {
  // what a notebook cell writes after another cell defined `power_to_weight` with step()
  expectTypeOf(steps.power_to_weight).toEqualTypeOf<FancyFunction>();
  steps.power_to_weight({ cars: 'cars' }, { factor: 2 }, { name: 'ptw' });
  steps['slug-with-dash']({});
  // the standard steps keep their precise types
  // @ts-expect-error limit's n is a number
  steps.limit({ table: 'x' }, { n: 'ten' });
  // @ts-expect-error limit has no input `rows`
  steps.limit({ rows: 'x' });
});
