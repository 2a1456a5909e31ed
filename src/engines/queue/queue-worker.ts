/**
 * A queue worker (`fancyflow worker`): takes step jobs from BullMQ and runs each with the
 * Orchestrator against the shared store, exactly as a local run would run that step (contracts,
 * errors, the output persisted under the step's id), and returns the step's report.
 *
 * A job names a run and a step; the run's record in Redis holds the workflow document, so a
 * worker serves any number of runs and documents at once. Steps are at-least-once: a worker killed
 * mid-step leaves its job to another (stall detection), which runs the step again; outputs are
 * written atomically under a fixed cell id, so the result is the same.
 */
import * as arrow from 'apache-arrow';
import type { ColumnTable } from 'arquero';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import * as path from 'node:path';
import type { CacheSettings } from '../../core/cache';
import { cellSnapshot } from '../../core/cell';
import { FancyflowError, isFancyflowError, toFancyflowError } from '../../core/errors';
import { hasOutput } from '../../core/format';
import { Orchestrator, type StepReport } from '../../core/orchestrator';
import { defaultRegistry, FunctionRegistry } from '../../core/registry';
import type { FancyFunction, ResolvedStep } from '../../core/step';
import type { DatumStore, PersistOptions } from '../../core/store';
import { tableAdapterFor, type Row } from '../../core/table';
import { Workflow } from '../../core/workflow';
import type { WorkflowStep } from '../../core/workflow-step';
import { loadPackageRoot, loadStepModule, PACKAGE_MODULE } from '../../cli/step-modules';
import { DiskDatumStore } from '../../stores/disk-datum-store';
import { S3DatumStore } from '../../stores/s3-datum-store';
import { cacheSettings } from '../../kernel/step-code';
import { arquero } from '../../tables/libraries';
import { throwIfAborted } from '../../tables/yield';
import { isS3Url } from '../../stores/s3-location';
import {
  CANCEL_CHANNEL,
  DEFAULT_STALL,
  partCellId,
  QUEUE_NAME,
  readJobData,
  QUEUE_PREFIX,
  RunRecordSchema,
  runKey,
  type JobData,
  type JobResult,
  type RunRecord,
  type StallSettings,
} from './protocol';
import { redisOptions, safeRedisUrl } from './redis-url';

/** Options of {@link QueueWorker.start}. */
export interface QueueWorkerOptions {
  /** `redis://host:port[/db]` */
  url: string;
  /**
   * The store every job uses, overriding the run's (a shared folder mounted at another path on
   * this machine). Default: the store the run names.
   */
  store?: string;
  /** Jobs run at once in this process (async steps overlap; CPU-bound ones do not). Default 1. */
  concurrency?: number;
  /** Step modules to load at start (`--steps`), relative to `cwd`. */
  steps?: readonly string[];
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Stall detection; default {@link DEFAULT_STALL}. */
  stall?: Partial<StallSettings>;
  /** A line per job (started, finished) for the worker's log. Default: none. */
  log?: (line: string) => void;
}

/** What a worker knows of one run. */
interface RunContext {
  record: RunRecord;
  workflow: Workflow;
  store: DatumStore;
  /** Modules of the run that failed to load here, with their errors. */
  moduleErrors: FancyflowError[];
  /** How step code is fingerprinted for cache keys (module versions looked up once per run). */
  cache: CacheSettings;
}

const MAX_RUNS_CACHED = 16;

/**
 * A running worker.
 *
 * @example
 * const worker = await QueueWorker.start({ url: 'redis://127.0.0.1:6379', concurrency: 1 });
 * process.on('SIGTERM', () => void worker.close());
 */
