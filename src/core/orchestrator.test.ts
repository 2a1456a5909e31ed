import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FancyCell } from './cell';
import { ERROR_LIMITS, FancyflowError, isFancyflowError, type JsonValue } from './errors';
import { MemoryDatumStore } from './memory-store';
import { Orchestrator, toStepReport, type RunEvent } from './orchestrator';
import { FunctionRegistry } from './registry';
import { step } from './step';
import type { DatumStore, PersistOptions } from './store';
import { Workflow } from './workflow';

const registry = new FunctionRegistry();
const numbers = step(
  {
    slug: 'numbers',
    inputs: {},
    config: z.object({ n: z.number().int().min(0).default(3) }),
    output: z.array(z.number()),
  },
  (_i, { n }) => Array.from({ length: n }, (_, k) => k + 1),
  { registry },
);
const total = step(
  { slug: 'total', inputs: { xs: z.array(z.number()) }, output: z.number() },
  ({ xs }) => xs.reduce((a, b) => a + b, 0),
  { registry },
);
const identity = step(
  { slug: 'identity', inputs: { x: z.unknown() }, output: z.unknown() },
  ({ x }) => x,
  { registry },
);
const explode = step(
  { slug: 'explode', inputs: { x: z.unknown() }, output: z.unknown() },
  () => {
    throw new TypeError('boom');
  },
  { registry },
);
const rejects = step(
  { slug: 'rejects', inputs: {}, output: z.number() },
  async () => {
    await new Promise((r) => setTimeout(r, 1));
    throw new RangeError('later boom');
  },
  { registry },
);
const liar = step(
  { slug: 'liar', inputs: {}, output: z.object({ ok: z.boolean() }) },
  () => ({ ok: 'yes' }) as unknown as { ok: boolean },
  { registry },
);
const slow = step(
  {
    slug: 'slow',
    inputs: {},
    config: z.object({ ms: z.number().default(10_000) }),
    output: z.number(),
  },
  (_i, { ms }, { signal }) =>
    new Promise<number>((resolve) => {
      const t = setTimeout(() => resolve(ms), ms);
      signal.addEventListener('abort', () => clearTimeout(t));
    }),
  { registry },
);

function chain(): Workflow {
  const wf = new Workflow();
  const a = numbers({}, { n: 4 }, { id: 'a' });
  wf.add(a).add(total({ xs: a }, {}, { id: 'sum' }));
  return wf;
}

