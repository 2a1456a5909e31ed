/**
 * "One truth" for the form, the code reader and the palette, as a new user meets them in the real
 * JupyterLab with the real kernel: a number field cleared and retyped holds exactly what was typed;
 * a year typed into the filter's value stays a number (and text in quotes stays text); a form edit
 * rewrites only the config's changed value and keeps the user's comment and other statement;
 * searching "limit" lists `limit` first; Wire… for a table input offers the table cells and shows
 * the chart cell disabled with its reason; the two sidebars have different icons.
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
const CARS = { dropNulls: 5, filter: 9, groupAggregate: 11, chart: 13 };

function workflow(page: IJupyterLabPageFixture) {
  return page.locator('#jp-fancyflow-workflow');
}

function palette(page: IJupyterLabPageFixture) {
  return page.locator('#jp-fancyflow-palette');
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

async function config(page: IJupyterLabPageFixture, index: number): Promise<unknown> {
  return (await cellMetadata(page, index))['config'];
}

async function open(page: IJupyterLabPageFixture, tmpPath: string): Promise<void> {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
}

test('a number field cleared and retyped holds exactly what was typed, in code and metadata', async ({
  page,
  tmpPath,
}) => {
  await open(page, tmpPath);
  await page.notebook.selectCells(CARS.groupAggregate);
  await palette(page)
    .locator('.jp-fancyflow-StepCard[data-slug="limit"]')
    .getByRole('button', { name: 'Insert Limit rows' })
    .click();
  const inserted = CARS.groupAggregate + 1;
  const generated = "steps.limit({ table: cell('by_origin') }, {}, { name: 'limit_1' })";
  await expect.poll(() => page.notebook.getCellTextInput(inserted)).toBe(generated);
  const n = workflow(page).locator('input#jp-fancyflow-config_n');
  await expect(n).toHaveValue('10'); // the default, shown
  expect(await config(page, inserted)).toEqual({ n: 10, offset: 0 });

  // select all, Backspace: the field stays empty (no snap back to 10) while the user edits
  await n.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.waitForTimeout(1000);
  await expect(n).toHaveValue('');
  await expect(n).toBeFocused();
  // type 7: exactly 7, never 107
  await page.keyboard.type('7');
  await expect(n).toHaveValue('7');
  await expect
    .poll(() => page.notebook.getCellTextInput(inserted))
    .toBe("steps.limit({ table: cell('by_origin') }, { n: 7 }, { name: 'limit_1' })");
  await expect.poll(() => config(page, inserted)).toEqual({ n: 7, offset: 0 });
  await page.waitForTimeout(800);
  await expect(n).toHaveValue('7');

  // cleared again: left out of the code, the default applies in the metadata, the field stays empty
  await n.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await expect.poll(() => page.notebook.getCellTextInput(inserted)).toBe(generated);
  await expect.poll(() => config(page, inserted)).toEqual({ n: 10, offset: 0 });
  await page.waitForTimeout(800);
  await expect(n).toHaveValue('');
});

test('a year typed into the filter stays a number; a form edit keeps comments and other statements', async ({
  page,
  tmpPath,
}) => {
  await open(page, tmpPath);
  const original = await page.notebook.getCellTextInput(CARS.filter);
  expect(original).toContain("value: 1975 }] },\n  { name: 'recent' },");
  await page.notebook.selectCells(CARS.filter);
  const value = workflow(page).locator('input#jp-fancyflow-config_where_0_value');
  await expect(value).toHaveValue('1975');
  const field = workflow(page).locator('.jp-fancyflow-LiteralField');
  await expect(field).toContainText('put text in quotes');
  await expect(field.locator('.jp-fancyflow-LiteralField-kind')).toHaveText('number');

  // a year: the number 1980, written in place of 1975 (the rest of the cell untouched)
  await value.fill('1980');
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.filter))
    .toBe(original.replace('value: 1975', 'value: 1980'));
  await expect
    .poll(() => config(page, CARS.filter))
    .toEqual({ where: [{ column: 'Model_year', op: 'ge', value: 1980 }], combine: 'and' });
  // in quotes: the text '1980'
  await value.fill('"1980"');
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.filter))
    .toBe(original.replace('value: 1975', "value: '1980'"));
  await expect
    .poll(() => config(page, CARS.filter))
    .toEqual({ where: [{ column: 'Model_year', op: 'ge', value: '1980' }], combine: 'and' });
  await expect(field.locator('.jp-fancyflow-LiteralField-kind')).toHaveText('text');

  // the user's own cell: a comment, a declaration and their formatting survive a form edit
  const written = [
    '// rows with at most 30% missing values',
    "const note: string = 'cleaned';",
    'steps.drop_nulls(',
    "  { table: cell('cars') }, // the raw data",
    '  { threshold: 0.3 },',
    "  { name: 'clean' },",
    ')',
  ].join('\n');
  await page.notebook.setCell(CARS.dropNulls, 'code', written);
  // as the editor keeps it (it indents typed lines on its own)
  const kept = await page.notebook.getCellTextInput(CARS.dropNulls);
  expect(kept).toContain('// rows with at most 30% missing values');
  await page.notebook.selectCells(CARS.dropNulls);
  const threshold = workflow(page).locator('input#jp-fancyflow-config_threshold');
  await expect(threshold).toHaveValue('0.3');
  await expect(workflow(page).locator('.jp-fancyflow-StepEditor')).not.toContainText(
    'changed by hand',
  );
  await threshold.fill('0.1');
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.dropNulls))
    .toBe(kept.replace('threshold: 0.3', 'threshold: 0.1'));
  await expect.poll(() => config(page, CARS.dropNulls)).toEqual({ threshold: 0.1 });
  expect((await cellMetadata(page, CARS.dropNulls))['customCode']).toBeUndefined();
});

test('the palette: its own icon, "limit" first, Wire… offers only cells that fit', async ({
  page,
  tmpPath,
}) => {
  await open(page, tmpPath);

  // the two sidebars' icons differ (and both follow the theme)
  const paletteIcon = page.locator('.jp-SideBar.jp-mod-left [data-id="jp-fancyflow-palette"] svg');
  const workflowIcon = page.locator(
    '.jp-SideBar.jp-mod-right [data-id="jp-fancyflow-workflow"] svg',
  );
  await expect(paletteIcon.locator('.jp-icon3')).toHaveCount(1);
  await expect(workflowIcon.locator('.jp-icon3')).toHaveCount(1);
  const [left, right] = [await paletteIcon.innerHTML(), await workflowIcon.innerHTML()];
  expect(left).not.toBe(right);

  // search: the step whose slug is the query comes first
  await palette(page).getByLabel('Search steps').fill('limit');
  const cards = palette(page).locator('.jp-fancyflow-StepCard');
  await expect(cards.first()).toHaveAttribute('data-slug', 'limit');
  await palette(page).getByLabel('Search steps').fill('');

  // run the workflow so the kernel knows what each cell holds
  expect(await runFromPanel(page)).toBe('completed');
  expect(await panelStatuses(page)).toEqual(Array(6).fill('completed'));

  // Wire… below the chart: the table input is offered the table cells, the chart is not
  await page.notebook.selectCells(CARS.chart);
  const card = palette(page).locator('.jp-fancyflow-StepCard[data-slug="limit"]');
  await card.getByRole('button', { name: 'Wire…' }).click();
  const select = card.getByLabel('Cell for table');
  await expect(select).toHaveValue('by_origin');
  const options = select.locator('option');
  const enabled = await select.locator('option:not([disabled])').allTextContents();
  expect(enabled.map((t) => t.split(' ')[0])).toEqual([
    'by_origin',
    'recent',
    'metric',
    'clean',
    'cars',
  ]);
  const chart = options.filter({ hasText: 'consumption_chart' });
  await expect(chart).toBeDisabled();
  await expect(chart).toContainText('a Vega-Lite v5 spec (json), not a table');
  await card.getByRole('button', { name: 'Insert wired' }).click();
  await expect
    .poll(() => page.notebook.getCellTextInput(CARS.chart + 1))
    .toBe("steps.limit({ table: cell('by_origin') }, {}, { name: 'limit_1' })");
});