export class QueueWorker {
  private readonly runs = new Map<string, Promise<RunContext | undefined>>();
  private readonly stores = new Map<string, Promise<DatumStore>>();
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly cancelled = new Set<string>();
  /** The last full input table read for split row_wise parts (`store|cell|fingerprint`). */
  private inputCache: { key: string; table: unknown } | undefined;
  private worker!: Worker;
  /** The connection of `worker`. */
  private shared: Redis | undefined;
  private readonly log: (line: string) => void;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: QueueWorkerOptions,
    private readonly commands: Redis,
    private readonly subscriber: Redis,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Connects to Redis, loads `steps`, and starts taking jobs. Throws QUEUE_UNAVAILABLE when Redis
   * cannot be reached, MODULE_LOAD when a `--steps` module cannot be loaded.
   */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const cwd = options.cwd ?? process.cwd();
    loadPackageRoot();
    for (const spec of options.steps ?? []) loadStepModule(spec, cwd, { option: '--steps' });
    const connection = redisOptions(options.url);
    const commands = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 2 });
    const subscriber = new Redis({ ...connection, lazyConnect: true });
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
      await subscriber.subscribe(CANCEL_CHANNEL);
    } catch (e) {
      commands.disconnect();
      subscriber.disconnect();
      throw new FancyflowError(
        'QUEUE_UNAVAILABLE',
        `Cannot reach the queue ${safeRedisUrl(options.url)}: ${e instanceof Error ? e.message : String(e)}`,
        { details: { url: safeRedisUrl(options.url) }, cause: e },
      );
    }
    const self = new QueueWorker({ ...options, cwd }, commands, subscriber);
    subscriber.on('message', (_channel: string, runId: string) => self.cancelRun(runId));
    const stall = { ...DEFAULT_STALL, ...options.stall };
    const shared = new Redis({ ...connection, maxRetriesPerRequest: null });
    self.shared = shared;
    self.worker = new Worker(QUEUE_NAME, (job: Job) => self.process(job), {
      connection: shared,
      prefix: QUEUE_PREFIX,
      concurrency: Math.max(1, options.concurrency ?? 1),
      lockDuration: stall.lockMs,
      stalledInterval: stall.stallCheckMs,
      maxStalledCount: stall.maxStalled,
      autorun: false,
    });
    // Redis errors are retried by the client; they are worth a log line, never a crash
    self.worker.on('error', (e: Error) => self.log(`queue error: ${e.message}`));
    void self.worker.run();
    await self.worker.waitUntilReady();
    return self;
  }

  /** Stops taking jobs, waits for the running ones, and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await this.shared?.quit().catch(() => undefined);
      this.subscriber.disconnect();
      await this.commands.quit().catch(() => undefined);
      for (const store of this.stores.values()) {
        const s = await store.catch(() => undefined);
        if (s instanceof S3DatumStore) s.close();
        if (s instanceof DiskDatumStore) await s.flush();
      }
    })();
    return this.closing;
  }

  private cancelRun(runId: string): void {
    this.cancelled.add(runId);
    if (this.cancelled.size > 1000) this.cancelled.delete(this.cancelled.values().next().value!);
    for (const controller of this.running.get(runId) ?? []) controller.abort();
  }

  private async process(job: Job): Promise<JobResult> {
    const data = readJobData(job.data);
    if (!data) {
      throw new FancyflowError('PROTOCOL', `Job ${job.id ?? '?'} is not a fancyflow step job`);
    }
    const controller = new AbortController();
    let set = this.running.get(data.runId);
    if (!set) this.running.set(data.runId, (set = new Set()));
    set.add(controller);
    if (this.cancelled.has(data.runId)) controller.abort();
    try {
      // A chain (see protocol.ts) runs on in this job: each step done goes out as the job's
      // progress (its report), and the next begins. The last step run is the job's return value.
      for (let current = data; ;) {
        const started = Date.now();
        this.log(`${job.id ?? '?'} ${current.kind} ${current.stepId}: started`);
        const result = await this.runJob(current, controller.signal);
        this.log(
          `${job.id ?? '?'} ${current.kind} ${current.stepId}: ${result.report.status} in ${Date.now() - started} ms`,
        );
        const [next, ...rest] = current.kind === 'step' ? (current.chain ?? []) : [];
        if (next === undefined || !hasOutput(result.report.status) || controller.signal.aborted) {
          return result;
        }
        await job.updateProgress(result);
        current = {
          kind: 'step',
          runId: current.runId,
          stepId: next,
          ...(rest.length > 0 ? { chain: rest } : {}),
        };
      }
    } finally {
      set.delete(controller);
      if (set.size === 0) this.running.delete(data.runId);
    }
  }

  private async runJob(data: JobData, signal: AbortSignal): Promise<JobResult> {
    let context: RunContext | undefined;
    try {
      context = await this.runContext(data.runId);
    } catch (e) {
      return { report: failedReport(data.stepId, e) };
    }
    if (!context) {
      // the run is over (finished or cancelled, its record removed): nothing to do
      return {
        report: failedReport(
          data.stepId,
          new FancyflowError('CANCELLED', `The run ${data.runId} is over`, {
            details: { stepId: data.stepId },
          }),
          'cancelled',
        ),
      };
    }
    const step = context.workflow.get(data.stepId);
    if (!step) {
      return {
        report: failedReport(
          data.stepId,
          new FancyflowError('UNKNOWN_STEP_ID', `The run's workflow has no step "${data.stepId}"`, {
            details: { stepId: data.stepId },
          }),
        ),
      };
    }
    const registry = defaultRegistry();
    const fn = registry.get(step.slug);
    if (!fn && context.moduleErrors.length > 0) {
      return { report: failedReport(step.id, context.moduleErrors[0]!, 'failed', step) };
    }
    const store = context.store;
    try {
      // the inputs, and for a whole step its own cell (whose record the cache compares)
      const inputs = Object.values(step.wiring);
      await refreshCells(store, data.kind === 'step' ? [...inputs, step.id] : inputs);
      switch (data.kind) {
        case 'step': {
          const report = await runOne(
            store,
            registry,
            context.workflow,
            step.id,
            data.runId,
            signal,
            {
              settings: context.cache,
              recompute: context.record.recompute ?? false,
            },
          );
          // the cell only when the report lacks its summary (the coordinator reads nothing else
          // of it): a step's result goes through Redis twice (the job, its event)
          const cell =
            hasOutput(report.status) && !report.summary ? store.cell(step.id) : undefined;
          return { report, ...(cell ? { cell: cellSnapshot(cell) } : {}) };
        }
        case 'part':
          return await this.runPart(context, step, fn!, data, signal);
        case 'assemble':
          return await this.assemble(context, step, fn!, data, signal);
      }
    } catch (e) {
      return { report: failedReport(step.id, e, 'failed', step) };
    }
  }

  /** One part of a split row_wise step: the step's function over rows `start..end`. */
  private async runPart(
    context: RunContext,
    step: WorkflowStep,
    fn: FancyFunction,
    data: Extract<JobData, { kind: 'part' }>,
    signal: AbortSignal,
  ): Promise<JobResult> {
    const def = fn.definition;
    const inputName = Object.keys(def.inputs)[0]!;
    const inputId = step.wiring[inputName]!;
    const input = await this.fullInput(context, inputId);
    const slice = sliceTable(input, data.start, data.end);
    const rowFn = def.fn as (row: Row, config: unknown, ctx: { index: number }) => unknown;
    // the row's index is its index in the whole table, as in a local run; the Orchestrator sets
    // its row context's index before every row, so it is shifted in place
    const start = data.start;
    const shifted = (row: Row, config: unknown, ctx: { index: number }) => {
      ctx.index += start;
      return rowFn(row, config, ctx);
    };
    const registry = registryWith(fn, { ...def, fn: shifted as ResolvedStep['fn'] });
    const view = new RedirectedStore(context.store, {
      inputs: new Map([[inputId, slice]]),
      outputAs: partCellId(step.id, data.part),
    });
    const report = await runOne(view, registry, context.workflow, step.id, data.runId, signal);
    return { report };
  }

  /** Puts a split row_wise step's parts together, in row order, as its output. */
  private async assemble(
    context: RunContext,
    step: WorkflowStep,
    fn: FancyFunction,
    data: Extract<JobData, { kind: 'assemble' }>,
    signal: AbortSignal,
  ): Promise<JobResult> {
    const def = fn.definition;
    const inputId = step.wiring[Object.keys(def.inputs)[0]!]!;
    const store = context.store;
    const partIds = data.parts.map((_, i) => partCellId(step.id, i));
    await refreshCells(store, partIds);
    const input = await this.fullInput(context, inputId);
    const adapter = tableAdapterFor(input)!;
    const parts: unknown[] = [];
    for (const id of partIds) parts.push(await store.resolve(id));
    // The output is built exactly as a local run's row_wise map builds it (column types, order), so
    // it has the same fingerprint: by the adapter's concatenation of the parts' columns where it
    // has one (one pass over the values, on this worker alone while the others wait: the split's
    // serial part), else by its own map over the whole input fed the rows the parts computed.
    let assembled: unknown;
    if (adapter.concatRows && parts.every((part) => adapter.is(part))) {
      throwIfAborted(signal, 'The assembly of the parts');
      assembled = adapter.concatRows(input, parts);
    } else {
      const rows = parts.map((part, i) => rowReader(part, partIds[i]!));
      let p = 0;
      assembled = await adapter.mapRows(
        input,
        (_row, i) => {
          while (i >= data.parts[p]!.end) p++;
          return rows[p]!(i - data.parts[p]!.start);
        },
        { signal },
      );
    }
    const registry = registryWith(fn, {
      ...def,
      execution: 'batch',
      fn: (() => assembled) as ResolvedStep['fn'],
    });
    const view = new RedirectedStore(store, { inputs: new Map([[inputId, input]]) });
    const report = await runOne(view, registry, context.workflow, step.id, data.runId, signal);
    if (report.status === 'completed') {
      await Promise.all(partIds.map((id) => store.delete(id)));
    }
    const cell = report.status === 'completed' ? store.cell(step.id) : undefined;
    return { report, ...(cell ? { cell: cellSnapshot(cell) } : {}) };
  }

  /** The whole input table of a split step, read once per worker and run. */
  private async fullInput(context: RunContext, cellId: string): Promise<unknown> {
    const fingerprint = context.store.cell(cellId)?.fingerprint ?? '';
    const key = `${context.record.store}|${cellId}|${fingerprint}`;
    if (this.inputCache?.key === key) return this.inputCache.table;
    const table = await context.store.resolve(cellId);
    if (!tableAdapterFor(table)) {
      throw new FancyflowError('UNSUPPORTED_VALUE', `Cell "${cellId}" is not a table`, {
        details: { cellId },
      });
    }
    this.inputCache = { key, table };
    return table;
  }

  /** The run's record, workflow, modules and store, read once per run; undefined when it is over. */
  private runContext(runId: string): Promise<RunContext | undefined> {
    let context: Promise<RunContext | undefined> | undefined = this.runs.get(runId);
    if (!context) {
      context = this.loadRun(runId);
      this.runs.set(runId, context);
      context.then(
        (c) => c ?? this.runs.delete(runId),
        () => this.runs.delete(runId),
      );
      if (this.runs.size > MAX_RUNS_CACHED) this.runs.delete(this.runs.keys().next().value!);
    }
    return context;
  }

  private async loadRun(runId: string): Promise<RunContext | undefined> {
    const text = await this.commands.get(runKey(runId));
    if (text === null) return undefined;
    const record = RunRecordSchema.parse(JSON.parse(text));
    const workflow = Workflow.parse(record.document, { known: () => true });
    const moduleErrors: FancyflowError[] = [];
    const load = (spec: string, baseDir: string, pointer?: string) => {
      if (spec === PACKAGE_MODULE) return;
      try {
        loadStepModule(spec, baseDir, pointer === undefined ? { option: '--steps' } : { pointer });
      } catch (e) {
        moduleErrors.push(toFancyflowError(e, 'MODULE_LOAD'));
      }
    };
    workflow.modules.forEach((spec, i) => load(spec, record.baseDir, `/modules/${i}`));
    for (const spec of record.modules) load(spec, record.baseDir);
    const store = await this.openStore(this.options.store ?? record.store);
    return { record, workflow, store, moduleErrors, cache: cacheSettings(record.baseDir) };
  }

  private openStore(spec: string): Promise<DatumStore> {
    let store = this.stores.get(spec);
    if (!store) {
      store = isS3Url(spec)
        ? S3DatumStore.open(spec)
        : DiskDatumStore.open(path.resolve(this.options.cwd ?? process.cwd(), spec));
      this.stores.set(spec, store);
      store.catch(() => this.stores.delete(spec));
    }
    return store;
  }
}

