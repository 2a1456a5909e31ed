/**
 * A step cell's three faces stay consistent whichever one the user edits: the config form, the
 * cell's code, and its `fancyflow` metadata (which a run in the kernel updates). Also: a step
 * dragged from the palette onto the notebook, and the "run on insert" setting.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  openExample,
  openSidebars,
  panelStatuses,
  runFromPanel,
  waitForSteps,
} from './flow-helpers';

test.use({ autoGoto: false });

/** The code cells of examples/cars.ipynb, by index. */
const CARS = { dropNulls: 5, groupAggregate: 11 };

function workflow(page: IJupyterLabPageFixture) {
  return page.locator('#jp-fancyflow-workflow');
}

async function runAll(page: IJupyterLabPageFixture, steps: number): Promise<void> {
  expect(await runFromPanel(page)).toBe('completed');
  expect(await panelStatuses(page)).toEqual(Array(steps).fill('completed'));
}

/** The `fancyflow` metadata of a cell, read from the notebook model in the page. */
async function cellMetadata(
  page: IJupyterLabPageFixture,
  index: number,
): Promise<Record<string, unknown>> {
  return page.evaluate((i) => {
    type Panel = {
      content: { model: { cells: { get(i: number): { getMetadata(k: string): unknown } } } };
    };
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: Panel } } })
      .jupyterapp;
    return app.shell.currentWidget.content.model.cells.get(i).getMetadata('fancyflow') as Record<
      string,
      unknown
    >;
  }, index);
}

test('form, code and metadata follow each other; a run by hand updates the metadata', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  await runAll(page, 6);

  await page.notebook.selectCells(CARS.dropNulls);
  const editor = workflow(page).locator('.jp-fancyflow-StepEditor');
  const threshold = editor.locator('input#jp-fancyflow-config_threshold');
  await expect(threshold).toHaveValue('0');

  // code → form and metadata
  await page.notebook.setCell(
    CARS.dropNulls,
    'code',
    "steps.drop_nulls({ table: cell('cars') }, { threshold: 0.25 }, { name: 'clean' })",
  );
  await page.notebook.selectCells(CARS.dropNulls);
  await expect(threshold).toHaveValue('0.25');
  await expect
    .poll(async () => (await cellMetadata(page, CARS.dropNulls))['config'])
    .toEqual({ threshold: 0.25 });

  // form → code and metadata (a default value is left out of the code)
  await threshold.fill('0.1');
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.dropNulls))
    .toBe("steps.drop_nulls({ table: cell('cars') }, { threshold: 0.1 }, { name: 'clean' })");
  await expect
    .poll(async () => (await cellMetadata(page, CARS.dropNulls))['config'])
    .toEqual({ threshold: 0.1 });

  // code that no longer has the generated shape: custom code, the form shows but does not edit
  await page.notebook.setCell(
    CARS.dropNulls,
    'code',
    "import { steps, cell } from 'fancyflow';\nconst limitShare = 0.2;\nsteps.drop_nulls({ table: cell('cars') }, { threshold: limitShare }, { name: 'clean' })",
  );
  await page.notebook.selectCells(CARS.dropNulls);
  await expect(editor).toContainText('changed by hand');
  await expect
    .poll(async () => (await cellMetadata(page, CARS.dropNulls))['customCode'])
    .toBe(true);
  // running the cell: the kernel's state brings the config it ran with into the metadata
  await page.notebook.runCell(CARS.dropNulls);
  await expect
    .poll(async () => (await cellMetadata(page, CARS.dropNulls))['config'], { timeout: 30_000 })
    .toEqual({ threshold: 0.2 });
  await page.notebook.selectCells(CARS.dropNulls); // running moved the selection on
  await expect(threshold).toHaveValue('0.2');
  await expect(threshold).toHaveAttribute('readonly', /.*/);
  const metadata = await cellMetadata(page, CARS.dropNulls);
  expect(metadata).toMatchObject({
    slug: 'drop_nulls',
    status: 'completed',
    name: 'clean',
    customCode: true,
  });
  const badge = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(CARS.dropNulls)
    .locator('.jp-fancyflow-StatusBadge');
  await expect(badge).toHaveAttribute('data-status', 'completed');
});

test('a step dragged from the palette lands below the cell it is dropped on', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const card = page.locator('#jp-fancyflow-palette .jp-fancyflow-StepCard[data-slug="sort"]');
  // the middle of the cell's code: its outputs below may still be laying out
  const target = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(CARS.groupAggregate)
    .locator('.jp-InputArea');
  await target.scrollIntoViewIfNeeded();
  await card.scrollIntoViewIfNeeded();
  await card.dragTo(target);
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.groupAggregate + 1))
    .toMatch(/^steps\.sort\(\{ table: cell\('by_origin'\) \}/);
  await expect(workflow(page).locator('.jp-fancyflow-StepRow')).toHaveCount(7);
});

async function saveSettings(page: IJupyterLabPageFixture, raw: string): Promise<void> {
  await page.evaluate(async (text) => {
    type Settings = { save(id: string, raw: string): Promise<void> };
    const app = (window as unknown as { jupyterapp: { serviceManager: { settings: Settings } } })
      .jupyterapp;
    await app.serviceManager.settings.save('fancyflow:notebook', text);
  }, raw);
}

test('with "run on insert" an inserted step runs at once', async ({ page, tmpPath }) => {
  await page.goto(`tree/${tmpPath}`);
  await saveSettings(page, JSON.stringify({ runOnInsert: true }));
  try {
    // the app loads again when the example opens, with the new settings
    await openExample(page, tmpPath, 'cars.ipynb');
    await openSidebars(page);
    await waitForSteps(page);
    await runAll(page, 6);
    await page.notebook.selectCells(CARS.groupAggregate);
    await page
      .locator('#jp-fancyflow-palette .jp-fancyflow-StepCard[data-slug="limit"]')
      .getByRole('button', { name: 'Insert Limit rows' })
      .click();
    const cell = page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(CARS.groupAggregate + 1);
    await expect(cell.locator('.jp-fancyflow-StatusBadge')).toHaveAttribute(
      'data-status',
      'completed',
      {
        timeout: 30_000,
      },
    );
    await expect(cell.locator('.jp-InputPrompt')).not.toHaveText('[ ]:');
    await expect(cell.locator('.jp-OutputArea-output')).not.toHaveCount(0);
  } finally {
    await saveSettings(page, '{}');
  }
});