describe('Orchestrator', () => {
  it('runs steps in order, registers FancyCells and reports timing', async () => {
    const store = new MemoryDatumStore();
    const orchestrator = new Orchestrator({ store, registry });
    const report = await orchestrator.run(chain());
    expect(report.status).toBe('completed');
    expect(report.steps.map((s) => [s.stepId, s.status, s.outputCellId])).toEqual([
      ['a', 'completed', 'a'],
      ['sum', 'completed', 'sum'],
    ]);
    expect(report.steps[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(store.resolve('sum')).toBe(10);
    const cell = store.cell('a')!;
    expect(cell).toMatchObject({
      id: 'a',
      uri: 'memory://a',
      kind: 'json',
      summary: { type: 'array', shape: [4] },
      producedBy: { stepId: 'a', slug: 'numbers', version: '1.0.0' },
    });
    expect(cell.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(() => new Date(cell.createdAt).toISOString()).not.toThrow();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('passes the very object a step returned to the next step (no copies)', async () => {
    const payload = { big: new Float64Array(1024) };
    const store = new MemoryDatumStore();
    store.persist(payload, { cellId: 'src' });
    const wf = new Workflow({ known: (id) => store.has(id) });
    let previous = 'src';
    for (let i = 0; i < 5; i++) {
      wf.add(identity({ x: previous }, {}, { id: `id${i}` }));
      previous = `id${i}`;
    }
    const report = await new Orchestrator({ store, registry }).run(wf);
    expect(report.status).toBe('completed');
    expect(store.resolve('id4')).toBe(payload);
  });

  it('emits an event for every transition', async () => {
    const events: RunEvent[] = [];
    const orchestrator = new Orchestrator({ registry });
    orchestrator.on((e) => events.push(e));
    await orchestrator.run(chain());
    const transitions = events.map((e) =>
      e.type === 'step-status' ? `${e.stepId}:${e.status}` : e.type,
    );
    expect(transitions).toEqual([
      'run-started',
      'a:pending',
      'sum:pending',
      'a:running',
      'a:completed',
      'sum:running',
      'sum:completed',
      'run-finished',
    ]);
    expect(orchestrator.status('sum')!.status).toBe('completed');
  });

  it('a step that throws fails, its dependents are skipped, independent steps still run, earlier outputs stay', async () => {
    const store = new MemoryDatumStore();
    const wf = chain();
    wf.add(explode({ x: 'a' }, {}, { id: 'bad' }));
    wf.add(identity({ x: 'bad' }, {}, { id: 'after_bad' }));
    wf.add(identity({ x: 'after_bad' }, {}, { id: 'after_after' }));
    wf.add(identity({ x: 'sum' }, {}, { id: 'independent' }));
    const report = await new Orchestrator({ store, registry }).run(wf);
    expect(report.status).toBe('failed');
    const byId = Object.fromEntries(report.steps.map((s) => [s.stepId, s]));
    expect(byId.bad!.status).toBe('failed');
    expect(byId.bad!.error).toMatchObject({
      code: 'STEP_FAILED',
      cause: { name: 'TypeError', message: 'boom' },
    });
    expect(byId.bad!.error!.message).toContain('boom');
    expect(byId.bad!.error!.cause!.stack).toContain('orchestrator.test.ts');
    expect(byId.after_bad!.status).toBe('skipped');
    expect(byId.after_bad!.error!.code).toBe('DEPENDENCY_FAILED');
    expect(byId.after_after!.status).toBe('skipped');
    expect(byId.independent!.status).toBe('completed');
    expect(store.resolve('sum')).toBe(10);
    expect(store.has('bad')).toBe(false);
  });

  it('a rejected promise fails the step with its cause', async () => {
    const wf = new Workflow().add(rejects({}, {}, { id: 'r' }));
    const report = await new Orchestrator({ registry }).run(wf);
    expect(report.steps[0]!.error).toMatchObject({
      code: 'STEP_FAILED',
      cause: { name: 'RangeError' },
    });
  });

  it('an input that breaks its contract fails with the argument and zod issue path', async () => {
    const store = new MemoryDatumStore();
    store.persist(['not', 'numbers'], { cellId: 'words' });
    const wf = new Workflow({ known: (id) => store.has(id) }).add(
      total({ xs: 'words' }, {}, { id: 't' }),
    );
    const report = await new Orchestrator({ store, registry }).run(wf);
    expect(report.steps[0]!.error).toMatchObject({
      code: 'INPUT_CONTRACT',
      details: { argument: 'xs', pointer: '/0' },
    });
    expect(report.steps[0]!.error!.message).toContain('input "xs"');
  });

  it('an output its contract refuses fails the step and is not stored', async () => {
    const store = new MemoryDatumStore();
    const report = await new Orchestrator({ store, registry }).run(
      new Workflow().add(liar({}, {}, { id: 'l' })),
    );
    expect(report.steps[0]!.error).toMatchObject({
      code: 'OUTPUT_CONTRACT',
      details: { pointer: '/ok' },
    });
    expect(store.has('l')).toBe(false);
  });

  it('a wired cell missing from the store fails with MISSING_CELL', async () => {
    const wf = new Workflow({ known: () => true }).add(total({ xs: 'ghost' }, {}, { id: 't' }));
    const report = await new Orchestrator({ registry }).run(wf);
    expect(report.steps[0]!.error).toMatchObject({
      code: 'MISSING_CELL',
      details: { cellId: 'ghost' },
    });
  });

  it('an unknown slug fails the step with UNKNOWN_STEP', async () => {
    const other = new FunctionRegistry();
    const report = await new Orchestrator({ registry: other }).run(chain());
    expect(report.steps[0]!.error!.code).toBe('UNKNOWN_STEP');
    expect(report.steps[1]!.status).toBe('skipped');
  });

  it('cancels in the middle of a run: the running step and later steps end cancelled', async () => {
    const store = new MemoryDatumStore();
    const wf = chain();
    wf.add(slow({}, {}, { id: 'slow' })).add(identity({ x: 'sum' }, {}, { id: 'later' }));
    const controller = new AbortController();
    const orchestrator = new Orchestrator({ store, registry });
    orchestrator.on((e) => {
      if (e.type === 'step-status' && e.stepId === 'slow' && e.status === 'running')
        controller.abort();
    });
    const report = await orchestrator.run(wf, { signal: controller.signal });
    expect(report.status).toBe('cancelled');
    expect(report.steps.map((s) => s.status)).toEqual([
      'completed',
      'completed',
      'cancelled',
      'cancelled',
    ]);
    expect(report.steps[2]!.error!.code).toBe('CANCELLED');
    expect(report.steps[2]!.error!.message).toBe('Step slow was cancelled');
    expect(report.steps[3]!.error!.code).toBe('CANCELLED');
    expect(store.resolve('sum')).toBe(10);
  });

  it('runs one step, or from a step onwards, reading earlier outputs from the store', async () => {
    const store = new MemoryDatumStore();
    const orchestrator = new Orchestrator({ store, registry });
    const wf = chain();
    await orchestrator.run(wf);
    wf.add(numbers({}, { n: 10 }, { id: 'a' }));
    const one = await orchestrator.runStep(wf, 'sum');
    expect(one.steps.map((s) => s.stepId)).toEqual(['sum']);
    expect(store.resolve('sum')).toBe(10);
    const from = await orchestrator.runFrom(wf, 'a');
    expect(from.steps.map((s) => s.stepId)).toEqual(['a', 'sum']);
    expect(store.resolve('sum')).toBe(55);
    await expect(orchestrator.runStep(wf, 'nope')).rejects.toMatchObject({
      code: 'UNKNOWN_STEP_ID',
    });
  });

  it('calls every step through callStep, whose CANCELLED ends the step cancelled', async () => {
    const calls: string[] = [];
    const passThrough = new Orchestrator({
      registry,
      callStep: (call, { stepId, label, signal }) => {
        calls.push(`${stepId} ${label} ${signal.aborted}`);
        return call();
      },
    });
    const wf = chain();
    wf.add(rejects({}, {}, { id: 'async' }));
    const report = await passThrough.run(wf);
    expect(calls).toEqual([
      'a "a" (numbers) false',
      'sum "sum" (total) false',
      'async "async" (rejects) false',
    ]);
    expect(report.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'failed']);
    expect(report.steps[2]!.error).toMatchObject({
      code: 'STEP_FAILED',
      cause: { name: 'RangeError' },
    });

    const controller = new AbortController();
    const interrupting = new Orchestrator({
      registry,
      callStep: (call, step) => {
        if (step.stepId !== 'sum') return call();
        controller.abort(); // what a caller does on SIGINT: the rest of the run is cancelled
        throw new FancyflowError('CANCELLED', `Step ${step.label} was interrupted`);
      },
    });
    const wf2 = chain().add(identity({ x: 'a' }, {}, { id: 'later' }));
    const cancelled = await interrupting.run(wf2, { signal: controller.signal });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps.map((s) => s.status)).toEqual(['completed', 'cancelled', 'cancelled']);
    expect(cancelled.steps[1]!.error!.message).toBe('Step "sum" (total) was interrupted');
  });

  it('works with a store that answers asynchronously', async () => {
    const inner = new MemoryDatumStore();
    const store: DatumStore = {
      description: 'async',
      has: (id) => inner.has(id),
      cell: (id) => inner.cell(id),
      list: () => inner.list(),
      resolve: async (id) => inner.resolve(id),
      persist: async (value: unknown, options: PersistOptions): Promise<FancyCell> =>
        inner.persist(value, options),
      delete: async (id) => inner.delete(id),
    };
    const report = await new Orchestrator({ store, registry }).run(chain());
    expect(report.status).toBe('completed');
    expect(inner.resolve('sum')).toBe(10);
  });
});

describe('Orchestrator: lazy reports and events, bounded statuses', () => {
  it('gives a complete report whose steps are made when read and then kept', async () => {
    const report = await new Orchestrator({ registry }).run(chain());
    expect(Object.keys(report)).toEqual(['runId', 'status', 'startedAt', 'durationMs', 'steps']);
    const steps = report.steps;
    expect(report.steps).toBe(steps);
    expect(steps[0]).toMatchObject({
      stepId: 'a',
      slug: 'numbers',
      name: 'a',
      status: 'completed',
      outputCellId: 'a',
      summary: { type: 'array', shape: [4] },
    });
    expect(Number.isInteger(steps[0]!.startedAt)).toBe(true);
    expect(steps[1]!.startedAt!).toBeGreaterThanOrEqual(steps[0]!.startedAt!);
    expect(Date.parse(report.startedAt)).toBeLessThanOrEqual(steps[0]!.startedAt!);
    // plain objects: spread and JSON see every field
    expect({ ...steps[0]! }).toEqual(JSON.parse(JSON.stringify(steps[0])));
    report.steps = [];
    expect(report.steps).toEqual([]);
  });

  it('names steps by their place in the workflow, for runs of a part too', async () => {
    const uuid = '0b7c3c8e-4b1a-4d0e-9f4e-1a2b3c4d5e6f';
    const wf = new Workflow();
    wf.add(numbers({}, {}, { id: 'first' })).add(numbers({}, {}, { id: uuid }));
    const orchestrator = new Orchestrator({ registry });
    expect((await orchestrator.run(wf)).steps.map((s) => s.name)).toEqual(['first', 'numbers #2']);
    expect((await orchestrator.runStep(wf, uuid)).steps[0]!.name).toBe('numbers #2');
    expect((await orchestrator.runFrom(wf, uuid)).steps[0]!.name).toBe('numbers #2');
  });

  it('emits events that are snapshots of their transition, complete as JSON', async () => {
    const events: RunEvent[] = [];
    const wf = chain().add(explode({ x: 'a' }, {}, { id: 'bad' }));
    await new Orchestrator({ registry }).run(wf, { onEvent: (e) => events.push(e) });
    const of = (id: string, status: string) =>
      events.find((e) => e.type === 'step-status' && e.stepId === id && e.status === status) as
        (RunEvent & { type: 'step-status' }) | undefined;
    // read after the run: each event still says what it said when it was emitted
    const pending = of('a', 'pending')!;
    expect([pending.startedAt, pending.durationMs, pending.summary]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const running = of('a', 'running')!;
    expect(running.startedAt).toBeTypeOf('number');
    expect([running.durationMs, running.outputCellId, running.error]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const completed = of('a', 'completed')!;
    expect(completed).toMatchObject({ name: 'a', outputCellId: 'a', summary: { shape: [4] } });
    expect(completed.durationMs).toBeGreaterThanOrEqual(0);
    expect(completed.at).toBeGreaterThanOrEqual(running.at);
    expect(running.at).toBeGreaterThanOrEqual(pending.at);
    const failed = of('bad', 'failed')!;
    expect(failed.error).toMatchObject({ code: 'STEP_FAILED' });
    // JSON and toStepReport give every field; spread gives only the own ones
    const json = JSON.parse(JSON.stringify(completed)) as Record<string, unknown>;
    expect(json).toMatchObject({
      type: 'step-status',
      runId: completed.runId,
      at: completed.at,
      stepId: 'a',
      slug: 'numbers',
      name: 'a',
      status: 'completed',
      startedAt: completed.startedAt,
      durationMs: completed.durationMs,
      outputCellId: 'a',
      summary: { type: 'array', shape: [4] },
    });
    expect('error' in json).toBe(false);
    expect(toStepReport(failed)).toEqual({
      stepId: 'bad',
      slug: 'explode',
      name: 'bad',
      status: 'failed',
      startedAt: failed.startedAt,
      durationMs: failed.durationMs,
      error: failed.error,
    });
    const finished = events.at(-1)!;
    expect(finished).toMatchObject({ type: 'run-finished', status: 'failed' });
    expect(finished.at).toBeGreaterThanOrEqual(completed.at);
  });

  it('lets the event loop run during a long run with listeners, not after every step', async () => {
    const wf = new Workflow();
    wf.add(numbers({}, { n: 1 }, { id: 'n0' }));
    for (let i = 1; i < 2000; i++) wf.add(identity({ x: `n${i - 1}` }, {}, { id: `n${i}` }));
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    let seen = 0;
    const report = await new Orchestrator({ registry }).run(wf, { onEvent: () => seen++ });
    clearInterval(ticking);
    expect(report.status).toBe('completed');
    expect(seen).toBe(2 + 3 * 2000);
    // a timer runs between steps only when the run has taken a few milliseconds since the last turn
    expect(turns).toBeLessThan(2000);
  });

  it('remembers the latest status of at most statusLimit step ids, the most recently run', async () => {
    const store = new MemoryDatumStore();
    const orchestrator = new Orchestrator({ registry, store, statusLimit: 3 });
    const wf = new Workflow();
    wf.add(numbers({}, {}, { id: 's0' }));
    for (let i = 1; i < 5; i++) wf.add(identity({ x: `s${i - 1}` }, {}, { id: `s${i}` }));
    await orchestrator.run(wf);
    expect(['s0', 's1', 's2', 's3', 's4'].map((id) => orchestrator.status(id)?.status)).toEqual([
      undefined,
      undefined,
      'completed',
      'completed',
      'completed',
    ]);
    await orchestrator.runStep(wf, 's0');
    expect(orchestrator.status('s0')).toMatchObject({ status: 'completed', name: 's0' });
    expect(orchestrator.status('s2')).toBeUndefined();
    expect(orchestrator.status('s4')!.summary).toEqual({ type: 'array', shape: [3] });
    // a status's summary is that of the store's cell now
    store.delete('s4');
    expect(orchestrator.status('s4')).toMatchObject({ status: 'completed', outputCellId: 's4' });
    expect(orchestrator.status('s4')!.summary).toBeUndefined();
    orchestrator.resetStatuses();
    expect(orchestrator.status('s0')).toBeUndefined();
  });

  it('reports a status during the run from inside a listener', async () => {
    const orchestrator = new Orchestrator({ registry });
    const seen: string[] = [];
    orchestrator.on((e) => {
      if (e.type === 'step-status' && e.stepId === 'sum' && e.status === 'running') {
        seen.push(
          `a:${orchestrator.status('a')?.status}`,
          `sum:${orchestrator.status('sum')?.status}`,
        );
      }
    });
    await orchestrator.run(chain());
    expect(seen).toEqual(['a:completed', 'sum:running']);
    expect(orchestrator.status('a')!.summary).toEqual({ type: 'array', shape: [4] });
  });

  it('parses a step config again when its definition was replaced since the step was made', async () => {
    const local = new FunctionRegistry({ onDuplicate: 'replace' });
    const def = (max: number) =>
      step(
        {
          slug: 'bounded',
          inputs: {},
          config: z.object({ n: z.number().max(max).default(1) }),
          output: z.number(),
        },
        (_i, { n }) => n,
        { registry: local },
      );
    const made = def(10)({}, { n: 5 }, { id: 'b' });
    const wf = new Workflow().add(made);
    const orchestrator = new Orchestrator({ registry: local });
    expect((await orchestrator.run(wf)).status).toBe('completed');
    def(2); // the same slug, a stricter schema
    const report = await orchestrator.run(wf);
    expect(report.steps[0]!.error).toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('stamps memory cells with the time the step ended, and computes the rest when read', async () => {
    const store = new MemoryDatumStore();
    const report = await new Orchestrator({ registry, store }).run(chain());
    const cell = store.cell('a')!;
    expect(Object.keys(cell).sort()).toEqual(['createdAt', 'id', 'name', 'producedBy', 'record']);
    const ended = report.steps[0]!.startedAt! + report.steps[0]!.durationMs!;
    expect(Math.abs(Date.parse(cell.createdAt) - ended)).toBeLessThanOrEqual(1);
    expect(JSON.parse(JSON.stringify(cell))).toEqual({
      id: 'a',
      uri: 'memory://a',
      kind: 'json',
      summary: { type: 'array', shape: [4] },
      createdAt: cell.createdAt,
      fingerprint: cell.fingerprint,
      producedBy: { stepId: 'a', slug: 'numbers', version: '1.0.0' },
    });
  });
});

describe('FancyflowError', () => {
  it('serialises with code, details, cause and stack, and is recognised across copies', () => {
    const e = new FancyflowError('STEP_FAILED', 'failed', {
      details: { a: 1 },
      cause: new Error('inner'),
    });
    const json = e.toJSON();
    expect(json).toMatchObject({ name: 'FancyflowError', code: 'STEP_FAILED', details: { a: 1 } });
    expect(json.cause).toMatchObject({ name: 'Error', message: 'inner' });
    expect(json.stack).toContain('orchestrator.test.ts');
    const foreign = { name: 'FancyflowError', code: 'CANCELLED', message: 'x' };
    expect(isFancyflowError(foreign)).toBe(true);
    expect(isFancyflowError(foreign, 'CANCELLED')).toBe(true);
    expect(isFancyflowError(foreign, 'STEP_FAILED')).toBe(false);
    expect(isFancyflowError(new Error('x'))).toBe(false);
  });

  it('never grows with the outside input it quotes (message, details, cause)', () => {
    const huge = 'x'.repeat(1_000_000);
    const e = new FancyflowError('MISSING_CELL', `No cell "${huge}"`, {
      details: {
        cellId: huge,
        [huge]: 'a key',
        issues: Array.from({ length: 10_000 }, (_, i) => ({ path: [huge, i], message: huge })),
        deep: JSON.parse('['.repeat(1_000) + ']'.repeat(1_000)) as JsonValue,
      },
      cause: new Error(huge),
    });
    const json = JSON.stringify(e.toJSON());
    expect(json.length).toBeLessThan(64 * 1024);
    expect(e.message.length).toBeLessThanOrEqual(ERROR_LIMITS.message + 40);
    expect(e.message).toMatch(/^No cell "x+… \(\d+ more characters\)$/);
    expect(String(e.details.cellId)).toContain('more characters');
    expect((e.details.issues as unknown[]).length).toBeLessThanOrEqual(ERROR_LIMITS.items + 1);
    // small details are kept as they are
    const small = { pointer: '/steps/0', issues: [{ path: ['a', 0], message: 'm', code: 'c' }] };
    expect(new FancyflowError('INVALID_DOCUMENT', 'm', { details: small }).details).toEqual(small);
  });
});
