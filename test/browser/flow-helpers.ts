/**
 * Helpers of the fancyflow feature tests: open an example notebook on the fancyflow kernel, open
 * the palette and the workflow panel, wait for the kernel's steps, read statuses.
 */
import * as path from 'node:path';
import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The repository root. */
export const repo = path.resolve(__dirname, '..', '..');

/** Uploads `examples/<name>` into the test's folder and opens it; resolves with its path. */
export async function openExample(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
): Promise<string> {
  const target = `${tmpPath}/${name}`;
  expect(await page.contents.uploadFile(path.join(repo, 'examples', name), target)).toBe(true);
  await page.goto(`tree/${tmpPath}`);
  expect(await page.notebook.openByPath(target)).toBe(true);
  await page.notebook.activate(name);
  await waitForKernelIdle(page);
  return target;
}

/** Waits until the notebook's kernel is idle. */
export async function waitForKernelIdle(page: IJupyterLabPageFixture): Promise<void> {
  await expect(
    page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status="idle"]'),
  ).toBeVisible({
    timeout: 60_000,
  });
}

/** Opens the step palette (left) and the workflow panel (right). */
export async function openSidebars(page: IJupyterLabPageFixture): Promise<void> {
  await page.locator('.jp-SideBar.jp-mod-left [data-id="jp-fancyflow-palette"]').click();
  await expect(page.locator('#jp-fancyflow-palette')).toBeVisible();
  await page.locator('.jp-SideBar.jp-mod-right [data-id="jp-fancyflow-workflow"]').click();
  await expect(page.locator('#jp-fancyflow-workflow')).toBeVisible();
}

/** Waits until the palette lists the kernel's steps (at least `atLeast`). */
export async function waitForSteps(page: IJupyterLabPageFixture, atLeast = 12): Promise<void> {
  await expect
    .poll(async () => page.locator('#jp-fancyflow-palette .jp-fancyflow-StepCard').count(), {
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(atLeast);
}

/** The status of each step row of the workflow panel, in order. */
export async function panelStatuses(page: IJupyterLabPageFixture): Promise<string[]> {
  return page
    .locator('#jp-fancyflow-workflow .jp-fancyflow-StepRow')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['status'] ?? ''));
}

/** The output shape shown for each step row, in order. */
export async function panelShapes(page: IJupyterLabPageFixture): Promise<string[]> {
  return page
    .locator('#jp-fancyflow-workflow .jp-fancyflow-StepRow')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['shape'] ?? ''));
}

/** Records every status each step row takes (from the moment this is called). */
export async function recordStatuses(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { fancyflowSeen: typeof seen }).fancyflowSeen = seen;
    const panel = document.querySelector('#jp-fancyflow-workflow')!;
    const note = () => {
      for (const row of panel.querySelectorAll<HTMLElement>('.jp-fancyflow-StepRow')) {
        const id = row.dataset['stepId']!;
        const list = (seen[id] ??= []);
        const status = row.dataset['status']!;
        if (list.at(-1) !== status) list.push(status);
      }
    };
    note();
    new MutationObserver(note).observe(panel, { subtree: true, attributes: true, childList: true });
  });
}

/** The statuses recorded since {@link recordStatuses}. */
export async function recordedStatuses(
  page: IJupyterLabPageFixture,
): Promise<Record<string, string[]>> {
  return page.evaluate(
    () => (window as unknown as { fancyflowSeen: Record<string, string[]> }).fancyflowSeen,
  );
}
