import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contractJsonSchema } from '../core/contracts';
import type { JsonValue } from '../core/errors';
import { configFromForm, formSchema, formUiSchema, LITERAL_FIELD } from './form-schema';
import {
  formatLiteralInput,
  literalHelp,
  literalKindLabel,
  literalKinds,
  parseLiteralInput,
  type LiteralKind,
} from './form-values';

// the filter's clause value: a string, a number or a boolean (a list for in / not_in)
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const filterConfig = contractJsonSchema(
  z.object({
    where: z.array(
      z.object({
        column: z.string(),
        op: z.enum(['eq', 'ge', 'in']),
        value: z.union([scalar, z.array(scalar)]).optional(),
      }),
    ),
    combine: z.enum(['and', 'or']).default('and'),
    limit: z.number().int().default(10),
    label: z.string().optional(),
    maybe: z.number().nullable().optional(),
  }),
  'input',
);
const props = filterConfig['properties'] as Record<string, Record<string, unknown>>;
const clause = (props['where']!['items'] as Record<string, unknown>)['properties'] as Record<
  string,
  Record<string, unknown>
>;
const valueKinds = literalKinds(clause['value']!, filterConfig)!;

describe('which fields are literal fields', () => {
  it('fields of several JSON types are; single types, enums and objects are not', () => {
    expect([...valueKinds].sort()).toEqual(['array', 'boolean', 'number', 'string']);
    expect([...literalKinds(props['maybe']!, filterConfig)!].sort()).toEqual(['null', 'number']);
    expect(literalKinds({ type: ['string', 'number', 'boolean'] })).toBeDefined();
    expect(literalKinds(props['limit']!)).toBeUndefined();
    expect(literalKinds(props['label']!)).toBeUndefined();
    expect(literalKinds(props['combine']!)).toBeUndefined();
    expect(literalKinds(props['where']!)).toBeUndefined();
    expect(literalKinds({ type: 'array', items: { type: 'string' } })).toBeUndefined();
  });

  it('the uiSchema puts the literal field there, nested in array items too, and shows defaults', () => {
    const ui = formUiSchema(formSchema(filterConfig));
    expect(ui).toEqual({
      where: {
        items: { value: { 'ui:field': LITERAL_FIELD, 'ui:fieldReplacesAnyOrOneOf': true } },
      },
      combine: { 'ui:placeholder': 'and' },
      limit: { 'ui:placeholder': '10' },
      maybe: { 'ui:field': LITERAL_FIELD, 'ui:fieldReplacesAnyOrOneOf': true },
    });
  });
});

describe('what is typed in a literal field', () => {
  it('a year is a number, in quotes it is text; true/false, null and lists as such', () => {
    expect(parseLiteralInput('1980', valueKinds)).toBe(1980);
    expect(parseLiteralInput('-2.5e3', valueKinds)).toBe(-2500);
    expect(parseLiteralInput('"1980"', valueKinds)).toBe('1980');
    expect(parseLiteralInput("'1980'", valueKinds)).toBe('1980');
    expect(parseLiteralInput('true', valueKinds)).toBe(true);
    expect(parseLiteralInput("[1975, 'USA']", valueKinds)).toEqual([1975, 'USA']);
    expect(parseLiteralInput('USA', valueKinds)).toBe('USA');
    expect(parseLiteralInput('  Ford Pinto ', valueKinds)).toBe('  Ford Pinto ');
    expect(parseLiteralInput('[oops', valueKinds)).toBe('[oops');
    expect(parseLiteralInput('null', valueKinds)).toBe('null'); // null is not accepted here
    expect(parseLiteralInput('null', new Set<LiteralKind>(['number', 'null']))).toBeNull();
    // a field that takes no text keeps the text so validation can say what is wrong
    expect(parseLiteralInput('abc', new Set<LiteralKind>(['number', 'null']))).toBe('abc');
  });

  it('an empty field is undefined (left out, not its default)', () => {
    expect(parseLiteralInput('', valueKinds)).toBeUndefined();
    expect(parseLiteralInput('   ', valueKinds)).toBeUndefined();
    expect(formatLiteralInput(undefined, valueKinds)).toBe('');
  });

  it('values are shown in the notation that reads them back', () => {
    expect(formatLiteralInput(1980, valueKinds)).toBe('1980');
    expect(formatLiteralInput('1980', valueKinds)).toBe('"1980"');
    expect(formatLiteralInput('USA', valueKinds)).toBe('USA');
    expect(formatLiteralInput('true', valueKinds)).toBe('"true"');
    expect(formatLiteralInput('', valueKinds)).toBe('""');
    expect(formatLiteralInput(['a', 1], valueKinds)).toBe("['a', 1]");
    const value: fc.Arbitrary<JsonValue> = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      fc.boolean(),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(parseLiteralInput(formatLiteralInput(v, valueKinds), valueKinds)).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('says how it reads what is typed, and what a value is stored as', () => {
    expect(literalHelp(valueKinds)).toBe(
      'Numbers (1980), true/false and lists ([1, \'a\']) are stored as such; put text in quotes ("1980") to store it as text; anything else is text.',
    );
    expect(literalHelp(new Set<LiteralKind>(['number', 'null']))).toBe(
      'Numbers (1980) and null are stored as such.',
    );
    expect(literalKindLabel(1980)).toBe('number');
    expect(literalKindLabel('1980')).toBe('text');
    expect(literalKindLabel(undefined)).toBe('');
  });
});

describe('the config a form edit means', () => {
  it('an emptied field is left out so its default applies; nothing else changes', () => {
    const before = { where: [{ column: 'Model_year', op: 'ge', value: 1975 }], limit: 10 };
    expect(
      configFromForm(
        { where: [{ column: 'Model_year', op: 'ge', value: 1980 }], limit: undefined },
        before,
        filterConfig,
      ),
    ).toEqual({ where: [{ column: 'Model_year', op: 'ge', value: 1980 }] });
    expect(
      configFromForm(
        { where: [{ column: 'a', op: 'eq', value: undefined }], limit: 7 },
        before,
        filterConfig,
      ),
    ).toEqual({ where: [{ column: 'a', op: 'eq' }], limit: 7 });
  });
});
