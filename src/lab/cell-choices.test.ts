import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FancyCell } from '../core/cell';
import { bytes, table } from '../core/contracts';
import type { CellMetadata } from '../core/format';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import {
  cellChoices,
  choiceText,
  contractFit,
  declaredFit,
  describeCell,
  preferredChoice,
  type ChoiceCell,
} from './cell-choices';

const registry = new FunctionRegistry();
const spec = z.object({ mark: z.string() }).meta({
  title: 'Vega-Lite v5 spec',
  'x-fancyflow': { kind: 'json', mimeType: 'application/vnd.vegalite.v5+json' },
});
step({ slug: 'read_json', title: 'Read JSON', inputs: {}, output: table() }, () => ({}), {
  registry,
});
step(
  { slug: 'chart', title: 'Chart', inputs: { table: table() }, output: spec },
  () => ({ mark: 'x' }),
  {
    registry,
  },
);
step(
  {
    slug: 'power',
    title: 'Power to weight',
    inputs: { cars: table({ Horsepower: 'number', Weight_in_lbs: 'number' }) },
    output: table(),
  },
  ({ cars }) => cars,
  { registry },
);
step(
  {
    slug: 'scale',
    inputs: { factor: z.number(), data: bytes(), any: z.custom<Map<string, number>>() },
    output: z.number(),
  },
  ({ factor }) => factor,
  { registry },
);
const steps = registry.describe();
const input = (slug: string, name: string) => steps.find((s) => s.slug === slug)!.inputs[name]!;

function metadata(slug: string, stepId: string, name?: string): CellMetadata {
  return { stepId, slug, version: '1.0.0', wiring: {}, config: {}, ...(name ? { name } : {}) };
}

function stored(
  id: string,
  kind: FancyCell['kind'],
  summary: FancyCell['summary'],
  slug?: string,
): FancyCell {
  return {
    id,
    uri: `memory://${id}`,
    kind,
    summary,
    createdAt: '2026-01-01T00:00:00.000Z',
    fingerprint: '0000000000000000',
    ...(slug ? { producedBy: { stepId: id, slug, version: '1.0.0' } } : {}),
  };
}

const carsColumns = [
  { name: 'Name', type: 'utf8' as const },
  { name: 'Horsepower', type: 'float64' as const },
  { name: 'Weight_in_lbs', type: 'int32' as const },
];

// the notebook: imports, cars (a table), a chart of it, a bare number, a table missing a column,
// a step not run yet
const cells: ChoiceCell[] = [
  {
    id: 'c0',
    cellType: 'code',
    metadata: undefined,
    firstLine: "import { steps } from 'fancyflow';",
  },
  { id: 'c1', cellType: 'code', metadata: metadata('read_json', 'c1', 'cars'), firstLine: '' },
  { id: 'md', cellType: 'markdown', metadata: undefined, firstLine: '# Chart' },
  { id: 'c2', cellType: 'code', metadata: metadata('chart', 'c2', 'chart_1'), firstLine: '' },
  { id: 'c3', cellType: 'code', metadata: undefined, firstLine: '6 * 7' },
  { id: 'c4', cellType: 'code', metadata: metadata('read_json', 'c4', 'names'), firstLine: '' },
  { id: 'c5', cellType: 'code', metadata: metadata('read_json', 'c5', 'later'), firstLine: '' },
  { id: 'c6', cellType: 'code', metadata: metadata('chart', 'c6', 'chart_2'), firstLine: '' },
];
const kernel = {
  cells: [
    stored(
      'c1',
      'table',
      { type: 'arquero.ColumnTable', shape: [406, 3], columns: carsColumns },
      'read_json',
    ),
    stored('c2', 'json', { type: 'object', shape: [4] }, 'chart'),
    stored('c3', 'json', { type: 'number' }),
    stored(
      'c4',
      'table',
      { type: 'arquero.ColumnTable', shape: [2, 1], columns: [carsColumns[0]!] },
      'read_json',
    ),
  ],
  names: { cars: 'c1', chart_1: 'c2', names: 'c4' },
};

