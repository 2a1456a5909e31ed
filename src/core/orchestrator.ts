/**
 * The Orchestrator runs a Workflow strictly in order against a DatumStore and a FunctionRegistry:
 * resolve inputs → check contracts → run → check output → persist as a FancyCell. Every step runs
 * behind an error boundary: a failure becomes the step's status and never loses earlier outputs.
 *
 * The hot path avoids awaits where the store answers synchronously, reads the clock once per step,
 * keeps a run's bookkeeping in typed arrays and builds report objects only when they are read,
 * events only when someone listens (their `name` and `summary` computed when read): per-step
 * overhead is measured in `bench/core.js` against a bare loop with the same zod checks.
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
import { isoTime } from './cell';
import { toStepReport } from './step-report';
import { RunCache, type CacheOutcome, type CacheSettings } from './cache';
import type { StaleReason, StepRecord } from './freshness';
import { hashReady } from './hash';
import { parsedConfigOf, stepLabel, stepName, type WorkflowStep } from './workflow-step';

export { toStepReport } from './step-report';

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
  /** With caching on: whether the output came from the cache (`off`: forced or opted out). */
  cache?: CacheOutcome;
  /** With caching on, on a miss: why the cached output (if any) did not stand. */
  reasons?: StaleReason[];
  /** With caching on, once the step ended: what produced its output (lineage). */
  record?: StepRecord;
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

/**
 * Events, one per transition, for progress bars and the sidebar. `at` is epoch milliseconds. A
 * `step-status` event is the step's report as it was at that transition; only `type`, `runId`,
 * `stepId`, `slug` and `status` are own properties, the rest are read when asked for (getters),
 * so copy an event with `JSON.stringify` or {@link toStepReport}, not with object spread.
 */
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
  /**
   * With caching on: recompute all selected steps (`true`) or these step ids whatever the cache
   * holds (their records are still written). Default false.
   */
  recompute?: boolean | Iterable<string>;
  /**
   * The run's id (default: a new one). A run that carries out part of another (a queue worker's
   * step of a queued run) takes that run's id, so its events and step records name that run.
   */
  runId?: string;
}

/** What a {@link StepCaller} is told about the step it calls. */
export interface StepCall {
  stepId: string;
  /** The step as messages name it: `"clean" (drop_nulls)` or `drop_nulls #2` (made when read). */
  readonly label: string;
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
  /**
   * How many step ids {@link Orchestrator.status} remembers: the latest status of the step ids
   * run most recently, at most this many (older ones are forgotten, so a long-lived Orchestrator
   * that runs ever new steps keeps bounded memory). Default 10,000.
   */
  statusLimit?: number;
  /**
   * Content-addressed caching (see `src/core/cache.ts`): a step whose key (slug, version, code,
   * config, input fingerprints) matches the record of the store's cell for it ends `cached`
   * without running, and every output is persisted with its StepRecord. Default: off (no keys
   * are computed).
   *
   * @example
   * new Orchestrator({ store, cache: { moduleVersion: (m) => (m === 'fancyflow' ? '0.1.0' : undefined) } });
   */
  cache?: CacheSettings;
}

let runCounter = 0;
let lastEpoch = -1;
let lastEpoch36 = '';

