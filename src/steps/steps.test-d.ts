import type { ColumnTable } from 'arquero';
import { expectTypeOf, test } from 'vitest';
import type { InputValues } from '../core';
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
  // @ts-expect-error join needs both sides
  steps.join({ left: 'a' }, { on: ['k'] });
  // @ts-expect-error read steps take no inputs
  steps.read_csv({ table: 'a' }, { path: 'x.csv' });
});

test('table inputs are arquero tables', () => {
  expectTypeOf<InputValues<typeof steps.sort.definition.inputs>>().toEqualTypeOf<Record<string, unknown>>();
  type SortInputs = Parameters<typeof steps.sort>[0];
  expectTypeOf<keyof SortInputs>().toEqualTypeOf<'table'>();
  expectTypeOf<ColumnTable>().toHaveProperty('numRows');
});
