import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryDatumStore } from '../core/memory-store';
import { Orchestrator, type RunEvent } from '../core/orchestrator';
import { FunctionRegistry } from '../core/registry';
import { step } from '../core/step';
import { toStepReport } from '../core/step-report';
import { Workflow } from '../core/workflow';
import {
  formatDuration,
  formatShape,
  WorkflowModel,
  type FreshnessFacts,
  type StepView,
} from './workflow-model';

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

async function eventsOf(wf: Workflow, orchestrator?: Orchestrator): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await (orchestrator ?? new Orchestrator({ registry, store: new MemoryDatumStore() })).run(wf, {
    onEvent: (e) => events.push(e),
  });
  return events;
}

/** The kernel's facts of the steps above: their code fingerprints, as `list-steps` gives them. */
function factsOf(events: RunEvent[]): FreshnessFacts {
  const code: Record<string, string> = {};
  for (const e of events) if (e.type === 'step-status' && e.record) code[e.slug] = e.record.code;
  return { code, cacheable: {}, fingerprints: {} };
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
    // a patched state: only the steps named are taken, the others keep what they had
    let changes = 0;
    model.changed.connect(() => changes++);
    model.applyState({ statuses: {} }, []);
    expect(changes).toBe(0);
    model.applyState(
      {
        statuses: {
          a: { stepId: 'a', slug: 'source', name: 'source', status: 'running' },
          b: { stepId: 'b', slug: 'check', name: 'check', status: 'completed' },
        },
      },
      ['a'],
    );
    expect(changes).toBe(1);
    expect(model.steps.map((s) => [s.status, s.saved === true])).toEqual([
      ['running', false],
      ['failed', false],
    ]);
    model.applyState({ statuses: {} }, ['b']);
    expect(model.steps.map((s) => s.status)).toEqual(['running', 'pending']);
    // the same facts again change nothing; other facts do
    const facts = () => ({ code: { source: 'c1' }, cacheable: {}, fingerprints: { x: 'f' } });
    changes = 0;
    model.setFacts(facts());
    model.setFacts(facts());
    expect(changes).toBe(1);
    model.setFacts({ ...facts(), fingerprints: { x: 'g' } });
    expect(changes).toBe(2);
  });

  it('formats durations and shapes', () => {
    expect(formatDuration(undefined)).toBe('');
    expect(formatDuration(0.2)).toBe('<1 ms');
    expect(formatDuration(35.4)).toBe('35 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(123_000)).toBe('2 min 3 s');
    expect(formatShape([406, 9])).toBe('406 × 9');
    expect(formatShape([12000])).toBe('12,000');
    // integers are grouped by hand: the same text as Intl's, for every digit count and sign
    const intl = new Intl.NumberFormat('en-US');
    for (const n of [
      0,
      7,
      999,
      1000,
      65_536,
      123_456,
      1_234_567,
      -1,
      -1000,
      -9_876_543,
      2 ** 53 - 1,
    ])
      expect(formatShape([n])).toBe(intl.format(n));
    expect(formatShape([1.5, 2 ** 60])).toBe(`1.5 × ${intl.format(2 ** 60)}`);
    expect(formatShape(undefined)).toBe('');
  });

  it('a config edit makes its step stale and the steps reading it upstream stale; a cached re-run shows cached', async () => {
    const orchestrator = new Orchestrator({ registry, store: new MemoryDatumStore(), cache: {} });
    const model = new WorkflowModel();
    const wf = workflow(false);
    model.setDocument(wf.toJSON());
    expect(model.steps.map((s) => s.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    const events = await eventsOf(wf, orchestrator);
    for (const e of events) model.applyEvent(e);
    model.setFacts(factsOf(events));
    expect(model.steps.map((s) => s.state)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(model.freshness.every((f) => f.fresh)).toBe(true);
    expect(model.stepView('b')?.record?.config).toEqual({ fail: false });

    // b's config edited (the cells' metadata → the document): b stale, d (reads b) upstream stale
    const edited = wf
      .toJSON()
      .steps.map((s) => (s.id === 'b' ? { ...s, config: { fail: true } } : s));
    model.setSteps(edited);
    expect(model.steps.map((s) => s.state)).toEqual([
      'completed',
      'stale',
      'completed',
      'upstream-stale',
    ]);
    expect(model.stepView('b')?.freshness?.reasons).toEqual([
      { kind: 'config', changes: [{ path: 'fail', from: false, to: true }] },
    ]);
    expect(model.stepView('d')?.freshness?.reasons).toEqual([{ kind: 'upstream', stepId: 'b' }]);
    // the status is still what the kernel said; only the state shows staleness
    expect(model.stepView('b')?.status).toBe('completed');

    // back as it was, and run again: the cache answers every step
    model.setSteps(wf.toJSON().steps);
    expect(model.freshness.every((f) => f.fresh)).toBe(true);
    for (const e of await eventsOf(wf, orchestrator)) model.applyEvent(e);
    expect(model.steps.map((s) => s.state)).toEqual(['cached', 'cached', 'cached', 'cached']);
    expect(model.counts.cached).toBe(4);

    // a changed code fingerprint of `check` makes b, c and d stale for that reason
    model.setFacts({ ...factsOf(events), code: { ...factsOf(events).code, check: 'other' } });
    expect(model.stepView('c')?.state).toBe('stale');
    expect(model.stepView('c')?.freshness?.reasons).toEqual([{ kind: 'code', slug: 'check' }]);
  });

  it('saved records judge a reopened notebook; a saved status without a record is not judged', async () => {
    const orchestrator = new Orchestrator({ registry, store: new MemoryDatumStore(), cache: {} });
    const wf = workflow(false);
    const events = await eventsOf(wf, orchestrator);
    const finished = events.filter(
      (e): e is Extract<RunEvent, { type: 'step-status' }> =>
        e.type === 'step-status' && e.record !== undefined,
    );
    const saved = new Map(finished.map((e) => [e.stepId, toStepReport(e)]));
    const records = new Map(
      finished.filter((e) => e.stepId !== 'c').map((e) => [e.stepId, e.record!]),
    );
    const model = new WorkflowModel();
    model.setDocument(wf.toJSON(), saved, records);
    // a reopened notebook: no kernel facts yet, the saved records alone
    expect(model.steps.map((s) => [s.state, s.saved === true])).toEqual([
      ['completed', true],
      ['completed', true],
      ['completed', true],
      ['completed', true],
    ]);
    expect(model.stepView('c')?.record).toBeUndefined();
    const edited = wf.toJSON().steps.map((s) => (s.id === 'a' ? { ...s, version: '2.0.0' } : s));
    model.setSteps(edited, saved, records);
    expect(model.steps.map((s) => s.state)).toEqual([
      'stale',
      'upstream-stale',
      'completed', // no record: shown as saved
      'upstream-stale',
    ]);
  });
});
