import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { table } from '../core/contracts';
import { CellMetadataSchema, WorkflowDocumentSchema, type CellMetadata } from '../core/format';
import { MemoryDatumStore } from '../core/memory-store';
import { Orchestrator, type RunEvent, type StepReport } from '../core/orchestrator';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { Workflow } from '../core/workflow';
import { serializeStep } from '../core/workflow-step';
import {
  applyStepReport,
  markCustomCode,
  metadataFromCall,
  nameIndex,
  readCellMetadata,
  readNotebookWorkflow,
  referenceFor,
  sameWorkflow,
  updateFromReport,
  updatesFromState,
  workflowFromCells,
  type CellSnapshot,
} from './cell-metadata';
import { generateStepCode, parseStepCode } from './codegen';

const registry = new FunctionRegistry();
const makeRows = step(
  {
    slug: 'make_rows',
    inputs: {},
    config: z.object({ n: z.number().int().default(3) }),
    output: z.array(z.number()),
  },
  (_, { n }) => Array.from({ length: n }, (_v, i) => i),
  { registry },
);
const scale = step(
  {
    slug: 'scale',
    inputs: { values: z.array(z.number()) },
    config: z.object({ factor: z.number().default(2) }),
    output: z.array(z.number()),
  },
  ({ values }, { factor }) => {
    if (factor < 0) throw new Error('negative factor');
    return values.map((v) => v * factor);
  },
  { registry },
);
void table;

const meta = (m: Partial<CellMetadata> & Pick<CellMetadata, 'stepId' | 'slug'>): CellMetadata => ({
  version: '1.0.0',
  wiring: {},
  config: {},
  ...m,
});

function notebook(): CellSnapshot[] {
  return [
    { id: 'md', cellType: 'markdown', metadata: undefined },
    {
      id: 'c1',
      cellType: 'code',
      metadata: meta({ stepId: 'c1', slug: 'make_rows', config: { n: 3 }, name: 'rows' }),
    },
    { id: 'plain', cellType: 'code', metadata: undefined },
    { id: 'broken', cellType: 'code', metadata: { stepId: 'broken' } },
    {
      id: 'c2',
      cellType: 'code',
      metadata: meta({
        stepId: 'c2',
        slug: 'scale',
        wiring: { values: 'c1' },
        config: { factor: 2 },
      }),
    },
  ];
}

describe('cell metadata → workflow document', () => {
  it('builds a valid document from the step cells in notebook order, skipping invalid metadata', () => {
    const doc = workflowFromCells(notebook());
    expect(doc.steps.map((s) => s.id)).toEqual(['c1', 'c2']);
    expect(doc.steps[0]).toEqual({
      id: 'c1',
      slug: 'make_rows',
      version: '1.0.0',
      wiring: {},
      config: { n: 3 },
      name: 'rows',
    });
    expect(WorkflowDocumentSchema.safeParse(doc).success).toBe(true);
    expect(readNotebookWorkflow(doc)).toEqual(doc);
    expect(readNotebookWorkflow({ formatVersion: 99 })).toBeUndefined();
    expect(readCellMetadata({ stepId: 'x' })).toBeUndefined();
  });

  it('is a document the core runs (the same outputs a headless run gets)', async () => {
    const doc = workflowFromCells(notebook());
    const wf = Workflow.parse(doc, { registry });
    const orchestrator = new Orchestrator({ registry, store: new MemoryDatumStore() });
    const report = await orchestrator.run(wf);
    expect(report.status).toBe('completed');
    expect(await orchestrator.store.resolve('c2')).toEqual([0, 2, 4]);
  });

  it('compares documents by content', () => {
    const a = workflowFromCells(notebook());
    const b = workflowFromCells(notebook());
    expect(sameWorkflow(a, b)).toBe(true);
    const cells = notebook();
    (cells[4]!.metadata as CellMetadata).config = { factor: 3 };
    expect(sameWorkflow(a, workflowFromCells(cells))).toBe(false);
  });
});

