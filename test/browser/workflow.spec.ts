/**
 * One truth, as a user meets it in the real JupyterLab with the real fancyflow kernel: a run from
 * the workflow panel executes the step cells through the notebook (the kernel's one queue), so
 * every output, badge, panel row and the saved file agree; the saved example opens unmodified and
 * shows what it was saved with; a chart renders as a chart; a failing step stops the run and names
 * itself in the reasons of the steps after it; a cell run meanwhile waits its turn; Cancel is the
 * kernel's interrupt; a notebook whose steps are defined in its own cells runs again after a
 * reopen; and without the fancyflow kernel the sidebars say so.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  badge,
  cells,
  executionCounts,
  isDirty,
  openExample,
  openSidebars,
  outputText,
  panelShapes,
  panelStatuses,
  readmeScreenshot,
  repo,
  runFromPanel,
  waitForKernelIdle,
  waitForSteps,
  workflowPanel,
} from './flow-helpers';

test.use({ autoGoto: false });

/** The cells of examples/cars.ipynb, by index. */
const CARS = { imports: 1, read: 3, clean: 5, derive: 7, filter: 9, groupAggregate: 11, chart: 13 };
const CARS_STEPS = [
  CARS.read,
  CARS.clean,
  CARS.derive,
  CARS.filter,
  CARS.groupAggregate,
  CARS.chart,
];

async function readNotebook(
  page: IJupyterLabPageFixture,
  filePath: string,
): Promise<{
  metadata: Record<string, unknown>;
  cells: {
    id: string;
    cell_type: string;
    source: string;
    metadata: Record<string, unknown>;
    outputs?: { output_type: string; data?: Record<string, unknown> }[];
  }[];
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
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return (result.stdout + result.stderr).trim();
}

/** `242 × 11` in a badge ↔ `242 rows × 11 columns` in the FancyCell card. */
function cardShape(badgeText: string): string | undefined {
  const m = /(\d[\d,]*) × (\d+)/.exec(badgeText);
  return m ? `${m[1]!.replace(/,/g, '')} rows × ${m[2]} columns` : undefined;
}

/** Every step cell's output shows the shape its badge says. */
async function expectOutputsMatchBadges(
  page: IJupyterLabPageFixture,
  indices: readonly number[],
): Promise<void> {
  for (const i of indices) {
    const b = await badge(page, i);
    expect(b.status, `cell ${i}`).toBe('completed');
    const shape = cardShape(b.text);
    if (shape) expect(await outputText(page, i), `cell ${i}`).toContain(shape);
  }
}