/** `ms` in base 36, made once per millisecond (run ids). */
function base36(ms: number): string {
  if (ms !== lastEpoch) {
    lastEpoch = ms;
    lastEpoch36 = ms.toString(36);
  }
  return lastEpoch36;
}

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
  private readonly callStep: StepCaller | undefined;
  private readonly statuses: StatusMemory;
  private readonly cache: CacheSettings | undefined;

  constructor(options: OrchestratorOptions = {}) {
    this.store = options.store ?? new MemoryDatumStore();
    this.registry = options.registry ?? defaultRegistry();
    this.callStep = options.callStep;
    this.statuses = new StatusMemory(options.statusLimit ?? 10_000);
    this.cache = options.cache;
  }

  /** Calls `listener` on every event of every run; returns the function that unsubscribes. */
  on(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The latest status of step `stepId` (from the last run that selected it), as a new plain
   * report; undefined when no run remembered (see {@link OrchestratorOptions.statusLimit}) selected
   * it. The summary of a completed step is that of the store's cell for it now.
   */
  status(stepId: string): StepReport | undefined {
    const found = this.statuses.find(stepId);
    return found && found.record.report(found.index, this.store);
  }

  /** Forgets the latest statuses (what a kernel restart does). */
  resetStatuses(): void {
    this.statuses.clear();
  }

  /** Runs only step `stepId`. */
  runStep(workflow: Workflow, stepId: string, options: Omit<RunOptions, 'only' | 'from'> = {}) {
    return this.run(workflow, { ...options, only: stepId });
  }

  /** Runs from step `stepId` onwards. */
  runFrom(workflow: Workflow, stepId: string, options: Omit<RunOptions, 'only' | 'from'> = {}) {
    return this.run(workflow, { ...options, from: stepId });
  }

  /**
   * Runs the workflow (or the part `options` selects) strictly in order. Never throws for a step.
   * The report's `steps` are made when first read (and then kept).
   */
  async run(workflow: Workflow, options: RunOptions = {}): Promise<RunReport> {
    const loading = hashReady(); // fingerprints of the outputs
    if (loading) await loading;
    const [selected, firstPosition] = selectSteps(workflow, options);
    const n = selected.length;
    const epoch0 = Date.now();
    const perf0 = performance.now();
    const runId = options.runId ?? `run-${base36(epoch0)}-${++runCounter}`;
    const record = new RunRecord(runId, selected, firstPosition, epoch0, perf0);
    const cache =
      this.cache && (await startCache(this.cache, this.store, runId, options.recompute));
    record.cache = cache;
    this.statuses.remember(record);
    const emit = this.emitter(options.onEvent);
    if (emit) {
      emit({ type: 'run-started', runId, stepIds: selected.map((s) => s.id), at: epoch0 });
      for (let i = 0; i < n; i++) emit(new StepStatusEvent(record, i, undefined));
    }
    // outputs of steps (of this run, or before it) that did not complete
    let unavailable =
      options.unavailable === undefined ? undefined : new Set<string>(options.unavailable);
    const signal = options.signal;
    const cells = record.cells;
    const times = record.times;
    const codes = record.codes;
    // the last clock reading: a step starts when the one before it ended
    let t = perf0;
    let yielded = perf0;
    for (let i = 0; i < n; i++) {
      const step = selected[i]!;
      // With listeners, let the event loop deliver the events so far (a kernel's comm messages, a
      // terminal's progress line) every few milliseconds, and after any step that took as long;
      // without, never wait.
      if (emit && t - yielded >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        t = yielded = performance.now();
      }
      if (signal?.aborted) {
        this.end(record, i, CANCELLED, cancelledError(step, workflow).toJSON(), t, emit);
        (unavailable ??= new Set()).add(step.id);
        continue;
      }
      const blocked = unavailable && firstBlocked(step, unavailable);
      if (blocked) {
        const error = dependencyError(step, workflow, blocked[0], blocked[1]);
        this.end(record, i, SKIPPED, error.toJSON(), t, emit);
        unavailable!.add(step.id);
        continue;
      }
      codes[i] = RUNNING;
      times[2 * i] = t;
      if (emit) emit(new StepStatusEvent(record, i, undefined));
      try {
        const def = this.registry.require(step.slug).definition;
        const hit = cache?.lookup(i, step, def, configFor(step, def), record.epochOf(t));
        if (hit) {
          times[2 * i + 1] = t;
          cells[i] = hit;
          codes[i] = CACHED;
          if (emit) emit(new StepStatusEvent(record, i, hit));
          continue;
        }
        const outcome = this.execute(step, workflow, def, signal);
        const value = isPromiseLike(outcome) ? await outcome : outcome;
        const end = performance.now();
        const persisted = this.store.persist(value, {
          cellId: step.id,
          producedBy: { stepId: step.id, slug: step.slug, version: def.version },
          at: record.epochOf(end),
          record: cache?.persisting(i, end - times[2 * i]!, record.epochOf(end)),
        });
        let cell: FancyCell;
        if (isPromiseLike(persisted)) {
          cell = await persisted;
          t = performance.now();
        } else {
          cell = persisted;
          t = end;
        }
        times[2 * i + 1] = t;
        cells[i] = cell;
        codes[i] = COMPLETED;
        cache?.ran(i, cell);
        if (emit) emit(new StepStatusEvent(record, i, cell));
      } catch (e) {
        t = performance.now();
        (unavailable ??= new Set()).add(step.id);
        const error = toStepError(e, step, workflow);
        const status = error.code === 'CANCELLED' ? CANCELLED : FAILED;
        this.end(record, i, status, error.toJSON(), t, emit);
      }
    }
    const status: RunStatus = signal?.aborted
      ? 'cancelled'
      : record.allCompleted()
        ? 'completed'
        : 'failed';
    const end = performance.now();
    const durationMs = end - perf0;
    record.finish();
    if (emit) emit({ type: 'run-finished', runId, status, at: record.epochOf(end), durationMs });
    return runReport(runId, status, isoTime(epoch0), durationMs, record, cells, this.store);
  }

  private emitter(extra?: (event: RunEvent) => void): ((event: RunEvent) => void) | undefined {
    const listeners = this.listeners;
    if (listeners.size === 0 && !extra) return undefined;
    return (event) => {
      extra?.(event);
      if (listeners.size > 0) for (const listener of listeners) listener(event);
    };
  }

  /** Ends step `i` at time `t` without an output: failed, skipped or cancelled, with why. */
  private end(
    record: RunRecord,
    i: number,
    code: StatusCode,
    error: SerializedError,
    t: number,
    emit: ((event: RunEvent) => void) | undefined,
  ): void {
    record.times[2 * i + 1] = t;
    record.codes[i] = code;
    record.setError(i, error);
    record.cache?.ended(i, STATUS_NAMES[code]!, record.durationMs(i));
    if (emit) emit(new StepStatusEvent(record, i, undefined));
  }

  /**
   * Runs one step's function on its inputs, with its contracts checked: its output (or a promise
   * of it). Synchronous while the store and the function are.
   */
  private execute(
    step: WorkflowStep,
    workflow: Workflow,
    def: ResolvedStep,
    signal: AbortSignal | undefined,
  ): unknown {
    const config = configFor(step, def);
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
    if (pending) {
      return Promise.all(pending).then(() =>
        this.call(step, workflow, def, inputs, config, signal),
      );
    }
    return this.call(step, workflow, def, inputs, config, signal);
  }

  /** Checks the inputs, calls the function and checks what it returned (or will return). */
  private call(
    step: WorkflowStep,
    workflow: Workflow,
    def: ResolvedStep,
    inputs: Record<string, unknown>,
    config: Record<string, JsonValue>,
    signal: AbortSignal | undefined,
  ): unknown {
    for (const argument in inputs) {
      const issues = def.inputChecks[argument]!(inputs[argument]);
      if (issues) throw contractError('INPUT_CONTRACT', step, workflow, issues, argument);
    }
    const context: StepContext = { stepId: step.id, signal: signal ?? neverAborted };
    // The wrapped call lives in a function of its own: a closure here would make V8 allocate a
    // context for this function's variables on every step, hook or not.
    const output =
      this.callStep === undefined
        ? invoke(def, inputs, config, context)
        : callWrapped(this.callStep, step, workflow, def, inputs, config, context);
    if (isPromiseLike(output)) {
      return withCancellation(output, step, workflow, signal).then((value) =>
        checkOutput(step, workflow, def, value),
      );
    }
    return checkOutput(step, workflow, def, output);
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
}

/** The output of a step, or the OUTPUT_CONTRACT error. */
function checkOutput(
  step: WorkflowStep,
  workflow: Workflow,
  def: ResolvedStep,
  value: unknown,
): unknown {
  const issues = def.outputCheck(value);
  if (issues) throw contractError('OUTPUT_CONTRACT', step, workflow, issues);
  return value;
}

/** With listeners, a run lets the event loop run at least this often (milliseconds). */
const YIELD_EVERY_MS = 4;

/** A step's status in a RunRecord: its index in STATUS_NAMES (0, pending, is what arrays start with). */
type StatusCode = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const RUNNING = 1;
const COMPLETED = 2;
const FAILED = 3;
const SKIPPED = 4;
const CANCELLED = 5;
const CACHED = 6;
const STATUS_NAMES: readonly StepStatus[] = [
  'pending',
  'running',
  'completed',
  'failed',
  'skipped',
  'cancelled',
  'cached',
];

const NO_CELLS: (FancyCell | undefined)[] = [];

/**
 * One run's bookkeeping, in arrays indexed by the step's place in the run: its status code, when
 * it started and ended (`performance.now()` milliseconds; NaN while unknown; a step skipped or
 * cancelled before it ran has an end only), its error. Nothing here is allocated per step;
 * reports and events are made from it when asked for. The cells of
 * the outputs are kept only while the run goes on (the run report keeps its own reference): a
 * remembered status must not keep a value alive after the store let it go.
 */
class RunRecord {
  // plain arrays (small integers, doubles): lighter than typed arrays for the many small runs a
  // kernel makes, and the same for big ones
  readonly codes: StatusCode[];
  /** `[start, end]` of each step. */
  readonly times: number[];
  cells: (FancyCell | undefined)[];
  private errors: (SerializedError | undefined)[] | undefined = undefined;
  private running = true;
  private index: Map<string, number> | undefined = undefined;
  /** The run's cache, when caching is on. */
  cache: RunCache | undefined = undefined;

  constructor(
    readonly runId: string,
    readonly steps: readonly WorkflowStep[],
    /** The workflow position (1-based) of `steps[0]`. */
    readonly firstPosition: number,
    readonly epoch0: number,
    readonly perf0: number,
  ) {
    const n = steps.length;
    this.codes = new Array<StatusCode>(n).fill(0); // all pending
    this.times = new Array<number>(2 * n).fill(NaN); // doubles from the start
    this.cells = new Array<FancyCell | undefined>(n);
  }

  get length(): number {
    return this.steps.length;
  }

  /** Epoch milliseconds of a `performance.now()` reading of this run. */
  epochOf(t: number): number {
    return Math.floor(this.epoch0 + (t - this.perf0));
  }

  status(i: number): StepStatus {
    return STATUS_NAMES[this.codes[i]!]!;
  }

  name(i: number): string {
    return stepName(this.steps[i]!, this.firstPosition + i);
  }

  startedAt(i: number): number | undefined {
    const start = this.times[2 * i]!;
    return Number.isNaN(start) ? undefined : this.epochOf(start);
  }

  durationMs(i: number): number | undefined {
    const duration = this.times[2 * i + 1]! - this.times[2 * i]!;
    return Number.isNaN(duration) ? undefined : duration;
  }

  /** Epoch milliseconds of the latest transition of step `i` whose status is `code`. */
  transitionAt(i: number, code: StatusCode): number {
    if (code === RUNNING) return this.epochOf(this.times[2 * i]!);
    return code === 0 ? this.epoch0 : this.epochOf(this.times[2 * i + 1]!);
  }

  error(i: number): SerializedError | undefined {
    return this.errors?.[i];
  }

  setError(i: number, error: SerializedError): void {
    (this.errors ??= [])[i] = error;
  }

  allCompleted(): boolean {
    const codes = this.codes;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] !== COMPLETED && codes[i] !== CACHED) return false;
    }
    return true;
  }

  /** The run is over: the record no longer holds the output cells. */
  finish(): void {
    this.running = false;
    this.cells = NO_CELLS;
  }

  /** The place of step `stepId` in this run, or -1. */
  indexOf(stepId: string): number {
    if (!this.index) {
      this.index = new Map();
      this.steps.forEach((s, i) => this.index!.set(s.id, i));
    }
    return this.index.get(stepId) ?? -1;
  }

  /**
   * A plain report of step `i`. The summary comes from `cell` when given, else from the run's own
   * cell while it goes on, else from the store's cell for the step.
   */
  report(i: number, store: DatumStore, cell?: FancyCell): StepReport {
    const step = this.steps[i]!;
    const code = this.codes[i]!;
    const report: StepReport = {
      stepId: step.id,
      slug: step.slug,
      name: this.name(i),
      status: STATUS_NAMES[code]!,
    };
    const startedAt = this.startedAt(i);
    if (startedAt !== undefined) report.startedAt = startedAt;
    const durationMs = this.durationMs(i);
    if (durationMs !== undefined) report.durationMs = durationMs;
    if (code === COMPLETED || code === CACHED) {
      const output = cell ?? (this.running ? this.cells[i] : undefined) ?? store.cell(step.id);
      report.outputCellId = output?.id ?? step.id;
      if (output) report.summary = output.summary;
    }
    const error = this.error(i);
    if (error) report.error = error;
    if (this.cache) this.cache.report(i, report, code > RUNNING);
    return report;
  }
}

