/**
 * The `fancyflow` command line, run as users run it: the built `bin/fancyflow.js` in a child
 * process, against the workflow files in `fixtures/`, asserting what it prints and its exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'fancyflow.js');
const FIXTURES = path.join(__dirname, 'fixtures');
const TIMEOUT_MS = 50_000;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<number>();

/**
 * Runs `fancyflow <args>` in the fixtures folder. `onStderr` sees stderr as it arrives and may
 * signal the child.
 */
function fancyflow(
  args: string[],
  options: { onStderr?: (text: string, pid: number) => void } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: FIXTURES,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid!;
    children.add(pid);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(stderr, pid);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(pid);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The non-empty lines of a text. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The summary table's row of a step, split into its columns. */
function row(stdout: string, stepId: string): string[] | undefined {
  return lines(stdout)
    .map((l) => l.trim().split(/\s{2,}/))
    .find((cells) => cells[0] === stepId);
}

/** Asserts the exit code 2 and the one-line message of an invalid input. */
function expectInvalid(result: Result, file: string, code: string, pointer: string): string {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const errorLines = lines(result.stderr);
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(
    new RegExp(`^fancyflow: ${escape(file)}: ${code} at ${escape(pointer)}: \\S`),
  );
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return errorLines[0]!;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

let storeDir: string | undefined;
let scratch: string | undefined;

beforeAll(() => {
  // `npm test` builds first; build here only when the compiled CLI is missing (a bare `vitest run`).
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
  }
  expect(existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
});

afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of [storeDir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fancyflow run', () => {
  it('runs a workflow and prints the summary table and progress lines', async () => {
    const result = await fancyflow(['run', 'workflow.json']);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)[0]!.split(/\s{2,}/)).toEqual([
      'STEP',
      'SLUG',
      'STATUS',
      'TIME',
      'OUTPUT',
    ]);
    expect(row(result.stdout, 'numbers')).toEqual([
      'numbers',
      'test.numbers',
      'completed',
      expect.stringMatching(/ ms$/),
      'array [5]',
    ]);
    expect(row(result.stdout, 'scaled')).toEqual([
      'scaled',
      'test.scale',
      'completed',
      expect.stringMatching(/ ms$/),
      'array [5]',
    ]);
    expect(row(result.stdout, 'total')?.slice(1, 3)).toEqual(['test.sum', 'completed']);
    expect(row(result.stdout, 'total')?.[4]).toBe('number');
    expect(result.stdout).toMatch(/run completed: 3 steps in /);
    // Not a terminal: one plain line per finished step, no escape codes.
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^\[1\/3\] numbers \(test\.numbers\) completed in [\d.]+ ms$/),
      expect.stringMatching(/^\[2\/3\] scaled \(test\.scale\) completed in [\d.]+ ms$/),
      expect.stringMatching(/^\[3\/3\] total \(test\.sum\) completed in [\d.]+ ms$/),
    ]);
    expect(result.stderr + result.stdout).not.toContain('\x1b');
  });

  it('prints the run report with --json', async () => {
    const result = await fancyflow(['run', 'workflow.json', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runId: string;
      status: string;
      startedAt: string;
      durationMs: number;
      steps: {
        stepId: string;
        slug: string;
        status: string;
        durationMs: number;
        outputCellId: string;
        summary: { type: string; shape?: number[] };
      }[];
    };
    expect(report.status).toBe('completed');
    expect(typeof report.runId).toBe('string');
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.steps.map((s) => [s.stepId, s.slug, s.status, s.outputCellId])).toEqual([
      ['numbers', 'test.numbers', 'completed', 'numbers'],
      ['scaled', 'test.scale', 'completed', 'scaled'],
      ['total', 'test.sum', 'completed', 'total'],
    ]);
    expect(report.steps[0]!.summary).toMatchObject({ type: 'array', shape: [5] });
    expect(report.steps[2]!.summary).toMatchObject({ type: 'number' });
    // Progress still goes to stderr, unless --quiet.
    expect(lines(result.stderr)).toHaveLength(3);
    const quiet = await fancyflow(['run', 'workflow.json', '--json', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout)).toMatchObject({ status: 'completed' });
  });

  it('exits 1 when a step fails, names its code and message, keeps earlier outputs and skips dependents', async () => {
    const result = await fancyflow(['run', 'failing.json']);
    expect(result.code).toBe(1);
    expect(row(result.stdout, 'numbers')?.slice(2)).toEqual([
      'completed',
      expect.any(String),
      'array [3]',
    ]);
    expect(row(result.stdout, 'broken')?.[2]).toBe('failed');
    expect(row(result.stdout, 'after')?.[2]).toBe('skipped');
    expect(row(result.stdout, 'total')?.[2]).toBe('completed');
    expect(result.stdout).toMatch(/run failed: 4 steps \(2 completed, 1 failed, 1 skipped\)/);
    expect(result.stderr).toMatch(
      /^\[2\/4\] broken \(test\.fail\) failed in [\d.]+ ms: STEP_FAILED$/m,
    );
    expect(result.stderr).toMatch(/^\[3\/4\] after \(test\.sum\) skipped \(DEPENDENCY_FAILED\)$/m);
    expect(result.stderr).toMatch(
      /^fancyflow: failing\.json: STEP_FAILED at \/steps\/1: Step "broken" \(test\.fail\) failed: the sensor is unplugged$/m,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const json = await fancyflow(['run', 'failing.json', '--json', '-q']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      status: string;
      steps: { status: string; error?: { code: string } }[];
    };
    expect(report.status).toBe('failed');
    expect(report.steps.map((s) => s.error?.code)).toEqual([
      undefined,
      'STEP_FAILED',
      'DEPENDENCY_FAILED',
      undefined,
    ]);
  });

  it('runs the workflow kept in a notebook', async () => {
    const result = await fancyflow(['run', 'notebook.ipynb']);
    expect(result.code, result.stderr).toBe(0);
    expect(row(result.stdout, 'numbers')?.slice(2)).toEqual([
      'completed',
      expect.any(String),
      'array [4]',
    ]);
    expect(row(result.stdout, 'total')?.slice(1, 3)).toEqual(['test.sum', 'completed']);
    const invalid = await fancyflow(['run', 'bad-notebook.ipynb']);
    expectInvalid(
      invalid,
      'bad-notebook.ipynb',
      'MISSING_CELL',
      '/metadata/fancyflow/steps/1/wiring/values',
    );
  });

  it('cancels on Ctrl-C (SIGINT): exit 130 and the partial summary', async () => {
    let sent = false;
    const result = await fancyflow(['run', 'slow.json'], {
      onStderr: (text, pid) => {
        if (!sent && text.includes('slow step started')) {
          sent = true;
          // The line is written while the step's synchronous part runs with breakOnSigint; a
          // signal in the instant that guard ends can be lost: signal once the step awaits.
          setTimeout(() => process.kill(pid, 'SIGINT'), 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(row(result.stdout, 'numbers')?.[2]).toBe('completed');
    expect(row(result.stdout, 'wait')?.[2]).toBe('cancelled');
    expect(row(result.stdout, 'total')?.[2]).toBe('skipped');
    expect(result.stdout).toMatch(/run cancelled: 3 steps/);
    expect(result.stderr).toContain('fancyflow: interrupted: cancelling the run');
    expect(result.stderr).toMatch(/^\[2\/3\] wait \(test\.slow\) cancelled after [\d.]+ m?s$/m);
  });
});

describe('invalid input: exit 2 with one line naming the place', () => {
  it('invalid JSON, with line and column', async () => {
    // Written at test time: a broken .json file in the repository would break the formatter.
    scratch ??= mkdtempSync(path.join(tmpdir(), 'fancyflow-cli-'));
    const file = path.join(scratch, 'invalid.json');
    writeFileSync(
      file,
      '{\n  "formatVersion": 1,\n  "steps": [\n    { "id": "numbers" "slug": "x" }\n  ]\n}\n',
    );
    const result = await fancyflow(['run', file]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^fancyflow: \/.*\/invalid\.json: INVALID_JSON at line 4, column 23: Invalid JSON: /,
      ),
    ]);
  });

  it('an unreadable file', async () => {
    const result = await fancyflow(['run', 'no-such-file.json']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^fancyflow: no-such-file\.json: FILE_READ: Cannot read the file: ENOENT/,
      ),
    ]);
  });

  it.each([
    [
      'wrong-version.json',
      'UNSUPPORTED_FORMAT_VERSION',
      '/formatVersion',
      /Format version 2 is not supported/,
    ],
    ['schema-violation.json', 'INVALID_DOCUMENT', '/steps/1/version', /expected string/],
    ['unknown-slug.json', 'UNKNOWN_STEP', '/steps/1/slug', /Unknown step "test\.scael"/],
    ['missing-cell.json', 'MISSING_CELL', '/steps/1/wiring/values', /cell "ghost"/],
    ['later-cell.json', 'FORWARD_REFERENCE', '/steps/0/wiring/values', /produced by a later step/],
    ['duplicate-ids.json', 'DUPLICATE_STEP_ID', '/steps/1/id', /Two steps have the id "numbers"/],
    ['bad-config.json', 'INVALID_CONFIG', '/steps/1/config/factor', /factor: Too small/],
    [
      'missing-module.json',
      'MODULE_LOAD',
      '/modules/1',
      /Cannot load step module "\.\/no-such-steps\.js": Cannot find module/,
    ],
    [
      'broken-module.json',
      'MODULE_LOAD',
      '/modules/0',
      /Cannot load step module "\.\/broken-steps\.js": this module is broken$/,
    ],
  ])('%s → %s at %s', async (file, code, pointer, message) => {
    // validate makes the same checks as run.
    const [run, validate] = await Promise.all([
      fancyflow(['run', file]),
      fancyflow(['validate', file]),
    ]);
    expect(expectInvalid(run, file, code, pointer)).toMatch(message);
    expect(lines(validate.stderr)).toEqual(lines(run.stderr));
    expect(validate.code).toBe(2);
  });

  it('a --steps module that fails to load', async () => {
    const result = await fancyflow(['run', 'workflow.json', '--steps', './nowhere.js']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^fancyflow: workflow\.json: MODULE_LOAD: Cannot load step module "\.\/nowhere\.js" \(--steps\): Cannot find module/,
      ),
    ]);
  });

  it('prints the stack with --debug', async () => {
    const result = await fancyflow(['run', 'broken-module.json', '--debug']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)[0]).toMatch(
      /^fancyflow: broken-module\.json: MODULE_LOAD at \/modules\/0: /,
    );
    expect(result.stderr).toMatch(
      /Caused by: Error: this module is broken\nsecond line of the message\n\s+at .*broken-steps\.js/,
    );
  });

  it('usage errors (missing argument, unknown option) exit 2', async () => {
    const missing = await fancyflow(['run']);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual([
      expect.stringMatching(/^fancyflow: missing required argument 'file'/),
    ]);
    const unknown = await fancyflow(['run', 'workflow.json', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^fancyflow: unknown option '--frobnicate'/);
  });
});

