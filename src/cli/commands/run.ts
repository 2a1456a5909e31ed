/**
 * `fancyflow run <file>`: runs a workflow document (with the step modules it names) or a notebook
 * (its code cells, in order, as Jupyter's Restart and Run All does), with live progress on stderr,
 * and prints a summary table (or, with `--json`, the run report) on stdout. Exit 0 when every
 * step completed, 1 when one failed, 2 for invalid input, 130 on Ctrl-C. Running a file runs its
 * code, as `jupyter nbconvert --execute` does.
 */
import type { Command } from 'commander';
import type { QueueRunOptions } from '../../engines/queue/queue-engine';
import * as path from 'node:path';
import {
  FancyflowError,
  MemoryDatumStore,
  NOTEBOOK_METADATA_KEY,
  Orchestrator,
  hasOutput,
  defaultRegistry,
  type DatumStore,
  type JsonValue,
  type RunEvent,
  type RunReport,
  type Workflow,
} from '../../core';
import { interruptibleStepCaller } from '../../kernel/interrupt-guard';
import { cacheSettings } from '../../kernel/step-code';
import { checkFingerprints, recordedOutputs } from '../check-run';
import { colorsFor, contextOf, type CliContext, type CliOutput } from '../context';
import { prepareWorkflow, readWorkflowFile, type WorkflowSource } from '../load-workflow';
import { isNotebookValue, readNotebook, type NotebookFile } from '../notebook-file';
import { executedNotebook, writeNotebookFile } from '../notebook-output';
import { runNotebook } from '../notebook-run';
import { findStepModule, loadPackageRoot, loadStepModules } from '../step-modules';
import {
  MEMORY_STORE,
  closeStore,
  flushStore,
  isSharedStore,
  openStore,
  storeSpecOf,
} from '../open-store';
import { ExitCode, oneLine, reportError } from '../report-error';
import { createRunProgress } from '../run-progress';
import { formatFailures, formatRunSummary } from '../run-summary';

/** The options of `fancyflow run`. */
export interface RunCommandOptions {
  steps?: string[];
  store?: string;
  /** Runs the steps on the workers of this queue (`redis://host:port`). */
  queue?: string;
  /** Queued runs: `row_wise` steps over more rows are split into parts of this many rows. */
  partRows?: string;
  /** A notebook run writes the executed notebook here. */
  output?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
  /** False (`--no-cache`): every step is recomputed whatever the store holds. */
  cache?: boolean;
  /** A notebook run: re-run in a fresh memory store and compare with the recorded fingerprints. */
  check?: boolean;
}

/** The exit code of a finished run. */
export function exitCodeOf(report: RunReport): number {
  if (report.status === 'cancelled') return ExitCode.INTERRUPTED;
  return report.status === 'completed' ? ExitCode.OK : ExitCode.FAILED;
}

/** A report with each completed step's output fingerprint (for comparing runs). */
function withFingerprints(report: RunReport, store: DatumStore): RunReport {
  return {
    ...report,
    steps: report.steps.map((step) => {
      const fingerprint = hasOutput(step.status) ? store.cell(step.stepId)?.fingerprint : undefined;
      return fingerprint === undefined ? step : { ...step, fingerprint };
    }),
  };
}