test('the saved example opens unmodified; Run all executes its cells through the notebook', async ({
  page,
  tmpPath,
}) => {
  // a copy of the example as someone else's download: written to the server's disk, unsigned here
  // (its own bytes: the server trusts content it signed before, whatever the file)
  const example = JSON.parse(
    fs.readFileSync(path.join(repo, 'examples', 'cars.ipynb'), 'utf8'),
  ) as {
    metadata: Record<string, unknown>;
  };
  example.metadata['downloaded_for'] = tmpPath;
  const root = process.env.FANCYFLOW_LAB_ROOT!;
  fs.writeFileSync(path.join(root, tmpPath, 'cars.ipynb'), JSON.stringify(example, null, 1));
  const notebookPath = `${tmpPath}/cars.ipynb`;
  await page.goto(`tree/${tmpPath}`);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('cars.ipynb');
  await waitForKernelIdle(page);
  await openSidebars(page);
  await waitForSteps(page);
  // what the file was saved with: every badge and row as saved, and nothing to save
  await expect(workflowPanel(page).locator('.jp-fancyflow-StepRow')).toHaveCount(6);
  expect(await panelStatuses(page)).toEqual(Array(6).fill('completed'));
  expect(await panelShapes(page)).toEqual([
    '406 × 9',
    '392 × 9',
    '392 × 11',
    '242 × 11',
    '21 × 5',
    '',
  ]);
  expect((await badge(page, CARS.filter)).saved).toBe(true);
  await page.waitForTimeout(1500); // the kernel's state has arrived and been applied
  expect(await isDirty(page)).toBe(false);
  const savedCounts = await executionCounts(page);

  // the file came from elsewhere (this server did not sign it): the run lists what it would run
  await workflowPanel(page).getByRole('button', { name: 'Run all' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Run code from an untrusted notebook?');
  await expect(dialog.locator('.jp-fancyflow-TrustDialog-cells li')).toHaveCount(7);
  await expect(dialog).toContainText("[2] import { steps, cell } from 'fancyflow';");
  await expect(dialog).toContainText('[4] cars: steps.read_json(');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(await executionCounts(page)).toEqual(savedCounts);

  expect(await runFromPanel(page, { confirm: true })).toBe('completed');
  await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Run completed: 7 cells',
  );
  // every cell ran in the kernel, in order (the import too): counts 1..7 of this kernel
  expect(await executionCounts(page)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect((await badge(page, CARS.filter)).saved).toBe(false);
  await expectOutputsMatchBadges(page, CARS_STEPS);
  // the chart is drawn by JupyterLab's Vega renderer, not shown as text
  const chart = cells(page).nth(CARS.chart);
  await expect(
    chart.locator('.jp-RenderedVegaCommon5 svg, .jp-RenderedVegaCommon5 canvas').first(),
  ).toBeVisible({
    timeout: 30_000,
  });
  await readmeScreenshot(workflowPanel(page), 'workflow-panel-run.png');

  // saved: valid nbformat, each step cell's status and shape equal its output's
  expect(await isDirty(page)).toBe(true);
  await page.notebook.save();
  const saved = await readNotebook(page, notebookPath);
  expect(validateWithNbformat(saved)).toBe('valid');
  const document = saved.metadata['fancyflow'] as { formatVersion: number; steps: unknown[] };
  expect(document.formatVersion).toBe(2);
  for (const i of CARS_STEPS) {
    const cell = saved.cells[i]!;
    const meta = cell.metadata['fancyflow'] as { status: string; outputShape?: number[] };
    expect(meta.status).toBe('completed');
    const result = cell.outputs?.find((o) => o.output_type === 'execute_result');
    expect(result, `cell ${i} has its output in the file`).toBeDefined();
    if (meta.outputShape?.length === 2) {
      expect(String(result!.data!['text/html'])).toContain(
        `${meta.outputShape[0]} rows × ${meta.outputShape[1]} columns`,
      );
    }
  }
  expect(
    String(saved.cells[CARS.chart]!.outputs![0]!.data!['image/svg+xml']).startsWith('<svg'),
  ).toBe(true);
});

test('edit a config, Run from here: every output downstream agrees with its badge', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  expect(await runFromPanel(page)).toBe('completed');
  const before = await executionCounts(page);
  // the filter now keeps model years from 1980 on
  await page.notebook.setCell(
    CARS.filter,
    'code',
    "steps.filter(\n  { table: cell('metric') },\n  { where: [{ column: 'Model_year', op: 'ge', value: 1980 }] },\n  { name: 'recent' },\n)",
  );
  expect(await runFromPanel(page, { button: 'Run from here', stepIndex: 3 })).toBe('completed');
  await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Run completed: 3 cells',
  );
  const after = await executionCounts(page);
  // (code cells: imports, read, clean, derive, filter, aggregate, chart) the cells above the
  // filter did not run again; the filter and what follows did, in order
  expect(after.slice(0, 4)).toEqual(before.slice(0, 4));
  expect(after.slice(4)).toEqual([8, 9, 10]);
  const recent = await badge(page, CARS.filter);
  expect(recent.text).toMatch(/^completed · 85 × 11/);
  await expectOutputsMatchBadges(page, [CARS.filter, CARS.groupAggregate, CARS.chart]);
  expect(await outputText(page, CARS.filter)).toContain('85 rows × 11 columns');
  expect((await panelShapes(page))[3]).toBe('85 × 11');
});

