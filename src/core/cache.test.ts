import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshness } from './freshness';
import { MemoryDatumStore } from './memory-store';
import { Orchestrator, type RunReport } from './orchestrator';
import { FunctionRegistry } from './registry';
import { step } from './step';
import { Workflow } from './workflow';
import { recordOfCell } from './cache';

/** A registry with counting steps: numbers → parity (early-cutoff candidate) → label. */
function setup(options: { randomCacheable?: boolean } = {}) {
  const registry = new FunctionRegistry({ onDuplicate: 'replace' });
  const calls: Record<string, number> = {};
  const count = (slug: string) => (calls[slug] = (calls[slug] ?? 0) + 1);
  const numbers = step(
    {
      slug: 'numbers',
      inputs: {},
      config: z.object({ n: z.number().int().default(3) }),
      output: z.array(z.number()),
    },
    (_i, { n }) => (count('numbers'), Array.from({ length: n }, (_, k) => k + 1)),
    { registry },
  );
  const parity = step(
    { slug: 'parity', inputs: { xs: z.array(z.number()) }, output: z.number() },
    ({ xs }) => (count('parity'), xs.length % 2),
    { registry },
  );
  const label = step(
    {
      slug: 'label',
      inputs: { p: z.number() },
      config: z.object({ prefix: z.string().default('p') }),
      output: z.string(),
    },
    ({ p }, { prefix }) => (count('label'), `${prefix}${p}`),
    { registry },
  );
  const random = step(
    {
      slug: 'random',
      inputs: {},
      output: z.number(),
      traits: options.randomCacheable ? {} : { cache: false },
    },
    () => (count('random'), Math.random()),
    { registry },
  );
  const store = new MemoryDatumStore();
  const orchestrator = new Orchestrator({ store, registry, cache: {} });
  const workflow = (n = 3, prefix = 'p') => {
    const wf = new Workflow();
    const a = numbers({}, { n }, { id: 'numbers' });
    const b = parity({ xs: a }, {}, { id: 'parity' });
    wf.add(a)
      .add(b)
      .add(label({ p: b }, { prefix }, { id: 'label' }));
    wf.add(random({}, {}, { id: 'random' }));
    return wf;
  };
  return { registry, store, orchestrator, workflow, calls, numbers, parity };
}

const outcomes = (report: RunReport) =>
  Object.fromEntries(report.steps.map((s) => [s.stepId, `${s.status}/${s.cache}`]));