/** Runs `fancyflow run` and returns its exit code. */
export async function runWorkflowCommand(
  file: string,
  options: RunCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  let source: WorkflowSource;
  try {
    source = readWorkflowFile(file, io.cwd);
  } catch (e) {
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }
  if (options.check && !isNotebookValue(source.value)) {
    const error = new FancyflowError(
      'INVALID_DOCUMENT',
      '--check compares a run with the fingerprints a notebook recorded: give it a notebook (.ipynb)',
      { details: { option: '--check' } },
    );
    reportError(io.stderr, error, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }
  return isNotebookValue(source.value)
    ? runNotebookFile(file, source, options, context)
    : runDocument(file, source, options, context);
}

/**
 * The stream that writes to the process itself: notebook cells capture `process.stdout` and
 * `process.stderr` for their output, which progress and reports must not go through.
 */
async function uncaptured(stream: CliOutput, name: 'stdout' | 'stderr'): Promise<CliOutput> {
  if (stream !== process[name]) return stream;
  const { writeToProcess } = await import('../../kernel/kernel-log');
  return {
    write: (text: string) => writeToProcess(name, text),
    ...(stream.isTTY === undefined ? {} : { isTTY: stream.isTTY }),
    ...(stream.columns === undefined ? {} : { columns: stream.columns }),
  };
}

async function runNotebookFile(
  file: string,
  source: WorkflowSource,
  options: RunCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  const debug = options.debug ?? false;
  const stdout = await uncaptured(io.stdout, 'stdout');
  const stderr = await uncaptured(io.stderr, 'stderr');
  let notebook: NotebookFile;
  let store: DatumStore;
  try {
    if (options.queue !== undefined) checkQueueOptions(options);
    notebook = readNotebook(source.value);
    if (options.check) {
      // a reproducibility check starts from nothing: no cache, no earlier outputs
      store = new MemoryDatumStore();
    } else {
      const opened = await openStore(options.store, io.cwd);
      store = opened.store;
      for (const warning of opened.warnings) stderr.write(warning + '\n');
    }
    loadPackageRoot();
    loadStepModules(options.steps ?? [], io.cwd, { option: '--steps' });
  } catch (e) {
    reportError(stderr, e, { file, debug });
    return ExitCode.INVALID_INPUT;
  }
  const progress = options.quiet
    ? undefined
    : createRunProgress(stderr, { color: colorsFor(stderr, io.env) });
  progress?.onEvent({
    type: 'run-started',
    runId: 'notebook',
    stepIds: notebook.cells
      .filter((c) => c.type === 'code' && c.metadata[NOTEBOOK_METADATA_KEY] !== undefined)
      .map((c) => c.id),
    at: Date.now(),
  });
  let result;
  try {
    result = await runNotebook(notebook, {
      file: source.path,
      store,
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      collect: options.output !== undefined,
      noCache: options.cache === false,
      log: stderr,
      onInterrupt: (listener) => io.onInterrupt(listener),
      // each step cell is a run of one step: the notebook's progress counts step cells
      ...(progress
        ? {
            onEvent: (event: RunEvent) => {
              if (event.type === 'step-status') progress.onEvent(event);
            },
          }
        : {}),
    });
  } finally {
    progress?.close();
  }
  let flushError: unknown;
  try {
    await flushStore(store);
  } catch (e) {
    flushError = e ?? new Error('flush failed');
  }
  closeStore(store);
  const report = withFingerprints(result.report, store);
  if (options.output !== undefined) {
    const target = path.resolve(io.cwd, options.output);
    try {
      const { KERNELSPEC, LANGUAGE_INFO } = await import('../../kernel/language-info');
      const executed = executedNotebook(
        source.value as Record<string, unknown>,
        result.records,
        result.state,
        {
          kernelspec: { ...KERNELSPEC },
          languageInfo: JSON.parse(JSON.stringify(LANGUAGE_INFO)) as JsonValue,
        },
        result.report,
      );
      writeNotebookFile(target, executed);
    } catch (e) {
      flushError ??= new FancyflowError('FILE_WRITE', `Cannot write ${target}: ${String(e)}`, {
        details: { path: target },
        cause: e,
      });
    }
  }
  if (options.json) stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    stdout.write(formatRunSummary(report, { color: colorsFor(stdout, io.env) }));
    if (result.notRun > 0) {
      stdout.write(`${result.notRun} code cell${result.notRun === 1 ? '' : 's'} not run\n`);
    }
  }
  if (result.failure) {
    const { cell, ename, evalue } = result.failure;
    const coded = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(evalue);
    const code = ename === 'FancyflowError' && coded ? coded[1] : ename;
    const message = ename === 'FancyflowError' && coded ? coded[2]! : evalue;
    stderr.write(`fancyflow: ${file}: ${code} at /cells/${cell.index}: ${oneLine(message)}\n`);
  }
  if (flushError !== undefined) {
    reportError(stderr, flushError, { file, debug });
    return report.status === 'cancelled' ? ExitCode.INTERRUPTED : ExitCode.FAILED;
  }
  if (options.check) {
    const check = checkFingerprints(recordedOutputs(notebook), report);
    for (const line of check.lines) stderr.write(`fancyflow: ${file}: ${line}\n`);
    if (report.status === 'cancelled') return ExitCode.INTERRUPTED;
    return check.exitCode;
  }
  return exitCodeOf(report);
}