/**
 * A `step-status` event: the step's status at this transition, with everything else read from
 * the run's record when asked for (a step's start, end, output and error never change once set,
 * and what a transition did not have yet reads as undefined). So an event costs one small object;
 * `toJSON` gives the complete plain event.
 */
class StepStatusEvent {
  readonly type = 'step-status' as const;
  readonly runId: string;
  readonly stepId: string;
  readonly slug: string;
  readonly status: StepStatus;
  readonly #record: RunRecord;
  readonly #index: number;
  readonly #code: StatusCode;
  readonly #cell: FancyCell | undefined;

  constructor(record: RunRecord, index: number, cell: FancyCell | undefined) {
    const step = record.steps[index]!;
    const code = record.codes[index]!;
    this.runId = record.runId;
    this.stepId = step.id;
    this.slug = step.slug;
    this.status = STATUS_NAMES[code]!;
    this.#record = record;
    this.#index = index;
    this.#code = code;
    this.#cell = cell;
  }

  get at(): number {
    return this.#record.transitionAt(this.#index, this.#code);
  }

  get name(): string {
    return this.#record.name(this.#index);
  }

  get startedAt(): number | undefined {
    return this.#code === 0 ? undefined : this.#record.startedAt(this.#index);
  }

  get durationMs(): number | undefined {
    return this.#code <= RUNNING ? undefined : this.#record.durationMs(this.#index);
  }

