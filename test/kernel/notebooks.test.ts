/**
 * Every notebook in examples/ runs headless (nbclient, as JupyterLab would: with cell ids) against
 * the real kernel, with no errors; each step cell shows its FancyCell; the workflow the kernel ends
 * up with is the one the notebook carries in its metadata.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CELL_MIME_TYPE, PROTOCOL_VERSION, type CellDisplay } from '../../src/protocol/messages';
import { repoRoot } from './kernel-process';
import {
  installKernelSpec,
  removeTempDirs,
  pythonHas,
  runPython,
  type PythonProcess,
} from './python-runner';

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}

interface ExecutedNotebook {
  cells: { id: string; cell_type: string; outputs: Output[] }[];
  workflow: {
    workflow: { steps: Record<string, unknown>[] };
    statuses: Record<string, { status: string }>;
  } & { error?: unknown };
}

interface NotebookFile {
  metadata: { fancyflow?: { steps: Record<string, unknown>[] } };
  cells: {
    id: string;
    cell_type: string;
    metadata?: { fancyflow?: { stepId: string; slug: string } };
  }[];
}

const examples = path.join(repoRoot, 'examples');
const notebooks = readdirSync(examples).filter((f) => f.endsWith('.ipynb'));
const running: PythonProcess[] = [];
let jupyterPath: string | undefined;

afterAll(() => {
  running.forEach((r) => r.stop());
  removeTempDirs();
});

async function execute(file: string): Promise<ExecutedNotebook> {
  jupyterPath ??= installKernelSpec();
  const run = runPython([path.join(__dirname, 'run-notebook.py'), file], {
    cwd: examples,
    jupyterPath,
    ms: 240_000,
    env: { FANCYFLOW_PROTOCOL_VERSION: String(PROTOCOL_VERSION) },
  });
  running.push(run);
  const { code, stdout, stderr } = await run.done;
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as ExecutedNotebook;
}

function cellDisplay(outputs: Output[]): CellDisplay | undefined {
  const result = outputs.find((o) => o.output_type === 'execute_result');
  return result?.data?.[CELL_MIME_TYPE] as CellDisplay | undefined;
}

describe('example notebooks run in the fancyflow kernel', () => {
  it('finds notebooks and Jupyter', () => {
    expect(notebooks.length).toBeGreaterThan(0);
    expect(pythonHas('nbclient'), 'run `node scripts/ensure-system.js` (python3-nbclient)').toBe(
      true,
    );
  });

  for (const name of notebooks) {
    it(`${name} executes without errors, shows FancyCells and rebuilds its workflow`, async () => {
      const file = path.join(examples, name);
      const notebook = JSON.parse(readFileSync(file, 'utf8')) as NotebookFile;
      const executed = await execute(file);

      for (const cell of executed.cells) {
        for (const output of cell.outputs) {
          expect(
            output.output_type,
            `${cell.id}: ${output.ename ?? ''} ${output.evalue ?? ''}`,
          ).not.toBe('error');
          if (output.output_type === 'stream') expect(output.name, output.text).not.toBe('stderr');
        }
      }

      const stepCells = notebook.cells.filter((c) => c.metadata?.fancyflow);
      for (const cell of stepCells) {
        const outputs = executed.cells.find((c) => c.id === cell.id)!.outputs;
        const display = cellDisplay(outputs);
        expect(display, `cell ${cell.id} shows a FancyCell`).toBeDefined();
        expect(display!.cell.id).toBe(cell.id);
        expect(display!.cell.producedBy?.slug).toBe(cell.metadata!.fancyflow!.slug);
        expect(display!.step?.status).toBe('completed');
        const data = outputs.find((o) => o.output_type === 'execute_result')!.data!;
        if (data['application/vnd.vegalite.v5+json'] !== undefined) {
          // a chart shows as a chart (and a static picture), not as an HTML card
          expect(String(data['image/svg+xml'])).toMatch(/^<svg/);
          expect(data['text/html']).toBeUndefined();
        } else {
          expect(data['text/html']).toContain('jp-fancyflow-CellDisplay');
        }
      }

      const expected = notebook.metadata.fancyflow?.steps ?? [];
      const actual = executed.workflow.workflow.steps;
      const key = (s: Record<string, unknown>) => ({
        id: s.id,
        slug: s.slug,
        version: s.version,
        wiring: s.wiring,
        config: s.config,
        name: s.name,
      });
      expect(actual.map(key)).toEqual(expected.map(key));
      for (const step of actual)
        expect(executed.workflow.statuses[step.id as string]?.status).toBe('completed');

      if (name === 'cars.ipynb') checkCars(notebook, executed);
    }, 300_000);
  }
});

describe('a notebook run in the kernel and by `fancyflow run` gives the same data', () => {
  const cases = [
    // standard steps, with fancyflow metadata
    path.join(examples, 'cars.ipynb'),
    // no fancyflow metadata (executed elsewhere), its step defined in one of its cells
    path.join(repoRoot, 'test', 'cli', 'fixtures', 'plain-notebook.ipynb'),
  ];
  for (const file of cases) {
    it(`${path.relative(repoRoot, file)}: same step outputs (fingerprints), step for step`, async () => {
      const executed = await execute(file);
      const fromKernel: Record<string, string> = {};
      for (const cell of executed.cells) {
        const display = cellDisplay(cell.outputs);
        if (display?.step) fromKernel[cell.id] = display.cell.fingerprint;
      }
      expect(Object.keys(fromKernel).length).toBeGreaterThanOrEqual(2);
      const cli = runCli(['run', file, '--json', '-q']);
      expect(cli.status, cli.stderr).toBe(0);
      const report = JSON.parse(cli.stdout) as {
        steps: { stepId: string; fingerprint?: string }[];
      };
      const fromCli = Object.fromEntries(report.steps.map((s) => [s.stepId, s.fingerprint]));
      expect(fromCli).toEqual(fromKernel);
    }, 300_000);
  }
});

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'fancyflow.js'), ...args],
    {
      encoding: 'utf8',
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The cars notebook's values, checked against the raw data set read here. */
function checkCars(notebook: NotebookFile, executed: ExecutedNotebook): void {
  const raw = JSON.parse(
    readFileSync(path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'cars.json'), 'utf8'),
  ) as Record<string, unknown>[];
  const complete = raw.filter((row) =>
    Object.values(row).every((v) => v !== null && v !== undefined),
  );
  const displays = notebook.cells
    .filter((c) => c.metadata?.fancyflow)
    .map((c) => cellDisplay(executed.cells.find((e) => e.id === c.id)!.outputs)!);
  const bySlug = new Map(displays.map((d) => [d.cell.producedBy!.slug, d]));
  expect(bySlug.get('read_json')!.cell.summary.shape).toEqual([
    raw.length,
    Object.keys(raw[0]!).length,
  ]);
  expect(bySlug.get('drop_nulls')!.cell.summary.shape![0]).toBe(complete.length);
  expect(bySlug.get('read_json')!.rows![0]!.Name).toBe(raw[0]!.Name);
  const chart = executed.cells
    .flatMap((c) => c.outputs)
    .find((o) => o.data?.['application/vnd.vegalite.v5+json']);
  expect(chart, 'the chart cell renders as Vega-Lite').toBeDefined();
}
