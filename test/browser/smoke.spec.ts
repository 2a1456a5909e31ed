/**
 * Smoke test of the whole stack a user meets: the JupyterLab host page, Debian's jupyter-server,
 * the "TypeScript (fancyflow)" kernel installed by `fancyflow install`, and a cell's output.
 */
import { expect, test } from '@jupyterlab/galata';

const KERNEL = 'TypeScript (fancyflow)';

test.use({ autoGoto: false });

test('a notebook on the fancyflow kernel runs a TypeScript cell and shows its output', async ({
  page,
  tmpPath,
}, testInfo) => {
  const t0 = Date.now();
  await page.goto(`tree/${tmpPath}`);
  const appReady = Date.now();

  // fancyflow's prebuilt extension was loaded from the Jupyter home and its plugins activated.
  const plugins = await page.evaluate(() => {
    const app = window.jupyterapp;
    return app
      .listPlugins()
      .filter((id) => id.startsWith('fancyflow:'))
      .map((id) => ({ id, activated: app.isPluginActivated(id) }));
  });
  expect(plugins.length).toBeGreaterThan(0);
  expect(plugins.filter((plugin) => !plugin.activated)).toEqual([]);

  await page.locator(`.jp-LauncherCard[data-category="Notebook"][title="${KERNEL}"]`).click();
  await expect(page.locator('.jp-NotebookPanel .jp-Notebook')).toBeVisible();
  await expect(page.locator('.jp-NotebookPanel .jp-KernelName')).toHaveText(KERNEL);
  await expect(
    page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]'),
  ).toBeVisible();
  const kernelIdle = Date.now();

  await page.notebook.setCell(
    0,
    'code',
    'const answer: number = 6 * 7;\nconsole.log(`answer=${answer}`);',
  );
  await page.notebook.runCell(0);
  const cellOutput = page.locator('.jp-Cell').first().locator('.jp-OutputArea-output');
  await expect(cellOutput).toHaveText(/^answer=42\s*$/);
  const output = Date.now();

  const figures = {
    pageToAppReadyMs: appReady - t0,
    launcherToKernelIdleMs: kernelIdle - appReady,
    runToOutputMs: output - kernelIdle,
    pageToFirstOutputMs: output - t0,
  };
  testInfo.annotations.push({ type: 'timings', description: JSON.stringify(figures) });
  console.log(`smoke timings: ${JSON.stringify(figures)}`);
});