describe('kernel state and events → cell metadata', () => {
  async function runReal(factor: number) {
    const wf = new Workflow();
    wf.add(makeRows({}, { n: 2 }, { id: 'c1', name: 'rows' }));
    wf.add(scale({ values: 'c1' }, { factor }, { id: 'c2' }));
    const events: RunEvent[] = [];
    const orchestrator = new Orchestrator({ registry, store: new MemoryDatumStore() });
    const report = await orchestrator.run(wf, { onEvent: (e) => events.push(e) });
    const statuses: Record<string, StepReport> = {};
    for (const s of report.steps) statuses[s.stepId] = s;
    return { state: { workflow: wf.toJSON(), statuses }, events, report };
  }

  it('writes the kernel steps with their status into the matching cells, only where changed', async () => {
    const { state } = await runReal(2);
    const updates = updatesFromState(notebook(), state);
    expect(updates.map((u) => u.cellId)).toEqual(['c1', 'c2']);
    const c1 = updates[0]!.metadata;
    expect(c1).toMatchObject({
      stepId: 'c1',
      config: { n: 2 },
      status: 'completed',
      outputCellId: 'c1',
      outputShape: [2],
      name: 'rows',
    });
    for (const u of updates) expect(CellMetadataSchema.safeParse(u.metadata).success).toBe(true);
    // applied once, nothing more to change
    const cells = notebook().map((c) => ({
      ...c,
      metadata: updates.find((u) => u.cellId === c.id)?.metadata ?? c.metadata,
    }));
    expect(updatesFromState(cells, state)).toEqual([]);
  });

  it('gives a cell that made a step on its own (typed code, no metadata) its metadata', async () => {
    const { state } = await runReal(2);
    const cells: CellSnapshot[] = [
      { id: 'c1', cellType: 'code', metadata: undefined },
      { id: 'c2', cellType: 'code', metadata: undefined },
    ];
    expect(updatesFromState(cells, state).map((u) => u.metadata.slug)).toEqual([
      'make_rows',
      'scale',
    ]);
  });

  it('records a failure with its error, and clears it when the step completes again', async () => {
    const failed = await runReal(-1);
    expect(failed.report.status).toBe('failed');
    const stepStatus = failed.events.filter((e) => e.type === 'step-status' && e.stepId === 'c2');
    expect(stepStatus.map((e) => e.type === 'step-status' && e.status).slice(-2)).toEqual([
      'running',
      'failed',
    ]);
    const last = stepStatus.at(-1)!;
    const update = updateFromReport(notebook(), last as StepReport);
    expect(update?.metadata.status).toBe('failed');
    expect(update?.metadata.error?.message).toContain('negative factor');
    const ok = applyStepReport(update!.metadata, {
      stepId: 'c2',
      slug: 'scale',
      name: 'scale',
      status: 'completed',
      durationMs: 1,
    });
    expect(ok.error).toBeUndefined();
    expect(ok.durationMs).toBe(1);
    expect(
      updateFromReport(notebook(), { stepId: 'plain', slug: 'x', name: 'x', status: 'running' }),
    ).toBeUndefined();
  });
});

describe('code → metadata', () => {
  it('reads a generated cell into metadata, resolving names and filling defaults', () => {
    const cells = notebook();
    const names = nameIndex(cells, { raw_cars: 'cell-9' });
    expect(names.get('rows')).toBe('c1');
    expect(referenceFor('c1', names)).toBe('rows');
    expect(referenceFor('zzz', names)).toBe('zzz');
    const code = generateStepCode({
      slug: 'scale',
      via: 'registry',
      wiring: { values: 'rows' },
      config: {},
      name: 'scaled',
    });
    const parsed = parseStepCode(code);
    if (!parsed.ok) throw new Error(parsed.reason);
    const previous = markCustomCode(readCellMetadata(cells[4]!.metadata)!);
    const next = metadataFromCall('c2', parsed.call, scale.describe(), names, previous);
    expect(next).toEqual({
      stepId: 'c2',
      slug: 'scale',
      version: '1.0.0',
      wiring: { values: 'c1' },
      config: { factor: 2 },
      name: 'scaled',
    });
    expect(CellMetadataSchema.safeParse(next).success).toBe(true);
  });

  it('forgets the last run when the code now calls another step', () => {
    const previous = meta({
      stepId: 'c2',
      slug: 'scale',
      status: 'failed',
      error: { code: 'STEP_FAILED', message: 'x' },
    });
    const next = metadataFromCall(
      'c2',
      { slug: 'make_rows', via: 'registry', wiring: {}, config: {} },
      makeRows.describe(),
      new Map(),
      previous,
    );
    expect(next.status).toBeUndefined();
    expect(next.error).toBeUndefined();
    expect(next.config).toEqual({ n: 3 });
    void serializeStep;
  });
});
