/**
 * The Orchestrator runs a Workflow strictly in order against a DatumStore and a FunctionRegistry:
 * resolve inputs → check contracts → run → check output → persist as a FancyCell. Every step runs
 * behind an error boundary: a failure becomes the step's status and never loses earlier outputs.
 *
 * The hot path avoids awaits where the store answers synchronously and builds events only when
 * someone listens: per-step overhead is measured in `bench/`.
 */
import type { CellSummary, FancyCell } from './cell';
import { describeType } from './contracts';
import {
  FancyflowError,
  formatPath,
  isFancyflowError,
  toJsonPointer,
  type JsonValue,
  type SerializedError,
} from './errors';
import type { StepStatus } from './format';
import { MemoryDatumStore } from './memory-store';
import { defaultRegistry, type FunctionRegistry } from './registry';
import { parseStepConfig, type ResolvedStep, type StepContext } from './step';
import { isPromiseLike, type DatumStore } from './store';
import { tableAdapterFor, type Row } from './table';
import type { Workflow } from './workflow';
import { stepLabel, stepName, type WorkflowStep } from './workflow-step';

export type { StepStatus } from './format';

/** How a run ended. */
export type RunStatus = 'completed' | 'failed' | 'cancelled';

/** One step's part of a run report (and its latest status). JSON-safe. */
export interface StepReport {
  stepId: string;
  slug: string;
  /** The step's readable name: its `name`, else `<slug> #<position in the workflow>`. */
  name: string;
  status: StepStatus;
  /** Epoch milliseconds when the step started running. */
  startedAt?: number;
  durationMs?: number;
  /** The cell holding the output (the step id), once completed. */
  outputCellId?: string;
  /** The output's summary, once completed. */
  summary?: CellSummary;
  /** Why the step failed, was skipped or was cancelled. */
  error?: SerializedError;
}

/** What a run returns. JSON-safe. */
export interface RunReport {
  runId: string;
  status: RunStatus;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** The steps selected for this run, in order. */
  steps: StepReport[];
}

/** Events, one per transition, for progress bars and the sidebar. */
export type RunEvent =
  | { type: 'run-started'; runId: string; stepIds: string[]; at: number }
  | ({ type: 'step-status'; runId: string; at: number } & StepReport)
  | { type: 'run-finished'; runId: string; status: RunStatus; at: number; durationMs: number };

/** Options of a run. */
export interface RunOptions {
  /** Cancels the run: the running step and the ones after it end `cancelled`. */
  signal?: AbortSignal;
  /** Runs from this step id onwards; earlier outputs are read from the store. */
  from?: string;
  /** Runs only this step id; its inputs are read from the store. */
  only?: string;
  /** Called on every event of this run (besides the listeners added with `on`). */
  onEvent?: (event: RunEvent) => void;
  /**
   * Outputs known not to be there because their steps did not complete before this run (a
   * notebook's earlier cell failed): steps wired to them are skipped, not run on stale data.
   */
  unavailable?: Iterable<string>;
}

/** What a {@link StepCaller} is told about the step it calls. */
export interface StepCall {
  stepId: string;
  /** The step as messages name it: `"clean" (drop_nulls)` or `drop_nulls #2`. */
  label: string;
  /** The run's signal (never aborted when the run has none). */
  signal: AbortSignal;
}

/**
 * Calls a step's function: `call()` runs it (for an async step, its synchronous part up to the
 * first await) and returns what it returned (a value or a promise), which the caller must return.
 * Whatever the caller throws ends the step like an error of the function itself; a
 * FancyflowError with code `CANCELLED` ends it `cancelled`.
 */
export type StepCaller = (call: () => unknown, step: StepCall) => unknown;

/** Options of an Orchestrator. */
export interface OrchestratorOptions {
  /** Default: a new MemoryDatumStore. */
  store?: DatumStore;
  /** Default: the process-wide default registry. */
  registry?: FunctionRegistry;
  /**
   * Wraps every call of a step's function, e.g. to make a synchronous step interruptible (the
   * kernel and the CLI run it with `breakOnSigint`, so Ctrl-C or a kernel interrupt ends a
   * step that never yields `cancelled`). Default: the function is called directly.
   *
   * @example
   * new Orchestrator({ callStep: (call, { label }) => { console.time(label); try { return call(); } finally { console.timeEnd(label); } } });
   */
  callStep?: StepCaller;
}

let runCounter = 0;

