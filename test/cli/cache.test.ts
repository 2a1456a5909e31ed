/**
 * The cache from the command line, run as users run it (the built CLI in a child process): a re-run
 * answered from a disk store, `--no-cache`, `status` with reasons, `lineage`, and the notebook
 * `--check` round trip on a copied notebook.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killRunning, runCli } from '../hostile/cli-process';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const STEPS = path.join(FIXTURES, 'steps.js');

interface Report {
  status: string;
  steps: {
    stepId: string;
    status: string;
    cache?: string;
    reasons?: { kind: string }[];
    record?: { key: string; output?: string; cached: boolean };
  }[];
}

let scratch: string;
const copies: string[] = [];

beforeAll(() => {
  expect(existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
  scratch = mkdtempSync(path.join(tmpdir(), 'fancyflow-cache-cli-'));
});

afterAll(() => {
  killRunning();
  rmSync(scratch, { recursive: true, force: true });
  for (const file of copies) rmSync(file, { force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: FIXTURES });

/** The fixture workflow with `factor` as the scale step's config, written to the scratch folder. */
function workflowWith(factor: number, name: string): string {
  const doc = JSON.parse(readFileSync(path.join(FIXTURES, 'workflow.json'), 'utf8')) as {
    steps: { config: Record<string, unknown> }[];
    modules: string[];
  };
  doc.steps[1]!.config.factor = factor;
  doc.modules = [STEPS];
  const file = path.join(scratch, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('fancyflow run with a disk store', () => {
  it('answers an unchanged re-run from the store, and --no-cache recomputes', async () => {
    const store = path.join(scratch, 'store-rerun');
    const file = workflowWith(2, 'rerun.json');
    const first = await cli(['run', file, '--store', store, '--json', '-q']);
    expect(first.code, first.stderr).toBe(0);
    const cold = JSON.parse(first.stdout) as Report;
    expect(cold.steps.map((s) => s.cache)).toEqual(['miss', 'miss', 'miss']);
    expect(cold.steps[0]!.reasons).toEqual([{ kind: 'never-run' }]);

    const again = await cli(['run', file, '--store', store]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^numbers\s+test\.numbers\s+cached\s+.*\bhit$/m);
    expect(again.stdout).toMatch(/run completed: 3 steps \(3 cached\)/);
    expect(again.stderr).toMatch(/^\[3\/3\] total \(test\.sum\) cached$/m);

    const forced = await cli(['run', file, '--store', store, '--no-cache', '--json', '-q']);
    const report = JSON.parse(forced.stdout) as Report;
    expect(report.steps.map((s) => `${s.status}/${s.cache}`)).toEqual([
      'completed/off',
      'completed/off',
      'completed/off',
    ]);
  });

  it('recomputes a step whose config changed and what depends on it, naming the change', async () => {
    const store = path.join(scratch, 'store-config');
    await cli(['run', workflowWith(2, 'two.json'), '--store', store, '-q']);
    const changed = workflowWith(3, 'three.json');

    const status = await cli(['status', changed, '--store', store]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^numbers\s+test\.numbers\s+fresh\s+-?.*$/m);
    expect(status.stdout).toMatch(
      /^scaled\s+test\.scale\s+stale\s+config changed \(factor 2 → 3\)/m,
    );
    expect(status.stdout).toMatch(/^total\s+test\.sum\s+stale\s+upstream scaled is stale/m);
    // status loads none of the document's modules: the code was not compared, and it says so
    expect(status.stdout).toContain('code not checked');
    const json = await cli(['status', changed, '--store', store, '--json', '--steps', STEPS]);
    const steps = (
      JSON.parse(json.stdout) as { steps: { stepId: string; fresh: boolean; codeKnown: boolean }[] }
    ).steps;
    expect(steps.map((s) => [s.stepId, s.fresh, s.codeKnown])).toEqual([
      ['numbers', true, true],
      ['scaled', false, true],
      ['total', false, true],
    ]);

    const run = await cli(['run', changed, '--store', store, '--json', '-q']);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.steps.map((s) => `${s.status}/${s.cache}`)).toEqual([
      'cached/hit',
      'completed/miss',
      'completed/miss',
    ]);
    expect(report.steps[1]!.reasons).toEqual([
      { kind: 'config', changes: [{ path: 'factor', from: 2, to: 3 }] },
    ]);
    const after = await cli(['status', changed, '--store', store, '--json', '--steps', STEPS]);
    const fresh = (JSON.parse(after.stdout) as { steps: { fresh: boolean }[] }).steps;
    expect(fresh.every((s) => s.fresh)).toBe(true);
  });

  it('prints the lineage of a cell back to its source, from the index', async () => {
    const store = path.join(scratch, 'store-lineage');
    await cli(['run', workflowWith(2, 'lineage.json'), '--store', store, '-q']);
    const text = await cli(['lineage', 'total', '--store', store]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^total \[[0-9a-f]{12}\] ← test\.sum 1\.0\.0 \(code [0-9a-f]{12}\)/,
    );
    expect(text.stdout).toMatch(/^ {4}numbers \[[0-9a-f]{12}\] ← test\.numbers/m);
    const json = await cli(['lineage', 'total', '--store', store, '--json']);
    const chain = (
      JSON.parse(json.stdout) as {
        chain: { cellId: string; depth: number; record?: { config: unknown } }[];
      }
    ).chain;
    expect(chain.map((c) => [c.cellId, c.depth])).toEqual([
      ['total', 0],
      ['scaled', 1],
      ['numbers', 2],
    ]);
    expect(chain[1]!.record?.config).toEqual({ factor: 2 });
    const missing = await cli(['lineage', 'nope', '--store', store]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/DATUM_NOT_FOUND/);
  });
});

describe('fancyflow run notebook.ipynb --check', () => {
  it('round trip: a run recorded with -o reproduces; a tampered fingerprint exits 1 naming the step', async () => {
    // the copy lives beside the fixture: its first cell imports ./steps.js
    const copy = path.join(FIXTURES, `.check-${process.pid}.ipynb`);
    copies.push(copy);
    const recorded = await cli(['run', 'notebook.ipynb', '-o', copy, '-q']);
    expect(recorded.code, recorded.stderr).toBe(0);
    const notebook = JSON.parse(readFileSync(copy, 'utf8')) as {
      cells: { id: string; metadata: { fancyflow?: { record?: { output: string } } } }[];
      metadata: { fancyflow: { runs: { steps: Record<string, { output?: string }> }[] } };
    };
    const total = notebook.cells.find((c) => c.id === 'total')!;
    expect(total.metadata.fancyflow?.record?.output).toMatch(/^[0-9a-f]{32}$/);
    const history = notebook.metadata.fancyflow.runs;
    expect(history).toHaveLength(1);
    expect(history[0]!.steps.total!.output).toBe(total.metadata.fancyflow?.record?.output);

    const check = await cli(['run', path.basename(copy), '--check', '-q']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/check: 2 steps reproduce their recorded output fingerprints/);

    total.metadata.fancyflow!.record!.output = '0123456789abcdef0123456789abcdef';
    writeFileSync(copy, JSON.stringify(notebook));
    const tampered = await cli(['run', path.basename(copy), '--check', '-q']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(
      /check: step "total" \(test\.sum\): output fingerprint [0-9a-f]{32} differs from the recorded 0123456789abcdef0123456789abcdef$/m,
    );
    expect(tampered.stderr).not.toMatch(/numbers.*differs/);

    // a fingerprint recorded by fancyflow before 128-bit ones is named, not called a difference
    total.metadata.fancyflow!.record!.output = '0123456789abcdef';
    writeFileSync(copy, JSON.stringify(notebook));
    const retired = await cli(['run', path.basename(copy), '--check', '-q']);
    expect(retired.code).toBe(2);
    expect(retired.stderr).toMatch(
      /check: step "total" \(test\.sum\) recorded output 0123456789abcdef, a 64-bit fingerprint of an earlier fancyflow/,
    );
    expect(retired.stderr).not.toMatch(/differs/);
  }, 240_000);

  it('refuses --check on a workflow document, and a notebook that recorded nothing', async () => {
    const doc = await cli(['run', 'workflow.json', '--check']);
    expect(doc.code).toBe(2);
    expect(doc.stderr).toMatch(/--check/);
    const bare = await cli(['run', 'notebook.ipynb', '--check', '-q']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/no step cell records an output fingerprint/);
  }, 120_000);
});
