/**
 * `fancyflow run <file>`: loads a workflow (document or notebook) and its step modules, runs it
 * with live progress on stderr and prints a summary table (or, with `--json`, the run report) on
 * stdout. Exit 0 when every step completed, 1 when one failed, 2 for invalid input, 130 on Ctrl-C.
 */
import type { Command } from 'commander';
import {
  Orchestrator,
  defaultRegistry,
  type DatumStore,
  type RunReport,
  type Workflow,
} from '../../core';
import { interruptibleStepCaller } from '../../kernel/interrupt-guard';
import { colorsFor, contextOf, type CliContext } from '../context';
import { prepareWorkflow, readWorkflowFile, type WorkflowSource } from '../load-workflow';
import { MEMORY_STORE, flushStore, openStore } from '../open-store';
import { ExitCode, reportError } from '../report-error';
import { createRunProgress } from '../run-progress';
import { formatFailures, formatRunSummary } from '../run-summary';

/** The options of `fancyflow run`. */
export interface RunCommandOptions {
  steps?: string[];
  store?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** The exit code of a finished run. */
export function exitCodeOf(report: RunReport): number {
  if (report.status === 'cancelled') return ExitCode.INTERRUPTED;
  return report.status === 'completed' ? ExitCode.OK : ExitCode.FAILED;
}

/** Runs `fancyflow run` and returns its exit code. */
export async function runWorkflowCommand(
  file: string,
  options: RunCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  let source: WorkflowSource;
  let store: DatumStore;
  let workflow: Workflow;
  try {
    source = readWorkflowFile(file, io.cwd);
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
    report = await new Orchestrator({ store, registry: defaultRegistry(), callStep }).run(
      workflow,
      {
        signal: controller.signal,
        ...(progress ? { onEvent: (event) => progress.onEvent(event) } : {}),
      },
    );
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

  if (options.json) {
    io.stdout.write(JSON.stringify(report, null, 2) + '\n');
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

/** Adds `run` to the program. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a workflow (.json document or .ipynb notebook) and print a summary')
    .argument('<file>', 'a workflow document (.json) or a notebook (.ipynb) carrying one')
    .option(
      '--steps <module...>',
      'more step modules to load: paths relative to the working directory, or package names',
    )
    .option(
      '--store <store>',
      `where cells are kept: "${MEMORY_STORE}" or a directory`,
      MEMORY_STORE,
    )
    .option('--json', 'print the run report as JSON instead of the summary table')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Exit codes: 0 every step completed, 1 a step failed, 2 invalid input, 130 interrupted (Ctrl-C).

Examples:
  $ fancyflow run examples/cars.json
  $ fancyflow run analysis.ipynb --store .fancyflow-store
  $ fancyflow run workflow.json --steps ./my-steps.js --json > report.json`,
    )
    .action(async (file: string, options: RunCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await runWorkflowCommand(file, { ...options, debug }, context);
    });
}
