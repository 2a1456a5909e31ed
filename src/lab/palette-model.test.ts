import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytes, table } from '../core/contracts';
import { FunctionRegistry } from '../core/registry';
import { step, type StepDescriptor } from '../core/step';
import {
  PaletteModel,
  configFields,
  describeContract,
  filterSteps,
  groupSteps,
  matchRank,
  queryTerms,
  rankSteps,
  SEARCH_RESULTS,
} from './palette-model';

function registryWithSteps(): StepDescriptor[] {
  const registry = new FunctionRegistry();
  step(
    {
      slug: 'drop_nulls',
      title: 'Drop rows with nulls',
      description: 'Drops rows whose share of missing values is above a threshold.',
      category: 'Clean',
      inputs: { table: table({ Name: 'string' }) },
      config: z.object({ threshold: z.number().default(0.5).describe('Share of nulls') }),
      output: table(),
    },
    ({ table: t }) => t,
    { registry },
  );
  step(
    {
      slug: 'read_csv',
      title: 'Read CSV',
      category: 'Input',
      inputs: {},
      config: z.object({ path: z.string() }),
      output: table(),
    },
    () => ({}) as never,
    { registry },
  );
  step(
    {
      slug: 'fill_nulls',
      title: 'Fill nulls',
      category: 'Clean',
      inputs: { table: table() },
      output: table(),
    },
    ({ table: t }) => t,
    { registry },
  );
  step(
    {
      slug: 'hash',
      title: 'Hash bytes',
      inputs: { data: bytes(), n: z.number().optional() },
      output: z.string(),
    },
    () => 'x',
    { registry },
  );
  return registry.describe();
}

describe('palette filtering and grouping', () => {
  const steps = registryWithSteps();

  it('groups by category, categories and titles in alphabetical order', () => {
    const groups = groupSteps(steps);
    expect(groups.map((g) => g.category)).toEqual(['Clean', 'General', 'Input']);
    expect(groups[0]!.steps.map((s) => s.slug)).toEqual(['drop_nulls', 'fill_nulls']);
  });

  it('searches title, slug, description and category, every term, any case', () => {
    expect(queryTerms('  Drop   NULL ')).toEqual(['drop', 'null']);
    expect(
      filterSteps(steps, 'nulls')
        .map((s) => s.slug)
        .sort(),
    ).toEqual(['drop_nulls', 'fill_nulls']);
    expect(filterSteps(steps, 'THRESHOLD').map((s) => s.slug)).toEqual(['drop_nulls']); // description
    expect(filterSteps(steps, 'input').map((s) => s.slug)).toEqual(['read_csv']); // category
    expect(filterSteps(steps, 'read_csv').map((s) => s.slug)).toEqual(['read_csv']); // slug
    expect(filterSteps(steps, 'fill clean').map((s) => s.slug)).toEqual(['fill_nulls']);
    expect(filterSteps(steps, 'fill input')).toEqual([]);
    expect(filterSteps(steps, '')).toHaveLength(4);
  });

  it('describes contracts and config fields from the JSON Schemas', () => {
    const drop = steps.find((s) => s.slug === 'drop_nulls')!;
    expect(describeContract(drop.inputs['table']!.schema)).toBe('table (Name: string, …)');
    expect(describeContract(drop.output)).toBe('table');
    const hash = steps.find((s) => s.slug === 'hash')!;
    expect(describeContract(hash.inputs['data']!.schema)).toBe('bytes');
    expect(hash.inputs['n']!.optional).toBe(true);
    expect(describeContract(hash.output)).toBe('string');
    expect(describeContract({ type: 'array', items: { type: 'number' } })).toBe('array of number');
    expect(describeContract({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe(
      'string | null',
    );
    expect(describeContract({})).toBe('any');
    expect(configFields(drop.config)).toEqual([
      {
        name: 'threshold',
        type: 'number',
        required: false,
        defaultText: '0.5',
        description: 'Share of nulls',
      },
    ]);
    const csv = steps.find((s) => s.slug === 'read_csv')!;
    expect(configFields(csv.config)).toEqual([{ name: 'path', type: 'string', required: true }]);
  });
});

describe('search ranking', () => {
  // the standard library's steps that mention "limit" somewhere
  const descriptor = (slug: string, title: string, description: string, category: string) =>
    ({ slug, title, description, category }) as StepDescriptor;
  const library = [
    descriptor(
      'chart',
      'Chart',
      'At most maxRows rows are inlined (a limit of 5000).',
      'Visualize',
    ),
    descriptor('describe', 'Describe', 'Summary statistics, within a row limit.', 'Inspect'),
    descriptor('limit', 'Limit rows', 'Keeps n rows after an offset.', 'Transform'),
    descriptor('limit_groups', 'Top groups', 'The first groups.', 'Transform'),
    descriptor('cap', 'Rate limiter', 'Slows down.', 'Transform'),
    descriptor('sample', 'Sample rows', 'Random rows up to a limit.', 'Transform'),
    descriptor('read_csv', 'Read CSV', 'Reads a file (no size limit).', 'Input/Output'),
    descriptor('limiting', 'Edge limiting', 'x', 'Clean'),
  ];

  it('exact slug, then slug prefix, then title, then description or category', () => {
    expect(rankSteps(library, 'limit').map((s) => s.slug)).toEqual([
      'limit', // the slug itself
      'limiting', // slugs that start with it (by title: Edge limiting, Top groups)
      'limit_groups',
      'cap', // a title word that starts with it
      'chart', // only the description (by title)
      'describe',
      'read_csv',
      'sample',
    ]);
    expect(matchRank(library[2]!, 'LIMIT')).toBe(0);
    expect(matchRank(library[2]!, 'limit rows')).toBe(0); // the title
    expect(matchRank(library[0]!, 'visualize')).toBe(4); // the category
    expect(matchRank(library[0]!, 'nothing')).toBe(-1);
  });

  it('the palette lists the ranked matches as one list', () => {
    const model = new PaletteModel();
    model.setSteps(library);
    model.query = 'limit';
    expect(model.groups).toHaveLength(1);
    expect(model.groups[0]!.steps[0]!.slug).toBe('limit');
    model.query = 'zzz';
    expect(model.groups).toEqual([]);
  });
});

describe('PaletteModel', () => {
  it('filters as the query changes and tells the view', () => {
    const model = new PaletteModel();
    let changes = 0;
    model.changed.connect(() => changes++);
    model.setSteps(registryWithSteps());
    expect(model.matchCount).toBe(4);
    expect(model.searching).toBe(false);
    model.query = 'clean';
    expect(model.searching).toBe(true);
    expect(model.groups.map((g) => g.category)).toEqual([SEARCH_RESULTS]);
    expect(model.matchCount).toBe(2);
    model.query = 'clean';
    expect(changes).toBe(2);
    model.setSteps([]);
    expect(model.groups).toEqual([]);
    expect(model.find('drop_nulls')).toBeUndefined();
  });

  it('filters 1,000 steps by the same rules as filterSteps', () => {
    const base = registryWithSteps();
    const many = Array.from({ length: 1000 }, (_, i) => ({
      ...base[i % base.length]!,
      slug: `${base[i % base.length]!.slug}_${i}`,
      category: `Category ${i % 17}`,
    }));
    const model = new PaletteModel();
    model.setSteps(many);
    for (const q of ['', 'nulls', 'category 3', 'read 99', 'zzz']) {
      model.query = q;
      const flat = model.groups.flatMap((g) => g.steps.map((s) => s.slug)).sort();
      expect(flat).toEqual(
        filterSteps(many, q)
          .map((s) => s.slug)
          .sort(),
      );
    }
  });
});
