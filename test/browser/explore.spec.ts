import { expect, test } from '@jupyterlab/galata';
import { openExample, openSidebars, waitForSteps } from './flow-helpers';

test.use({ autoGoto: false });

test('explore', async ({ page, tmpPath }) => {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.text()); });
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  await page.screenshot({ path: '/tmp/explore1.png' });
  await expect(page.locator('#jp-fancyflow-workflow .jp-fancyflow-StepRow')).toHaveCount(6);
});
