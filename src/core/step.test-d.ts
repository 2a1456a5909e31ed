import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { table, type AnyTable } from './contracts';
import { FunctionRegistry } from './registry';
import { step, type CellReference, type StepContext } from './step';
import type { WorkflowStep } from './workflow-step';

const registry = new FunctionRegistry({ onDuplicate: 'replace' });

describe('step() infers types from its schemas', () => {
  it('infers inputs, config and output of a batch step', () => {
    const fn = step(
      {
        slug: 'typed',
        inputs: { n: z.number(), label: z.string().optional() },
        config: z.object({ times: z.number().int().default(1), mode: z.enum(['a', 'b']) }),
        output: z.array(z.string()),
      },
      (inputs, config, context) => {
        expectTypeOf(inputs.n).toEqualTypeOf<number>();
        expectTypeOf(inputs.label).toEqualTypeOf<string | undefined>();
        expectTypeOf(config.times).toEqualTypeOf<number>();
        expectTypeOf(config.mode).toEqualTypeOf<'a' | 'b'>();
        expectTypeOf(context).toEqualTypeOf<StepContext>();
        return [String(inputs.n)];
      },
      { registry },
    );
    expectTypeOf(fn).parameter(0).toEqualTypeOf<{ n: CellReference } & { label?: CellReference }>();
    expectTypeOf(fn).parameter(1).toEqualTypeOf<{ times?: number; mode: 'a' | 'b' } | undefined>();
    expectTypeOf(fn).returns.toEqualTypeOf<WorkflowStep>();
  });

  it('refuses a function whose result does not match the output contract', () => {
    // @ts-expect-error a string is not a number
    step({ slug: 'wrong_output', inputs: {}, output: z.number() }, () => 'nope', { registry });
  });

  it('accepts async functions', () => {
    step(
      { slug: 'async_ok', inputs: { s: z.string() }, output: z.number() },
      async ({ s }) => s.length,
      { registry },
    );
  });

  it('types rows of row_wise steps from the table contract', () => {
    step(
      {
        slug: 'rows_typed',
        inputs: { t: table({ price: 'float64', name: 'string', ok: 'boolean' }) },
        output: table({ total: 'number' }),
        traits: { execution: 'row_wise' },
      },
      (row, _config, context) => {
        expectTypeOf(row.price).toEqualTypeOf<number | null>();
        expectTypeOf(row.name).toEqualTypeOf<string | null>();
        expectTypeOf(row.ok).toEqualTypeOf<boolean | null>();
        expectTypeOf(context.index).toEqualTypeOf<number>();
        return { total: (row.price ?? 0) * 2 };
      },
      { registry },
    );
  });

  it('gives tables the contract type', () => {
    step(
      { slug: 'tables_typed', inputs: { t: table() }, output: table() },
      ({ t }) => {
        expectTypeOf(t).toEqualTypeOf<AnyTable>();
        return t;
      },
      { registry },
    );
  });

  it('requires table inputs', () => {
    const join = step(
      { slug: 'join_typed', inputs: { left: table(), right: table() }, output: table() },
      ({ left }) => left,
      { registry },
    );
    // @ts-expect-error right is required
    join({ left: 'a' });
    join({ left: 'a', right: 'b' });
  });

  it('refuses references to undeclared inputs', () => {
    const fn = step(
      { slug: 'one_input', inputs: { a: z.number() }, output: z.number() },
      ({ a }) => a,
      {
        registry,
      },
    );
    // @ts-expect-error b is not an input
    fn({ a: 'x', b: 'y' });
    // @ts-expect-error a is required
    fn({});
  });
});
