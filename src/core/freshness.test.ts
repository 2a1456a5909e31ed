import { describe, expect, it } from 'vitest';
import type { WorkflowDocument } from './format';
import {
  configChanges,
  describeReason,
  freshness,
  readStepRecord,
  type StepRecord,
} from './freshness';

const doc: Pick<WorkflowDocument, 'steps'> = {
  steps: [
    { id: 'raw', slug: 'read_csv', version: '1.0.0', wiring: {}, config: { path: 'cars.csv' } },
    {
      id: 'clean',
      slug: 'drop_nulls',
      version: '1.0.0',
      wiring: { table: 'raw' },
      config: { threshold: 0.3 },
    },
    {
      id: 'chart',
      slug: 'scatter',
      version: '1.0.0',
      wiring: { table: 'clean' },
      config: { x: 'a', y: 'b' },
    },
  ],
};

function record(
  step: WorkflowDocument['steps'][number],
  inputs: StepRecord['inputs'],
  output: string,
): StepRecord {
  return {
    stepId: step.id,
    slug: step.slug,
    version: step.version,
    code: `code-${step.slug}`,
    config: step.config,
    inputs,
    key: `key-${step.id}`,
    output,
    status: 'completed',
    cached: false,
    durationMs: 1,
    runId: 'run-1',
    at: '2026-01-01T00:00:00.000Z',
  };
}

const records = new Map<string, StepRecord>([
  ['raw', record(doc.steps[0]!, {}, 'f-raw')],
  ['clean', record(doc.steps[1]!, { table: { cell: 'raw', fingerprint: 'f-raw' } }, 'f-clean')],
  ['chart', record(doc.steps[2]!, { table: { cell: 'clean', fingerprint: 'f-clean' } }, 'f-chart')],
]);
const now = { code: (slug: string) => `code-${slug}`, fingerprint: () => undefined };

describe('freshness', () => {
  it('calls every step fresh when nothing changed', () => {
    const result = freshness(doc, (id) => records.get(id), now);
    expect(result.map((f) => [f.stepId, f.fresh])).toEqual([
      ['raw', true],
      ['clean', true],
      ['chart', true],
    ]);
  });

  it('says a step never ran, and that what depends on it is stale upstream', () => {
    const result = freshness(doc, (id) => (id === 'raw' ? undefined : records.get(id)), now);
    expect(result[0]!.reasons).toEqual([{ kind: 'never-run' }]);
    expect(result[1]!.reasons).toEqual([{ kind: 'upstream', stepId: 'raw' }]);
    expect(result[2]!.reasons).toEqual([{ kind: 'upstream', stepId: 'clean' }]);
  });

  it('names a config change with its before and after', () => {
    const edited = {
      steps: doc.steps.map((s) => (s.id === 'clean' ? { ...s, config: { threshold: 0.5 } } : s)),
    };
    const result = freshness(edited, (id) => records.get(id), now);
    expect(result[0]!.fresh).toBe(true);
    expect(result[1]!.reasons).toEqual([
      { kind: 'config', changes: [{ path: 'threshold', from: 0.3, to: 0.5 }] },
    ]);
    expect(describeReason(result[1]!.reasons[0]!, (id) => `"${id}"`)).toBe(
      'config changed (threshold 0.3 → 0.5)',
    );
    expect(result[2]!.reasons).toEqual([{ kind: 'upstream', stepId: 'clean' }]);
  });

  it('sees a code change, a version change and an opt-out', () => {
    const result = freshness(
      { steps: doc.steps.map((s) => (s.id === 'chart' ? { ...s, version: '2.0.0' } : s)) },
      (id) => records.get(id),
      {
        code: (slug) => (slug === 'drop_nulls' ? 'new' : `code-${slug}`),
        fingerprint: () => undefined,
        cacheable: (slug) => slug !== 'read_csv',
      },
    );
    expect(result[0]!.reasons).toEqual([{ kind: 'not-cacheable' }]);
    expect(result[1]!.reasons).toContainEqual({ kind: 'code', slug: 'drop_nulls' });
    expect(result[2]!.reasons).toContainEqual({ kind: 'version', from: '1.0.0', to: '2.0.0' });
  });

  it('sees an input whose fingerprint differs from when the step ran', () => {
    const changed = new Map(records);
    changed.set('clean', { ...records.get('clean')!, output: 'f-other' });
    const result = freshness(doc, (id) => changed.get(id), now);
    expect(result[1]!.fresh).toBe(true);
    expect(result[2]!.reasons).toEqual([{ kind: 'input', argument: 'table', cell: 'clean' }]);
    expect(describeReason(result[2]!.reasons[0]!, (id) => id)).toBe(
      'input clean changed (argument table)',
    );
  });

  it('compares cells from outside the workflow by their current fingerprint', () => {
    const outside = { steps: [doc.steps[1]!] };
    const ok = freshness(outside, (id) => records.get(id), { ...now, fingerprint: () => 'f-raw' });
    expect(ok[0]!.fresh).toBe(true);
    const unknown = freshness(outside, (id) => records.get(id), now);
    expect(unknown[0]!.reasons).toEqual([{ kind: 'input', argument: 'table', cell: 'raw' }]);
  });

  it('reports when the code could not be compared', () => {
    const result = freshness(doc, (id) => records.get(id), { ...now, code: () => undefined });
    expect(result.every((f) => f.fresh && !f.codeKnown)).toBe(true);
  });

  it('treats a failed last run as no output', () => {
    const failed = new Map(records);
    failed.set('raw', { ...records.get('raw')!, status: 'failed', output: undefined });
    expect(freshness(doc, (id) => failed.get(id), now)[0]!.reasons).toEqual([
      { kind: 'never-run' },
    ]);
  });
});

describe('configChanges', () => {
  it('lists added, removed and nested changes by path', () => {
    expect(configChanges({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 3] }, d: 'x' })).toEqual([
      { path: 'a', from: 1 },
      { path: 'b/c/1', from: 2, to: 3 },
      { path: 'd', to: 'x' },
    ]);
  });
});

describe('readStepRecord', () => {
  it('reads a record and ignores forged or garbled ones', () => {
    const good = records.get('clean')!;
    expect(readStepRecord(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(readStepRecord({ ...good, extra: 1 })).toBeUndefined();
    expect(readStepRecord({ ...good, durationMs: -1 })).toBeUndefined();
    expect(readStepRecord({ ...good, key: 'x'.repeat(10_000) })).toBeUndefined();
    expect(readStepRecord(JSON.parse('{"__proto__": {"polluted": true}}'))).toBeUndefined();
    expect(readStepRecord('garbage')).toBeUndefined();
    expect(readStepRecord(null)).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(readStepRecord({ ...good, config: deep })).toBeUndefined();
  });
});
