import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { table } from '../core/contracts';
import {
  accessFor,
  configForCode,
  generateStepCode,
  importLine,
  jsonEqual,
  parseStepCode,
  replaceConfig,
  setWiring,
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
const limitSchema = step(
  {
    slug: 'limit',
    inputs: { table: table() },
    config: z.object({ n: z.number().int().default(10), offset: z.number().int().default(0) }),
    output: table(),
  },
  ({ table: t }) => t,
  { registry },
).describe().config;

describe('generateStepCode', () => {
  it('writes one readable call for a standard step', () => {
    const code = generateStepCode({
      slug: 'drop_nulls',
      wiring: { table: 'clean' },
      config: { threshold: 0.5 },
      name: 'drop_nulls_1',
    });
    expect(code).toBe(
      "steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })",
    );
  });

  it('reaches every step through steps, quoting slugs that are not identifiers', () => {
    const call: StepCall = {
      slug: 'my.clean-up',
      wiring: { left: 'a', right: "it's" },
      config: {},
    };
    expect(accessFor()).toBe('steps');
    expect(generateStepCode(call)).toBe(
      "steps['my.clean-up']({ left: cell('a'), right: cell('it\\'s') })",
    );
    expect(
      generateStepCode({ slug: 'power_to_weight', via: 'registry', wiring: {}, config: {} }),
    ).toBe('steps.power_to_weight({})');
  });

  it('breaks long calls into one argument per line and can start with the import', () => {
    const code = generateStepCode(
      {
        slug: 'filter',
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
  { threshold: 0.25, columns: ["a", 'b', \`c\`], },
  { name: 'dn', title: 'Drop' },
);`);
    expect(parsed).toEqual({
      ok: true,
      imports: ['import { steps, cell } from "fancyflow"'],
      call: {
        slug: 'drop_nulls',
        wiring: { table: 'raw' },
        config: { threshold: 0.25, columns: ['a', 'b', 'c'] },
        name: 'dn',
        title: 'Drop',
      },
    });
  });

  it("reads steps['slug'] calls, bare cell ids, negative numbers and escapes", () => {
    const parsed = parseStepCode(
      "steps['my-step']({ t: 'abc-123' }, { n: -1.5e3, s: 'a\\'b\\u0041', k: 0x10, ok: false, z: null })",
    );
    expect(parsed.ok && parsed.call).toEqual({
      slug: 'my-step',
      wiring: { t: 'abc-123' },
      config: { n: -1500, s: "a'bA", k: 16, ok: false, z: null },
    });
  });

  it('finds the step call among other statements, whatever TypeScript they use', () => {
    const code = [
      "import { steps, cell } from 'fancyflow';",
      "import type { FancyCell } from 'fancyflow';",
      'const years = [1975, 1980] as const;',
      'type Row = { year: number };',
      'function pick<T extends Row>(rows: T[]): T | undefined { return rows[0]; }',
      'interface Options { n?: number }',
      'let o: Options = {};',
      'console.log(pick<Row>([{ year: 1 }]), o, years satisfies readonly number[]);',
      "steps.limit({ table: cell('cars') }, { n: 5 });",
      'await Promise.resolve(1);',
    ].join('\n');
    const parsed = parseStepCode(code);
    expect(parsed.ok && parsed.call).toEqual({
      slug: 'limit',
      wiring: { table: 'cars' },
      config: { n: 5 },
    });
    expect(parsed.ok && parsed.imports).toHaveLength(2);
  });

  it.each([
    ['two step calls', 'steps.a({}); steps.b({})'],
    ['no step call', 'const a = 1;'],
    ['a variable as config', 'steps.a({ t: cell("x") }, cfg)'],
    ['an expression in config', "steps.a({ t: cell('x') }, { n: 1 + 2 })"],
    ['an `as const` in config', "steps.a({ t: cell('x') }, { op: 'ge' as const })"],
    ['a shorthand property', "steps.a({ t: cell('x') }, { n })"],
    ['a spread', "steps.a({ t: cell('x') }, { ...base })"],
    ['a computed key', "steps.a({ t: cell('x') }, { [k]: 1 })"],
    ['a BigInt', "steps.a({ t: cell('x') }, { n: 1n })"],
    ['undefined', "steps.a({ t: cell('x') }, { n: undefined })"],
    ['a duplicate key', "steps.a({ t: cell('x') }, { n: 1, n: 2 })"],
    ['a variable as input', 'steps.a({ t: raw })'],
    ['another function', "other.a({ t: cell('x') })"],
    ['optional chaining', "steps?.a({ t: cell('x') })"],
    ['type arguments', "steps.a<number>({ t: cell('x') })"],
    ['a template with a substitution', 'steps.a({}, { s: `${x}` })'],
    ['an unknown option', "steps.a({}, {}, { id: 'x' })"],
    ['a declaration', "const x = steps.a({ t: cell('x') })"],
    ['unterminated', "steps.a({ t: cell('x') }"],
    ['a syntax error elsewhere', "const = ;\nsteps.a({ t: cell('x') })"],
    ['too many arguments', 'steps.a({}, {}, {}, {})'],
  ])('refuses custom code: %s', (_, code) => {
    const parsed = parseStepCode(code);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
  });

  it('round-trips any JSON config, wiring and name (property)', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('a', 'threshold', '__proto__', 'class', 'x y', '1'),
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
        fc.constantFrom('drop_nulls', 'my-step', 'a.b'),
        (config, wiring, name, withImport, slug) => {
          const call: StepCall = { slug, wiring, config };
          if (name !== undefined) call.name = name;
          const parsed = parseStepCode(generateStepCode(call, { withImport }));
          expect(parsed.ok).toBe(true);
          if (parsed.ok) {
            expect(parsed.call.slug).toBe(slug);
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

describe('replaceConfig: only the config changes, and in it only what differs', () => {
  const cell = [
    "import { steps, cell } from 'fancyflow';",
    '// recent cars only',
    'const since: number = 1975;',
    'steps.filter(',
    "  { table: cell('metric') }, // the derived table",
    '  {',
    "    where: [{ column: 'Model_year', op: 'ge', value: 1975 }], // a year",
    "    combine: 'and',",
    '  },',
    "  { name: 'recent' },",
    ')',
    'console.log(since);',
  ].join('\n');

  it('rewrites one changed value in place and keeps comments, statements and layout', () => {
    const out = replaceConfig(cell, {
      where: [{ column: 'Model_year', op: 'ge', value: 1980 }],
      combine: 'and',
    });
    expect(out).toBe(cell.replace('value: 1975 }', 'value: 1980 }'));
  });

  it('a number stays a number and a string a string', () => {
    const out = replaceConfig(cell, {
      where: [{ column: 'Model_year', op: 'ge', value: '1980' }],
      combine: 'and',
    });
    expect(out).toBe(cell.replace('value: 1975 }', "value: '1980' }"));
    expect(parseStepCode(out!).ok && parseStepCode(out!)).toMatchObject({
      call: { config: { where: [{ value: '1980' }] } },
    });
  });

  it('removes a cleared field with its separator and appends a new one', () => {
    const removed = replaceConfig(cell, {
      where: [{ column: 'Model_year', op: 'ge', value: 1975 }],
    });
    expect(removed).toBe(cell.replace("    combine: 'and',\n", ''));
    const added = replaceConfig(
      "steps.limit({ table: cell('a') }, { n: 5 } /* five */, { name: 'x' }); // keep",
      { n: 5, offset: 2 },
    );
    expect(added).toBe(
      "steps.limit({ table: cell('a') }, { n: 5, offset: 2 } /* five */, { name: 'x' }); // keep",
    );
    const multi = replaceConfig("steps.limit(\n  { table: cell('a') },\n  {\n    n: 5,\n  },\n)", {
      n: 5,
      offset: 2,
    });
    expect(multi).toBe(
      "steps.limit(\n  { table: cell('a') },\n  {\n    n: 5,\n    offset: 2,\n  },\n)",
    );
  });

  it('a new entry goes on its own line below a commented one', () => {
    const code = "steps.limit(\n  { table: cell('a') },\n  {\n    n: 5, // five\n  },\n)";
    expect(replaceConfig(code, { n: 5, offset: 2 })).toBe(
      "steps.limit(\n  { table: cell('a') },\n  {\n    n: 5, // five\n    offset: 2,\n  },\n)",
    );
    expect(replaceConfig('steps.limit({}, {\n  n: 5 // five\n})', { n: 5, offset: 2 })).toBe(
      'steps.limit({}, {\n  n: 5, // five\n  offset: 2\n})',
    );
  });

  it('adds a config argument after the wiring when there is none', () => {
    expect(replaceConfig("x();\nsteps.limit({ table: cell('a') });", { n: 7 })).toBe(
      "x();\nsteps.limit({ table: cell('a') }, { n: 7 });",
    );
    expect(replaceConfig("steps.limit({ table: cell('a') })", {})).toBe(
      "steps.limit({ table: cell('a') })",
    );
  });

  it('returns the very same code when nothing changed, undefined for custom code', () => {
    const code = "steps.limit({ table: cell('a') }, {n:5,   offset:0})";
    expect(replaceConfig(code, { offset: 0, n: 5 })).toBe(code);
    expect(replaceConfig('const a = 1', { threshold: 0.9 })).toBeUndefined();
  });

  it('with the schema, a field the user did not change keeps its written form', () => {
    // offset: 0 is the default, written by hand: the form's full config leaves it alone
    const code = "steps.limit({ table: cell('a') }, { n: 5, offset: 0 })";
    const full = withDefaults({ n: 6 }, limitSchema);
    expect(replaceConfig(code, withoutDefaults(full, limitSchema), { schema: limitSchema })).toBe(
      "steps.limit({ table: cell('a') }, { n: 6, offset: 0 })",
    );
    // a cleared field is left out of the code, so its default applies
    expect(replaceConfig(code, { offset: 0 }, { schema: limitSchema })).toBe(
      "steps.limit({ table: cell('a') }, { offset: 0 })",
    );
    // n changed back to its default: written, as the user chose it
    expect(configForCode({ n: 5 }, { n: 10, offset: 0 }, limitSchema)).toEqual({ n: 10 });
    expect(configForCode({ n: 5 }, { offset: 0 }, limitSchema)).toEqual({});
    expect(configForCode({}, { n: 7 }, limitSchema)).toEqual({ n: 7 });
  });

  it('breaks a long new value over lines at the indentation of its line', () => {
    const out = replaceConfig("  steps.select({ table: cell('a') }, { columns: ['a'] })", {
      columns: ['Name', 'Miles_per_Gallon', 'Cylinders', 'Displacement', 'Horsepower', 'Weight'],
    });
    expect(out).toBe(
      [
        "  steps.select({ table: cell('a') }, { columns: [",
        "    'Name',",
        "    'Miles_per_Gallon',",
        "    'Cylinders',",
        "    'Displacement',",
        "    'Horsepower',",
        "    'Weight',",
        '  ] })',
      ].join('\n'),
    );
    expect(parseStepCode(out!).ok).toBe(true);
  });

  it('any edit of any config reads back as the new config (property)', () => {
    const value = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null));
    const config = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), value, { maxKeys: 4 });
    fc.assert(
      fc.property(config, config, fc.boolean(), (before, after, multiline) => {
        const code = generateStepCode(
          { slug: 's', wiring: { t: 'x' }, config: before, name: 'n' },
          { maxLine: multiline ? 10 : 200 },
        );
        const out = replaceConfig(`// head\n${code}\nfoo();`, after);
        const parsed = parseStepCode(out!);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.call.config).toEqual(after);
        expect(out!.startsWith('// head\n')).toBe(true);
        expect(out!.endsWith('\nfoo();')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('setWiring: only that input changes', () => {
  it('replaces one reference and keeps the rest', () => {
    const code =
      "// join\nsteps.join({ left: cell('a'), /* b */ right: cell('b') }, { on: ['k'] });\nx;";
    expect(setWiring(code, 'right', 'c')).toBe(code.replace("cell('b')", "cell('c')"));
    expect(setWiring(code, 'right', 'b')).toBe(code);
    expect(setWiring("steps.x({ t: 'id-1' })", 't', 'id-2')).toBe("steps.x({ t: 'id-2' })");
  });

  it('adds and removes inputs', () => {
    expect(setWiring("steps.x({ a: cell('a') })", 'b', 'b')).toBe(
      "steps.x({ a: cell('a'), b: cell('b') })",
    );
    expect(setWiring('steps.x({}, { n: 1 })', 'b', 'b')).toBe(
      "steps.x({ b: cell('b') }, { n: 1 })",
    );
    expect(setWiring("steps.x({ a: cell('a'), b: cell('b') })", 'a', '')).toBe(
      "steps.x({ b: cell('b') })",
    );
    expect(setWiring("steps.x({ a: cell('a') })", 'a', '')).toBe('steps.x({})');
    expect(setWiring('const a = 1', 'a', 'b')).toBeUndefined();
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

  it('names new outputs uniquely', () => {
    expect(uniqueName('drop_nulls', new Set())).toBe('drop_nulls_1');
    expect(uniqueName('a.b-c', new Set(['a_b_c_1', 'a_b_c_2']))).toBe('a_b_c_3');
  });
});
