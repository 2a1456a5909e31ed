/**
 * The notebook session: what one kernel (or one headless notebook run) hosts. The process-wide
 * FunctionRegistry (so `step()` in a cell registers at once), a DatumStore (memory, or disk on
 * request), the Orchestrator and the notebook's Workflow, whose steps are keyed by the cells that
 * made them.
 *
 * The notebook is the program: the workflow here is exactly the step cells executed in this
 * session, in execution order, and a step runs only as part of its cell's execution. The session
 * also remembers which cells ran and which cell registered each step, so a front end can tell
 * what a step needs before it can run again.
 */
import { readFileSync } from 'node:fs';
import { codeFingerprint, recordOfCell, type CacheSettings } from '../core/cache';
import type { StepRecord } from '../core/freshness';
import { hasOutput } from '../core/format';
import { hashReady } from '../core/hash';
import { STANDARD_MODULE } from '../core/registry';
import type { StepDescriptor } from '../core/step';
import { loadPackageRoot } from '../cli/step-modules';
import { cacheSettings } from './step-code';
import path from 'node:path';
import { inspect } from 'node:util';
import { cellSnapshot, isDataValue, type FancyCell } from '../core/cell';
import {
  FancyflowError,
  isFancyflowError,
  toFancyflowError,
  type SerializedError,
} from '../core/errors';
import { MemoryDatumStore } from '../core/memory-store';
import {
  Orchestrator,
  toStepReport,
  type RunEvent,
  type RunOptions,
  type RunReport,
  type StepReport,
} from '../core/orchestrator';
import { defaultRegistry, type FunctionRegistry } from '../core/registry';
import type { DatumStore } from '../core/store';
import { tableAdapterFor, type Row } from '../core/table';
import { Workflow } from '../core/workflow';
import {
  createWorkflowStep,
  isWorkflowStep,
  parsedConfigOf,
  serializeStep,
  stepLabel,
  stepName,
  type WorkflowStep,
} from '../core/workflow-step';
import type { ResultMap, WorkflowState } from '../protocol/messages';
import { formatS3Url, isS3Url, parseS3Url } from '../stores/s3-location';
import { jsonSafe } from './displays';
import { interruptibleStepCaller } from './interrupt-guard';
import { currentOutput } from './output';
import { packageRoot } from './package-root';
import { registerNotebookCellsHost, type NotebookCellsHost } from './notebook-cells';

/** Options of a session. */
export interface SessionOptions {
  /** The store to use (the CLI opens it itself). Default: per `storeDir`. */
  store?: DatumStore;
  /** A folder for a disk store (survives restarts). Default: a memory store. */
  storeDir?: string;
  /** The notebook's folder: a disk store path resolves against it. Default: the cwd. */
  rootDir?: string;
  /**
   * A queue (`redis://host:port`): step cells run on its workers (`fancyflow worker`) instead of
   * in this process, against the store, which must be one they share. Default: none.
   */
  queue?: string;
  /** Recompute every step cell whatever the cache holds (`fancyflow run --no-cache`). Default false. */
  noCache?: boolean;
}

/** What a cell's value became. */
export type CellOutcome =
  | { type: 'none' }
  | { type: 'cell'; cell: FancyCell; value: unknown; step?: StepReport }
  | { type: 'value'; value: unknown; reason?: FancyflowError }
  | { type: 'error'; error: FancyflowError; step?: StepReport };

/** A step cell that was not run (a cell before it failed, or the run was interrupted). */
export interface NotRunStep {
  cellId: string;
  slug: string;
  name?: string;
}

/** What the session uses of the queue engine (loaded lazily: BullMQ and Redis are heavy). */
interface QueueEngineLike {
  run(workflow: Workflow, options: RunOptions & { baseDir: string }): Promise<RunReport>;
  close(): Promise<void>;
}

interface QueueEngineModule {
  QueueEngine: {
    connect(options: {
      url: string;
      store: DatumStore;
      storeSpec: string;
      registry: FunctionRegistry;
    }): Promise<QueueEngineLike>;
  };
}

/** The store as a queue worker opens it (a folder, `s3://…`), or undefined for memory. */
function storeSpecOf(store: DatumStore): string | undefined {
  if (store.description.startsWith('disk:')) return store.description.slice('disk:'.length);
  if (isS3Url(store.description)) return store.description;
  return undefined;
}