/**
 * Runs one step of `workflow`, as part of the queued run `runId`, with the Orchestrator and returns
 * its report; with `cache`, a step whose key the store holds is `cached` (its data not loaded), as
 * in a local run.
 */
async function runOne(
  store: DatumStore,
  registry: FunctionRegistry,
  workflow: Workflow,
  stepId: string,
  runId: string,
  signal: AbortSignal,
  cache?: { settings: CacheSettings; recompute: boolean | readonly string[] },
): Promise<StepReport> {
  const orchestrator = new Orchestrator({
    store,
    registry,
    ...(cache ? { cache: cache.settings } : {}),
  });
  const report = await orchestrator.runStep(workflow, stepId, {
    runId,
    signal,
    ...(cache ? { recompute: cache.recompute } : {}),
  });
  const step = report.steps[0]!;
  if (step.error) delete step.error.stack; // a worker's stack means nothing to the coordinator
  return step;
}

/**
 * Reads what other processes wrote to these cells since this store last looked: a worker's store
 * lives across runs, so its view of a cell (or of its absence) may be old. A disk store reads only
 * the index lines added since; an S3 store, these cells' records.
 */
async function refreshCells(store: DatumStore, cellIds: readonly string[]): Promise<void> {
  if (store.refresh) await store.refresh(cellIds);
}

