/**
 * Knowing what is fresh, as a user meets it in the real JupyterLab with the real fancyflow kernel:
 * editing a step's config (in the sidebar form, or in the cell's code) turns its badge `stale` at
 * once, and the steps below it `upstream stale`, with the reasons on hover in readable names;
 * _Run stale_ executes exactly those step cells through the notebook; a recomputed step that gives
 * the same output leaves the steps after it `cached` (early cutoff), a step cell run again unchanged
 * is `cached`, and Shift on _Run this step_ recomputes; the panel shows the lineage of the selected
 * step.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  badge,
  executionCounts,
  openExample,
  openSidebars,
  outputText,
  panelStates,
  runFromPanel,
  settledStates,
  waitForKernelIdle,
  waitForSteps,
  workflowPanel,
} from './flow-helpers';

test.use({ autoGoto: false });

/** The cells of examples/cars.ipynb, by index. */
const CARS = { read: 3, clean: 5, derive: 7, filter: 9, groupAggregate: 11, chart: 13 };
const CARS_STEPS = [
  CARS.read,
  CARS.clean,
  CARS.derive,
  CARS.filter,
  CARS.groupAggregate,
  CARS.chart,
];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The filter cell's code, keeping model years from `year` on. */
function filterCode(year: number): string {
  return `steps.filter(\n  { table: cell('metric') },\n  { where: [{ column: 'Model_year', op: 'ge', value: ${year} }] },\n  { name: 'recent' },\n)`;
}

/** `242 × 11` in a badge ↔ `242 rows × 11 columns` in the FancyCell card. */
async function expectOutputMatchesBadge(page: IJupyterLabPageFixture, index: number) {
  const { text } = await badge(page, index);
  const m = /(\d[\d,]*) × (\d+)/.exec(text);
  if (m) {
    expect(await outputText(page, index), `cell ${index}`).toContain(
      `${m[1]!.replace(/,/g, '')} rows × ${m[2]} columns`,
    );
  }
}

function row(page: IJupyterLabPageFixture, index: number) {
  return workflowPanel(page).locator('.jp-fancyflow-StepRow').nth(index);
}

