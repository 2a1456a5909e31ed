/**
 * The examples: `examples/cars.workflow.json` and `examples/cars.ipynb` parse against the standard
 * library, run on the real vega-datasets cars data with values computed here independently, and the
 * notebook carries the same workflow (step ids = its code cells' ids) and is valid nbformat 4.5.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ColumnTable } from 'arquero';
import { describe, expect, test } from 'vitest';
import {
  CellMetadataSchema,
  MemoryDatumStore,
  Orchestrator,
  Workflow,
  defaultRegistry,
  steps,
  type SerializedStep,
  type VegaLiteSpec,
} from '../src';
import { LANGUAGE_INFO } from '../src/kernel/language-info';

const examples = path.join(__dirname, '..', 'examples');
const jsonPath = path.join(examples, 'cars.workflow.json');
const notebookPath = path.join(examples, 'cars.ipynb');
const jsonText = readFileSync(jsonPath, 'utf8');
const notebookText = readFileSync(notebookPath, 'utf8');

interface Car {
  Miles_per_Gallon: number | null;
  Horsepower: number | null;
  Year: string;
  Origin: string;
  [key: string]: unknown;
}
const cars = JSON.parse(
  readFileSync(
    require.resolve('vega-datasets').replace(/build[/\\]index\.js$/, 'data/cars.json'),
    'utf8',
  ),
) as Car[];

/** The example's pipeline, computed with plain JavaScript from the raw JSON. */
function expected() {
  const clean = cars.filter((c) => Object.values(c).every((v) => v !== null && v !== undefined));
  const metric = clean.map((c) => ({
    ...c,
    Model_year: new Date(c.Year).getUTCFullYear(),
    L_per_100km: Math.round((235.215 / c.Miles_per_Gallon!) * 100) / 100,
  }));
  const recent = metric.filter((c) => c.Model_year >= 1975);
  const groups = new Map<string, typeof recent>();
  for (const c of recent) {
    const key = `${c.Origin}|${c.Model_year}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const byOrigin = [...groups.values()].map((g) => ({
    Origin: g[0]!.Origin,
    Model_year: g[0]!.Model_year,
    cars: g.length,
    mean_L_per_100km: mean(g.map((c) => c.L_per_100km)),
    mean_horsepower: mean(g.map((c) => c.Horsepower!)),
  }));
  return { clean, recent, byOrigin };
}

describe('examples/cars.workflow.json', () => {
  test('parses against the standard library and runs to real values', async () => {
    const workflow = Workflow.parse(jsonText, { registry: defaultRegistry() });
    expect(workflow.modules).toEqual(['fancyflow']);
    expect(workflow.steps.map((s) => s.slug)).toEqual([
      'read_json',
      'drop_nulls',
      'derive',
      'filter',
      'group_aggregate',
      'chart',
    ]);
    const store = new MemoryDatumStore();
    const report = await new Orchestrator({ store }).run(workflow);
    expect(report.steps.map((s) => [s.stepId, s.status, s.error?.message])).toEqual(
      workflow.steps.map((s) => [s.id, 'completed', undefined]),
    );
    const want = expected();
    expect(cars.length).toBe(406);
    expect(report.steps[0]!.summary?.shape).toEqual([406, 9]);
    expect(report.steps[1]!.summary?.shape).toEqual([want.clean.length, 9]);
    expect(want.clean.length).toBe(392);
    expect(report.steps[3]!.summary?.shape).toEqual([want.recent.length, 11]);

    const byOrigin = store.resolve('by_origin') as ColumnTable;
    expect(byOrigin.columnNames()).toEqual([
      'Origin',
      'Model_year',
      'cars',
      'mean_L_per_100km',
      'mean_horsepower',
    ]);
    const rows = byOrigin.objects() as (typeof want.byOrigin)[number][];
    expect(rows.length).toBe(want.byOrigin.length);
    rows.forEach((row, i) => {
      const w = want.byOrigin[i]!;
      expect([row.Origin, row.Model_year, row.cars]).toEqual([w.Origin, w.Model_year, w.cars]);
      expect(row.mean_L_per_100km).toBeCloseTo(w.mean_L_per_100km, 9);
      expect(row.mean_horsepower).toBeCloseTo(w.mean_horsepower, 9);
    });
    // 3 origins x 7 model years (1975-1980 and 1982: the data set has no 1981)
    expect(rows.length).toBe(21);
    expect(rows.reduce((s, r) => s + r.cars, 0)).toBe(want.recent.length);

    const spec = store.resolve('consumption_chart') as VegaLiteSpec;
    expect(spec.$schema).toBe('https://vega.github.io/schema/vega-lite/v5.json');
    expect(spec.mark.type).toBe('line');
    expect(spec.encoding.x).toMatchObject({ field: 'Model_year', type: 'ordinal' });
    expect(spec.encoding.color).toMatchObject({ field: 'Origin', type: 'nominal' });
    expect(spec.data.values).toEqual(
      rows.map((r) => ({
        Model_year: r.Model_year,
        mean_L_per_100km: r.mean_L_per_100km,
        Origin: r.Origin,
      })),
    );
  });
});

describe('examples/cars.ipynb', () => {
  const notebook = JSON.parse(notebookText) as {
    nbformat: number;
    nbformat_minor: number;
    metadata: {
      kernelspec: unknown;
      language_info: unknown;
      fancyflow: { steps: SerializedStep[] };
    };
    cells: {
      cell_type: string;
      id: string;
      source: string[];
      metadata: { fancyflow?: unknown };
      outputs: { output_type: string; data: Record<string, unknown> }[];
    }[];
  };

  test('carries the same workflow as the JSON document, with step ids = code cell ids', () => {
    expect([notebook.nbformat, notebook.nbformat_minor]).toEqual([4, 5]);
    expect(notebook.metadata.kernelspec).toEqual({
      name: 'fancyflow',
      display_name: 'TypeScript (fancyflow)',
      language: 'typescript',
    });
    const fromNotebook = Workflow.parse(notebookText, { registry: defaultRegistry() });
    const fromJson = Workflow.parse(jsonText, { registry: defaultRegistry() });
    expect(fromNotebook.modules).toEqual(fromJson.modules);
    expect(fromNotebook.metadata).toEqual(fromJson.metadata);
    // equal modulo ids: map each notebook id to the JSON id at the same position
    const idMap = new Map(fromNotebook.steps.map((s, i) => [s.id, fromJson.steps[i]!.id]));
    const normalised = fromNotebook.steps.map((s) => ({
      ...s,
      id: idMap.get(s.id),
      wiring: Object.fromEntries(Object.entries(s.wiring).map(([k, v]) => [k, idMap.get(v)])),
    }));
    expect(normalised).toEqual(fromJson.steps.map((s) => ({ ...s })));

    const stepCells = notebook.cells.filter((c) => c.metadata.fancyflow !== undefined);
    expect(stepCells.map((c) => c.id)).toEqual(fromNotebook.steps.map((s) => s.id));
    for (const [i, c] of stepCells.entries()) {
      const s = fromNotebook.steps[i]!;
      expect(c.cell_type).toBe('code');
      const meta = CellMetadataSchema.parse(c.metadata.fancyflow);
      expect(meta).toMatchObject({
        stepId: s.id,
        slug: s.slug,
        version: s.version,
        wiring: s.wiring,
        config: s.config,
        name: s.name,
        status: 'completed',
        outputCellId: s.id,
      });
      // the code a user would write: the step, its name, and cell('<name>') for each input
      const source = c.source.join('');
      expect(source).toContain(`steps.${s.slug}(`);
      expect(source).toContain(`name: '${s.name}'`);
      for (const cellId of Object.values(s.wiring)) {
        expect(source).toContain(`cell('${fromNotebook.get(cellId)!.name}')`);
      }
    }
    // saved from a run: every output agrees with its cell's status (and shows in any viewer)
    const shapeText = (shape: number[]) => `${shape[0]} rows × ${shape[1]} columns`;
    for (const c of stepCells) {
      const meta = CellMetadataSchema.parse(c.metadata.fancyflow);
      const result = c.outputs.find((o) => o.output_type === 'execute_result')!;
      if (meta.outputShape?.length === 2) {
        expect(result.data['text/html']).toContain(shapeText(meta.outputShape));
      }
    }
    const chart = stepCells.at(-1)!.outputs[0]!.data;
    expect(String(chart['image/svg+xml'])).toMatch(/^<svg/);
    expect(chart['text/html']).toBeUndefined();
    expect(notebook.metadata.language_info).toEqual(JSON.parse(JSON.stringify(LANGUAGE_INFO)));
    const code = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    expect(code[0]).toBe("import { steps, cell } from 'fancyflow';");
    expect(Object.keys(steps)).toEqual(
      expect.arrayContaining(fromNotebook.steps.map((s) => s.slug)),
    );
  });

  test('runs to the same chart as the JSON document', async () => {
    const a = new MemoryDatumStore();
    const b = new MemoryDatumStore();
    const nb = Workflow.parse(notebookText, { registry: defaultRegistry() });
    const js = Workflow.parse(jsonText, { registry: defaultRegistry() });
    expect((await new Orchestrator({ store: a }).run(nb)).status).toBe('completed');
    expect((await new Orchestrator({ store: b }).run(js)).status).toBe('completed');
    expect(a.cell(nb.steps.at(-1)!.id)!.fingerprint).toBe(b.cell('consumption_chart')!.fingerprint);
  });

  const python = '/usr/bin/python3';
  const hasNbformat =
    spawnSync(python, ['-c', 'import nbformat'], { stdio: 'ignore' }).status === 0;
  test.skipIf(!hasNbformat)(
    'is valid nbformat 4.5 (nbformat validator; skipped when Debian python3-nbformat is absent)',
    () => {
      const out = execFileSync(
        python,
        [
          '-c',
          'import sys, nbformat; nb = nbformat.read(sys.argv[1], 4); nbformat.validate(nb); print(nb.nbformat, nb.nbformat_minor, len(nb.cells))',
          notebookPath,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(out.trim()).toBe(`4 5 ${notebook.cells.length}`);
    },
  );
  if (!hasNbformat) {
    console.warn(
      `examples.test: ${python} cannot import nbformat (install Debian python3-nbformat); the nbformat validation is skipped`,
    );
  }
});