async function runDocument(
  file: string,
  source: WorkflowSource,
  options: RunCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  let store: DatumStore;
  let workflow: Workflow;
  let partRows: number | undefined;
  try {
    if (options.queue !== undefined) partRows = checkQueueOptions(options);
    const opened = await openStore(options.store, io.cwd);
    store = opened.store;
    for (const warning of opened.warnings) io.stderr.write(warning + '\n');
    workflow = prepareWorkflow(source, {
      cwd: io.cwd,
      steps: options.steps ?? [],
      known: (cellId) => store.has(cellId),
    });
  } catch (e) {
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }

  const controller = new AbortController();
  const progress = options.quiet
    ? undefined
    : createRunProgress(io.stderr, { color: colorsFor(io.stderr, io.env) });
  // The first Ctrl-C cancels; the handler then goes away, so a second one ends the process at once
  // (an async step that ignores its signal cannot be cancelled any other way). A step computing
  // synchronously is stopped by the same first Ctrl-C (it runs with breakOnSigint, during which
  // the handler is not called: the step caller cancels instead).
  const cancel = (): void => {
    if (controller.signal.aborted) return;
    stopListening();
    const message = 'fancyflow: interrupted: cancelling the run (Ctrl-C again to quit at once)';
    if (progress) progress.note(message);
    else io.stderr.write(message + '\n');
    controller.abort();
  };
  const stopListening: () => void = io.onInterrupt(cancel);
  const callStep = interruptibleStepCaller(cancel);
  let report: RunReport;
  try {
    const runOptions = {
      signal: controller.signal,
      ...(progress ? { onEvent: (event: RunEvent) => progress.onEvent(event) } : {}),
    };
    if (options.queue !== undefined) {
      report = await runOnQueue(options.queue, workflow, store, {
        ...runOptions,
        baseDir: path.dirname(source.path),
        modules: (options.steps ?? []).map((spec) =>
          findStepModule(spec, io.cwd, { option: '--steps' }),
        ),
        ...(partRows === undefined ? {} : { partRows }),
        recompute: options.cache === false,
      });
    } else {
      const orchestrator = new Orchestrator({
        store,
        registry: defaultRegistry(),
        callStep,
        cache: cacheSettings(path.dirname(source.path)),
      });
      report = await orchestrator.run(workflow, {
        ...runOptions,
        recompute: options.cache === false,
      });
    }
  } catch (e) {
    progress?.close();
    stopListening();
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    closeStore(store);
    return ExitCode.INVALID_INPUT;
  } finally {
    progress?.close();
    stopListening();
  }
  let flushError: unknown;
  try {
    await flushStore(store);
  } catch (e) {
    flushError = e ?? new Error('flush failed');
  }

  if (options.queue !== undefined) {
    // the workers wrote the outputs: read what they recorded
    const completed = report.steps.filter((s) => s.status === 'completed').map((s) => s.stepId);
    try {
      if (completed.length > 0) await store.refresh?.(completed);
    } catch (e) {
      flushError ??= e;
    }
  }
  closeStore(store);
  if (options.json) {
    io.stdout.write(JSON.stringify(withFingerprints(report, store), null, 2) + '\n');
  } else {
    io.stdout.write(formatRunSummary(report, { color: colorsFor(io.stdout, io.env) }));
  }
  for (const line of formatFailures(report, {
    file,
    pointerOf: (stepId) => {
      const at = workflow.indexOf(stepId);
      return at < 0 ? undefined : `${source.base}/steps/${at}`;
    },
  })) {
    io.stderr.write(line + '\n');
  }
  if (flushError !== undefined) {
    reportError(io.stderr, flushError, { file, debug: options.debug ?? false });
    return report.status === 'cancelled' ? ExitCode.INTERRUPTED : ExitCode.FAILED;
  }
  return exitCodeOf(report);
}

