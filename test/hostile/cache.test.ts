/**
 * Hostile records and run histories: a notebook or a store index carrying a forged or garbled
 * StepRecord, or a run history of garbage, is read safely: the record or entry is ignored (the
 * step reads as never run, the history as empty), nothing crashes, nothing runs; `fancyflow status`
 * on such a notebook runs none of its code.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordOfCell } from '../../src/core/cache';
import { MAX_JSON_DEPTH } from '../../src/core/json-limits';
import { MemoryDatumStore } from '../../src/core/memory-store';
import {
  appendRun,
  readCellMetadata,
  readNotebookWorkflow,
  readRunHistory,
  RUN_HISTORY_LIMIT,
} from '../../src/core/notebook-metadata';
import { Orchestrator } from '../../src/core/orchestrator';
import { Workflow } from '../../src/core/workflow';
import type { StepRecord } from '../../src/core/freshness';
import { DiskDatumStore } from '../../src/stores/disk-datum-store';
import { killRunning, repoRoot, runCli } from './cli-process';
import { z } from 'zod';
import { FunctionRegistry } from '../../src/core/registry';
import { step as stepOf } from '../../src/core/step';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fancyflow-hostile-cache-'));
});

afterAll(() => {
  killRunning();
  rmSync(dir, { recursive: true, force: true });
});

const step = {
  stepId: 'numbers',
  slug: 'test.numbers',
  version: '1.0.0',
  wiring: {},
  config: { count: 2 },
};

function deep(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const forgedRecords: [string, unknown][] = [
  ['a string', 'garbage'],
  ['an array', [1, 2, 3]],
  ['a record with an extra key', { key: 'k', smuggled: 'x'.repeat(100) }],
  ['a prototype key', JSON.parse('{"__proto__": {"polluted": true}, "key": "k"}')],
  ['nesting deeper than the limit', { config: deep(MAX_JSON_DEPTH + 10) }],
  ['a megabyte key', { key: 'k'.repeat(1 << 20) }],
];

describe('forged step records in a notebook cell', () => {
  it.each(forgedRecords)('%s: the step stays, the record is dropped', (_name, record) => {
    const metadata = readCellMetadata({ ...step, record });
    expect(metadata).toMatchObject(step);
    expect(metadata?.record).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('a garbage run history', () => {
  const document = {
    formatVersion: 2,
    steps: [{ id: 'numbers', slug: 'test.numbers', version: '1.0.0', wiring: {}, config: {} }],
  };
  it.each([
    ['a string', 'garbage'],
    ['an object', { runs: 1 }],
    ['entries of garbage', [1, 'x', null, { runId: 'r' }]],
    ['nesting deeper than the limit', [deep(MAX_JSON_DEPTH + 10)]],
    ['a prototype key', JSON.parse('[{"__proto__": {"polluted": true}}]')],
  ])('%s: reads as no history and never makes the document invalid', (_name, runs) => {
    const metadata = { ...document, runs };
    expect(readRunHistory(metadata)).toEqual([]);
    expect(readNotebookWorkflow(metadata)?.steps).toHaveLength(1);
    const notebook = {
      cells: [],
      metadata: { fancyflow: metadata },
      nbformat: 4,
      nbformat_minor: 5,
    };
    expect(Workflow.parse(notebook).length).toBe(1);
    // appending replaces what was not a history
    const appended = appendRun(metadata, {
      runId: 'r1',
      at: '2026-01-01T00:00:00.000Z',
      status: 'completed',
      durationMs: 1,
      steps: { numbers: { status: 'completed', cached: false, output: 'abc' } },
    });
    expect(readRunHistory(appended)).toHaveLength(1);
  });

  it('keeps the valid entries of a history, at most the limit', () => {
    const run = {
      runId: 'r',
      at: '2026-01-01T00:00:00.000Z',
      status: 'completed',
      durationMs: 1,
      steps: {},
    };
    const runs = [...Array.from({ length: 50 }, () => run), 'garbage'];
    expect(readRunHistory({ runs })).toHaveLength(RUN_HISTORY_LIMIT - 1);
  });
});

describe('a forged record in a store', () => {
  it('is no record: status and lineage read none, and a cached run recomputes', async () => {
    const store = await DiskDatumStore.open(path.join(dir, 'store'));
    // what a hand-edited index could hold
    await store.persist([1, 2], {
      cellId: 'numbers',
      record: { key: 42, inputs: 'x' } as unknown as StepRecord,
    });
    await store.flush();
    const reopened = await DiskDatumStore.open(path.join(dir, 'store'));
    expect(recordOfCell(reopened.cell('numbers'))).toBeUndefined();

    const registry = new FunctionRegistry();
    stepOf(
      {
        slug: 'test.numbers',
        inputs: {},
        config: z.object({ count: z.number() }),
        output: z.array(z.number()),
      },
      (_i, { count }) => Array.from({ length: count }, (_, k) => k + 1),
      { registry },
    );
    const memory = new MemoryDatumStore();
    memory.persist([1, 2], { cellId: 'numbers', record: 'garbage' as unknown as StepRecord });
    const workflow = Workflow.parse({
      formatVersion: 2,
      steps: [{ ...step, id: 'numbers' }].map(({ stepId: _s, ...s }) => s),
    });
    const report = await new Orchestrator({ store: memory, registry, cache: {} }).run(workflow);
    expect(report.steps[0]).toMatchObject({ status: 'completed', cache: 'miss' });
    expect(report.steps[0]!.reasons).toEqual([{ kind: 'never-run' }]);
  });
});

describe('fancyflow status on a hostile notebook', () => {
  const marker = () => path.join(dir, 'MARKER');
  function notebook(runs: unknown): string {
    writeFileSync(
      path.join(dir, 'writes-marker.js'),
      `require('node:fs').writeFileSync(${JSON.stringify(marker())}, 'ran');`,
    );
    const value = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        fancyflow: {
          formatVersion: 2,
          steps: [
            { id: 'numbers', slug: 'test.numbers', version: '1.0.0', wiring: {}, config: {} },
          ],
          modules: ['./writes-marker.js'],
          runs,
        },
      },
      cells: [
        {
          cell_type: 'code',
          id: 'setup',
          metadata: {},
          outputs: [],
          execution_count: null,
          source: `require('node:fs').writeFileSync(${JSON.stringify(marker())}, 'ran');`,
        },
        {
          cell_type: 'code',
          id: 'numbers',
          metadata: { fancyflow: { ...step, record: { key: 'forged', inputs: 'x' } } },
          outputs: [],
          execution_count: null,
          source: "steps['test.numbers']({}, {})",
        },
      ],
    };
    writeFileSync(path.join(dir, 'hostile.ipynb'), JSON.stringify(value));
    return 'hostile.ipynb';
  }

  it('runs none of its code, and survives a forged record and a garbage history', async () => {
    const file = notebook(['garbage', { runId: 5 }]);
    const result = await runCli(['status', file, '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const steps = (
      JSON.parse(result.stdout) as {
        steps: { stepId: string; fresh: boolean; reasons: { kind: string }[] }[];
      }
    ).steps;
    expect(steps).toEqual([
      expect.objectContaining({
        stepId: 'numbers',
        fresh: false,
        reasons: [{ kind: 'never-run' }],
      }),
    ]);
    expect(existsSync(marker())).toBe(false);
  });

  it('refuses a history nested beyond the document limits with one coded line, running nothing', async () => {
    const file = notebook([deep(MAX_JSON_DEPTH + 10)]);
    const result = await runCli(['status', file], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^fancyflow: hostile\.ipynb: INVALID_DOCUMENT at \/metadata\/fancyflow\/runs\/0/,
    );
    expect(result.stderr.length).toBeLessThan(2000);
    expect(existsSync(marker())).toBe(false);
    expect(repoRoot).toBeTruthy();
  });
});
