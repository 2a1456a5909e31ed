import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FancyflowError, isFancyflowError } from './errors';
import { FORMAT_VERSION, WorkflowDocumentSchema } from './format';
import { FORBIDDEN_KEYS, MAX_JSON_DEPTH } from './json-limits';
import { FunctionRegistry } from './registry';
import { step } from './step';
import { Workflow } from './workflow';
import { createWorkflowStep } from './workflow-step';

const registry = new FunctionRegistry();
const source = step(
  {
    slug: 'source',
    inputs: {},
    config: z.object({ n: z.number().default(1) }),
    output: z.number(),
  },
  (_inputs, { n }) => n,
  { registry },
);
const add = step(
  { slug: 'add', inputs: { a: z.number(), b: z.number() }, output: z.number() },
  ({ a, b }) => a + b,
  { registry },
);

function thrown(fn: () => unknown): FancyflowError {
  try {
    fn();
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FancyflowError');
}

function doc(steps: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ formatVersion: 1, steps, modules: [], metadata: {}, ...extra });
}

describe('Workflow', () => {
  it('checks wiring as steps are added and replaces a step in place', () => {
    const wf = new Workflow();
    const a = source({}, { n: 1 }, { id: 'a' });
    const b = source({}, { n: 2 }, { id: 'b' });
    wf.add(a)
      .add(b)
      .add(add({ a, b }, {}, { id: 'sum' }));
    expect(wf.steps.map((s) => s.id)).toEqual(['a', 'b', 'sum']);
    wf.add(source({}, { n: 5 }, { id: 'a' }));
    expect(wf.steps.map((s) => s.id)).toEqual(['a', 'b', 'sum']);
    expect(wf.get('a')!.config).toEqual({ n: 5 });

    const missing = thrown(() => wf.add(add({ a: 'nowhere', b }, {}, { id: 'bad' })));
    expect(missing.code).toBe('MISSING_CELL');
    expect(missing.details).toMatchObject({ argument: 'a', cellId: 'nowhere' });
    expect(wf.length).toBe(3);

    const forward = thrown(() => wf.add(add({ a: 'sum', b }, {}, { id: 'b' })));
    expect(forward.code).toBe('FORWARD_REFERENCE');
    const self = thrown(() => wf.add(add({ a: 'me', b }, {}, { id: 'me' })));
    expect(self.code).toBe('FORWARD_REFERENCE');
  });

  it('accepts cells the store knows', () => {
    const wf = new Workflow({ known: (id) => id === 'external' });
    wf.add(add({ a: 'external', b: 'external' }, {}, { id: 's' }));
    expect(wf.length).toBe(1);
  });

  it('serialises to a versioned document and parses it back', () => {
    const wf = new Workflow({ modules: ['fancyflow'], metadata: { title: 'demo' } });
    const a = source({}, {}, { id: 'a', name: 'first' });
    wf.add(a).add(add({ a, b: a }, {}, { id: 'sum', title: 'Sum' }));
    const text = JSON.stringify(wf);
    const back = Workflow.parse(text, { registry });
    expect(back.toJSON()).toEqual(JSON.parse(text));
    expect(back.toJSON().formatVersion).toBe(FORMAT_VERSION);
  });

  it('reads format version 1 documents as version 2 (no step definitions)', () => {
    const v1 = { formatVersion: 1, steps: [], modules: ['fancyflow'], metadata: { name: 'old' } };
    const wf = Workflow.parse(v1);
    expect(wf.toJSON()).toEqual({
      formatVersion: 2,
      steps: [],
      modules: ['fancyflow'],
      definitions: {},
      metadata: { name: 'old' },
    });
    const v2 = Workflow.parse({ ...wf.toJSON(), definitions: { power: 'cell-3' } });
    expect(v2.definitions).toEqual({ power: 'cell-3' });
  });

  it('reads the workflow from a notebook, with pointers into its metadata', () => {
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      cells: [],
      metadata: {
        fancyflow: JSON.parse(
          doc([{ id: 'a', slug: 'source', version: '1.0.0', wiring: {}, config: {} }]),
        ),
      },
    };
    expect(Workflow.parse(notebook).steps[0]!.id).toBe('a');
    const bad = {
      ...notebook,
      metadata: { fancyflow: { formatVersion: 1, steps: [{ id: 'a' }] } },
    };
    expect(thrown(() => Workflow.parse(bad)).details.pointer).toBe(
      '/metadata/fancyflow/steps/0/slug',
    );
    const none = thrown(() => Workflow.parse({ ...notebook, metadata: {} }));
    expect(none.code).toBe('INVALID_DOCUMENT');
    expect(none.details.pointer).toBe('/metadata/fancyflow');
  });

  describe('bad documents get coded errors with a JSON pointer', () => {
    const ok = { id: 'a', slug: 'source', version: '1.0.0', wiring: {}, config: {} };
    const cases: [string, string, string, string][] = [
      ['invalid JSON', '{"formatVersion": 1,\n "steps": [}', 'INVALID_JSON', ''],
      ['no formatVersion', JSON.stringify({ steps: [] }), 'INVALID_DOCUMENT', '/formatVersion'],
      [
        'a future version',
        doc([], { formatVersion: 3 }),
        'UNSUPPORTED_FORMAT_VERSION',
        '/formatVersion',
      ],
      ['not an object', '[1, 2]', 'INVALID_DOCUMENT', ''],
      [
        'a step without slug',
        doc([{ ...ok, slug: undefined }]),
        'INVALID_DOCUMENT',
        '/steps/0/slug',
      ],
      [
        'wiring to a number',
        doc([{ ...ok, wiring: { a: 3 } }]),
        'INVALID_DOCUMENT',
        '/steps/0/wiring/a',
      ],
      ['an unknown field', doc([{ ...ok, extra: 1 }]), 'INVALID_DOCUMENT', '/steps/0'],
      ['duplicate step ids', doc([ok, ok]), 'DUPLICATE_STEP_ID', '/steps/1/id'],
      [
        'wiring to a missing cell',
        doc([
          ok,
          { id: 'b', slug: 'add', version: '1.0.0', wiring: { a: 'a', b: 'zz' }, config: {} },
        ]),
        'MISSING_CELL',
        '/steps/1/wiring/b',
      ],
      [
        'wiring to a later cell',
        doc([
          { id: 'b', slug: 'add', version: '1.0.0', wiring: { a: 'a', b: 'a' }, config: {} },
          ok,
        ]),
        'FORWARD_REFERENCE',
        '/steps/0/wiring/a',
      ],
      ['an unknown slug', doc([{ ...ok, slug: 'sourse' }]), 'UNKNOWN_STEP', '/steps/0/slug'],
      [
        'config failing its schema',
        doc([{ ...ok, config: { n: 'three' } }]),
        'INVALID_CONFIG',
        '/steps/0/config/n',
      ],
      [
        'a missing argument',
        doc([ok, { id: 'b', slug: 'add', version: '1.0.0', wiring: { a: 'a' }, config: {} }]),
        'MISSING_ARGUMENT',
        '/steps/1/wiring',
      ],
      [
        'an unknown argument',
        doc([
          ok,
          {
            id: 'b',
            slug: 'add',
            version: '1.0.0',
            wiring: { a: 'a', b: 'a', c: 'a' },
            config: {},
          },
        ]),
        'UNKNOWN_ARGUMENT',
        '/steps/1/wiring/c',
      ],
    ];
    for (const [name, text, code, pointer] of cases) {
      it(name, () => {
        const result = Workflow.safeParse(text, { registry });
        expect(result.success).toBe(false);
        if (result.success) return;
        expect(result.error.code).toBe(code);
        expect(result.error.details.pointer).toBe(pointer);
        expect(result.error.message.length).toBeGreaterThan(10);
      });
    }
    it('says where invalid JSON breaks', () => {
      const e = thrown(() => Workflow.parse('{"formatVersion": 1,\n "steps": [}'));
      expect(e.details).toMatchObject({ line: 2, column: 12 });
      expect(e.message).toContain('line 2');
    });
  });

  describe('refuses prototype keys and deep nesting, with the pointer of the key', () => {
    const ok = { id: 'a', slug: 'source', version: '1.0.0', wiring: {}, config: {} };
    const withKey = (key: string, where: 'wiring' | 'config' | 'nested' | 'metadata') => {
      const member = `"${key}": ${where === 'wiring' ? '"a"' : '1'}`;
      const step = (extra: string) =>
        `{"id": "b", "slug": "add", "version": "1.0.0", "wiring": {"a": "a", "b": "a"${where === 'wiring' ? `, ${extra}` : ''}}, "config": {${where === 'config' ? extra : where === 'nested' ? `"deep": [{"x": {${extra}}}]` : ''}}}`;
      // Written as text: an object literal would set the prototype instead of adding the key.
      return `{"formatVersion": 1, "steps": [${JSON.stringify(ok)}, ${step(member)}], "modules": [], "metadata": {${where === 'metadata' ? `"a": {${member}}` : ''}}}`;
    };
    const pointers = {
      wiring: (key: string) => `/steps/1/wiring/${key}`,
      config: (key: string) => `/steps/1/config/${key}`,
      nested: (key: string) => `/steps/1/config/deep/0/x/${key}`,
      metadata: (key: string) => `/metadata/a/${key}`,
    };
    for (const key of FORBIDDEN_KEYS) {
      for (const where of ['wiring', 'config', 'nested', 'metadata'] as const) {
        it(`"${key}" in ${where}`, () => {
          const text = withKey(key, where);
          for (const input of [text, JSON.parse(text) as unknown]) {
            const result = Workflow.safeParse(input, { registry });
            expect(result.success).toBe(false);
            if (result.success) return;
            expect(result.error.code).toBe('INVALID_DOCUMENT');
            expect(result.error.details).toMatchObject({
              pointer: pointers[where](key),
              reason: 'forbidden-key',
              key,
            });
          }
        });
      }
    }

    it('in a notebook, with the pointer into its metadata', () => {
      const notebook = `{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"fancyflow": ${withKey('__proto__', 'config')}}}`;
      const e = thrown(() => Workflow.parse(notebook, { registry }));
      expect(e.code).toBe('INVALID_DOCUMENT');
      expect(e.details.pointer).toBe('/metadata/fancyflow/steps/1/config/__proto__');
    });

    it('other keys that objects inherit are unknown arguments, not inputs', () => {
      const doc = withKey('toString', 'wiring');
      const e = thrown(() => Workflow.parse(doc, { registry }));
      expect(e.code).toBe('UNKNOWN_ARGUMENT');
      expect(e.details.pointer).toBe('/steps/1/wiring/toString');
    });

    it(`nesting past ${MAX_JSON_DEPTH} levels, 100,000 deep included`, () => {
      const nested = (depth: number) =>
        doc([{ ...ok, config: { deep: '@' } }]).replace(
          '"@"',
          '['.repeat(depth) + ']'.repeat(depth),
        );
      // The document, steps, the step and config are 4 levels: `deep` may hold 252 more.
      expect(Workflow.safeParse(nested(MAX_JSON_DEPTH - 4), { registry }).success).toBe(true);
      for (const depth of [MAX_JSON_DEPTH - 3, 100_000]) {
        const e = thrown(() => Workflow.parse(nested(depth)));
        expect(e.code).toBe('INVALID_DOCUMENT');
        expect(e.details).toMatchObject({ reason: 'too-deep', maxDepth: MAX_JSON_DEPTH });
        // The pointer of the first array past the limit: /steps/0/config/deep then 252 × /0.
        expect(e.details.pointer).toBe('/steps/0/config/deep' + '/0'.repeat(MAX_JSON_DEPTH - 4));
      }
    });

    it('says where invalid JSON breaks in a text nested 100,000 deep', () => {
      const text = '{"formatVersion": 1, "steps": ' + '['.repeat(100_000) + '}';
      const e = thrown(() => Workflow.parse(text));
      expect(e.code).toBe('INVALID_JSON');
      expect(e.details).toMatchObject({ line: 1, column: 30 + 100_000 + 1 });
    });
  });

  it('round-trips any valid document (property)', () => {
    const id = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    // Valid documents only: fast-check likes `__proto__` and `constructor` as keys (refused below).
    const key = fc.string({ maxLength: 6 }).filter((k) => !FORBIDDEN_KEYS.has(k));
    const { json } = fc.letrec<{ json: unknown }>((tie) => ({
      json: fc.oneof(
        { depthSize: 'small', maxDepth: 4 },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ maxLength: 8 }),
        fc.array(tie('json'), { maxLength: 3 }),
        fc.dictionary(key, tie('json'), { maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    const jsonValue = json.map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const stepArb = fc.record({
      slug: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
      version: fc.constantFrom('1.0.0', '2.1.0'),
      config: fc.dictionary(key, jsonValue, { maxKeys: 3, noNullPrototype: true }),
      title: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      name: fc.option(id, { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 0, maxLength: 8 }),
        fc.array(stepArb, { minLength: 8, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        fc.dictionary(key, jsonValue, { maxKeys: 3, noNullPrototype: true }),
        (ids, specs, picks, metadata) => {
          const wf = new Workflow({
            modules: ['fancyflow', './steps.js'],
            metadata: metadata as never,
          });
          ids.forEach((stepId, i) => {
            const spec = specs[i]!;
            const wiring: Record<string, string> = {};
            if (i > 0) wiring.input = ids[picks[i]! % i]!;
            const init = {
              id: stepId,
              slug: spec.slug,
              version: spec.version,
              wiring,
              config: spec.config as never,
            };
            wf.add(
              createWorkflowStep({
                ...init,
                ...(spec.title === undefined ? {} : { title: spec.title }),
                ...(spec.name === undefined ? {} : { name: spec.name }),
              }),
            );
          });
          const text = JSON.stringify(wf);
          expect(WorkflowDocumentSchema.safeParse(JSON.parse(text)).success).toBe(true);
          const back = Workflow.parse(text);
          expect(JSON.stringify(back)).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });
});