describe('the cache', () => {
  it('answers an unchanged re-run from the store: all hits, nothing recomputed', async () => {
    const { orchestrator, workflow, calls, store } = setup();
    const first = await orchestrator.run(workflow());
    expect(first.status).toBe('completed');
    expect(outcomes(first)).toEqual({
      numbers: 'completed/miss',
      parity: 'completed/miss',
      label: 'completed/miss',
      random: 'completed/off',
    });
    expect(first.steps[0]!.reasons).toEqual([{ kind: 'never-run' }]);
    const second = await orchestrator.run(workflow());
    expect(second.status).toBe('completed');
    expect(outcomes(second)).toEqual({
      numbers: 'cached/hit',
      parity: 'cached/hit',
      label: 'cached/hit',
      random: 'completed/off',
    });
    expect(calls).toEqual({ numbers: 1, parity: 1, label: 1, random: 2 });
    // the record of a hit says so; the store's cell keeps the record of the run that computed it
    expect(second.steps[2]!.record).toMatchObject({ cached: true, status: 'cached' });
    expect(recordOfCell(store.cell('label'))).toMatchObject({
      cached: false,
      runId: first.runId,
      inputs: { p: { cell: 'parity', fingerprint: store.cell('parity')!.fingerprint } },
      output: store.cell('label')!.fingerprint,
    });
  });

  it('recomputes a step whose config changed and what depends on it, saying why', async () => {
    const { orchestrator, workflow, calls } = setup();
    await orchestrator.run(workflow(3, 'p'));
    const report = await orchestrator.run(workflow(3, 'q'));
    expect(outcomes(report)).toMatchObject({
      numbers: 'cached/hit',
      parity: 'cached/hit',
      label: 'completed/miss',
    });
    expect(report.steps[2]!.reasons).toEqual([
      { kind: 'config', changes: [{ path: 'prefix', from: 'p', to: 'q' }] },
    ]);
    expect(calls.label).toBe(2);
  });

  it('keeps downstream cached when a recomputed step gives the same output (early cutoff)', async () => {
    const { orchestrator, workflow, calls } = setup();
    await orchestrator.run(workflow(3));
    // 5 numbers instead of 3: numbers changes, parity recomputes and is 1 again
    const report = await orchestrator.run(workflow(5));
    expect(outcomes(report)).toMatchObject({
      numbers: 'completed/miss',
      parity: 'completed/miss',
      label: 'cached/hit',
    });
    expect(report.steps[1]!.reasons).toEqual([{ kind: 'input', argument: 'xs', cell: 'numbers' }]);
    expect(calls).toMatchObject({ numbers: 2, parity: 2, label: 1 });
  });

  it("sees a step's code change", async () => {
    const { orchestrator, workflow, registry, calls } = setup();
    await orchestrator.run(workflow());
    step(
      { slug: 'parity', inputs: { xs: z.array(z.number()) }, output: z.number() },
      ({ xs }) => xs.length % 2 /* edited */,
      { registry },
    );
    const report = await orchestrator.run(workflow());
    expect(report.steps[1]!.cache).toBe('miss');
    expect(report.steps[1]!.reasons).toEqual([{ kind: 'code', slug: 'parity' }]);
    expect(outcomes(report).label).toBe('cached/hit');
    expect(calls.parity).toBe(1); // the new definition does not count
  });

  it('runs a step that opts out every time, and caches it when it does not', async () => {
    const off = setup();
    await off.orchestrator.run(off.workflow());
    await off.orchestrator.run(off.workflow());
    expect(off.calls.random).toBe(2);
    const on = setup({ randomCacheable: true });
    await on.orchestrator.run(on.workflow());
    await on.orchestrator.run(on.workflow());
    expect(on.calls.random).toBe(1);
  });

  it('recomputes what it is asked to (all, or some steps), writing records still', async () => {
    const { orchestrator, workflow, calls } = setup();
    await orchestrator.run(workflow());
    const some = await orchestrator.run(workflow(), { recompute: ['parity'] });
    expect(outcomes(some)).toMatchObject({ numbers: 'cached/hit', parity: 'completed/off' });
    expect(outcomes(some).label).toBe('cached/hit');
    const all = await orchestrator.run(workflow(), { recompute: true });
    expect(all.steps.every((s) => s.cache === 'off' && s.status === 'completed')).toBe(true);
    expect(calls).toMatchObject({ numbers: 2, parity: 3, label: 2 });
  });

  it("keys a step on what its cacheKey says besides config and inputs (a read file's stamp)", async () => {
    const registry = new FunctionRegistry();
    let stamp = 'size 10, time 1';
    let runs = 0;
    const read = step(
      { slug: 'read', inputs: {}, output: z.number(), cacheKey: () => stamp },
      () => ++runs,
      { registry },
    );
    const orchestrator = new Orchestrator({ store: new MemoryDatumStore(), registry, cache: {} });
    const wf = new Workflow().add(read({}, {}, { id: 'read' }));
    await orchestrator.run(wf);
    expect((await orchestrator.run(wf)).steps[0]!.cache).toBe('hit');
    stamp = 'size 12, time 2';
    const changed = await orchestrator.run(wf);
    expect(changed.steps[0]).toMatchObject({
      cache: 'miss',
      reasons: [{ kind: 'source', slug: 'read' }],
    });
    expect(changed.steps[0]!.record?.source).toBe('size 12, time 2');
    expect(runs).toBe(2);
  });

  it('never looks anything up without the cache option', async () => {
    const { registry, workflow, calls } = setup();
    const plain = new Orchestrator({ store: new MemoryDatumStore(), registry });
    await plain.run(workflow());
    const report = await plain.run(workflow());
    expect(report.steps.every((s) => s.cache === undefined && s.record === undefined)).toBe(true);
    expect(calls.numbers).toBe(2);
  });

  it('gives events the record of each finished step, and freshness agrees after a run', async () => {
    const { orchestrator, workflow, store } = setup();
    const records: string[] = [];
    orchestrator.on((e) => {
      if (e.type === 'step-status' && e.record) records.push(`${e.stepId}:${e.record.status}`);
    });
    const wf = workflow();
    await orchestrator.run(wf);
    await orchestrator.run(wf);
    expect(records).toContain('label:cached');
    const codes = new Map(
      wf.steps.map((s) => [s.slug, recordOfCell(store.cell(s.id))?.code] as const),
    );
    const fresh = freshness(wf.toJSON(), (id) => recordOfCell(store.cell(id)), {
      code: (slug) => codes.get(slug),
      fingerprint: () => undefined,
      cacheable: (slug) => slug !== 'random',
    });
    expect(fresh.map((f) => f.fresh)).toEqual([true, true, true, false]);
  });
});
