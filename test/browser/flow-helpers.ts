/**
 * Helpers of the fancyflow feature tests: open an example notebook on the fancyflow kernel, open
 * the palette and the workflow panel, wait for the kernel's steps, read statuses.
 */
import * as path from 'node:path';
import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The repository root. */
export const repo = path.resolve(__dirname, '..', '..');

/**
 * Uploads `examples/<name>` into the test's folder and opens it; resolves with its path. The
 * example carries outputs, so this server does not trust it when opened: `trust` (default true)
 * trusts it with JupyterLab's command, as its owner would.
 */
export async function openExample(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  options: { trust?: boolean } = {},
): Promise<string> {
  const target = `${tmpPath}/${name}`;
  expect(await page.contents.uploadFile(path.join(repo, 'examples', name), target)).toBe(true);
  await page.goto(`tree/${tmpPath}`);
  expect(await page.notebook.openByPath(target)).toBe(true);
  await page.notebook.activate(name);
  await waitForKernelIdle(page);
  if (options.trust ?? true) await trustNotebook(page);
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

/** The workflow panel. */
export function workflowPanel(page: IJupyterLabPageFixture) {
  return page.locator('#jp-fancyflow-workflow');
}

/** The cell widgets of the visible notebook. */
export function cells(page: IJupyterLabPageFixture) {
  return page.locator('.jp-NotebookPanel:visible .jp-Cell');
}

/**
 * Trusts the current notebook with JupyterLab's own command (what a user does for a notebook
 * they know), so runs from the panel ask nothing.
 */
export async function trustNotebook(page: IJupyterLabPageFixture): Promise<void> {
  const done = page.evaluate(() =>
    window.jupyterapp.commands.execute('notebook:trust').then(() => undefined),
  );
  // "Trust" (warn), or "OK" when it is trusted already
  await page
    .locator('.jp-Dialog')
    .locator('button.jp-mod-warn, button.jp-mod-accept')
    .first()
    .click();
  await done;
}

/**
 * Starts a run from the panel (`Run all`, or a row's button; with `force`, Shift-clicked) and waits
 * until it ended; accepts the question about untrusted cells when `confirm` says so. Resolves with the run's status.
 */
export async function runFromPanel(
  page: IJupyterLabPageFixture,
  options: {
    button?: string;
    stepIndex?: number;
    confirm?: boolean;
    timeout?: number;
    /** Shift-click: recompute what the cache holds. */
    force?: boolean;
  } = {},
): Promise<string> {
  const panel = workflowPanel(page);
  const progress = panel.locator('.jp-fancyflow-Progress');
  const before = (await progress.count()) > 0 ? await progress.getAttribute('data-run-id') : null;
  const scope =
    options.stepIndex === undefined
      ? panel
      : panel.locator('.jp-fancyflow-StepRow').nth(options.stepIndex);
  const button = scope.getByRole('button', { name: options.button ?? 'Run all' });
  await expect(button).toBeEnabled({ timeout: 60_000 });
  await button.click(options.force ? { modifiers: ['Shift'] } : {});
  if (options.confirm) {
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Run code from an untrusted notebook?');
    await dialog.locator('button.jp-mod-warn').click();
  }
  // Waited for in the page with a native querySelector every 100 ms: Playwright's own locator
  // queries walk the whole DOM (shadow roots included) on the page's main thread, and polling
  // them during a run would take the main thread from what the run is measured by.
  await page.waitForFunction(
    (previous) => {
      const node = document.querySelector('#jp-fancyflow-workflow .jp-fancyflow-Progress');
      return (
        node !== null &&
        node.getAttribute('data-run-id') !== previous &&
        node.getAttribute('data-status') !== 'running'
      );
    },
    before,
    { polling: 100, timeout: options.timeout ?? 120_000 },
  );
  return (await progress.getAttribute('data-status')) ?? '';
}

/** The text of a cell's outputs. */
export async function outputText(page: IJupyterLabPageFixture, index: number): Promise<string> {
  return (await cells(page).nth(index).locator('.jp-OutputArea').textContent()) ?? '';
}

/**
 * The badge of a step cell: its status, what it shows (`state`: the status, or `stale`,
 * `upstream-stale`), text, hover text and whether it shows a saved status.
 */
export async function badge(
  page: IJupyterLabPageFixture,
  index: number,
): Promise<{
  status: string;
  state: string;
  text: string;
  title: string;
  saved: boolean;
  error: string;
}> {
  const line = cells(page).nth(index).locator('.jp-fancyflow-CellStatus');
  const b = line.locator('.jp-fancyflow-StatusBadge');
  return {
    status: (await b.getAttribute('data-status')) ?? '',
    state: (await b.getAttribute('data-state')) ?? '',
    text: (await b.textContent()) ?? '',
    title: (await b.getAttribute('title')) ?? '',
    saved: (await b.getAttribute('data-saved')) === 'true',
    error: (await line.locator('.jp-fancyflow-CellStatus-error').textContent()) ?? '',
  };
}

/** What the badge of each step row of the workflow panel shows (`data-state`), in order. */
export async function panelStates(page: IJupyterLabPageFixture): Promise<string[]> {
  return page
    .locator('#jp-fancyflow-workflow .jp-fancyflow-StepRow')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['state'] ?? ''));
}

/**
 * The panel's step states once every step cell's badge shows the same. Badges are redrawn at the
 * next frame, at most every 100 ms, so right after the panel changed they may still show the state
 * before: poll this, not {@link panelStates}, before reading a badge.
 */
export async function settledStates(page: IJupyterLabPageFixture): Promise<string[]> {
  const panel = await panelStates(page);
  const badges = await cells(page)
    .locator('.jp-fancyflow-StatusBadge')
    .evaluateAll((all) => all.map((b) => (b as HTMLElement).dataset['state'] ?? ''));
  return badges.join() === panel.join() ? panel : ['the badges say', ...badges];
}

/** The execution count of each code cell of the current notebook (null for never run). */
export async function executionCounts(page: IJupyterLabPageFixture): Promise<(number | null)[]> {
  return page.evaluate(() => {
    type Model = { type: string; executionCount?: number | null };
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content: { model: { cells: Iterable<Model> } };
    };
    return [...panel.content.model.cells]
      .filter((c) => c.type === 'code')
      .map((c) => c.executionCount ?? null);
  });
}

/** True when the current notebook has unsaved changes. */
export async function isDirty(page: IJupyterLabPageFixture): Promise<boolean> {
  return page.evaluate(
    () =>
      (
        window.jupyterapp.shell.currentWidget as unknown as {
          context: { model: { dirty: boolean } };
        }
      ).context.model.dirty,
  );
}

/** Saves a screenshot for the README, only with FANCYFLOW_SCREENSHOTS=1 (`npm run screenshots`). */
export async function readmeScreenshot(
  target: { screenshot(options: { path: string }): Promise<unknown> },
  name: string,
): Promise<void> {
  if (process.env.FANCYFLOW_SCREENSHOTS !== '1') return;
  await target.screenshot({ path: path.join(repo, 'docs', 'screenshots', name) });
}