describe('which cells fit an input', () => {
  it('a table input gets the table cells; the others are listed with the reason', () => {
    const choices = cellChoices(
      { cells, kernel, steps },
      cells.length - 1,
      input('chart', 'table'),
    );
    expect(choices.map((c) => [c.reference, c.fits, c.reason])).toEqual([
      ['later', true, 'not run yet'],
      ['names', true, undefined],
      ['cars', true, undefined],
      ['chart_2', false, 'a Vega-Lite v5 spec (json), not a table (not run yet)'],
      ['c3', false, 'a number (json), not a table'],
      ['chart_1', false, 'a Vega-Lite v5 spec (json), not a table'],
    ]);
    expect(choiceText(choices[0]!)).toBe('later (Read JSON) (not run yet)');
    expect(choiceText(choices[5]!)).toBe(
      'chart_1 (Chart) — a Vega-Lite v5 spec (json), not a table',
    );
    // Wire… preselects the nearest fitting step cell, never the chart
    expect(preferredChoice(choices)?.reference).toBe('later');
    const above = cellChoices({ cells, kernel, steps }, 3, input('chart', 'table'));
    expect(preferredChoice(above)?.reference).toBe('cars');
  });

  it('a table input with columns says which column is missing or of the wrong type', () => {
    const choices = cellChoices({ cells, kernel, steps }, 5, input('power', 'cars'));
    const byRef = Object.fromEntries(choices.map((c) => [c.reference, c]));
    expect(byRef['cars']).toMatchObject({ fits: true });
    expect(byRef['names']).toMatchObject({
      fits: false,
      reason: 'missing columns Horsepower, Weight_in_lbs',
    });
    const wrongType = contractFit(input('power', 'cars').schema, {
      kind: 'table',
      summary: {
        type: 't',
        columns: [
          { name: 'Horsepower', type: 'utf8' },
          { name: 'Weight_in_lbs', type: 'int8' },
        ],
      },
    });
    expect(wrongType).toEqual({ fits: false, reason: 'column Horsepower is utf8, not number' });
  });

  it('JSON, bytes and free contracts fit by the kind and JSON type of the value', () => {
    const number = input('scale', 'factor').schema;
    expect(contractFit(number, { kind: 'json', summary: { type: 'number' } })).toEqual({
      fits: true,
    });
    expect(contractFit(number, { kind: 'json', summary: { type: 'string' } })).toEqual({
      fits: false,
      reason: 'a string (json), not number',
    });
    expect(
      contractFit(number, { kind: 'table', summary: { type: 'arquero.ColumnTable' } }),
    ).toEqual({
      fits: false,
      reason: 'a table, not number',
    });
    const data = input('scale', 'data').schema;
    expect(contractFit(data, { kind: 'bytes', summary: { type: 'Uint8Array' } }).fits).toBe(true);
    expect(contractFit(data, { kind: 'json', summary: { type: 'array' } })).toEqual({
      fits: false,
      reason: 'an array (json), not bytes',
    });
    // a contract JSON Schema cannot describe accepts every cell
    expect(
      contractFit(input('scale', 'any').schema, { kind: 'value', summary: { type: 'Map' } }).fits,
    ).toBe(true);
  });

  it('without an input every cell fits; cells that are neither steps nor stored nor named are left out', () => {
    const choices = cellChoices({ cells, kernel, steps }, cells.length - 1);
    expect(choices.every((c) => c.fits && c.reason === undefined)).toBe(true);
    expect(choices.map((c) => c.cellId)).toEqual(['c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
    expect(cellChoices({ cells, steps }, cells.length - 1).map((c) => c.cellId)).toEqual([
      'c6',
      'c5',
      'c4',
      'c2',
      'c1',
    ]);
  });

  it('names what a cell holds', () => {
    const chart = steps.find((s) => s.slug === 'chart');
    expect(describeCell({ kind: 'json', summary: { type: 'object' } }, chart)).toBe(
      'a Vega-Lite v5 spec (json)',
    );
    expect(describeCell({ kind: 'json', summary: { type: 'object' } })).toBe('an object (json)');
    expect(describeCell({ kind: 'value', summary: { type: 'Map' } })).toBe('a Map (value)');
    expect(
      declaredFit(
        input('chart', 'table').schema,
        steps.find((s) => s.slug === 'read_json'),
      ),
    ).toEqual({
      fits: true,
      reason: 'not run yet',
    });
  });
});
