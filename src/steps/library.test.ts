import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { describe, expect, test } from 'vitest';
import * as root from '..';
import { FunctionRegistry, Workflow, defaultRegistry, isFancyflowError } from '../core';
import { registerStandardSteps, steps } from '.';
import { output, run } from './test-harness';

const slugs = Object.keys(steps);

describe('the standard library', () => {
  test('at least 14 steps, registered in the default registry under module fancyflow', () => {
    expect(slugs.length).toBeGreaterThanOrEqual(14);
    for (const slug of slugs) {
      const fn = defaultRegistry().require(slug);
      expect(fn).toBe(steps[slug as keyof typeof steps]);
      const d = fn.describe();
      expect(d.module).toBe('fancyflow');
      expect(d.category).toMatch(
        /^(Input\/Output|Transform|Clean|Aggregate|Combine|Inspect|Visualize)$/,
      );
      expect(d.title).not.toBe(slug);
      expect(d.description.length).toBeGreaterThan(60);
    }
    expect(defaultRegistry().require('convert_units').definition.execution).toBe('row_wise');
  });

  test('the package root exposes steps, and every config field is described for the form', () => {
    expect(root.steps).toBe(steps);
    for (const slug of slugs) {
      const schema = steps[slug as keyof typeof steps].describe().config as {
        properties?: Record<string, { description?: string }>;
      };
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect(property.description, `${slug}.${field}`).toBeTruthy();
      }
    }
    const drop = steps.drop_nulls.describe().config as {
      properties: { threshold: { default: number; minimum: number; maximum: number } };
    };
    expect(drop.properties.threshold).toMatchObject({ default: 0.5, minimum: 0, maximum: 1 });
  });

  test('registerStandardSteps fills another registry', () => {
    const registry = new FunctionRegistry();
    registerStandardSteps(registry);
    expect(
      registry
        .list()
        .map((f) => f.slug)
        .sort(),
    ).toEqual([...slugs].sort());
  });

  test('a workflow document with a bad config is INVALID_CONFIG pointing into the document', () => {
    const doc = {
      formatVersion: 1,
      modules: ['fancyflow'],
      steps: [
        {
          id: 'cars',
          slug: 'read_json',
          version: '1.0.0',
          wiring: {},
          config: { dataset: 'cars.json' },
        },
        {
          id: 'clean',
          slug: 'drop_nulls',
          version: '1.0.0',
          wiring: { table: 'cars' },
          config: { threshold: 3 },
        },
      ],
    };
    try {
      Workflow.parse(doc, { registry: defaultRegistry() });
      expect.unreachable();
    } catch (e) {
      expect(isFancyflowError(e, 'INVALID_CONFIG')).toBe(true);
      expect((e as { details: { pointer: string } }).details.pointer).toBe(
        '/steps/1/config/threshold',
      );
    }
    // parsed without the registry, the Orchestrator refuses it when the step runs
    return run([...Workflow.parse(doc).steps]).then((r) => {
      expect(r.report.steps.map((s) => s.status)).toEqual(['completed', 'failed']);
      expect(r.error().code).toBe('INVALID_CONFIG');
    });
  });

  test('steps take apache-arrow tables too (a disk store resolves tables as Arrow)', async () => {
    const t = arrow.tableFromArrays({ x: Float64Array.from([3, 1, 2]), s: ['c', 'a', 'b'] });
    const out = await output<ColumnTable>(steps.sort({ table: 't' }, { by: [{ column: 'x' }] }), {
      t,
    });
    expect(out.array('s')).toEqual(['a', 'b', 'c']);
  });

  test('every table step completes on an empty table', async () => {
    const empty = aq.table({ a: [] as number[], s: [] as string[] });
    const file = path.join(tmpdir(), `fancyflow-empty-${process.pid}.csv`);
    const r = await run(
      [
        steps.describe({ table: 'e' }, {}, { id: 'describe' }),
        steps.describe({ table: 'e' }, { columns: [] }, { id: 'describe_none' }),
        steps.group_aggregate(
          { table: 'e' },
          { groupby: ['s'], aggregates: [{ op: 'count', as: 'n' }] },
          { id: 'groups' },
        ),
        steps.group_aggregate(
          { table: 'e' },
          {
            aggregates: [
              { op: 'mean', column: 'a', as: 'm' },
              { op: 'sum', column: 'a', as: 't' },
            ],
          },
          { id: 'whole' },
        ),
        steps.filter({ table: 'e' }, { where: [{ column: 'a', op: 'gt', value: 1 }] }, { id: 'f' }),
        steps.sample({ table: 'e' }, { n: 3, replace: true }, { id: 'sample' }),
        steps.chart({ table: 'e' }, { x: { field: 'a' } }, { id: 'chart' }),
        steps.convert_units({ table: 'e' }, { column: 'a', from: 'kg', to: 'lb' }, { id: 'units' }),
        steps.derive(
          { table: 'e' },
          { columns: [{ as: 'b', op: 'abs', args: [{ column: 'a' }] }] },
          { id: 'd' },
        ),
        steps.fill_nulls(
          { table: 'e' },
          { fills: [{ column: 'a', strategy: 'median' }] },
          { id: 'fill' },
        ),
        steps.drop_nulls({ table: 'e' }, {}, { id: 'drop' }),
        steps.sort({ table: 'e' }, { by: [{ column: 'a' }] }, { id: 'sort' }),
        steps.join({ left: 'e', right: 'e' }, { on: ['a'], how: 'full' }, { id: 'join' }),
        steps.write_csv({ table: 'e' }, { path: file }, { id: 'write' }),
      ],
      { e: empty },
    );
    rmSync(file, { force: true });
    expect(
      r.report.steps.filter((s) => s.status !== 'completed').map((s) => s.error?.message),
    ).toEqual([]);
    expect(r.output<ColumnTable>('whole').objects()).toEqual([{ m: null, t: 0 }]);
    expect(r.output<ColumnTable>('groups').numRows()).toBe(0);
    expect(r.output<ColumnTable>('describe').array('count')).toEqual([0, 0]);
  });
});