test('an edited config turns the step and those below stale with reasons; Run stale runs just them', async ({
  page,
  tmpPath,
}) => {
  await openExample(page, tmpPath, 'cars.ipynb');
  await openSidebars(page);
  await waitForSteps(page);
  expect(await runFromPanel(page)).toBe('completed');
  expect(await panelStates(page)).toEqual(Array(6).fill('completed'));
  const runStale = workflowPanel(page).getByRole('button', { name: 'Run stale' });
  await expect(runStale).toBeDisabled();

  // the sidebar form: clean's threshold 0 → 0.1; nothing runs, the badges turn at once
  await page.notebook.selectCells(CARS.clean);
  await workflowPanel(page).locator('input#jp-fancyflow-config_threshold').fill('0.1');
  await expect
    .poll(() => settledStates(page))
    .toEqual([
      'completed',
      'stale',
      'upstream-stale',
      'upstream-stale',
      'upstream-stale',
      'upstream-stale',
    ]);
  const clean = await badge(page, CARS.clean);
  expect(clean.text).toBe('stale');
  expect(clean.title).toContain('config changed (threshold 0 → 0.1)');
  const derive = await badge(page, CARS.derive);
  expect(derive.text).toBe('upstream stale');
  expect(derive.title).toContain('upstream clean is stale');
  for (const i of CARS_STEPS) expect((await badge(page, i)).title).not.toMatch(UUID);
  await expect(row(page, 1).locator('.jp-fancyflow-StepRow-reasons')).toHaveText(
    'config changed (threshold 0 → 0.1)',
  );
  await expect(workflowPanel(page).locator('.jp-fancyflow-Toolbar-summary')).toContainText(
    '5 stale',
  );
  const before = await executionCounts(page);

  // Run stale: the five stale step cells, nothing above them (this kernel ran those)
  expect(await runFromPanel(page, { button: 'Run stale' })).toBe('completed');
  await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Run completed: 5 cells',
  );
  const after = await executionCounts(page);
  // code cells: imports, read, clean, derive, filter, aggregate, chart
  expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
  expect(after.slice(2)).toEqual([8, 9, 10, 11, 12]);
  // the threshold drops the same rows: clean recomputed to the same output, so what reads it
  // came back from the cache (early cutoff)
  expect(await panelStates(page)).toEqual([
    'completed',
    'completed',
    'cached',
    'cached',
    'cached',
    'cached',
  ]);
  expect((await badge(page, CARS.clean)).text).toMatch(/^completed · 392 × 9/);
  expect((await badge(page, CARS.filter)).text).toMatch(/^cached · 242 × 11/);
  for (const i of CARS_STEPS) await expectOutputMatchesBadge(page, i);
  await expect(runStale).toBeDisabled();

  // the cell's code: the filter keeps model years from 1980 on
  await page.notebook.setCell(CARS.filter, 'code', filterCode(1980));
  await expect
    .poll(() => settledStates(page))
    .toEqual(['completed', 'completed', 'cached', 'stale', 'upstream-stale', 'upstream-stale']);
  expect((await badge(page, CARS.filter)).title).toContain(
    'config changed (where/0/value 1975 → 1980)',
  );
  expect((await badge(page, CARS.groupAggregate)).title).toContain('upstream recent is stale');
  expect(await runFromPanel(page, { button: 'Run stale' })).toBe('completed');
  await expect(workflowPanel(page).locator('.jp-fancyflow-Progress')).toContainText(
    'Run completed: 3 cells',
  );
  expect(await panelStates(page)).toEqual([
    'completed',
    'completed',
    'cached',
    'completed',
    'completed',
    'completed',
  ]);
  expect((await badge(page, CARS.filter)).text).toMatch(/^completed · 85 × 11/);
  expect(await outputText(page, CARS.filter)).toContain('85 rows × 11 columns');

  // the filter's cell run again, unchanged: the cache answers, the output is the same
  const progress = workflowPanel(page).locator('.jp-fancyflow-Progress');
  expect(await runFromPanel(page, { button: 'Run this step', stepIndex: 3 })).toBe('completed');
  expect((await badge(page, CARS.filter)).text).toMatch(/^cached · 85 × 11/);
  await expectOutputMatchesBadge(page, CARS.filter);
  expect((await panelStates(page)).slice(3)).toEqual(['cached', 'completed', 'completed']);

  // the lineage of the selected step: what produced its output, in names
  await page.notebook.selectCells(CARS.filter);
  const lineage = workflowPanel(page).locator('.jp-fancyflow-Lineage');
  await expect(lineage).toContainText('filter 1.0.0');
  await expect(lineage).toContainText('Input table');
  await expect(lineage).toContainText('metric (');
  await expect(lineage).toContainText('"value":1980');
  await expect(lineage).toContainText('cached');
  expect(await lineage.textContent()).not.toMatch(UUID);

  // Shift on Run this step: recomputed although the cache holds it
  const runStep = row(page, 3).getByRole('button', { name: 'Run this step' });
  await expect(runStep).toHaveAttribute('title', /Shift-click: recompute/);
  const runId = await progress.getAttribute('data-run-id');
  await runStep.click({ modifiers: ['Shift'] });
  await expect
    .poll(
      async () =>
        (await progress.getAttribute('data-run-id')) !== runId &&
        (await progress.getAttribute('data-status')),
    )
    .toBe('completed');
  expect((await badge(page, CARS.filter)).text).toMatch(/^completed · 85 × 11/);
  await expect(lineage).toContainText('computed in');
  await expectOutputMatchesBadge(page, CARS.filter);
});

/**
 * Opens a notebook with JupyterLab's own command (not through the file browser, whose listing of a
 * file just uploaded can lag) and waits for its kernel.
 */
async function openDocument(page: IJupyterLabPageFixture, file: string): Promise<void> {
  await page.evaluate(async (p) => {
    await window.jupyterapp.commands.execute('docmanager:open', { path: p });
  }, file);
  await waitForKernelIdle(page);
}

const KERNELSPEC = {
  name: 'fancyflow',
  display_name: 'TypeScript (fancyflow)',
  language: 'typescript',
};

/** Power to weight, defined in the notebook: `divisor` is the pounds per tonne it uses. */
function powerStep(divisor: number): string {
  return `const powerToWeight = step(
  {
    slug: 'power_to_weight',
    inputs: { table: aqTable() },
    config: z.object({ as: z.string().default('hp_per_tonne') }),
    output: aqTable(),
    traits: { execution: 'row_wise' },
  },
  (row, { as }) => ({ ...row, [as]: Number(row.Horsepower) / (Number(row.Weight_in_lbs) / ${divisor}) }),
);`;
}