/** A registry holding only `fn` with another definition (a shifted row function, an assembly). */
function registryWith(fn: FancyFunction, definition: ResolvedStep): FunctionRegistry {
  const registry = new FunctionRegistry();
  const variant = Object.create(fn) as FancyFunction;
  Object.defineProperty(variant, 'definition', { value: definition });
  registry.register(variant);
  return registry;
}

/** Row `i` of a part's table as a plain object (arquero: read through column getters). */
function rowReader(part: unknown, id: string): (i: number) => Row {
  const adapter = tableAdapterFor(part);
  if (!adapter) throw new FancyflowError('INTERNAL', `Part ${id} is not a table`);
  if (adapter.name === 'arquero') {
    const table = part as ColumnTable;
    const names = table.columnNames();
    const getters = names.map((name) => table.getter(name));
    return (i) => {
      const row: Row = {};
      for (let j = 0; j < names.length; j++) row[names[j]!] = getters[j]!(i);
      return row;
    };
  }
  const all = adapter.head(part, adapter.numRows(part));
  return (i) => all[i]!;
}

/** Rows `start..end` of a table, as a table of the same family. */
function sliceTable(table: unknown, start: number, end: number): unknown {
  const adapter = tableAdapterFor(table);
  if (adapter?.name === 'arquero') {
    const t = table as ColumnTable;
    if (t.isFiltered() || t.isOrdered() || t.isGrouped()) return t.slice(start, end).reify();
    // what arquero's slice and reify make (typed arrays stay typed, any other column becomes an
    // array of its values), read column by column: theirs gathers every row through the table's
    // scan and an Arrow column's `at`, which looks its batch up per row
    const names = t.columnNames();
    const data: Record<string, unknown> = {};
    for (const name of names) data[name] = sliceColumn(t.column(name), start, end);
    return arquero().table(data, names);
  }
  if (adapter?.name === 'arrow') return (table as arrow.Table).slice(start, end);
  throw new FancyflowError(
    'UNSUPPORTED_VALUE',
    `A ${adapter?.name ?? 'non-table'} value cannot be split into parts`,
  );
}