/** The checks of `--queue` that need no connection; returns `--part-rows` as a number. */
function checkQueueOptions(options: RunCommandOptions): number | undefined {
  if (!isSharedStore(options.store)) {
    throw new FancyflowError(
      'QUEUE_UNAVAILABLE',
      '--queue needs a store the workers share: --store <directory> (the same path on every machine) or --store s3://bucket/prefix',
      { details: { option: '--store' } },
    );
  }
  if (options.partRows === undefined) return undefined;
  const n = Number(options.partRows);
  if (!Number.isInteger(n) || n < 0) {
    throw new FancyflowError('INVALID_CONFIG', '--part-rows must be a whole number ≥ 0', {
      details: { option: '--part-rows' },
    });
  }
  return n;
}

/** Runs `workflow` on the queue's workers (loaded only when asked for: it brings a Redis client). */
async function runOnQueue(
  url: string,
  workflow: Workflow,
  store: DatumStore,
  options: QueueRunOptions,
): Promise<RunReport> {
  const { QueueEngine } = await import('../../engines/queue/queue-engine');
  const engine = await QueueEngine.connect({
    url,
    store,
    storeSpec: storeSpecOf(store)!,
    registry: defaultRegistry(),
  });
  try {
    return await engine.run(workflow, options);
  } finally {
    await engine.close();
  }
}

/** Adds `run` to the program. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run a workflow document (.json) or a notebook (.ipynb, every code cell in order) and print a summary',
    )
    .argument('<file>', 'a workflow document (.json) or a notebook (.ipynb)')
    .option(
      '--steps <module...>',
      'more step modules to load: paths relative to the working directory, or package names',
    )
    .option(
      '--store <store>',
      `where cells are kept: "${MEMORY_STORE}", a directory, or s3://bucket/prefix`,
      MEMORY_STORE,
    )
    .option(
      '--queue <url>',
      'run the steps on the workers of this queue (redis://host:port; start them with fancyflow worker); needs a shared --store',
    )
    .option(
      '--part-rows <n>',
      'with --queue: row_wise steps over more rows than this are split into jobs of at most this many rows, smaller ones last (default 65536; 0: never)',
    )
    .option(
      '-o, --output <notebook>',
      'a notebook run: write the executed notebook there (outputs, step statuses, workflow)',
    )
    .option(
      '--no-cache',
      'recompute every step, even those whose code, config and inputs are unchanged since the store got their output',
    )
    .option(
      '--check',
      'a notebook: re-run it in a fresh memory store and exit 1 naming every step whose output fingerprint differs from the one its cell recorded',
    )
    .option('--json', 'print the run report as JSON instead of the summary table')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Running a file runs its code, as \`jupyter nbconvert --execute\` does: a notebook's cells, and the
step modules a workflow document names. Check a file someone else wrote with \`fancyflow validate\`
first: it runs nothing.

A notebook runs the way Jupyter's "Restart Kernel and Run All Cells" does: in its folder, cell
after cell, stopping at the first cell that fails; the report lists its step cells. It needs no
fancyflow metadata, and steps its cells define with step() are found.

A step whose slug, version, code, config and input fingerprints are those its output in the store
was made with is not run again: it is "cached" (the store's index answers; its data is not read).
--no-cache recomputes everything; a step declared with traits: { cache: false } always runs.

Exit codes: 0 every step completed (or was cached), 1 a step or cell failed (with --check: an
output differs from the recorded one), 2 invalid input, 130 interrupted (Ctrl-C).

Examples:
  $ fancyflow run examples/cars.json
  $ fancyflow run analysis.ipynb --store .fancyflow-store --json
  $ fancyflow run workflow.json --steps ./my-steps.js --json > report.json
  $ fancyflow run analysis.ipynb --check
  $ fancyflow run workflow.json --queue redis://127.0.0.1:6379 --store s3://bucket/runs`,
    )
    .action(async (file: string, options: RunCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await runWorkflowCommand(file, { ...options, debug }, context);
    });
}