  get outputCellId(): string | undefined {
    return this.#cell?.id;
  }

  get cache(): CacheOutcome | undefined {
    return this.#record.cache?.outcomes[this.#index];
  }

  get reasons(): StaleReason[] | undefined {
    return this.#record.cache?.reasons[this.#index];
  }

  get record(): StepRecord | undefined {
    return this.#code <= RUNNING ? undefined : this.#record.cache?.records[this.#index];
  }

  get summary(): CellSummary | undefined {
    return this.#cell?.summary;
  }

  get error(): SerializedError | undefined {
    return this.#code <= COMPLETED ? undefined : this.#record.error(this.#index);
  }

  toJSON(): RunEvent {
    return { type: this.type, runId: this.runId, at: this.at, ...toStepReport(this) };
  }
}

/** A report whose `steps` are made when first read: an own, enumerable property all the same. */
function runReport(
  runId: string,
  status: RunStatus,
  startedAt: string,
  durationMs: number,
  record: RunRecord,
  cells: (FancyCell | undefined)[],
  store: DatumStore,
): RunReport {
  const report = { runId, status, startedAt, durationMs } as RunReport;
  let steps: StepReport[] | undefined;
  Object.defineProperty(report, 'steps', {
    enumerable: true,
    configurable: true,
    get: () => (steps ??= Array.from(record.steps, (_, i) => record.report(i, store, cells[i]))),
    set: (value: StepReport[]) => void (steps = value),
  });
  return report;
}