/** A notebook whose second step is defined in its own cell. */
function powerNotebook(): string {
  const code = (id: string, source: string, fancyflow?: object) => ({
    cell_type: 'code',
    id,
    source,
    metadata: fancyflow ? { fancyflow } : {},
    outputs: [],
    execution_count: null,
  });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNELSPEC },
    cells: [
      code(
        'imports',
        "import { z } from 'zod';\nimport { step, steps, cell, aqTable } from 'fancyflow';",
      ),
      code('define', powerStep(2204.62)),
      code('cars', "steps.read_json({}, { dataset: 'cars.json' }, { name: 'cars' })", {
        stepId: 'cars',
        slug: 'read_json',
        version: '1.0.0',
        wiring: {},
        config: { dataset: 'cars.json', autoType: true },
        name: 'cars',
      }),
      code('power', "steps.power_to_weight({ table: cell('cars') }, {}, { name: 'power' })", {
        stepId: 'power',
        slug: 'power_to_weight',
        version: '1.0.0',
        wiring: { table: 'cars' },
        config: { as: 'hp_per_tonne' },
        name: 'power',
      }),
    ],
  });
}

test('an edited step definition makes its step stale; a reopened notebook is judged from its saved records, running nothing', async ({
  page,
  tmpPath,
}) => {
  const file = `${tmpPath}/power.ipynb`;
  expect(await page.contents.uploadContent(powerNotebook(), 'text', file)).toBe(true);
  await page.goto(`tree/${tmpPath}`);
  await openDocument(page, file);
  await openSidebars(page);
  await waitForSteps(page);
  expect(await runFromPanel(page, { confirm: true })).toBe('completed');
  expect(await panelStates(page)).toEqual(['completed', 'completed']);
  const runStale = workflowPanel(page).getByRole('button', { name: 'Run stale' });
  await expect(runStale).toBeDisabled();

  // the cell that defines power_to_weight is edited: its step is stale before anything runs
  await page.notebook.setCell(1, 'code', powerStep(2000));
  await expect.poll(() => settledStates(page)).toEqual(['completed', 'stale']);
  expect((await badge(page, 3)).title).toContain('step code changed (power_to_weight)');
  // Run stale brings the edited definition along, then the stale step
  const before = await executionCounts(page);
  // (the cells ran here or were edited here: trusted, nothing to confirm)
  expect(await runFromPanel(page, { button: 'Run stale' })).toBe('completed');
  const after = await executionCounts(page);
  expect([after[0], after[2]]).toEqual([before[0], before[2]]);
  expect([after[1], after[3]]).toEqual([5, 6]);
  expect(await panelStates(page)).toEqual(['completed', 'completed']);
  await expect(runStale).toBeDisabled();

  // saved and reopened in a fresh kernel: as saved, judged fresh from the records, nothing ran
  await page.notebook.save();
  const saved = (await (
    await page.request.get(`api/contents/${file}?content=1&type=notebook`)
  ).json()) as {
    content: {
      metadata: { fancyflow: { runs?: unknown[] } };
      cells: { metadata: Record<string, { record?: { slug: string } }> }[];
    };
  };
  expect(saved.content.metadata.fancyflow.runs?.length).toBe(2);
  expect(saved.content.cells[3]!.metadata['fancyflow']!.record?.slug).toBe('power_to_weight');
  await page.notebook.close();
  await page.kernel.shutdownAll();
  await openDocument(page, file);
  await expect(workflowPanel(page).locator('.jp-fancyflow-StepRow')).toHaveCount(2);
  await waitForSteps(page);
  expect(await panelStates(page)).toEqual(['completed', 'completed']);
  expect((await badge(page, 3)).saved).toBe(true);
  expect(await executionCounts(page)).toEqual(after);
  await expect(runStale).toBeDisabled();

  // an edit of the first step's config: stale at once, from the saved records alone
  await page.notebook.setCell(
    2,
    'code',
    "steps.read_json({}, { dataset: 'cars.json', autoType: false }, { name: 'cars' })",
  );
  await expect.poll(() => settledStates(page)).toEqual(['stale', 'upstream-stale']);
  expect((await badge(page, 2)).title).toContain('config changed (autoType true → false)');
  expect((await badge(page, 3)).title).toContain('upstream cars is stale');
  expect(await executionCounts(page)).toEqual(after);
});
