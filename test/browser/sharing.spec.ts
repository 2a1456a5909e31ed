/**
 * Sharing a notebook, in the real JupyterLab with the real kernel: opening one runs nothing (not
 * the modules its metadata names, not the cells that define steps), and its code runs only after
 * the user confirms the list of cells a run would execute; a notebook whose step is defined in its
 * own cells runs again after a reopen in a fresh kernel, from the panel, on one click; a notebook
 * built only from the palette gets its import once and an output in every step cell.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  badge,
  executionCounts,
  openSidebars,
  outputText,
  panelStatuses,
  runFromPanel,
  waitForKernelIdle,
  waitForSteps,
  workflowPanel,
} from './flow-helpers';

test.use({ autoGoto: false });

const KERNELSPEC = {
  name: 'fancyflow',
  display_name: 'TypeScript (fancyflow)',
  language: 'typescript',
};

interface CellJson {
  cell_type: 'code' | 'markdown';
  id: string;
  source: string;
  metadata: Record<string, unknown>;
  outputs?: [];
  execution_count?: null;
}

function code(id: string, source: string, metadata: Record<string, unknown> = {}): CellJson {
  return { cell_type: 'code', id, source, metadata, outputs: [], execution_count: null };
}

function stepMeta(
  id: string,
  slug: string,
  wiring: Record<string, string>,
  config: object,
  name: string,
) {
  return { fancyflow: { stepId: id, slug, version: '1.0.0', wiring, config, name } };
}

function notebookJson(cells: CellJson[], fancyflow?: unknown): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNELSPEC, ...(fancyflow ? { fancyflow } : {}) },
    cells,
  });
}

/** The server's folder of this test (files written here reach JupyterLab as someone else's). */
function serverFolder(tmpPath: string): string {
  const root = process.env.FANCYFLOW_LAB_ROOT;
  if (!root) throw new Error('FANCYFLOW_LAB_ROOT is not set (the global setup sets it)');
  return path.join(root, tmpPath);
}

async function open(page: IJupyterLabPageFixture, tmpPath: string, name: string): Promise<void> {
  await page.goto(`tree/${tmpPath}`);
  expect(await page.notebook.openByPath(`${tmpPath}/${name}`)).toBe(true);
  await page.notebook.activate(name);
  await waitForKernelIdle(page);
}

const POWER_STEP = `const powerToWeight = step(
  {
    slug: 'power_to_weight',
    title: 'Power to weight',
    category: 'Transform',
    inputs: { table: aqTable() },
    config: z.object({ as: z.string().default('hp_per_tonne') }),
    output: aqTable(),
    traits: { execution: 'row_wise' },
  },
  (row, { as }) => ({ ...row, [as]: Number(row.Horsepower) / (Number(row.Weight_in_lbs) / 2204.62) }),
);`;

function powerNotebook(): string {
  const cells = [
    code(
      'imports',
      "import { z } from 'zod';\nimport { step, steps, cell, aqTable } from 'fancyflow';",
    ),
    code('define', POWER_STEP),
    code(
      'cars',
      "steps.read_json({}, { dataset: 'cars.json' }, { name: 'cars' })",
      stepMeta('cars', 'read_json', {}, { dataset: 'cars.json', autoType: true }, 'cars'),
    ),
    code(
      'power',
      "steps.power_to_weight({ table: cell('cars') }, {}, { name: 'power' })",
      stepMeta('power', 'power_to_weight', { table: 'cars' }, { as: 'hp_per_tonne' }, 'power'),
    ),
  ];
  return notebookJson(cells, {
    formatVersion: 2,
    steps: [
      {
        id: 'cars',
        slug: 'read_json',
        version: '1.0.0',
        wiring: {},
        config: { dataset: 'cars.json', autoType: true },
        name: 'cars',
      },
      {
        id: 'power',
        slug: 'power_to_weight',
        version: '1.0.0',
        wiring: { table: 'cars' },
        config: { as: 'hp_per_tonne' },
        name: 'power',
      },
    ],
    modules: ['fancyflow'],
    definitions: { power_to_weight: 'define' },
    metadata: {},
  });
}