test('a failing step stops the run; the steps after it say which step failed', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  await page.notebook.setCell(
    CARS.filter,
    'code',
    "steps.filter({ table: cell('metric') }, { where: [{ column: 'Nope', op: 'ge', value: 1975 }] }, { name: 'recent' })",
  );
  expect(await runFromPanel(page)).toBe('failed');
  expect(await panelStatuses(page)).toEqual([
    'completed',
    'completed',
    'completed',
    'failed',
    'skipped',
    'skipped',
  ]);
  const failed = await badge(page, CARS.filter);
  expect(failed.status).toBe('failed');
  expect(failed.error).toContain('Nope');
  // the cell shows the error as its output
  expect(await outputText(page, CARS.filter)).toContain('Nope');
  const skipped = await badge(page, CARS.chart);
  expect(skipped.error).toBe('DEPENDENCY_FAILED: Not run: step "recent" (filter) failed before it');
  // a cell that did not run shows no output of an earlier run
  expect((await outputText(page, CARS.chart)).trim()).toBe('');
  await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText('Run failed');
  await expect(page.locator('.Toastify__toast').first()).toContainText('The run stopped at recent');
});

const NAP_STEP = `import { z } from 'zod';
import { step, steps, cell } from 'fancyflow';
step(
  { slug: 'nap', title: 'Nap', category: 'Testing', inputs: {}, config: z.object({ ms: z.number() }), output: z.array(z.number()) },
  (_inputs, { ms }, { signal }) =>
    new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => resolve([ms]), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('woken up'));
      });
    }),
);`;

function napNotebook(): string {
  const step = (id: string, name: string, ms: number) => ({
    cell_type: 'code',
    id,
    execution_count: null,
    outputs: [],
    source: `steps.nap({}, { ms: ${ms} }, { name: '${name}' })`,
    metadata: {
      fancyflow: { stepId: id, slug: 'nap', version: '1.0.0', wiring: {}, config: { ms }, name },
    },
  });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'fancyflow',
        display_name: 'TypeScript (fancyflow)',
        language: 'typescript',
      },
    },
    cells: [
      {
        cell_type: 'code',
        id: 'define',
        execution_count: null,
        outputs: [],
        metadata: {},
        source: NAP_STEP,
      },
      // long enough for the checks made while they run, on a busy 2-core machine too
      step('nap-1', 'first', 5000),
      step('nap-2', 'second', 5000),
    ],
  });
}

