/**
 * The extension as a user meets it, in the real JupyterLab with the real fancyflow kernel: the
 * palette lists the standard steps; a step is inserted and configured through its form; the panel
 * runs the workflow and the statuses change live; the saved .ipynb is valid and carries the
 * workflow; a fresh kernel shows it at once and re-runs it to the same outputs; a failing step
 * shows its error and the steps after it are skipped; a long run is cancelled; a notebook without
 * the fancyflow kernel says so and offers to change it. Also writes the README's screenshots.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  openExample,
  openSidebars,
  panelShapes,
  panelStatuses,
  repo,
  waitForKernelIdle,
  waitForSteps,
} from './flow-helpers';

test.use({ autoGoto: false });

const screenshots = path.join(repo, 'docs', 'screenshots');
const STANDARD = [
  'read_csv',
  'read_json',
  'select',
  'filter',
  'derive',
  'drop_nulls',
  'fill_nulls',
  'sort',
  'group_aggregate',
  'join',
  'limit',
  'chart',
];
/** The code cells of examples/cars.ipynb, by index. */
const CARS = { groupAggregate: 11, filter: 9, chart: 13 };

function workflow(page: IJupyterLabPageFixture) {
  return page.locator('#jp-fancyflow-workflow');
}

async function runAllFromPanel(page: IJupyterLabPageFixture): Promise<void> {
  const button = workflow(page).getByRole('button', { name: 'Run all' });
  await expect(button).toBeEnabled({ timeout: 60_000 });
  await button.click();
}

/** Records every value each cell badge's `data-status` takes (mutation records keep old values). */
async function recordBadges(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<number, string[]> = {};
    const notebook = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')!;
    const cellIndex = (node: Element) =>
      [...notebook.querySelectorAll('.jp-Cell')].indexOf(node.closest('.jp-Cell')!);
    const push = (i: number, value: string | null | undefined) => {
      if (!value) return;
      const list = (seen[i] ??= []);
      if (list.at(-1) !== value) list.push(value);
    };
    for (const badge of notebook.querySelectorAll<HTMLElement>('.jp-fancyflow-StatusBadge')) {
      push(cellIndex(badge), badge.dataset['status']);
    }
    new MutationObserver((records) => {
      for (const r of records) {
        const target = r.target as HTMLElement;
        if (!target.classList?.contains('jp-fancyflow-StatusBadge')) continue;
        const i = cellIndex(target);
        push(i, r.oldValue);
        push(i, target.dataset['status']);
      }
    }).observe(notebook, {
      subtree: true,
      attributes: true,
      attributeFilter: ['data-status'],
      attributeOldValue: true,
    });
    (window as unknown as { badgeStatuses: typeof seen }).badgeStatuses = seen;
  });
}

async function readNotebook(
  page: IJupyterLabPageFixture,
  filePath: string,
): Promise<{
  metadata: Record<string, unknown>;
  cells: { id: string; cell_type: string; source: string; metadata: Record<string, unknown> }[];
}> {
  const response = await page.request.get(`api/contents/${filePath}?content=1&type=notebook`);
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { content: never }).content;
}

/** nbformat's own validator (Debian's python3-nbformat) on the saved file's JSON. */
function validateWithNbformat(notebook: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ff-nb-')), 'saved.ipynb');
  fs.writeFileSync(file, JSON.stringify(notebook));
  const result = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")',
      file,
    ],
    { encoding: 'utf8' },
  );
  return (result.stdout + result.stderr).trim();
}

