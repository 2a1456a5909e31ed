import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contractJsonSchema } from '../core/contracts';
import { formSchema, hasConfigFields, humanize, pruneFormData } from './form-schema';

describe('formSchema', () => {
  it('turns a zod config schema into a draft-07 form schema with titles', () => {
    const config = z.object({
      threshold: z.number().min(0).max(1).default(0.5),
      maxRows: z.number().int().optional(),
      where: z.array(z.object({ column: z.string(), op: z.enum(['eq', 'ne']) })).default([]),
    });
    const raw = contractJsonSchema(config, 'input');
    expect(raw['$schema']).toBeDefined();
    const schema = formSchema(raw);
    expect(schema['$schema']).toBeUndefined();
    expect(raw['$schema']).toBeDefined(); // input untouched
    const props = schema['properties'] as Record<string, Record<string, unknown>>;
    expect(props['threshold']).toMatchObject({
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      title: 'Threshold',
    });
    expect(props['maxRows']!['title']).toBe('Max rows');
    expect(hasConfigFields(schema)).toBe(true);
    expect(hasConfigFields(formSchema(contractJsonSchema(z.object({}), 'input')))).toBe(false);
  });

  it('keeps shared definitions reachable under draft-07 names', () => {
    const schema = formSchema({
      $defs: { a: { type: 'string' } },
      properties: { x: { $ref: '#/$defs/a' } },
    });
    expect(schema['definitions']).toEqual({ a: { type: 'string' } });
    expect((schema['properties'] as Record<string, Record<string, unknown>>)['x']!['$ref']).toBe(
      '#/definitions/a',
    );
  });

  it('humanizes field names', () => {
    expect(humanize('threshold_ratio')).toBe('Threshold ratio');
    expect(humanize('x')).toBe('X');
  });
});

describe('pruneFormData', () => {
  const config = contractJsonSchema(
    z.object({
      threshold: z.number().default(0.5),
      columns: z.array(z.string()).optional(),
      tags: z.array(z.string()).default([]),
      need: z.array(z.string()),
    }),
    'input',
  );

  it('drops the empty arrays the form adds for optional fields without a default', () => {
    expect(
      pruneFormData(
        { threshold: 0.1, columns: [], tags: [], need: [] },
        { threshold: 0.5, need: [] },
        config,
      ),
    ).toEqual({
      threshold: 0.1,
      tags: [],
      need: [],
    });
  });

  it('keeps an empty value the config already had, and every non-empty value', () => {
    expect(pruneFormData({ columns: [] }, { columns: [] }, config)).toEqual({ columns: [] });
    expect(pruneFormData({ columns: ['a'] }, {}, config)).toEqual({ columns: ['a'] });
  });
});
