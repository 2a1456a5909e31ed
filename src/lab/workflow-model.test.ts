import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryDatumStore } from '../core/memory-store';
import { Orchestrator, type RunEvent } from '../core/orchestrator';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { Workflow } from '../core/workflow';
import { formatDuration, formatShape, WorkflowModel, type StepView } from './workflow-model';

const registry = new FunctionRegistry();
const source = step({ slug: 'source', inputs: {}, output: z.array(z.number()) }, () => [1, 2, 3], {
  registry,
});
const check = step(
  {
    slug: 'check',
    inputs: { values: z.union([z.array(z.number()), z.number()]) },
    config: z.object({ fail: z.boolean().default(false) }),
    output: z.number(),
  },
  ({ values }, { fail }) => {
    if (fail) throw new Error('check failed');
    return Array.isArray(values) ? values.length : values;
  },
  { registry },
);

function workflow(fail: boolean): Workflow {
  const wf = new Workflow();
  wf.add(source({}, {}, { id: 'a' }));
  wf.add(check({ values: 'a' }, { fail }, { id: 'b' }));
  wf.add(check({ values: 'a' }, {}, { id: 'c' }));
  wf.add(check({ values: 'b' }, {}, { id: 'd' }));
  return wf;
}

async function eventsOf(wf: Workflow): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await new Orchestrator({ registry, store: new MemoryDatumStore() }).run(wf, {
    onEvent: (e) => events.push(e),
  });
  return events;
}

describe('WorkflowModel', () => {
  it('shows a saved document with its saved statuses, pending where none is saved', () => {
    const model = new WorkflowModel();
    const saved = new Map([
      ['b', { stepId: 'b', slug: 'check', name: 'check', status: 'failed' as const }],
    ]);
    model.setDocument(workflow(false).toJSON(), saved);
    expect(model.steps.map((s) => [s.step.id, s.status, s.saved === true])).toEqual([
      ['a', 'pending', false],
      ['b', 'failed', true],
      ['c', 'pending', false],
      ['d', 'pending', false],
    ]);
    expect(model.progress).toBe(0);
    expect(model.running).toBe(false);
  });

  it('follows the kernel step by step: statuses, failure and skipped steps', async () => {
    const wf = workflow(true);
    const model = new WorkflowModel();
    model.setDocument(wf.toJSON());
    const changed: StepView[] = [];
    model.stepChanged.connect((_, v) => changed.push(v));
    for (const event of await eventsOf(wf)) {
      model.applyEvent(event);
      if (event.type === 'step-status' && event.status === 'running') {
        expect(model.running).toBe(true);
      }
    }
    expect(model.running).toBe(false);
    expect(Object.fromEntries(model.steps.map((s) => [s.step.id, s.status]))).toEqual({
      a: 'completed',
      b: 'failed',
      c: 'completed',
      d: 'skipped',
    });
    expect(model.stepView('b')?.report?.error?.message).toContain('check failed');
    expect(model.stepView('d')?.report?.error?.code).toBe('DEPENDENCY_FAILED');
    expect(model.stepView('a')?.report?.summary?.shape).toEqual([3]);
    expect(changed.some((v) => v.step.id === 'b' && v.status === 'running')).toBe(true);
    expect(model.counts).toEqual({
      pending: 0,
      running: 0,
      completed: 2,
      cached: 0,
      failed: 1,
      skipped: 1,
      cancelled: 0,
    });
  });

  it('counts the cells of a panel run and ends it once', () => {
    const model = new WorkflowModel();
    model.setSteps(workflow(false).toJSON().steps);
    const run = model.beginRun(['setup', 'a', 'b'], ['a', 'b']);
    expect(model.running).toBe(true);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      model.cellDone(run.runId);
      seen.push(model.progress);
    }
    model.cellDone(run.runId); // more than planned never goes past 1
    expect(seen).toEqual([1 / 3, 2 / 3, 1]);
    expect(model.progress).toBe(1);
    model.endRun(run.runId, 'failed');
    model.endRun(run.runId, 'completed'); // only the first end counts
    expect(model.run?.status).toBe('failed');
    expect(model.running).toBe(false);
  });

  it('takes the kernel state, falls back to saved statuses on restart, drops removed steps', async () => {
    const wf = workflow(false);
    const model = new WorkflowModel();
    const saved = new Map([
      ['a', { stepId: 'a', slug: 'source', name: 'source', status: 'completed' as const }],
    ]);
    model.setSteps(wf.toJSON().steps, saved);
    for (const e of await eventsOf(wf)) model.applyEvent(e);
    expect(model.counts.completed).toBe(4);
    expect(model.steps.every((s) => s.saved !== true)).toBe(true);
    model.setSteps(wf.toJSON().steps.slice(0, 2), saved);
    expect(model.steps.map((s) => s.status)).toEqual(['completed', 'completed']);
    const run = model.beginRun(['a'], ['a']);
    model.resetStatuses();
    expect(model.run?.runId).toBe(run.runId);
    expect(model.run?.status).toBe('cancelled');
    expect(model.steps.map((s) => [s.status, s.saved === true])).toEqual([
      ['completed', true],
      ['pending', false],
    ]);
    model.applyState({
      statuses: {
        b: { stepId: 'b', slug: 'check', name: 'check', status: 'failed', durationMs: 3 },
      },
    });
    expect(model.steps.map((s) => [s.status, s.saved === true])).toEqual([
      ['completed', true],
      ['failed', false],
    ]);
  });

  it('formats durations and shapes', () => {
    expect(formatDuration(undefined)).toBe('');
    expect(formatDuration(0.2)).toBe('<1 ms');
    expect(formatDuration(35.4)).toBe('35 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(123_000)).toBe('2 min 3 s');
    expect(formatShape([406, 9])).toBe('406 × 9');
    expect(formatShape([12000])).toBe('12,000');
    expect(formatShape(undefined)).toBe('');
  });
});