/**
 * Runs workflows.
 *
 * @example
 * const orchestrator = new Orchestrator({ store: new MemoryDatumStore() });
 * const report = await orchestrator.run(workflow);
 * if (report.status !== 'completed') console.log(report.steps.find((s) => s.error)?.error?.message);
 */
export class Orchestrator {
  readonly store: DatumStore;
  readonly registry: FunctionRegistry;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private readonly latest = new Map<string, StepReport>();
  private readonly callStep: StepCaller | undefined;

  constructor(options: OrchestratorOptions = {}) {
    this.store = options.store ?? new MemoryDatumStore();
    this.registry = options.registry ?? defaultRegistry();
    this.callStep = options.callStep;
  }

  /** Calls `listener` on every event of every run; returns the function that unsubscribes. */
  on(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The latest status of step `stepId` (from the last run that selected it). */
  status(stepId: string): StepReport | undefined {
    return this.latest.get(stepId);
  }

  /** Forgets the latest statuses (what a kernel restart does). */
  resetStatuses(): void {
    this.latest.clear();
  }

  /** Runs only step `stepId`. */
  runStep(workflow: Workflow, stepId: string, options: Omit<RunOptions, 'only' | 'from'> = {}) {
    return this.run(workflow, { ...options, only: stepId });
  }

  /** Runs from step `stepId` onwards. */
  runFrom(workflow: Workflow, stepId: string, options: Omit<RunOptions, 'only' | 'from'> = {}) {
    return this.run(workflow, { ...options, from: stepId });
  }

  /** Runs the workflow (or the part `options` selects) strictly in order. Never throws for a step. */
  async run(workflow: Workflow, options: RunOptions = {}): Promise<RunReport> {
    const selected = selectSteps(workflow, options);
    const runId = `run-${Date.now().toString(36)}-${++runCounter}`;
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const emit = this.emitter(options.onEvent);
    const reports: StepReport[] = selected.map((s) => ({
      stepId: s.id,
      slug: s.slug,
      name: stepName(s, workflow.indexOf(s.id) + 1),
      status: 'pending',
    }));
    for (const report of reports) this.latest.set(report.stepId, report);
    if (emit) {
      emit({ type: 'run-started', runId, stepIds: reports.map((r) => r.stepId), at: Date.now() });
      for (const report of reports) emit({ type: 'step-status', runId, at: Date.now(), ...report });
    }
    // outputs of steps (of this run, or before it) that did not complete
    const unavailable = new Set<string>(options.unavailable);
    const signal = options.signal;
    for (let i = 0; i < selected.length; i++) {
      const step = selected[i]!;
      const report = reports[i]!;
      // With listeners, let the event loop deliver the previous step's events (a kernel's comm
      // messages, a terminal's progress line) before the next step; without, never wait.
      if (emit && i > 0) await yieldToEventLoop();
      if (signal?.aborted) {
        this.finish(report, 'cancelled', emit, runId, cancelledError(step, workflow).toJSON());
        unavailable.add(step.id);
        continue;
      }
      const blocked = firstBlocked(step, unavailable);
      if (blocked !== undefined) {
        const error = dependencyError(step, workflow, blocked[0], blocked[1]);
        this.finish(report, 'skipped', emit, runId, error.toJSON());
        unavailable.add(step.id);
        continue;
      }
      report.status = 'running';
      report.startedAt = Date.now();
      if (emit) emit({ type: 'step-status', runId, at: report.startedAt, ...report });
      const t0 = performance.now();
      try {
        const outcome = this.execute(step, workflow, signal);
        const cell = isPromiseLike(outcome) ? await outcome : outcome;
        report.durationMs = performance.now() - t0;
        report.outputCellId = cell.id;
        report.summary = cell.summary;
        this.finish(report, 'completed', emit, runId);
      } catch (e) {
        report.durationMs = performance.now() - t0;
        unavailable.add(step.id);
        const error = toStepError(e, step, workflow);
        const status = error.code === 'CANCELLED' ? 'cancelled' : 'failed';
        this.finish(report, status, emit, runId, error.toJSON());
      }
    }
    const status: RunStatus = signal?.aborted
      ? 'cancelled'
      : reports.every((r) => r.status === 'completed')
        ? 'completed'
        : 'failed';
    const durationMs = performance.now() - started;
    if (emit) emit({ type: 'run-finished', runId, status, at: Date.now(), durationMs });
    return { runId, status, startedAt, durationMs, steps: reports };
  }

  private emitter(extra?: (event: RunEvent) => void): ((event: RunEvent) => void) | undefined {
    if (this.listeners.size === 0 && !extra) return undefined;
    return (event) => {
      extra?.(event);
      for (const listener of this.listeners) listener(event);
    };
  }

  private finish(
    report: StepReport,
    status: StepStatus,
    emit: ((event: RunEvent) => void) | undefined,
    runId: string,
    error?: SerializedError,
  ): void {
    report.status = status;
    if (error) report.error = error;
    if (emit) emit({ type: 'step-status', runId, at: Date.now(), ...report });
  }

  /** Runs one step to its persisted output's cell; synchronous while everything is. */
  private execute(
    step: WorkflowStep,
    workflow: Workflow,
    signal?: AbortSignal,
  ): FancyCell | Promise<FancyCell> {
    const def = this.registry.require(step.slug).definition;
    const config = this.configFor(step, def);
    const inputs: Record<string, unknown> = {};
    let pending: Promise<void>[] | undefined;
    for (const argument in step.wiring) {
      const cellId = step.wiring[argument]!;
      const resolved = this.resolveInput(step, workflow, argument, cellId);
      if (isPromiseLike(resolved)) {
        (pending ??= []).push(resolved.then((value) => void (inputs[argument] = value)));
      } else {
        inputs[argument] = resolved;
      }
    }
    const proceed = (): FancyCell | Promise<FancyCell> => {
      for (const argument in inputs) {
        const issues = def.inputChecks[argument]!(inputs[argument]);
        if (issues) throw contractError('INPUT_CONTRACT', step, workflow, issues, argument);
      }
      const context: StepContext = { stepId: step.id, signal: signal ?? neverAborted };
      // The wrapped call lives in its own method: a closure here would make V8 allocate a
      // context for this function's variables on every step, hook or not.
      const output =
        this.callStep === undefined
          ? invoke(def, inputs, config, context)
          : callWrapped(this.callStep, step, workflow, def, inputs, config, context);
      if (isPromiseLike(output)) {
        return withCancellation(output, step, workflow, signal).then((value) =>
          this.complete(step, workflow, def, value),
        );
      }
      return this.complete(step, workflow, def, output);
    };
    return pending ? Promise.all(pending).then(proceed) : proceed();
  }

  private complete(
    step: WorkflowStep,
    workflow: Workflow,
    def: ResolvedStep,
    value: unknown,
  ): FancyCell | Promise<FancyCell> {
    const issues = def.outputCheck(value);
    if (issues) throw contractError('OUTPUT_CONTRACT', step, workflow, issues);
    const cell = this.store.persist(value, {
      cellId: step.id,
      producedBy: { stepId: step.id, slug: step.slug, version: def.version },
    });
    return cell;
  }

  private resolveInput(
    step: WorkflowStep,
    workflow: Workflow,
    argument: string,
    cellId: string,
  ): unknown {
    if (!this.store.has(cellId)) {
      const producer = workflow.get(cellId);
      const from = producer ? `step ${labelIn(producer, workflow)}` : `cell "${cellId}"`;
      throw new FancyflowError(
        'MISSING_CELL',
        `Step ${labelIn(step, workflow)}, input "${argument}": the store holds no output of ${from}`,
        { details: { stepId: step.id, argument, cellId } },
      );
    }
    return this.store.resolve(cellId);
  }

  private configFor(step: WorkflowStep, def: ResolvedStep): Record<string, JsonValue> {
    const cached = parsedConfigs.get(step);
    if (cached && cached.def === def) return cached.config;
    const config = parseStepConfig(def, step.config);
    parsedConfigs.set(step, { def, config });
    return config;
  }
}

/** Parsed configs by step (steps are immutable; a replaced definition is parsed again). */
const parsedConfigs = new WeakMap<
  WorkflowStep,
  { def: ResolvedStep; config: Record<string, JsonValue> }
>();

const neverAborted = new AbortController().signal;

type Scheduler = (callback: () => void) => void;
const setImmediateIfAny = (globalThis as { setImmediate?: Scheduler }).setImmediate;

/** Resolves after pending I/O callbacks ran (setImmediate in Node, a macrotask elsewhere). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (setImmediateIfAny) setImmediateIfAny(resolve);
    else setTimeout(resolve, 0);
  });
}

function selectSteps(workflow: Workflow, options: RunOptions): readonly WorkflowStep[] {
  if (options.only !== undefined) {
    const s = workflow.get(options.only);
    if (!s) throw unknownStepId(options.only);
    return [s];
  }
  if (options.from !== undefined) {
    const at = workflow.indexOf(options.from);
    if (at < 0) throw unknownStepId(options.from);
    return workflow.steps.slice(at);
  }
  return workflow.steps;
}

function unknownStepId(id: string): FancyflowError {
  return new FancyflowError('UNKNOWN_STEP_ID', `The workflow has no step "${id}"`, {
    details: { stepId: id },
  });
}

/** A step's label with its position in `workflow`. */
function labelIn(step: WorkflowStep, workflow: Workflow): string {
  return stepLabel(step, workflow.indexOf(step.id) + 1);
}

/** The error of a step skipped because its input `cellId` did not complete (engines report it too). */
export function dependencyError(
  step: WorkflowStep,
  workflow: Workflow,
  argument: string,
  cellId: string,
): FancyflowError {
  const producer = workflow.get(cellId);
  const from = producer ? `step ${labelIn(producer, workflow)}` : `cell "${cellId}"`;
  return new FancyflowError(
    'DEPENDENCY_FAILED',
    `Step ${labelIn(step, workflow)} was skipped: its input "${argument}" comes from ${from}, which did not complete`,
    { details: { stepId: step.id, argument, cellId } },
  );
}

function firstBlocked(step: WorkflowStep, unavailable: Set<string>): [string, string] | undefined {
  if (unavailable.size === 0) return undefined;
  for (const argument in step.wiring) {
    const cellId = step.wiring[argument]!;
    if (unavailable.has(cellId)) return [argument, cellId];
  }
  return undefined;
}

function invoke(
  def: ResolvedStep,
  inputs: Record<string, unknown>,
  config: Record<string, JsonValue>,
  context: StepContext,
): unknown {
  const fn = def.fn as (a: unknown, b: unknown, c: unknown) => unknown;
  if (def.execution === 'batch') return fn(inputs, config, context);
  const table = inputs[Object.keys(def.inputs)[0]!];
  const adapter = tableAdapterFor(table);
  if (!adapter) {
    throw new FancyflowError(
      'UNSUPPORTED_VALUE',
      `Step "${context.stepId}" is row_wise but its input is ${describeType(table)}, not a table`,
      { details: { stepId: context.stepId } },
    );
  }
  const options = context.signal === neverAborted ? {} : { signal: context.signal };
  return adapter.mapRows(
    table,
    (row: Row, index: number) => fn(row, config, { ...context, index }) as Row,
    options,
  );
}

/** Calls the step through `callStep` (see {@link OrchestratorOptions.callStep}). */
function callWrapped(
  callStep: StepCaller,
  step: WorkflowStep,
  workflow: Workflow,
  def: ResolvedStep,
  inputs: Record<string, unknown>,
  config: Record<string, JsonValue>,
  context: StepContext,
): unknown {
  return callStep(() => invoke(def, inputs, config, context), {
    stepId: step.id,
    label: labelIn(step, workflow),
    signal: context.signal,
  });
}

function withCancellation<T>(
  promise: Promise<T>,
  step: WorkflowStep,
  workflow: Workflow,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelledError(step, workflow));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(step, workflow));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The error of a cancelled step (engines report it too). */
