/**
 * The `fancyflow` command line, run as users run it: the built `bin/fancyflow.js` in a child
 * process, against the workflow files in `fixtures/`, asserting what it prints and its exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  options: {
    onStderr?: (text: string, pid: number) => void;
    env?: Record<string, string>;
  } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: FIXTURES,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
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
      'CACHE',
    ]);
    expect(row(result.stdout, 'numbers')).toEqual([
      'numbers',
      'test.numbers',
      'completed',
      expect.stringMatching(/ ms$/),
      'array [5]',
      'miss: never run',
    ]);
    expect(row(result.stdout, 'scaled')).toEqual([
      'scaled',
      'test.scale',
      'completed',
      expect.stringMatching(/ ms$/),
      'array [5]',
      'miss: never run',
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
      'miss: never run',
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

  it('runs a notebook as the program: its code cells in order, named steps in the report', async () => {
    const result = await fancyflow(['run', 'notebook.ipynb']);
    expect(result.code, result.stderr).toBe(0);
    expect(row(result.stdout, 'numbers')?.slice(1)).toEqual([
      'test.numbers',
      'completed',
      expect.any(String),
      'array [4]',
      'miss: never run',
    ]);
    expect(row(result.stdout, 'total')?.slice(1, 3)).toEqual(['test.sum', 'completed']);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^\[1\/2\] numbers \(test\.numbers\) completed in /),
      expect.stringMatching(/^\[2\/2\] total \(test\.sum\) completed in /),
    ]);
  });

  it('runs a notebook with no fancyflow metadata whose steps are defined in its cells', async () => {
    const result = await fancyflow(['run', 'plain-notebook.ipynb', '--json', '-q']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      status: string;
      steps: { stepId: string; name: string; slug: string; status: string; fingerprint?: string }[];
    };
    expect(report.status).toBe('completed');
    expect(report.steps.map((s) => [s.stepId, s.name, s.slug, s.status])).toEqual([
      ['halved', 'halved', 'nb.halve', 'completed'],
      ['quarter', 'quarter', 'nb.halve', 'completed'],
    ]);
    expect(report.steps[0]!.fingerprint).toMatch(/^[0-9a-f]{16,}$/);
    // the same notebook gives the same fingerprints every time
    const again = JSON.parse(
      (await fancyflow(['run', 'plain-notebook.ipynb', '--json', '-q'])).stdout,
    ) as typeof report;
    expect(again.steps.map((s) => s.fingerprint)).toEqual(report.steps.map((s) => s.fingerprint));
  });

  it('stops at the first failing cell, as Run All does, and reports the steps after it not run', async () => {
    const result = await fancyflow(['run', 'failing-notebook.ipynb']);
    expect(result.code).toBe(1);
    expect(row(result.stdout, 'numbers')?.[2]).toBe('completed');
    expect(row(result.stdout, 'total')?.[2]).toBe('skipped');
    expect(result.stdout).toMatch(/^1 code cell not run$/m);
    expect(result.stderr).toMatch(
      /^fancyflow: failing-notebook\.ipynb: TSError at \/cells\/2: 1:7 - Type 'string' is not assignable to type 'number'/m,
    );
    const json = JSON.parse(
      (await fancyflow(['run', 'failing-notebook.ipynb', '--json', '-q'])).stdout,
    ) as { status: string; steps: { name: string; status: string; error?: { message: string } }[] };
    expect(json.status).toBe('failed');
    expect(json.steps.find((s) => s.name === 'total')?.error?.message).toBe(
      'Not run: cell [3] failed before it',
    );
  });

  it('writes the executed notebook with --output: outputs, statuses and the workflow agree', async () => {
    scratch ??= mkdtempSync(path.join(tmpdir(), 'fancyflow-cli-'));
    const out = path.join(scratch, 'executed.ipynb');
    const result = await fancyflow(['run', 'plain-notebook.ipynb', '-q', '--output', out]);
    expect(result.code, result.stderr).toBe(0);
    const notebook = JSON.parse(readFileSync(out, 'utf8')) as {
      metadata: {
        kernelspec: { name: string };
        language_info: { name: string };
        fancyflow: {
          formatVersion: number;
          steps: { id: string }[];
          definitions: Record<string, string>;
        };
      };
      cells: {
        id: string;
        execution_count: number | null;
        outputs: { output_type: string; data?: Record<string, unknown> }[];
        metadata: { fancyflow?: { status: string; outputShape?: number[] } };
      }[];
    };
    expect(notebook.metadata.kernelspec.name).toBe('fancyflow');
    expect(notebook.metadata.language_info.name).toBe('typescript');
    expect(notebook.metadata.fancyflow).toMatchObject({
      formatVersion: 2,
      steps: [{ id: 'halved' }, { id: 'quarter' }],
      definitions: { 'nb.halve': 'define' },
    });
    const halved = notebook.cells.find((c) => c.id === 'halved')!;
    expect(halved.metadata.fancyflow).toMatchObject({ status: 'completed', outputShape: [6] });
    expect(halved.execution_count).toBe(4);
    expect(halved.outputs[0]!.data!['text/plain']).toBe('[ 2, 4, 7.5, 8, 11.5, 21 ]');
    const check = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4)); print("valid")',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(check.stdout.trim(), check.stderr).toBe('valid');
  });

  it('runs the notebook cells, not its saved metadata (which validate checks)', async () => {
    const run = await fancyflow(['run', 'bad-notebook.ipynb', '-q']);
    expect(run.code, run.stderr).toBe(0);
    const invalid = await fancyflow(['validate', 'bad-notebook.ipynb']);
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
    expect(row(result.stdout, 'total')?.[2]).toBe('cancelled');
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
      /Format version 3 is not supported \(this build reads versions 1 and 2\)/,
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
  ])('%s → %s at %s', async (file, code, pointer, message) => {
    // validate makes the same checks as run, given the step modules (it never loads the file's own)
    const [run, validate] = await Promise.all([
      fancyflow(['run', file]),
      fancyflow(['validate', file, '--steps', './steps.js']),
    ]);
    expect(expectInvalid(run, file, code, pointer)).toMatch(message);
    expect(validate.code, validate.stderr).toBe(2);
    expect(lines(validate.stderr)).toEqual(lines(run.stderr));
  });

  it('a module that throws when loaded fails run, and validate does not load it', async () => {
    const run = await fancyflow(['run', 'broken-module.json']);
    expect(expectInvalid(run, 'broken-module.json', 'MODULE_LOAD', '/modules/0')).toMatch(
      /Cannot load step module "\.\/broken-steps\.js": this module is broken$/,
    );
    const validate = await fancyflow(['validate', 'broken-module.json']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/not checked, because validate runs none of the file's code/);
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
    const doc = await fancyflow(['validate', 'workflow.json', '--steps', './steps.js']);
    expect(doc).toMatchObject({ code: 0, stdout: 'ok: 3 steps\n', stderr: '' });
    const notebook = await fancyflow(['validate', 'notebook.ipynb', '--steps', './steps.js']);
    expect(notebook).toMatchObject({ code: 0, stdout: 'ok: 2 steps\n' });
    const plain = await fancyflow(['validate', 'plain-notebook.ipynb']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      /^ok: a notebook with 5 code cells; it carries no saved fancyflow workflow/,
    );
  });

  it('does not run the steps', async () => {
    // failing.json is valid: its failure happens only when run.
    const result = await fancyflow(['validate', 'failing.json', '--steps', './steps.js']);
    expect(result).toMatchObject({ code: 0, stdout: 'ok: 4 steps\n', stderr: '' });
  });

  it('runs none of the code a document names: its steps are reported not checked', async () => {
    scratch ??= mkdtempSync(path.join(tmpdir(), 'fancyflow-cli-'));
    const marker = path.join(scratch, 'validate-marker');
    const env = { FANCYFLOW_MARKER: marker };
    const validate = await fancyflow(['validate', 'hostile-modules.json'], { env });
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toBe(
      'ok: 1 step (0 checked; not checked, because validate runs none of the file\'s code: test.numbers (from module "./writes-marker.js"); pass --steps <module> to check them)\n',
    );
    expect(existsSync(marker)).toBe(false);
    // a notebook's cells are not run either: its cell-defined steps are named
    const notebook = await fancyflow(['validate', 'notebook.ipynb'], { env });
    expect(notebook.stdout).toMatch(
      /not checked.*test\.numbers \(defined in notebook cell setup\)/,
    );
    // run does run it, as documented
    const run = await fancyflow(['run', 'hostile-modules.json', '-q'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('fancyflow export', () => {
  it('writes a notebook’s workflow and its cell-defined steps as a module that run loads', async () => {
    scratch ??= mkdtempSync(path.join(tmpdir(), 'fancyflow-cli-'));
    const out = path.join(scratch, 'export');
    const refused = await fancyflow(['export', 'notebook.ipynb', '-o', path.join(out, 'wf.json')]);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual([
      expect.stringMatching(
        /^fancyflow: notebook\.ipynb: UNKNOWN_STEP at \/metadata\/fancyflow\/definitions\/test\.numbers: Step "test\.numbers" is defined in cell 2 of the notebook.*--steps-module/,
      ),
    ]);
    const exported = await fancyflow([
      'export',
      'notebook.ipynb',
      '-o',
      path.join(out, 'wf.json'),
      '--steps-module',
      path.join(out, 'steps', 'notebook-steps.ts'),
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const document = JSON.parse(readFileSync(path.join(out, 'wf.json'), 'utf8')) as {
      formatVersion: number;
      modules: string[];
      definitions: Record<string, string>;
      steps: { id: string }[];
    };
    expect(document).toMatchObject({
      formatVersion: 2,
      modules: ['fancyflow', './steps/notebook-steps.ts'],
      definitions: {},
    });
    const module = readFileSync(path.join(out, 'steps', 'notebook-steps.ts'), 'utf8');
    expect(module).toContain("import './steps.js';");
    // the exported module imports steps.js relative to itself: put it beside
    writeFileSync(
      path.join(out, 'steps', 'steps.js'),
      readFileSync(path.join(FIXTURES, 'steps.js'), 'utf8').replace(
        "path.resolve(__dirname, '..', '..', '..')",
        JSON.stringify(ROOT),
      ),
    );
    const fromDocument = await fancyflow(['run', path.join(out, 'wf.json'), '--json', '-q']);
    expect(fromDocument.code, fromDocument.stderr).toBe(0);
    const fromNotebook = await fancyflow(['run', 'notebook.ipynb', '--json', '-q']);
    const fingerprints = (text: string) =>
      (JSON.parse(text) as { steps: { fingerprint: string }[] }).steps.map((s) => s.fingerprint);
    expect(fingerprints(fromDocument.stdout)).toEqual(fingerprints(fromNotebook.stdout));
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
    const validate = await fancyflow([
      'validate',
      'reuse.json',
      '--store',
      storeDir,
      '--steps',
      './steps.js',
    ]);
    expect(validate).toMatchObject({ code: 0, stdout: 'ok: 2 steps\n' });
  });
});