describe('fancyflow validate', () => {
  it('says ok with the number of steps, for documents and notebooks', async () => {
    const doc = await fancyflow(['validate', 'workflow.json']);
    expect(doc).toMatchObject({ code: 0, stdout: 'ok: 3 steps\n', stderr: '' });
    const notebook = await fancyflow(['validate', 'notebook.ipynb']);
    expect(notebook).toMatchObject({ code: 0, stdout: 'ok: 2 steps\n' });
  });

  it('does not run the steps', async () => {
    // failing.json is valid: its failure happens only when run.
    const result = await fancyflow(['validate', 'failing.json']);
    expect(result).toMatchObject({ code: 0, stdout: 'ok: 4 steps\n', stderr: '' });
  });
});

describe('fancyflow steps', () => {
  it('lists steps grouped by category, with contracts and config fields', async () => {
    const result = await fancyflow(['steps', '--steps', './steps.js']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Test \(6\)$/m);
    // The standard library is always there: the package root registers it.
    expect(result.stdout).toMatch(/^ {2}read_csv {2}/m);
    expect(result.stdout).toMatch(/^ {2}test\.scale {2}Scale {2}v1\.0\.0$/m);
    expect(result.stdout).toMatch(/^ {4}Multiplies every number by a factor\.$/m);
    expect(result.stdout).toMatch(/^ {4}\(values: number\[\]\) → number\[\]$/m);
    expect(result.stdout).toMatch(/^ {6}factor +number +\(required\)$/m);
    expect(result.stdout).toMatch(/^ {6}count\? +integer += 5 +How many numbers$/m);
    expect(result.stdout).toMatch(/^ {4}\(\) → number\[\]$/m);
  });

  it('prints the step descriptors with --json', async () => {
    const result = await fancyflow(['steps', '--steps', './steps.js', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const steps = JSON.parse(result.stdout) as {
      slug: string;
      category: string;
      inputs: Record<string, { schema: Record<string, unknown>; optional: boolean }>;
      output: Record<string, unknown>;
      config: { properties?: Record<string, { default?: unknown }> };
      traits: { execution: string };
    }[];
    const scale = steps.find((s) => s.slug === 'test.scale');
    expect(scale).toMatchObject({
      category: 'Test',
      version: '1.0.0',
      inputs: { values: { optional: false, schema: { type: 'array', items: { type: 'number' } } } },
      output: { type: 'array' },
      config: { required: ['factor'] },
      traits: { execution: 'batch' },
    });
    expect(steps.find((s) => s.slug === 'test.numbers')?.config.properties?.count?.default).toBe(5);
  });

  it('exits 2 when a --steps module fails to load', async () => {
    const result = await fancyflow(['steps', '--steps', './broken-steps.js']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      'fancyflow: MODULE_LOAD: Cannot load step module "./broken-steps.js" (--steps): this module is broken',
    ]);
  });
});

describe('fancyflow run --store <dir>', () => {
  it('persists outputs that a second process can wire to', async () => {
    storeDir = mkdtempSync(path.join(tmpdir(), 'fancyflow-cli-store-'));
    // Without the stored cell, the second workflow is invalid.
    const before = await fancyflow(['run', 'reuse.json', '--store', storeDir]);
    expectInvalid(before, 'reuse.json', 'MISSING_CELL', '/steps/0/wiring/values');

    const first = await fancyflow(['run', 'persist.json', '--store', storeDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(storeDir).length).toBeGreaterThan(0);

    // A new process: `scaled` ([2, 4, 6, 8]) comes from the store; test.expect checks the sum.
    const second = await fancyflow(['run', 'reuse.json', '--store', storeDir]);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(row(second.stdout, 'check')?.[2]).toBe('completed');
    const validate = await fancyflow(['validate', 'reuse.json', '--store', storeDir]);
    expect(validate).toMatchObject({ code: 0, stdout: 'ok: 2 steps\n' });
  });
});