/**
 * The latest status of the step ids run most recently, at most `limit` of them. Runs are filed
 * only when a status is asked for (a run pays nothing per step for it); until then the runs wait
 * in a list that never holds more than `limit` steps beyond the newest run.
 */
class StatusMemory {
  private waiting: RunRecord[] = [];
  private waitingSteps = 0;
  private readonly latest = new Map<string, { record: RunRecord; index: number }>();

  constructor(private readonly limit: number) {}

  remember(record: RunRecord): void {
    this.waiting.push(record);
    this.waitingSteps += record.length;
    // runs older than `limit` newer steps can only ever be forgotten
    while (this.waiting.length > 1 && this.waitingSteps - this.waiting[0]!.length >= this.limit) {
      this.waitingSteps -= this.waiting.shift()!.length;
    }
  }

  find(stepId: string): { record: RunRecord; index: number } | undefined {
    if (this.waiting.length > 0) this.file();
    return this.latest.get(stepId);
  }

  clear(): void {
    this.waiting = [];
    this.waitingSteps = 0;
    this.latest.clear();
  }

  private file(): void {
    const latest = this.latest;
    for (const record of this.waiting) {
      // the newest `limit` steps of a run bigger than the limit
      for (let i = Math.max(0, record.length - this.limit); i < record.length; i++) {
        const id = record.steps[i]!.id;
        latest.delete(id); // the most recently run last
        latest.set(id, { record, index: i });
      }
    }
    this.waiting = [];
    this.waitingSteps = 0;
    if (latest.size > this.limit) {
      let excess = latest.size - this.limit;
      for (const id of latest.keys()) {
        if (excess-- <= 0) break;
        latest.delete(id);
      }
    }
  }
}

