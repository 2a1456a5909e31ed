import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { table } from './contracts';
import { FancyflowError, isFancyflowError } from './errors';
import { FunctionRegistry, STANDARD_MODULE } from './registry';
import { isValidSlug, step } from './step';
import { isWorkflowStep } from './workflow-step';

function thrown(fn: () => unknown): FancyflowError {
  try {
    fn();
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FancyflowError');
}

describe('step()', () => {
  const registry = new FunctionRegistry();
  const scale = step(
    {
      slug: 'scale',
      title: 'Scale',
      inputs: { x: z.number(), offset: z.number().optional() },
      config: z.object({ factor: z.number().min(0).default(2), label: z.string().default('x') }),
      output: z.number(),
    },
    ({ x, offset }, { factor }) => x * factor + (offset ?? 0),
    { registry },
  );

  it('registers the step and describes its contracts as JSON Schema', () => {
    expect(registry.get('scale')).toBe(scale);
    const d = scale.describe();
    expect(d.title).toBe('Scale');
    expect(d.category).toBe('General');
    expect(d.version).toBe('1.0.0');
    expect(d.inputs.x).toEqual({
      schema: expect.objectContaining({ type: 'number' }),
      optional: false,
    });
    expect(d.inputs.offset!.optional).toBe(true);
    expect(d.config).toMatchObject({
      type: 'object',
      properties: { factor: { type: 'number', default: 2, minimum: 0 } },
    });
    expect(d.traits).toEqual({ execution: 'batch' });
  });

  it('returns a WorkflowStep with wiring and parsed config, never a result', () => {
    const s = scale({ x: 'cell-a' }, { factor: 3 }, { id: 'scaled', name: 'scaled' });
    expect(isWorkflowStep(s)).toBe(true);
    expect(s).toMatchObject({
      id: 'scaled',
      slug: 'scale',
      version: '1.0.0',
      wiring: { x: 'cell-a' },
      config: { factor: 3, label: 'x' },
      name: 'scaled',
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect(JSON.parse(JSON.stringify(s))).toEqual({
      id: 'scaled',
      slug: 'scale',
      version: '1.0.0',
      wiring: { x: 'cell-a' },
      config: { factor: 3, label: 'x' },
      name: 'scaled',
    });
  });

  it('accepts a FancyCell, an earlier WorkflowStep or { cellId } as references', () => {
    const first = scale({ x: 'a' }, {}, { id: 'first' });
    const fromStep = scale({ x: first, offset: { cellId: 'o' } });
    expect(fromStep.wiring).toEqual({ x: 'first', offset: 'o' });
    const cell = {
      id: 'c1',
      uri: 'memory://c1',
      kind: 'json' as const,
      summary: { type: 'number' },
      createdAt: '',
      fingerprint: '',
    };
    expect(scale({ x: cell }).wiring).toEqual({ x: 'c1' });
    expect(fromStep.id).not.toBe(scale({ x: 'a' }).id);
  });

  it('refuses a missing or unknown argument, naming it', () => {
    const missing = thrown(() => scale({} as never));
    expect(missing.code).toBe('MISSING_ARGUMENT');
    expect(missing.details).toMatchObject({ slug: 'scale', argument: 'x' });
    const unknown = thrown(() => scale({ x: 'a', y: 'b' } as never));
    expect(unknown.code).toBe('UNKNOWN_ARGUMENT');
    expect(unknown.message).toContain('"y"');
    expect(thrown(() => scale({ x: 42 } as never)).code).toBe('INVALID_REFERENCE');
  });

  it('refuses a config that fails its schema, with the issue path', () => {
    const e = thrown(() => scale({ x: 'a' }, { factor: -1 }));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.details.pointer).toBe('/factor');
    expect(e.message).toContain('factor');
    const wrongType = thrown(() => scale({ x: 'a' }, { label: 5 } as never));
    expect(wrongType.details.pointer).toBe('/label');
  });

  it('validates slugs', () => {
    expect(isValidSlug('clean_data')).toBe(true);
    expect(isValidSlug('io.read-csv')).toBe(true);
    for (const bad of ['', 'Clean', '1abc', 'a b', 'a__', 'x'.repeat(65)]) {
      expect(isValidSlug(bad)).toBe(false);
    }
    const e = thrown(() =>
      step({ slug: 'Bad Slug', inputs: {}, output: z.number() }, () => 1, { registry }),
    );
    expect(e.code).toBe('INVALID_SLUG');
  });

  it('refuses definitions that cannot work', () => {
    expect(
      thrown(() =>
        step(
          {
            slug: 'bad_config',
            inputs: {},
            config: z.object({ when: z.date() }),
            output: z.number(),
          },
          () => 1,
          { registry },
        ),
      ).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      thrown(() =>
        step(
          {
            slug: 'bad_rows',
            inputs: { a: z.number() },
            output: table(),
            traits: { execution: 'row_wise' },
          },
          (row) => row,
          { registry },
        ),
      ).message,
    ).toContain('exactly one input, a table');
  });

  it('a registry refuses a second step under a taken slug unless it replaces', () => {
    const strict = new FunctionRegistry();
    const def = { slug: 'twice', inputs: {}, output: z.number() };
    step(def, () => 1, { registry: strict });
    expect(thrown(() => step(def, () => 2, { registry: strict })).code).toBe('DUPLICATE_SLUG');
    const lenient = new FunctionRegistry({ onDuplicate: 'replace' });
    const changes: string[] = [];
    lenient.subscribe((c) => changes.push(`${c.type}:${c.slug}`));
    step(def, () => 1, { registry: lenient });
    const second = step(def, () => 2, { registry: lenient });
    expect(lenient.get('twice')).toBe(second);
    expect(changes).toEqual(['registered:twice', 'replaced:twice']);
    const unknown = thrown(() => lenient.require('twic'));
    expect(unknown.code).toBe('UNKNOWN_STEP');
    expect(unknown.message).toContain('did you mean "twice"');
    expect(thrown(() => lenient.require('tiwce')).message).toContain('did you mean "twice"');
    expect(thrown(() => lenient.require('unrelated')).message).not.toContain('did you mean');
    // A slug of 16 MB (a hostile document): a coded error of bounded size, no suggestion search.
    const huge = thrown(() => lenient.require('y'.repeat(16 * 1024 * 1024)));
    expect(huge.code).toBe('UNKNOWN_STEP');
    expect(JSON.stringify(huge.toJSON()).length).toBeLessThan(64 * 1024);
  });

  it("a standard step loaded later never takes a slug the user's own step holds", () => {
    const lenient = new FunctionRegistry({ onDuplicate: 'replace' });
    const def = { slug: 'read_csv', inputs: {}, output: z.number() };
    const mine = step(def, () => 1, { registry: lenient });
    const standard = step({ ...def, module: STANDARD_MODULE }, () => 2, { registry: lenient });
    expect(lenient.get('read_csv')).toBe(mine);
    expect(standard.slug).toBe('read_csv');
    // registered directly too (registerStandardSteps does so), and where duplicates are errors
    lenient.register(standard);
    expect(lenient.get('read_csv')).toBe(mine);
    const strict = new FunctionRegistry();
    strict.register(mine);
    strict.register(standard);
    expect(strict.get('read_csv')).toBe(mine);
    // the standard step does replace an earlier standard step (a library loaded again)
    const other = new FunctionRegistry({ onDuplicate: 'replace' });
    step({ ...def, module: STANDARD_MODULE }, () => 1, { registry: other });
    const again = step({ ...def, module: STANDARD_MODULE }, () => 2, { registry: other });
    expect(other.get('read_csv')).toBe(again);
    // and a user's step replaces a standard one, as before
    const user = step(def, () => 3, { registry: other });
    expect(other.get('read_csv')).toBe(user);
  });
});