test('a step defined in a cell: after a reopen in a fresh kernel the panel names its cell and runs it', async ({
  page,
  tmpPath,
}) => {
  // uploaded by the user (a notebook API save): signed by this server, so trusted
  expect(await page.contents.uploadContent(powerNotebook(), 'text', `${tmpPath}/power.ipynb`)).toBe(
    true,
  );
  await open(page, tmpPath, 'power.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const panel = workflowPanel(page);
  const missing = panel.locator('.jp-fancyflow-MissingSteps');
  await expect(missing).toContainText('This kernel has not registered “power_to_weight” yet');
  await expect(missing).toContainText('[2] const powerToWeight = step(');
  expect(
    await runFromPanel(page, { button: 'Run the cells that define them', confirm: true }),
  ).toBe('completed');
  await expect(missing).toHaveCount(0);
  // only what defines the step ran (the imports it needs, and the definition)
  expect(await executionCounts(page)).toEqual([1, 2, null, null]);
  await expect(
    page.locator('#jp-fancyflow-palette .jp-fancyflow-StepCard[data-slug="power_to_weight"]'),
  ).toHaveCount(1);
  expect(await runFromPanel(page, { confirm: true })).toBe('completed');
  expect(await panelStatuses(page)).toEqual(['completed', 'completed']);
  expect((await badge(page, 3)).text).toMatch(/^completed · 406 × 10/);
  expect(await outputText(page, 3)).toContain('hp_per_tonne');

  // saved, closed, kernel gone: reopened, the panel shows what was saved and runs it on one click
  await page.notebook.save();
  await page.notebook.close();
  await page.kernel.shutdownAll();
  await page.evaluate(async (p) => {
    await window.jupyterapp.commands.execute('docmanager:open', { path: p });
  }, `${tmpPath}/power.ipynb`);
  await waitForKernelIdle(page);
  await expect(panel.locator('.jp-fancyflow-StepRow')).toHaveCount(2);
  expect(await panelStatuses(page)).toEqual(['completed', 'completed']);
  expect((await badge(page, 3)).saved).toBe(true);
  await expect(missing).toContainText('“power_to_weight”');
  expect(await runFromPanel(page)).toBe('completed');
  expect(await executionCounts(page)).toEqual([1, 2, 3, 4]);
  expect((await badge(page, 3)).saved).toBe(false);
  expect((await badge(page, 3)).text).toMatch(/^completed · 406 × 10/);
});

test('a notebook from someone else runs nothing when opened; a run lists the cells it executes', async ({
  page,
  tmpPath,
}) => {
  // written straight to the server's disk, as a download or a git clone would: not signed here
  const folder = serverFolder(tmpPath);
  const moduleMarker = path.join(folder, 'module-ran');
  const cellMarker = path.join(folder, 'cell-ran');
  fs.writeFileSync(
    path.join(folder, 'evil.js'),
    `require('fs').writeFileSync(${JSON.stringify(moduleMarker)}, 'the module ran');\n`,
  );
  const define = `import { z } from 'zod';
import { step, steps } from 'fancyflow';
import { writeFileSync } from 'fs';
writeFileSync(${JSON.stringify(cellMarker)}, 'the definition cell ran');
step({ slug: 'shady', inputs: {}, output: z.array(z.number()) }, () => [1, 2, 3]);`;
  const cells = [
    code('define', define),
    code(
      'shady',
      "steps.shady({}, {}, { name: 'shady' })",
      stepMeta('shady', 'shady', {}, {}, 'shady'),
    ),
  ];
  fs.writeFileSync(
    path.join(folder, 'shared.ipynb'),
    notebookJson(cells, {
      formatVersion: 2,
      steps: [
        { id: 'shady', slug: 'shady', version: '1.0.0', wiring: {}, config: {}, name: 'shady' },
      ],
      modules: ['fancyflow', './evil.js'],
      definitions: { shady: 'define' },
      metadata: {},
    }),
  );
  await open(page, tmpPath, 'shared.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const panel = workflowPanel(page);
  await expect(panel.locator('.jp-fancyflow-StepRow')).toHaveCount(1);
  await expect(panel.locator('.jp-fancyflow-MissingSteps')).toContainText('“shady”');
  await page.waitForTimeout(2000);
  expect(fs.existsSync(cellMarker)).toBe(false);
  expect(fs.existsSync(moduleMarker)).toBe(false);
  expect(await executionCounts(page)).toEqual([null, null]);

  // a run asks first, naming exactly the cells it would execute; declining runs nothing
  await panel.getByRole('button', { name: 'Run all' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Run code from an untrusted notebook?');
  const items = dialog.locator('.jp-fancyflow-TrustDialog-cells li');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toContainText("[1] import { z } from 'zod';");
  await expect(items.nth(1)).toContainText("[2] shady: steps.shady({}, {}, { name: 'shady' })");
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForTimeout(1000);
  expect(fs.existsSync(cellMarker)).toBe(false);
  expect(await executionCounts(page)).toEqual([null, null]);

  expect(await runFromPanel(page, { confirm: true })).toBe('completed');
  expect(fs.existsSync(cellMarker)).toBe(true);
  // the modules its metadata names are never loaded by the extension: notebooks load code in cells
  expect(fs.existsSync(moduleMarker)).toBe(false);
  expect(await panelStatuses(page)).toEqual(['completed']);
});

test('a notebook made from the palette: the import goes in once, every step cell shows its output', async ({
  page,
  tmpPath,
}) => {
  expect(
    await page.contents.uploadContent(
      notebookJson([
        { cell_type: 'markdown', id: 'title', source: '# From the palette', metadata: {} },
      ]),
      'text',
      `${tmpPath}/palette.ipynb`,
    ),
  ).toBe(true);
  await open(page, tmpPath, 'palette.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const insert = (slug: string, config: Record<string, string | number>) =>
    page.evaluate(
      ([s, c]) =>
        window.jupyterapp.commands.execute('fancyflow:insert-step', { slug: s, config: c }),
      [slug, config] as const,
    );
  await page.notebook.selectCells(0);
  await insert('read_json', { dataset: 'cars.json' });
  await insert('limit', { n: 5 });
  expect(await page.notebook.getCellCount()).toBe(4);
  expect(await page.notebook.getCellTextInput(1)).toBe("import { steps, cell } from 'fancyflow';");
  expect(await page.notebook.getCellTextInput(2)).toBe(
    "steps.read_json({}, { dataset: 'cars.json' }, { name: 'read_json_1' })",
  );
  expect(await page.notebook.getCellTextInput(3)).toBe(
    "steps.limit({ table: cell('read_json_1') }, { n: 5 }, { name: 'limit_1' })",
  );
  // never executed by hand: the run from the panel gives every step cell its output (the user
  // made these cells, so they are trusted: nothing to ask)
  expect(await runFromPanel(page)).toBe('completed');
  expect((await badge(page, 2)).text).toMatch(/^completed · 406 × 9/);
  expect(await outputText(page, 2)).toContain('406 rows × 9 columns');
  expect((await badge(page, 3)).text).toMatch(/^completed · 5 × 9/);
  expect(await outputText(page, 3)).toContain('5 rows × 9 columns');
});