/** A batch of an Arrow column: its values read by index. */
interface BatchLike {
  length: number;
  at(index: number): unknown;
}

/** Values `start..end` of an arquero column (see {@link sliceTable}). */
function sliceColumn(column: unknown, start: number, end: number): unknown {
  if (ArrayBuffer.isView(column) && !(column instanceof DataView)) {
    return (column as Float64Array).slice(start, end);
  }
  if (Array.isArray(column)) return column.slice(start, end);
  const values = new Array<unknown>(end - start);
  const batches = (column as { data?: unknown }).data;
  if (
    Array.isArray(batches) &&
    batches.every(
      (b: Partial<BatchLike>) => typeof b.at === 'function' && typeof b.length === 'number',
    )
  ) {
    let from = 0;
    for (const batch of batches as BatchLike[]) {
      const to = from + batch.length;
      for (let i = Math.max(start, from); i < Math.min(end, to); i++)
        values[i - start] = batch.at(i - from);
      from = to;
    }
    return values;
  }
  const c = column as { at(index: number): unknown };
  for (let i = start; i < end; i++) values[i - start] = c.at(i);
  return values;
}

/** A store seen through a part or an assembly: some inputs given, the output renamed. */
class RedirectedStore implements DatumStore {
  readonly description: string;
  constructor(
    private readonly inner: DatumStore,
    private readonly redirect: { inputs: Map<string, unknown>; outputAs?: string },
  ) {
    this.description = inner.description;
  }
  has(cellId: string): boolean {
    return this.redirect.inputs.has(cellId) || this.inner.has(cellId);
  }
  cell(cellId: string) {
    return this.inner.cell(cellId);
  }
  list() {
    return this.inner.list();
  }
  resolve(cellId: string): unknown {
    return this.redirect.inputs.has(cellId)
      ? this.redirect.inputs.get(cellId)
      : this.inner.resolve(cellId);
  }
  persist(value: unknown, options: PersistOptions) {
    const outputAs = this.redirect.outputAs;
    return this.inner.persist(value, outputAs ? { cellId: outputAs } : options);
  }
  delete(cellId: string) {
    return this.inner.delete(cellId);
  }
}

/** A step report for a step that could not be run here. */
function failedReport(
  stepId: string,
  e: unknown,
  status: 'failed' | 'cancelled' = 'failed',
  step?: WorkflowStep,
): StepReport {
  const error = isFancyflowError(e)
    ? e
    : new FancyflowError(
        'WORKER_FAILED',
        `A worker could not run step "${stepId}": ${e instanceof Error ? e.message : String(e)}`,
        { details: { stepId }, cause: e },
      );
  const serialized = error.toJSON();
  delete serialized.stack;
  return {
    stepId,
    slug: step?.slug ?? '',
    name: step?.name ?? stepId,
    status,
    error: serialized,
  };
}
