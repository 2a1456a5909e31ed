/**
 * The README's screenshots, taken from the real JupyterLab: `npm run screenshots` (never part of
 * `npm test`, which must leave the checkout as it found it). Each shot is also a check that the
 * scene it shows is there.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  cells,
  openExample,
  openSidebars,
  readmeScreenshot,
  runFromPanel,
  waitForSteps,
  workflowPanel,
} from './flow-helpers';

test.use({ autoGoto: false, viewport: { width: 1400, height: 900 } });

const CARS = { groupAggregate: 11, chart: 13 };

test('README screenshots: the palette, a step cell with its form and badge, a run in the panel', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const palette = page.locator('#jp-fancyflow-palette');
  await expect(palette.locator('.jp-fancyflow-StepCard[data-slug="read_json"]')).toHaveCount(1);
  await readmeScreenshot(palette, 'palette.png');

  expect(await runFromPanel(page)).toBe('completed');
  await page.notebook.selectCells(CARS.groupAggregate);
  await cells(page).nth(CARS.groupAggregate).scrollIntoViewIfNeeded();
  await expect(workflowPanel(page).locator('.jp-fancyflow-StepEditor')).toBeVisible();
  await readmeScreenshot(page, 'step-cell-form-badge.png');

  await page.notebook.selectCells(CARS.chart);
  await cells(page).nth(CARS.chart).scrollIntoViewIfNeeded();
  await expect(
    cells(page).nth(CARS.chart).locator('.jp-RenderedVegaCommon5').first(),
  ).toBeVisible();
  await readmeScreenshot(page, 'workflow-panel-run.png');
});