test.describe('the kernel’s own interrupt and restart', () => {
  // galata's mocks of the kernels and sessions APIs break the interrupt request (its reply has no
  // body) and a restart: these tests talk to the real API and shut their kernels down themselves
  test.use({ kernels: null, sessions: null });
  test.afterEach(async ({ page }) => {
    await page.kernel.shutdownAll();
  });

  test('a panel run goes through the one queue: busy throughout, a cell run meanwhile waits; Cancel interrupts', async ({
    page,
    tmpPath,
  }) => {
    expect(await page.contents.uploadContent(napNotebook(), 'text', `${tmpPath}/naps.ipynb`)).toBe(
      true,
    );
    await page.goto(`tree/${tmpPath}`);
    expect(await page.notebook.openByPath(`${tmpPath}/naps.ipynb`)).toBe(true);
    await page.notebook.activate('naps.ipynb');
    await waitForKernelIdle(page);
    await openSidebars(page);
    const panel = workflowPanel(page);
    const indicator = page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator');

    // the steps are defined in the first cell: a fresh kernel does not know them yet
    await expect(panel.locator('.jp-fancyflow-MissingSteps')).toContainText('“nap”');
    await panel.getByRole('button', { name: 'Run all' }).click();
    // someone else's file (this server did not sign it): the run says what it will execute
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-fancyflow-TrustDialog-cells li')).toHaveCount(3);
    await dialog.locator('button.jp-mod-warn').click();
    await expect(panel.locator('.jp-fancyflow-StepRow').first()).toHaveAttribute(
      'data-status',
      'running',
      {
        timeout: 60_000,
      },
    );
    // the kernel is busy, and a cell run now waits behind the run
    await expect(indicator).toHaveAttribute('data-status', 'busy');
    await page.notebook.addCell('code', '"after the naps"');
    const last = (await page.notebook.getCellCount()) - 1;
    await page.notebook.selectCells(last);
    await page.keyboard.press('Shift+Enter');
    await page.waitForTimeout(1000);
    await expect(indicator).toHaveAttribute('data-status', 'busy');
    expect((await outputText(page, last)).trim()).toBe('');
    await expect(cells(page).nth(last).locator('.jp-OutputArea')).toContainText('after the naps', {
      timeout: 30_000,
    });
    expect(await panelStatuses(page)).toEqual(['completed', 'completed']);
    const counts = await executionCounts(page);
    expect(counts[3]!).toBeGreaterThan(counts[2]!);
    await expect(indicator).toHaveAttribute('data-status', 'idle', { timeout: 30_000 });

    // Cancel interrupts the kernel: the running step and the one queued behind it are cancelled
    // (Shift: the cache holds both naps, and they are to run again)
    await panel.getByRole('button', { name: 'Run all' }).click({ modifiers: ['Shift'] });
    await expect(panel.locator('.jp-fancyflow-StepRow').first()).toHaveAttribute(
      'data-status',
      'running',
      {
        timeout: 60_000,
      },
    );
    await panel.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => panelStatuses(page), { timeout: 30_000 })
      .toEqual(['cancelled', 'cancelled']);
    expect((await badge(page, 1)).error).toMatch(/^CANCELLED: Step "first" \(nap\) was cancelled/);
    expect((await badge(page, 2)).error).toBe(
      'CANCELLED: Not run: the run was interrupted at step "first" (nap)',
    );
    await expect(panel.locator('.jp-fancyflow-Progress')).toContainText('Run cancelled');
    await expect(indicator).toHaveAttribute('data-status', 'idle', { timeout: 30_000 });
  });

  test('after a kernel restart the panel reconnects, and a step runs with what it needs', async ({
    page,
    tmpPath,
  }) => {
    await openExample(page, tmpPath, 'cars.ipynb');
    await openSidebars(page);
    await waitForSteps(page);
    expect(await runFromPanel(page)).toBe('completed');
    await page.evaluate(() =>
      (
        window.jupyterapp.shell.currentWidget as unknown as {
          sessionContext: { restartKernel(): Promise<void> };
        }
      ).sessionContext.restartKernel(),
    );
    await waitForKernelIdle(page);
    // reconnected: the steps come back, the statuses are the ones saved in the cells
    await waitForSteps(page);
    expect((await badge(page, CARS.groupAggregate)).saved).toBe(true);
    // the restarted kernel ran nothing: "Run this step" runs the cells above it first
    expect(await runFromPanel(page, { button: 'Run this step', stepIndex: 4 })).toBe('completed');
    await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText(
      'Run completed: 6 cells',
    );
    // the imports and the steps up to this one ran in the new kernel; the chart below did not
    expect((await executionCounts(page)).slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await badge(page, CARS.groupAggregate)).saved).toBe(false);
    expect((await badge(page, CARS.chart)).saved).toBe(true);
    await expectOutputsMatchBadges(page, [CARS.groupAggregate]);
  });
});

test('without the fancyflow kernel the sidebars say so and offer to change it', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  const count = await page.notebook.getCellCount();
  await page.kernel.shutdownAll();
  const notice = workflowPanel(page).locator('.jp-fancyflow-Notice[role="note"]');
  await expect(notice).toContainText(/no kernel|died|starting/i);
  await expect(page.locator('#jp-fancyflow-palette .jp-fancyflow-Notice')).toBeVisible();
  // nothing in the notebook is lost: the workflow is still shown from the notebook
  expect(await page.notebook.getCellCount()).toBe(count);
  await expect(workflowPanel(page).locator('.jp-fancyflow-StepRow')).toHaveCount(6);
  await workflowPanel(page)
    .getByRole('button', { name: 'Change kernel to TypeScript (fancyflow)' })
    .click();
  await waitForSteps(page);
  expect(await runFromPanel(page)).toBe('completed');
  expect(await panelStatuses(page)).toEqual(Array(6).fill('completed'));
});