/** The run's cache: the steps to recompute as a set. */
async function startCache(
  settings: CacheSettings,
  store: DatumStore,
  runId: string,
  recompute: boolean | Iterable<string> | undefined,
): Promise<RunCache> {
  const forced =
    recompute === undefined || typeof recompute === 'boolean' ? !!recompute : new Set(recompute);
  return new RunCache(settings, store, runId, forced);
}

/** Parsed configs by step, for steps whose config was not parsed by their current definition. */
const parsedConfigs = new WeakMap<
  WorkflowStep,
  { def: ResolvedStep; config: Record<string, JsonValue> }
>();

/**
 * The step's config as its current definition parses it: what calling the step parsed when that
 * was the same definition, else parsed now (and kept: steps are immutable; a replaced definition
 * is parsed again).
 */
function configFor(step: WorkflowStep, def: ResolvedStep): Record<string, JsonValue> {
  const made = parsedConfigOf(step);
  if (made !== undefined && made.by === def) return made.config;
  const cached = parsedConfigs.get(step);
  if (cached && cached.def === def) return cached.config;
  const config = parseStepConfig(def, step.config);
  parsedConfigs.set(step, { def, config });
  return config;
}

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

/** The steps a run selects (a copy: the workflow may change later) and the position of the first. */
function selectSteps(
  workflow: Workflow,
  options: RunOptions,
): [steps: readonly WorkflowStep[], firstPosition: number] {
  if (options.only !== undefined) {
    const s = workflow.get(options.only);
    if (!s) throw unknownStepId(options.only);
    return [[s], workflow.indexOf(s.id) + 1];
  }
  if (options.from !== undefined) {
    const at = workflow.indexOf(options.from);
    if (at < 0) throw unknownStepId(options.from);
    return [workflow.steps.slice(at), at + 1];
  }
  return [workflow.steps.slice(), 1];
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
  // one context for all rows, its index set before each call: a copy per row cost ~10 % of a
  // trivial row function's time, most of it in the garbage collector
  const rowContext: StepContext & { index: number } = { ...context, index: 0 };
  return adapter.mapRows(
    table,
    (row: Row, index: number) => {
      rowContext.index = index;
      return fn(row, config, rowContext) as Row;
    },
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
  return callStep(
    () => invoke(def, inputs, config, context),
    new LazyStepCall(step, workflow, context.signal),
  );
}

/** A StepCall whose label is made only when a caller reads it (an interrupt, a log line). */
class LazyStepCall implements StepCall {
  readonly stepId: string;
  readonly signal: AbortSignal;
  readonly #step: WorkflowStep;
  readonly #workflow: Workflow;

  constructor(step: WorkflowStep, workflow: Workflow, signal: AbortSignal) {
    this.stepId = step.id;
    this.signal = signal;
    this.#step = step;
    this.#workflow = workflow;
  }

  get label(): string {
    return labelIn(this.#step, this.#workflow);
  }
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