interface DiskStoreModule {
  DiskDatumStore: { open(dir: string): Promise<DatumStore> };
}

interface S3StoreModule {
  S3DatumStore: { open(url: string): Promise<DatumStore> };
}

/**
 * Opens the store a session uses: an S3 store for `s3://bucket/prefix`, a disk store for a folder,
 * memory when `dir` is not given.
 */
export async function openSessionStore(dir: string | undefined): Promise<DatumStore> {
  if (!dir) return new MemoryDatumStore();
  const s3 = isS3Url(dir);
  let module: DiskStoreModule | S3StoreModule;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    module = s3
      ? (require('../stores/s3-datum-store') as S3StoreModule)
      : (require('../stores/disk-datum-store') as DiskStoreModule);
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (e) {
    throw new FancyflowError(
      'MODULE_LOAD',
      `The ${s3 ? 'S3' : 'disk'} store is not available in this build`,
      { details: { dir }, cause: e },
    );
  }
  return 'S3DatumStore' in module
    ? module.S3DatumStore.open(dir)
    : module.DiskDatumStore.open(path.resolve(dir));
}

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The version of this package (the kernel's implementation version). */
export const kernelVersion = readPackageVersion();

const NOT_COMPLETED: ReadonlySet<string> = new Set(['failed', 'skipped', 'cancelled']);

/** One kernel's notebook session. */
export class NotebookSession implements NotebookCellsHost {
  readonly registry: FunctionRegistry;
  private currentStore: DatumStore;
  private currentOrchestrator: Orchestrator;
  private readonly runListeners = new Set<(event: RunEvent) => void>();
  private readonly workflow = new Workflow({ known: (id) => this.store.has(id) });
  /** Readable name → cell id. */
  private readonly names = new Map<string, string>();
  /** Id a step was made with → the cell id the kernel gave it (so `clean({ df: raw })` works). */
  private readonly aliases = new Map<string, string>();
  /** The latest status of each step (runs and not-run marks), for the front end. */
  private readonly statuses = new Map<string, StepReport>();
  /** Cell id → the execution count of its latest execution in this session. */
  private readonly executed = new Map<string, number>();
  /** Slug → the cell whose execution registered it in this session. */
  private readonly definedIn = new Map<string, string>();
  private executingCell: string | undefined;
  private readonly runs = new Set<AbortController>();
  private readonly workflowListeners = new Set<() => void>();
  /** SIGINT during a step's synchronous part cancels that step and the rest of its run. */
  private readonly callStep = interruptibleStepCaller(() => this.cancel());
  /** The queue step cells run on (none: in this process). */
  private queueUrl: string | undefined;
  private queueEngine: { url: string; engine: Promise<QueueEngineLike> } | undefined;
  /** Step cells whose next run recomputes whatever the cache holds (`true`: all, from now on). */
  private recomputeNext: Set<string> | undefined;
  private recomputeAll = false;
  private readonly cache: CacheSettings;

  private constructor(
    store: DatumStore,
    private readonly rootDir: string,
  ) {
    this.registry = defaultRegistry();
    this.cache = cacheSettings(rootDir);
    this.currentStore = store;
    this.currentOrchestrator = this.orchestratorFor(store);
    this.registry.subscribe((change) => {
      if (
        change.type === 'removed' ||
        // the package's own steps, which register when a cell first imports it: not the cell's
        this.registry.get(change.slug)?.definition.module === STANDARD_MODULE
      ) {
        this.definedIn.delete(change.slug);
      } else if (this.executingCell !== undefined) {
        this.definedIn.set(change.slug, this.executingCell);
      }
    });
  }

  private orchestratorFor(store: DatumStore): Orchestrator {
    const orchestrator = new Orchestrator({
      store,
      registry: this.registry,
      callStep: this.callStep,
      cache: this.cache,
    });
    orchestrator.on((event) => this.recordRunEvent(event));
    return orchestrator;
  }

  private recordRunEvent(event: RunEvent): void {
    if (event.type === 'step-status') this.statuses.set(event.stepId, toStepReport(event));
    for (const listener of this.runListeners) listener(event);
  }

  /** The store cell values live in. */
  get store(): DatumStore {
    return this.currentStore;
  }

  /** The Orchestrator that runs the step cells against {@link store}. */
  get orchestrator(): Orchestrator {
    return this.currentOrchestrator;
  }

  /**
   * Switches to the store `spec` asks for (`memory`, `s3://bucket/prefix`, or a disk store folder
   * relative to the notebook's folder) while this session has stored nothing and runs nothing; otherwise keeps
   * the current one. Returns the description of the store in force.
   */
  async useStore(spec: string): Promise<string> {
    const dir =
      spec === 'memory' ? undefined : isS3Url(spec) ? spec : path.resolve(this.rootDir, spec);
    const wanted =
      dir === undefined ? 'memory' : isS3Url(dir) ? formatS3Url(parseS3Url(dir)) : `disk:${dir}`;
    if (this.currentStore.description === wanted) return wanted;
    if (this.currentStore.list().length > 0 || this.running) return this.currentStore.description;
    const store = await openSessionStore(dir);
    this.currentStore = store;
    this.currentOrchestrator = this.orchestratorFor(store);
    return store.description;
  }

  /** Opens the store and registers the session for `cell()` and `cells`. */
  static async create(options: SessionOptions = {}): Promise<NotebookSession> {
    const session = new NotebookSession(
      options.store ?? (await openSessionStore(options.storeDir)),
      options.rootDir ?? process.cwd(),
    );
    if (options.queue) session.useQueue(options.queue);
    if (options.noCache) session.recomputeAll = true;
    await hashReady();
    registerNotebookCellsHost(session);
    return session;
  }

  /**
   * Runs step cells on the workers of the queue `url` (`redis://host:port`) from now on, or in
   * this process again with `''` / `none`. Returns the queue in force (`''` for none).
   */
  useQueue(url: string): string {
    const wanted = url === '' || url === 'none' ? undefined : url;
    if (wanted === this.queueUrl) return this.queueUrl ?? '';
    this.queueUrl = wanted;
    const previous = this.queueEngine;
    this.queueEngine = undefined;
    if (previous) void previous.engine.then((e) => e.close()).catch(() => undefined);
    return this.queueUrl ?? '';
  }

  /** The queue step cells run on, or undefined (in this process). */
  get queue(): string | undefined {
    return this.queueUrl;
  }

  /** The coordinator of this session's queue, connected on first use. */
  private engineFor(url: string): Promise<QueueEngineLike> {
    if (this.queueEngine?.url === url) return this.queueEngine.engine;
    const spec = storeSpecOf(this.store);
    const engine = (async () => {
      if (spec === undefined) {
        throw new FancyflowError(
          'QUEUE_UNAVAILABLE',
          `Step cells run on the queue ${url}, whose workers cannot see this kernel's memory store: set FANCYFLOW_STORE (or the lab's default store) to a folder the workers share or to s3://bucket/prefix`,
          { details: { queue: url } },
        );
      }
      // loaded on first use: it brings BullMQ and a Redis client
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { QueueEngine } = require('../engines/queue/queue-engine') as QueueEngineModule;
      return QueueEngine.connect({
        url,
        store: this.store,
        storeSpec: spec,
        registry: this.registry,
      });
    })();
    const entry = { url, engine };
    this.queueEngine = entry;
    engine.catch(() => {
      if (this.queueEngine === entry) this.queueEngine = undefined;
    });
    return engine;
  }

  /** The notebook's workflow: the step cells executed in this session, in order. */
  get steps(): Workflow {
    return this.workflow;
  }

  /**
   * Calls `listener` after a cell changed the workflow, ran, or defined steps; returns the
   * unsubscriber.
   */
  onWorkflowChanged(listener: () => void): () => void {
    this.workflowListeners.add(listener);
    return () => this.workflowListeners.delete(listener);
  }

  /** Calls `listener` on every run event; returns the unsubscriber. */
  onRunEvent(listener: (event: RunEvent) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  private workflowChanged(): void {
    for (const listener of this.workflowListeners) listener();
  }

  // ---- cells ---------------------------------------------------------------------------------

  /**
   * A cell starts executing: steps it registers are recorded as defined by it. Call
   * {@link endCell} when it is done.
   */
  beginCell(cellId: string, executionCount: number): void {
    this.executingCell = cellId;
    this.executed.set(cellId, executionCount);
    // what ran (and what it defined) is part of the state the front end plans runs with
    this.workflowChanged();
  }

  /** The executing cell is done. */
  endCell(): void {
    this.executingCell = undefined;
  }

  /** The cell id a readable name or an id stands for. */
  resolveCell(nameOrId: string): string {
    const named = this.names.get(nameOrId);
    if (named !== undefined) return named;
    const aliased = this.aliases.get(nameOrId);
    if (aliased !== undefined) return aliased;
    if (this.store.has(nameOrId) || this.workflow.get(nameOrId)) return nameOrId;
    const known = [...this.names.keys()].sort();
    throw new FancyflowError(
      'MISSING_CELL',
      `No cell named "${clip(nameOrId)}" has run in this kernel yet: run the cell that makes it first (known names: ${known.length ? known.join(', ') : 'none'})`,
      { details: { cellId: clip(nameOrId), knownNames: known } },
    );
  }

  private nameOf(cellId: string): string | undefined {
    for (const [name, id] of this.names) if (id === cellId) return name;
    return undefined;
  }

  /** A plain copy of `cell` (stores may compute fields lazily) with its readable name. */
  private withName(cell: FancyCell): FancyCell {
    const snapshot = cellSnapshot(cell);
    const name = this.nameOf(cell.id) ?? cell.name;
    if (name !== undefined) snapshot.name = name;
    return snapshot;
  }

  listCells(): FancyCell[] {
    return this.store.list().map((c) => this.withName(c));
  }

  findCell(nameOrId: string): FancyCell | undefined {
    const id = this.names.get(nameOrId) ?? this.aliases.get(nameOrId) ?? nameOrId;
    const cell = this.store.cell(id);
    return cell && this.withName(cell);
  }

  cellValue(nameOrId: string): unknown {
    return this.store.resolve(this.resolveCell(nameOrId));
  }

  cellNames(): Record<string, string> {
    return Object.fromEntries(this.names);
  }

  private setName(cellId: string, name: string | undefined): void {
    for (const [n, id] of [...this.names]) if (id === cellId && n !== name) this.names.delete(n);
    if (name !== undefined) this.names.set(name, cellId);
  }

  /** A step's wiring with step ids and names turned into the cell ids the session knows. */
  private rewire(step: WorkflowStep, cellId: string): WorkflowStep {
    const serialized = serializeStep(step);
    const wiring: Record<string, string> = {};
    for (const [argument, ref] of Object.entries(serialized.wiring)) {
      wiring[argument] =
        this.aliases.get(ref) ??
        (this.store.has(ref) || this.workflow.get(ref) ? ref : (this.names.get(ref) ?? ref));
    }
    return createWorkflowStep({ ...serialized, id: cellId, wiring }, parsedConfigOf(step));
  }

  /**
   * Records the last expression's value of cell `cellId`: a WorkflowStep joins the workflow (or
   * replaces the step of the same cell) and runs; a data value (table, JSON, bytes) is stored as
   * the cell's FancyCell, under `name` when the cell ends with a variable; other values are only
   * shown. A cell that no longer makes a step or a datum loses its old ones.
   */
  async recordCell(
    cellId: string,
    hasValue: boolean,
    value: unknown,
    name?: string,
  ): Promise<CellOutcome> {
    if (hasValue && isWorkflowStep(value)) return this.runCellStep(cellId, value);
    const hadStep = this.workflow.remove(cellId);
    this.statuses.delete(cellId);
    this.setName(cellId, undefined);
    if (hadStep) this.workflowChanged();
    if (!hasValue || !isDataValue(value)) {
      if (this.store.has(cellId)) await this.store.delete(cellId);
      return hasValue ? { type: 'value', value } : { type: 'none' };
    }
    try {
      const cell = await this.store.persist(value, {
        cellId,
        ...(name === undefined ? {} : { name }),
      });
      this.setName(cellId, name);
      return { type: 'cell', cell: this.withName(cell), value };
    } catch (e) {
      if (isFancyflowError(e, 'UNPERSISTABLE')) return { type: 'value', value, reason: e };
      throw e;
    }
  }

  /** Outputs of the workflow's steps whose latest status is not completed. */
  private unavailableOutputs(): string[] {
    const out: string[] = [];
    for (const step of this.workflow.steps) {
      const status = this.statuses.get(step.id)?.status;
      if (status !== undefined && NOT_COMPLETED.has(status) && !this.store.has(step.id))
        out.push(step.id);
    }
    return out;
  }

  private async runCellStep(cellId: string, made: WorkflowStep): Promise<CellOutcome> {
    const step = this.rewire(made, cellId);
    try {
      this.workflow.add(step);
    } catch (e) {
      return { type: 'error', error: toFancyflowError(e, 'INTERNAL') };
    }
    if (made.id !== cellId) this.aliases.set(made.id, cellId);
    this.setName(cellId, step.name);
    this.workflowChanged();
    const controller = new AbortController();
    this.runs.add(controller);
    let report;
    try {
      const queue = this.queueUrl;
      const definedHere = this.definedIn.get(step.slug);
      const recompute = this.recomputeAll || this.recomputeNext?.delete(cellId) === true;
      if (queue !== undefined && definedHere === undefined) {
        let engine: QueueEngineLike;
        try {
          engine = await this.engineFor(queue);
        } catch (e) {
          return { type: 'error', error: toFancyflowError(e, 'QUEUE_UNAVAILABLE') };
        }
        report = await engine.run(this.workflow, {
          only: cellId,
          signal: controller.signal,
          unavailable: this.unavailableOutputs(),
          onEvent: (event) => this.recordRunEvent(event),
          baseDir: this.rootDir,
          recompute,
        });
        // a worker wrote the output: read its record
        if (hasOutput(report.steps[0]?.status)) await this.store.refresh?.([cellId]);
      } else {
        if (queue !== undefined) {
          currentOutput()?.stream(
            'stderr',
            `fancyflow: step "${step.slug}" is defined in this notebook (cell ${definedHere}), so it ran in the kernel, not on the queue's workers, which do not have its code. To run it there, write it to a module with \`fancyflow export --steps-module steps.ts\` and start the workers with \`fancyflow worker --steps steps.ts\`.\n`,
          );
        }
        report = await this.orchestrator.runStep(this.workflow, cellId, {
          signal: controller.signal,
          unavailable: this.unavailableOutputs(),
          recompute,
        });
      }
    } finally {
      this.runs.delete(controller);
    }
    const stepReport = report.steps[0]!;
    if (!hasOutput(stepReport.status)) {
      // Nothing downstream may read the output of an earlier, different run of this cell.
      if (this.store.has(cellId)) await this.store.delete(cellId);
      return { type: 'error', error: revive(stepReport.error, cellId), step: stepReport };
    }
    const cell = this.store.cell(cellId);
    if (!cell) throw new FancyflowError('INTERNAL', `Step "${cellId}" completed without a cell`);
    return {
      type: 'cell',
      cell: this.withName(cell),
      value: await this.store.resolve(cellId),
      step: stepReport,
    };
  }

  /**
   * Marks step cells that were queued and not run (`skipped` after a cell failed, `cancelled`
   * after an interrupt), so their status says so instead of showing an old run.
   */
  markNotRun(
    steps: readonly NotRunStep[],
    status: 'skipped' | 'cancelled',
    error: FancyflowError,
  ): void {
    const at = Date.now();
    for (const s of steps) {
      const known = this.workflow.get(s.cellId);
      const name = known?.name ?? s.name;
      const report: StepReport = {
        stepId: s.cellId,
        slug: known?.slug ?? s.slug,
        name: stepName({
          id: s.cellId,
          slug: known?.slug ?? s.slug,
          ...(name === undefined ? {} : { name }),
        }),
        status,
        error: error.toJSON(),
      };
      delete report.error!.stack;
      this.statuses.set(s.cellId, report);
      const event: RunEvent = { type: 'step-status', runId: 'not-run', at, ...report };
      for (const listener of this.runListeners) listener(event);
    }
  }

  /** How messages name the step of a cell, or undefined when the cell made no step. */
  stepLabelOf(cellId: string): string | undefined {
    const step = this.workflow.get(cellId);
    return step && stepLabel(step, this.workflow.indexOf(cellId) + 1);
  }

  // ---- requests of the fancyflow comm --------------------------------------------------------

  /** True while a step runs. */
  get running(): boolean {
    return this.runs.size > 0;
  }

  /**
   * The next run of each of these step cells (of every step cell when `cellIds` is absent)
   * recomputes its step whatever the cache holds: the panel's "Run this step" with a modifier sends
   * it before executing the cells. One-shot: a cell's mark goes with its next run. Returns the
   * cells marked.
   */
  recomputeNextRun(cellIds?: readonly string[]): string[] {
    const ids = cellIds ?? this.workflow.steps.map((s) => s.id);
    this.recomputeNext ??= new Set();
    for (const id of ids) this.recomputeNext.add(id);
    return [...ids];
  }

  /**
   * Every registered step's descriptor with its current code fingerprint and cacheability, the
   * standard steps included (their library loads now if no cell has imported `fancyflow` yet).
   */
  describeSteps(): (StepDescriptor & { code: string; cacheable: boolean })[] {
    // a kernel starts without it (its first cell does not wait for it)
    loadPackageRoot();
    return this.registry.describe().map((descriptor) => {
      const def = this.registry.get(descriptor.slug)?.definition;
      return {
        ...descriptor,
        code: def ? codeFingerprint(def, this.cache) : '',
        cacheable: def?.cacheable ?? true,
      };
    });
  }

  /** The StepRecord of each workflow step's output in the store (what produced it). */
  records(): Record<string, StepRecord> {
    const out: Record<string, StepRecord> = {};
    for (const step of this.workflow.steps) {
      const record = recordOfCell(this.store.cell(step.id));
      if (record) out[step.id] = record;
    }
    return out;
  }

  /** The workflow with statuses, cells, names, executed cells and step definitions. */
  state(): WorkflowState {
    const statuses: Record<string, StepReport> = {};
    for (const [id, report] of this.statuses) statuses[id] = report;
    const definitions: Record<string, string> = {};
    for (const step of this.workflow.steps) {
      const cell = this.definedIn.get(step.slug);
      if (cell !== undefined) definitions[step.slug] = cell;
    }
    return {
      workflow: { ...this.workflow.toJSON(), definitions },
      statuses,
      cells: this.listCells(),
      names: this.cellNames(),
      running: this.running,
      executed: Object.fromEntries(this.executed),
      definitions: Object.fromEntries(this.definedIn),
      records: this.records(),
    };
  }

  /** Cancels the step running now, if any; true when there was one. */
  cancel(): boolean {
    const any = this.runs.size > 0;
    for (const controller of this.runs) controller.abort();
    return any;
  }

  /** A cell's FancyCell with its first rows (tables) or its value (JSON, truncated). */
  async preview(cellId: string, rows: number): Promise<ResultMap['preview']> {
    const id = this.names.get(cellId) ?? cellId;
    const cell = this.store.cell(id);
    if (!cell) {
      throw new FancyflowError(
        'DATUM_NOT_FOUND',
        `The store holds no datum for cell "${clip(cellId)}"`,
        { details: { cellId: clip(cellId) } },
      );
    }
    const value = await this.store.resolve(id);
    const adapter = tableAdapterFor(value);
    if (adapter) {
      return {
        cell: this.withName(cell),
        rows: adapter.head(value, rows).map((r) => jsonSafe(r) as Row),
        truncated: adapter.numRows(value) > rows,
      };
    }
    if (cell.kind === 'json') {
      if (Array.isArray(value)) {
        return {
          cell: this.withName(cell),
          value: jsonSafe(value.slice(0, rows)),
          truncated: value.length > rows,
        };
      }
      return { cell: this.withName(cell), value: jsonSafe(value), truncated: false };
    }
    const text = inspect(value, { depth: 3 });
    return {
      cell: this.withName(cell),
      value: text.length > 10_000 ? text.slice(0, 10_000) : text,
      truncated: text.length > 10_000,
    };
  }

  /** Forgets the session (the kernel is shutting down). */
  close(): void {
    this.cancel();
    this.useQueue('');
    registerNotebookCellsHost(undefined);
  }
}

/** Client text echoed in messages is cut to this many characters. */
const CLIP = 200;

function clip(text: string): string {
  return text.length > CLIP ? `${text.slice(0, CLIP)}…` : text;
}

function revive(error: SerializedError | undefined, cellId: string): FancyflowError {
  if (!error) return new FancyflowError('INTERNAL', `Step "${cellId}" did not complete`);
  let cause: Error | undefined;
  if (error.cause) {
    cause = new Error(error.cause.message);
    cause.name = error.cause.name;
    if (error.cause.stack) cause.stack = error.cause.stack;
  }
  const revived = new FancyflowError(error.code, error.message, {
    details: error.details,
    ...(cause ? { cause } : {}),
  });
  if (error.stack) revived.stack = error.stack;
  return revived;
}