test('insert a step, configure it in its form, run all from the panel, save, reopen in a fresh kernel and re-run', async ({
  page,
  tmpPath,
}) => {
  const notebookPath = await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);

  // the palette lists the standard steps, with their contracts, config and traits
  const palette = page.locator('#jp-fancyflow-palette');
  for (const slug of STANDARD) {
    await expect(palette.locator(`.jp-fancyflow-StepCard[data-slug="${slug}"]`)).toHaveCount(1);
  }
  // README screenshot: the palette as it opens
  await palette.screenshot({ path: path.join(screenshots, 'palette.png') });
  const dropNulls = palette.locator('.jp-fancyflow-StepCard[data-slug="drop_nulls"]');
  await expect(dropNulls).toContainText('table: table');
  await expect(dropNulls).toContainText('threshold');
  await expect(dropNulls).toContainText('batch');
  // search by title, slug, description or category
  const total = await palette.locator('.jp-fancyflow-StepCard').count();
  await palette.getByLabel('Search steps').fill('nulls');
  await expect(palette.locator('.jp-fancyflow-StepCard[data-slug="read_csv"]')).toHaveCount(0);
  await expect(palette.locator('.jp-fancyflow-StepCard[data-slug="fill_nulls"]')).toHaveCount(1);
  await expect(palette.locator('.jp-fancyflow-StepCard[data-slug="drop_nulls"]')).toHaveCount(1);
  for (const text of await palette.locator('.jp-fancyflow-StepCard').allTextContents()) {
    expect(text.toLowerCase()).toContain('null');
  }
  await palette.getByLabel('Search steps').fill('');
  await expect(palette.locator('.jp-fancyflow-StepCard')).toHaveCount(total);

  // the saved workflow is shown at once, every step pending (this kernel has run nothing)
  await expect(workflow(page).locator('.jp-fancyflow-StepRow')).toHaveCount(6);
  expect(new Set(await panelStatuses(page))).toEqual(new Set(['pending']));

  // insert `limit` below the aggregate: wired to it by default
  await page.notebook.selectCells(CARS.groupAggregate);
  await palette
    .locator('.jp-fancyflow-StepCard[data-slug="limit"]')
    .getByRole('button', { name: 'Insert Limit rows' })
    .click();
  const inserted = CARS.groupAggregate + 1;
  await expect
    .poll(() => page.notebook.getCellTextInput(inserted))
    .toBe(
      "import { steps, cell } from 'fancyflow';\nsteps.limit({ table: cell('by_origin') }, {}, { name: 'limit_1' })",
    );
  await expect(workflow(page).locator('.jp-fancyflow-StepRow')).toHaveCount(7);

  // its config through the form: code and metadata follow
  const editor = workflow(page).locator('.jp-fancyflow-StepEditor');
  await expect(editor).toContainText('Limit rows');
  const n = editor.locator('input#jp-fancyflow-config_n');
  await n.fill('5');
  await expect
    .poll(() => page.notebook.getCellTextInput(inserted))
    .toBe(
      "import { steps, cell } from 'fancyflow';\nsteps.limit({ table: cell('by_origin') }, { n: 5 }, { name: 'limit_1' })",
    );

  // run all from the panel; the badges go pending → running → completed
  await recordBadges(page);
  await runAllFromPanel(page);
  await expect
    .poll(() => panelStatuses(page), { timeout: 60_000 })
    .toEqual(Array(7).fill('completed'));
  const badges = await page.evaluate(
    () => (window as unknown as { badgeStatuses: Record<number, string[]> }).badgeStatuses,
  );
  const limitBadge = badges[inserted] ?? [];
  expect(limitBadge.at(-1)).toBe('completed');
  expect(limitBadge).toContain('running');
  await expect(workflow(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Run completed: 7 of 7 steps',
  );
  const shapes = await panelShapes(page);
  expect(shapes[0]).toBe('406 × 9');
  expect(shapes[1]).toBe('392 × 9');
  expect(shapes[5]).toBe('5 × 5');

  // README screenshot: a step cell with its form and badge
  await page.notebook.selectCells(inserted);
  await page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(inserted).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'step-cell-form-badge.png') });

  // save: the .ipynb carries the workflow (7 steps) and each step cell its metadata, valid for nbformat
  await page.notebook.save();
  const saved = await readNotebook(page, notebookPath);
  const document = saved.metadata['fancyflow'] as {
    formatVersion: number;
    steps: { id: string; slug: string; config: Record<string, unknown> }[];
  };
  expect(document.formatVersion).toBe(1);
  expect(document.steps.map((s) => s.slug)).toEqual([
    'read_json',
    'drop_nulls',
    'derive',
    'filter',
    'group_aggregate',
    'limit',
    'chart',
  ]);
  expect(document.steps[5]!.config).toEqual({ n: 5, offset: 0 });
  const limitCell = saved.cells[inserted]!;
  expect(limitCell.metadata['fancyflow']).toMatchObject({
    slug: 'limit',
    status: 'completed',
    outputShape: [5, 5],
    name: 'limit_1',
  });
  expect(validateWithNbformat(saved)).toBe('valid');

  // reopen in a fresh kernel: the workflow shows at once, and "run all" reproduces the outputs
  await page.notebook.close();
  await page.kernel.shutdownAll();
  await page.evaluate(async (p) => {
    await (
      window as unknown as {
        jupyterapp: { commands: { execute(id: string, args: unknown): Promise<unknown> } };
      }
    ).jupyterapp.commands.execute('docmanager:open', { path: p });
  }, notebookPath);
  await expect(workflow(page).locator('.jp-fancyflow-StepRow')).toHaveCount(7);
  expect(new Set(await panelStatuses(page))).toEqual(new Set(['pending']));
  await waitForKernelIdle(page);
  await runAllFromPanel(page);
  await expect
    .poll(() => panelStatuses(page), { timeout: 60_000 })
    .toEqual(Array(7).fill('completed'));
  expect(await panelShapes(page)).toEqual(shapes);
});

