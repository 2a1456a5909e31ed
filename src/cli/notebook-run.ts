/**
 * `fancyflow run notebook.ipynb`: the notebook is the program. Its code cells run in order, the way
 * Jupyter's "Restart Kernel and Run All Cells" does, through the same session code the kernel uses
 * (tslab type-checks and runs each cell; a cell whose value is a WorkflowStep runs as that step;
 * cells that define steps register them), in the notebook's folder. The first cell that fails
 * stops the run; the step cells after it are reported not run. The workflow report covers every
 * step cell, in notebook order. Running a notebook runs its code, as `jupyter nbconvert --execute`
 * does.
 */
import * as path from 'node:path';
import {
  FancyflowError,
  NOTEBOOK_METADATA_KEY,
  CellMetadataSchema,
  hasOutput,
  type DatumStore,
  type JsonValue,
  type RunEvent,
  type RunReport,
  type RunStatus,
  type StepReport,
} from '../core';
import type { WorkflowState } from '../protocol/messages';
import type { CliOutput } from './context';
import type { NotebookCell, NotebookFile } from './notebook-file';
import { CollectingSink, type CellRecord } from './notebook-output';

/** What a headless notebook run gives. */
export interface NotebookRunResult {
  report: RunReport;
  /** The session's state at the end (steps, statuses, definitions). */
  state: WorkflowState;
  /** What each cell that ran showed (when {@link NotebookRunOptions.collect} asked for it). */
  records: Map<string, CellRecord>;
  /** The cell that failed and why, when one did (a step's failure included). */
  failure?: { cell: NotebookCell; ename: string; evalue: string };
  /** Code cells that did not run (after a failure or an interrupt). */
  notRun: number;
}

/** Options of {@link runNotebook}. */
export interface NotebookRunOptions {
  /** The notebook's absolute path (its folder is where cells run). */
  file: string;
  store: DatumStore;
  /** Step cells run on the workers of this queue (`redis://host:port`). Default: in-process. */
  queue?: string;
  /** Receives every step event (the CLI's progress). */
  onEvent?: (event: RunEvent) => void;
  /** Where the notebook run says what it does between cells (stderr). */
  log: CliOutput;
  /** Installs the Ctrl-C handler; the returned function removes it. */
  onInterrupt: (listener: () => void) => () => void;
  /** Keep each cell's outputs (to write the executed notebook). Default false. */
  collect?: boolean;
  /** Recompute every step whatever the store holds. Default false. */
  noCache?: boolean;
}

/** The step a code cell makes, according to its saved metadata (to report it when not run). */
function savedStep(cell: NotebookCell): { slug: string; name?: string } | undefined {
  const parsed = CellMetadataSchema.safeParse(cell.metadata[NOTEBOOK_METADATA_KEY]);
  if (!parsed.success) return undefined;
  return parsed.data.name === undefined
    ? { slug: parsed.data.slug }
    : { slug: parsed.data.slug, name: parsed.data.name };
}

/** Runs the code cells of `notebook` in order; never throws for a cell. */
export async function runNotebook(
  notebook: NotebookFile,
  options: NotebookRunOptions,
): Promise<NotebookRunResult> {
  // The type checker and the kernel's session are heavy: loaded only for notebooks.
  const [{ installNotebookRuntime }, { ExecuteEngine }, { NotebookSession }, { CellRunner }] =
    await Promise.all([
      import('../kernel/runtime'),
      import('../kernel/engine'),
      import('../kernel/session'),
      import('../kernel/cell-runner'),
    ]);
  const { releaseOutput, runWithOutput } = await import('../kernel/output');
  const rootDir = path.dirname(options.file);
  installNotebookRuntime();
  const session = await NotebookSession.create({
    store: options.store,
    rootDir,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    noCache: options.noCache ?? false,
  });
  const engine = new ExecuteEngine(rootDir);
  const runner = new CellRunner(engine, session);
  const unsubscribe = options.onEvent ? session.onRunEvent(options.onEvent) : () => undefined;
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let interrupted = false;
  // The first Ctrl-C cancels the running cell and the rest; the handler then goes away, so a
  // second one ends the process at once.
  const stopListening: () => void = options.onInterrupt(() => {
    stopListening();
    interrupted = true;
    options.log.write(
      'fancyflow: interrupted: cancelling the run (Ctrl-C again to quit at once)\n',
    );
    engine.interrupt();
    session.cancel();
  });
  const previousCwd = process.cwd();
  const code = notebook.cells.filter((c) => c.type === 'code' && c.source.trim() !== '');
  let failure: NotebookRunResult['failure'];
  let ran = 0;
  const records = new Map<string, CellRecord>();
  try {
    // Jupyter starts kernels in the notebook's folder: relative paths in cells mean the same here.
    process.chdir(rootDir);
    for (const cell of code) {
      if (interrupted) break;
      const sink = options.collect ? new CollectingSink() : silentSink;
      const count = ++ran;
      const run = await runWithOutput(sink, () => runner.run(cell.source, cell.id, count));
      releaseOutput();
      if (sink instanceof CollectingSink) {
        for (const note of run.notes) sink.stream('stderr', `${note}\n`);
        const outputs = sink.outputs;
        if (run.result) {
          outputs.push({
            output_type: 'execute_result',
            execution_count: count,
            data: run.result.data as JsonValue,
            metadata: run.result.metadata as JsonValue,
          });
        }
        if (run.error) {
          const { ename, evalue, traceback } = run.error;
          outputs.push({ output_type: 'error', ename, evalue, traceback });
        }
        records.set(cell.id, { executionCount: count, outputs });
      }
      if (run.error) {
        failure = { cell, ename: run.error.ename, evalue: run.error.evalue };
        if (run.error.ename === 'Interrupted' || run.error.evalue.startsWith('CANCELLED')) {
          interrupted = true;
        }
        break;
      }
    }
    const rest = code.slice(ran);
    const notRun = rest.flatMap((cell) => {
      const step = savedStep(cell);
      return step ? [{ cellId: cell.id, ...step }] : [];
    });
    if (notRun.length > 0 && failure) {
      const label = session.stepLabelOf(failure.cell.id);
      const what = label ? `step ${label}` : `cell [${failure.cell.index + 1}]`;
      session.markNotRun(
        notRun,
        interrupted ? 'cancelled' : 'skipped',
        interrupted
          ? new FancyflowError('CANCELLED', `Not run: the run was interrupted at ${what}`)
          : new FancyflowError('DEPENDENCY_FAILED', `Not run: ${what} failed before it`),
      );
    } else if (notRun.length > 0) {
      session.markNotRun(
        notRun,
        'cancelled',
        new FancyflowError('CANCELLED', 'Not run: the run was interrupted'),
      );
    }
    const state = session.state();
    const steps: StepReport[] = [];
    for (const cell of code) {
      const report = state.statuses[cell.id];
      if (report) steps.push(report);
    }
    const status: RunStatus = interrupted
      ? 'cancelled'
      : failure || steps.some((s) => !hasOutput(s.status))
        ? 'failed'
        : 'completed';
    const report: RunReport = {
      runId: `notebook-${Date.now().toString(36)}`,
      status,
      startedAt,
      durationMs: performance.now() - started,
      steps,
    };
    return { report, state, records, ...(failure ? { failure } : {}), notRun: rest.length };
  } finally {
    process.chdir(previousCwd);
    stopListening();
    unsubscribe();
    session.close();
    engine.close();
  }
}

/** A headless run shows no cell output: the report says what happened, the store holds the data. */
const silentSink = {
  stream(): void {},
  display(): void {},
  clear(): void {},
  flush(): void {},
};