export function cancelledError(step: WorkflowStep, workflow: Workflow): FancyflowError {
  return new FancyflowError('CANCELLED', `Step ${labelIn(step, workflow)} was cancelled`, {
    details: { stepId: step.id },
  });
}

function contractError(
  code: 'INPUT_CONTRACT' | 'OUTPUT_CONTRACT',
  step: WorkflowStep,
  workflow: Workflow,
  issues: { path: (string | number)[]; message: string; code: string }[],
  argument?: string,
): FancyflowError {
  const first = issues[0]!;
  const where = argument === undefined ? 'output' : `input "${argument}"`;
  const at = first.path.length ? ` at ${formatPath(first.path)}` : '';
  return new FancyflowError(
    code,
    `Step ${labelIn(step, workflow)}: ${where} breaks its contract${at}: ${first.message}`,
    {
      details: {
        stepId: step.id,
        slug: step.slug,
        ...(argument === undefined ? {} : { argument }),
        pointer: toJsonPointer(first.path),
        issues: issues as unknown as JsonValue,
      },
    },
  );
}

function toStepError(e: unknown, step: WorkflowStep, workflow: Workflow): FancyflowError {
  if (isFancyflowError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new FancyflowError('STEP_FAILED', `Step ${labelIn(step, workflow)} failed: ${message}`, {
    details: { stepId: step.id, slug: step.slug },
    cause: e,
  });
}