test('a failing step shows its error and the steps after it are skipped', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  // the filter now names a column the table does not have
  await page.notebook.setCell(
    CARS.filter,
    'code',
    "steps.filter({ table: cell('metric') }, { where: [{ column: 'Nope', op: 'ge', value: 1975 }] }, { name: 'recent' })",
  );
  await runAllFromPanel(page);
  await expect
    .poll(() => panelStatuses(page), { timeout: 60_000 })
    .toEqual(['completed', 'completed', 'completed', 'failed', 'skipped', 'skipped']);
  const failedRow = workflow(page).locator('.jp-fancyflow-StepRow[data-status="failed"]');
  await expect(failedRow.locator('.jp-fancyflow-StepRow-error')).toContainText('Nope');
  // the cell shows its error under the code
  const cellStatus = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(CARS.filter)
    .locator('.jp-fancyflow-CellStatus');
  await expect(cellStatus.locator('.jp-fancyflow-StatusBadge')).toHaveAttribute(
    'data-status',
    'failed',
  );
  await expect(cellStatus).toContainText('Nope');
  const skipped = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(CARS.chart)
    .locator('.jp-fancyflow-CellStatus');
  await expect(skipped.locator('.jp-fancyflow-StatusBadge')).toHaveAttribute(
    'data-status',
    'skipped',
  );
  await expect(workflow(page).locator('.jp-fancyflow-Progress')).toContainText('Run failed');
});

const SLOW_STEP = `import { step, jsonValue } from 'fancyflow';
step(
  { slug: 'wait_long', title: 'Wait a minute', category: 'Testing', inputs: {}, output: jsonValue },
  (_inputs, _config, { signal }) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(60), 60_000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('stopped by the user'));
      });
    }),
);
'wait_long defined';`;

test('a long run is cancelled from the panel', async ({ page, tmpPath }) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  // a cell defines a new step: the palette shows it at once
  const last = (await page.notebook.getCellCount()) - 1;
  await page.notebook.selectCells(last);
  await page.notebook.addCell('code', SLOW_STEP);
  await page.notebook.runCell(last + 1);
  const palette = page.locator('#jp-fancyflow-palette');
  const card = palette.locator('.jp-fancyflow-StepCard[data-slug="wait_long"]');
  await expect(card).toHaveCount(1, { timeout: 30_000 });
  await expect(card).toContainText('Wait a minute');
  await page.notebook.selectCells(last + 1);
  await card.getByRole('button', { name: 'Insert Wait a minute' }).click();
  await expect
    .poll(() => page.notebook.getCellTextInput(last + 2))
    .toContain("defaultRegistry().require('wait_long')({}, {}, { name: 'wait_long_1' })");
  await runAllFromPanel(page);
  const waitRow = workflow(page).locator('.jp-fancyflow-StepRow').last();
  await expect(waitRow).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect(workflow(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Running: 6 of 7 steps',
  );
  await workflow(page).screenshot({ path: path.join(screenshots, 'workflow-panel-running.png') });
  await workflow(page).getByRole('button', { name: 'Cancel' }).click();
  await expect(waitRow).toHaveAttribute('data-status', 'failed', { timeout: 30_000 });
  await expect(waitRow.locator('.jp-fancyflow-StepRow-error')).toBeVisible();
  await expect(workflow(page).locator('.jp-fancyflow-Progress')).toContainText('Run cancelled');
});

test('without the fancyflow kernel the sidebars say so and offer to change it', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const cells = await page.notebook.getCellCount();
  await page.kernel.shutdownAll();
  const notice = workflow(page).locator('.jp-fancyflow-Notice[role="note"]');
  await expect(notice).toContainText(/no kernel|died|starting/i);
  await expect(page.locator('#jp-fancyflow-palette .jp-fancyflow-Notice')).toBeVisible();
  // nothing in the notebook is lost: the workflow is still shown from the notebook
  expect(await page.notebook.getCellCount()).toBe(cells);
  await expect(workflow(page).locator('.jp-fancyflow-StepRow')).toHaveCount(6);
  await workflow(page)
    .getByRole('button', { name: 'Change kernel to TypeScript (fancyflow)' })
    .click();
  await waitForSteps(page);
  await runAllFromPanel(page);
  await expect
    .poll(() => panelStatuses(page), { timeout: 60_000 })
    .toEqual(Array(6).fill('completed'));
});
