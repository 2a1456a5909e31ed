import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { table } from '../core/contracts';
import {
  accessFor,
  generateStepCode,
  importLine,
  jsonEqual,
  parseStepCode,
  replaceConfig,
  uniqueName,
  withDefaults,
  withoutDefaults,
  type StepCall,
} from './codegen';
import type { JsonValue } from '../core/errors';

const registry = new FunctionRegistry();
const dropNulls = step(
  {
    slug: 'drop_nulls',
    module: 'fancyflow',
    inputs: { table: table() },
    config: z.object({
      threshold: z.number().min(0).max(1).default(0.5),
      columns: z.array(z.string()).default([]),
    }),
    output: table(),
  },
  ({ table: t }) => t,
  { registry },
);
const custom = step(
  { slug: 'my.clean-up', inputs: { left: table(), right: table() }, output: table() },
  ({ left }) => left,
  { registry },
);

describe('generateStepCode', () => {
  it('writes one readable call for a standard step', () => {
    const code = generateStepCode({
      slug: 'drop_nulls',
      via: 'steps',
      wiring: { table: 'clean' },
      config: { threshold: 0.5 },
      name: 'drop_nulls_1',
    });
    expect(code).toBe(
      "steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })",
    );
  });

  it('reaches other steps through the registry and quotes what is not an identifier', () => {
    const call: StepCall = {
      slug: 'my.clean-up',
      via: accessFor(custom.describe()),
      wiring: { left: 'a', right: "it's" },
      config: {},
    };
    expect(call.via).toBe('registry');
    expect(accessFor(dropNulls.describe())).toBe('steps');
    expect(generateStepCode(call)).toBe(
      "defaultRegistry().require('my.clean-up')({ left: cell('a'), right: cell('it\\'s') })",
    );
  });

  it('breaks long calls into one argument per line and can start with the import', () => {
    const code = generateStepCode(
      {
        slug: 'filter',
        via: 'steps',
        wiring: { table: 'cars_without_nulls' },
        config: { where: [{ column: 'Origin', op: 'eq', value: 'USA' }], 'weird key': true },
        name: 'american_cars',
      },
      { withImport: true },
    );
    expect(code).toBe(
      [
        "import { steps, cell } from 'fancyflow';",
        'steps.filter(',
        "  { table: cell('cars_without_nulls') },",
        "  { where: [{ column: 'Origin', op: 'eq', value: 'USA' }], 'weird key': true },",
        "  { name: 'american_cars' },",
        ')',
      ].join('\n'),
    );
    expect(importLine(undefined, true)).toBe(
      "import { steps, cell, defaultRegistry } from 'fancyflow';",
    );
  });
});

describe('parseStepCode', () => {
  it('reads generated code back, with comments, semicolons and other quotes', () => {
    const parsed = parseStepCode(`// cleaned cars
import { steps, cell } from "fancyflow"
steps.drop_nulls(
  { table: cell("raw") /* the input */ },
  { threshold: 0.25, columns: ["a", 'b'], },
  { name: 'dn', title: 'Drop' },
);`);
    expect(parsed).toEqual({
      ok: true,
      imports: ['import { steps, cell } from "fancyflow"'],
      call: {
        slug: 'drop_nulls',
        via: 'steps',
        wiring: { table: 'raw' },
        config: { threshold: 0.25, columns: ['a', 'b'] },
        name: 'dn',
        title: 'Drop',
      },
    });
  });

  it('reads registry calls and bare cell ids', () => {
    const parsed = parseStepCode("defaultRegistry().get('x')({ t: 'abc-123' })");
    expect(parsed.ok && parsed.call).toEqual({
      slug: 'x',
      via: 'registry',
      wiring: { t: 'abc-123' },
      config: {},
    });
  });

  it.each([
    ['two statements', 'steps.a({}); steps.b({})'],
    ['a variable as config', 'steps.a({ t: cell("x") }, cfg)'],
    ['an expression in config', "steps.a({ t: cell('x') }, { n: 1 + 2 })"],
    ['a variable as input', 'steps.a({ t: raw })'],
    ['another function', "other.a({ t: cell('x') })"],
    ['a template with a substitution', 'steps.a({}, { s: `${x}` })'],
    ['an unknown option', "steps.a({}, {}, { id: 'x' })"],
    ['a declaration', "const x = steps.a({ t: cell('x') })"],
    ['unterminated', "steps.a({ t: cell('x') }"],
  ])('refuses custom code: %s', (_, code) => {
    const parsed = parseStepCode(code);
    expect(parsed.ok).toBe(false);
  });

  it('round-trips any JSON config, wiring and name (property)', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('a', 'threshold', '__proto__', 'class', 'x y'),
    );
    const json: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(key, tie('value'), { maxKeys: 3 }),
      ),
    })).value as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(
        fc.dictionary(key, json, { maxKeys: 4 }),
        fc.dictionary(fc.constantFrom('table', 'left', 'right'), fc.string({ minLength: 1 })),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        fc.boolean(),
        (config, wiring, name, withImport) => {
          const call: StepCall = { slug: 'drop_nulls', via: 'steps', wiring, config };
          if (name !== undefined) call.name = name;
          const parsed = parseStepCode(generateStepCode(call, { withImport }));
          expect(parsed.ok).toBe(true);
          if (parsed.ok) {
            expect(jsonEqual(parsed.call.config, config)).toBe(true);
            expect(parsed.call.wiring).toEqual(wiring);
            expect(parsed.call.name).toBe(name);
            expect(parsed.imports.length).toBe(withImport ? 1 : 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('config and defaults', () => {
  const schema = dropNulls.describe().config;

  it('leaves defaults out of the code and puts them back for the metadata', () => {
    expect(withoutDefaults({ threshold: 0.5, columns: ['a'] }, schema)).toEqual({ columns: ['a'] });
    expect(withDefaults({ columns: ['a'] }, schema)).toEqual({ threshold: 0.5, columns: ['a'] });
    // what the step itself would parse
    expect(withDefaults({}, schema)).toEqual(dropNulls.parseConfig({}));
  });

  it('replaces the config in code and keeps wiring, name and import lines', () => {
    const code =
      "import { steps, cell } from 'fancyflow';\nsteps.drop_nulls({ table: cell('raw') }, {}, { name: 'x' })";
    expect(replaceConfig(code, { threshold: 0.9 })).toBe(
      "import { steps, cell } from 'fancyflow';\nsteps.drop_nulls({ table: cell('raw') }, { threshold: 0.9 }, { name: 'x' })",
    );
    expect(replaceConfig('const a = 1', { threshold: 0.9 })).toBeUndefined();
  });

  it('names new outputs uniquely', () => {
    expect(uniqueName('drop_nulls', new Set())).toBe('drop_nulls_1');
    expect(uniqueName('a.b-c', new Set(['a_b_c_1', 'a_b_c_2']))).toBe('a_b_c_3');
  });
});
