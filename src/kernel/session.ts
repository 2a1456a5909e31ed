/**
 * The notebook session: what one kernel hosts. The process-wide FunctionRegistry (so `step()` in a
 * cell registers at once), a DatumStore (memory, or disk on request), the Orchestrator and the
 * notebook's Workflow, whose steps are keyed by the cells that made them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inspect } from 'node:util';
import { cellSnapshot, type FancyCell } from '../core/cell';
import {
  FancyflowError,
  isFancyflowError,
  toFancyflowError,
  type SerializedError,
} from '../core/errors';
import { MemoryDatumStore } from '../core/memory-store';
import { Orchestrator, type RunEvent, type RunReport, type StepReport } from '../core/orchestrator';
import { defaultRegistry, type FunctionRegistry } from '../core/registry';
import type { DatumStore } from '../core/store';
import { tableAdapterFor, type Row } from '../core/table';
import { Workflow } from '../core/workflow';
import {
  createWorkflowStep,
  isWorkflowStep,
  serializeStep,
  type WorkflowStep,
} from '../core/workflow-step';
import type { ResultMap, WorkflowState } from '../protocol/messages';
import { jsonSafe } from './displays';
import { interruptibleStepCaller } from './interrupt-guard';
import { packageRoot } from './package-root';
import { registerNotebookCellsHost, type NotebookCellsHost } from './notebook-cells';

/** Options of a session. */
export interface SessionOptions {
  /** A folder for a disk store (survives restarts). Default: a memory store. */
  storeDir?: string;
  /** The notebook's folder: a workflow's `modules` load relative to it. Default: the cwd. */
  rootDir?: string;
}

/** What a cell's value became. */
export type CellOutcome =
  | { type: 'none' }
  | { type: 'cell'; cell: FancyCell; value: unknown; step?: StepReport }
  | { type: 'unstored'; value: unknown; reason: FancyflowError }
  | { type: 'error'; error: FancyflowError };

interface DiskStoreModule {
  DiskDatumStore: { open(dir: string): Promise<DatumStore> };
}

/** Opens the store a session uses: disk when `dir` is given, memory otherwise. */
export async function openSessionStore(dir: string | undefined): Promise<DatumStore> {
  if (!dir) return new MemoryDatumStore();
  let module: DiskStoreModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require('../stores/disk-datum-store') as DiskStoreModule;
  } catch (e) {
    throw new FancyflowError('MODULE_LOAD', 'The disk store is not available in this build', {
      details: { dir },
      cause: e,
    });
  }
  return module.DiskDatumStore.open(path.resolve(dir));
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

/** One kernel's notebook session. */
export class NotebookSession implements NotebookCellsHost {
  readonly registry: FunctionRegistry;
  private currentStore: DatumStore;
  private currentOrchestrator: Orchestrator;
  private readonly runListeners = new Set<(event: RunEvent) => void>();
  private currentWorkflow: Workflow;
  /** Readable name → cell id. */
  private readonly names = new Map<string, string>();
  /** Id a step was made with → the cell id the kernel gave it (so `clean({ df: raw })` works). */
  private readonly aliases = new Map<string, string>();
  /** Notebook cell ids the front end told us about (wiring to them is accepted). */
  private readonly notebookCells = new Set<string>();
  private readonly runs = new Set<AbortController>();
  private readonly workflowListeners = new Set<() => void>();
  /** SIGINT during a step's synchronous part cancels that step and the rest of its run. */
  private readonly callStep = interruptibleStepCaller(() => this.cancel());

  private constructor(
    store: DatumStore,
    private readonly rootDir: string,
  ) {
    this.registry = defaultRegistry();
    this.currentStore = store;
    this.currentOrchestrator = this.orchestratorFor(store);
    this.currentWorkflow = new Workflow({ known: this.known });
  }

  private orchestratorFor(store: DatumStore): Orchestrator {
    const orchestrator = new Orchestrator({
      store,
      registry: this.registry,
      callStep: this.callStep,
    });
    orchestrator.on((event) => {
      for (const listener of this.runListeners) listener(event);
    });
    return orchestrator;
  }

  /** The store cell values live in. */
  get store(): DatumStore {
    return this.currentStore;
  }

  /** The Orchestrator that runs the workflow against {@link store}. */
  get orchestrator(): Orchestrator {
    return this.currentOrchestrator;
  }

  /**
   * Switches to the store `spec` asks for (`memory`, or a disk store folder relative to the
   * notebook's folder) while this session has stored nothing and runs nothing; otherwise keeps
   * the current one. Returns the description of the store in force.
   */
  async useStore(spec: string): Promise<string> {
    const dir = spec === 'memory' ? undefined : path.resolve(this.rootDir, spec);
    const wanted = dir === undefined ? 'memory' : `disk:${dir}`;
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
      await openSessionStore(options.storeDir),
      options.rootDir ?? process.cwd(),
    );
    registerNotebookCellsHost(session);
    return session;
  }

  /** The notebook's workflow. */
  get workflow(): Workflow {
    return this.currentWorkflow;
  }

  private readonly known = (cellId: string): boolean =>
    this.store.has(cellId) || this.notebookCells.has(cellId);

  /** Calls `listener` after a cell or a request changed the workflow; returns the unsubscriber. */
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

  /** The cell id a readable name or an id stands for. */
  resolveCell(nameOrId: string): string {
    const named = this.names.get(nameOrId);
    if (named !== undefined) return named;
    const aliased = this.aliases.get(nameOrId);
    if (aliased !== undefined) return aliased;
    if (
      this.store.has(nameOrId) ||
      this.currentWorkflow.get(nameOrId) ||
      this.notebookCells.has(nameOrId)
    ) {
      return nameOrId;
    }
    const known = [...this.names.keys()].sort();
    throw new FancyflowError(
      'MISSING_CELL',
      `No cell is named or has the id "${nameOrId}" (known names: ${known.length ? known.join(', ') : 'none'})`,
      { details: { cellId: nameOrId, knownNames: known } },
    );
  }

  private nameOf(cellId: string): string | undefined {
    for (const [name, id] of this.names) if (id === cellId) return name;
    return undefined;
  }

  /** A plain copy of `cell` (stores may compute fields lazily) with its readable name. */
  private withName(cell: FancyCell): FancyCell {
    const snapshot = cellSnapshot(cell);
    const name = cell.name ?? this.nameOf(cell.id);
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
        (this.store.has(ref) || this.currentWorkflow.get(ref) ? ref : (this.names.get(ref) ?? ref));
    }
    return createWorkflowStep({ ...serialized, id: cellId, wiring });
  }

  /**
   * Records the last expression's value of cell `cellId`: a WorkflowStep joins the workflow (or
   * replaces the step of the same cell) and runs; any other value is stored as the cell's FancyCell.
   * A cell without a value no longer produces a cell.
   */
  async recordCell(cellId: string, hasValue: boolean, value: unknown): Promise<CellOutcome> {
    if (hasValue && isWorkflowStep(value)) return this.runCellStep(cellId, value);
    const hadStep = this.currentWorkflow.remove(cellId);
    this.setName(cellId, undefined);
    if (hadStep) this.workflowChanged();
    if (!hasValue) {
      if (this.store.has(cellId)) await this.store.delete(cellId);
      return { type: 'none' };
    }
    try {
      const cell = await this.store.persist(value, { cellId });
      return { type: 'cell', cell: this.withName(cell), value };
    } catch (e) {
      if (isFancyflowError(e, 'UNPERSISTABLE')) return { type: 'unstored', value, reason: e };
      throw e;
    }
  }

  private async runCellStep(cellId: string, made: WorkflowStep): Promise<CellOutcome> {
    const step = this.rewire(made, cellId);
    try {
      this.currentWorkflow.add(step);
    } catch (e) {
      return { type: 'error', error: toFancyflowError(e, 'INTERNAL') };
    }
    if (made.id !== cellId) this.aliases.set(made.id, cellId);
    this.setName(cellId, step.name);
    this.workflowChanged();
    const report = await this.runTracked((signal) =>
      this.orchestrator.runStep(this.currentWorkflow, cellId, { signal }),
    );
    const stepReport = report.steps[0]!;
    if (stepReport.status !== 'completed') {
      return { type: 'error', error: revive(stepReport.error, cellId) };
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

  private async runTracked(run: (signal: AbortSignal) => Promise<RunReport>): Promise<RunReport> {
    const controller = new AbortController();
    this.runs.add(controller);
    try {
      return await run(controller.signal);
    } finally {
      this.runs.delete(controller);
    }
  }

  // ---- requests of the fancyflow comm --------------------------------------------------------

  /** True while a run goes on. */
  get running(): boolean {
    return this.runs.size > 0;
  }

  /** The workflow with statuses, cells and names. */
  state(): WorkflowState {
    const statuses: Record<string, StepReport> = {};
    for (const step of this.currentWorkflow.steps) {
      const status = this.orchestrator.status(step.id);
      if (status) statuses[step.id] = status;
    }
    return {
      workflow: this.currentWorkflow.toJSON(),
      statuses,
      cells: this.listCells(),
      names: this.cellNames(),
      running: this.running,
    };
  }

  /** Replaces the workflow with a document (checked against the registry and the store). */
  setWorkflow(document: unknown, knownCells: readonly string[] = []): WorkflowState {
    for (const id of knownCells) this.notebookCells.add(id);
    this.loadModules(document);
    const workflow = Workflow.parse(document, { registry: this.registry, known: this.known });
    this.currentWorkflow = workflow;
    this.aliases.clear();
    this.names.clear();
    for (const step of workflow.steps)
      if (step.name !== undefined) this.names.set(step.name, step.id);
    this.workflowChanged();
    return this.state();
  }

  /**
   * Loads the step modules a workflow document names (`modules`, relative to the notebook's
   * folder); `fancyflow` is loaded already. Throws `MODULE_LOAD` naming the module.
   */
  private loadModules(document: unknown): void {
    const source =
      typeof document === 'object' && document !== null && 'cells' in document
        ? (document as { metadata?: { fancyflow?: unknown } }).metadata?.fancyflow
        : document;
    const modules = (source as { modules?: unknown } | undefined)?.modules;
    if (!Array.isArray(modules)) return;
    const load = createRequire(path.join(this.rootDir, 'notebook.js'));
    modules.forEach((name: unknown, index) => {
      if (typeof name !== 'string' || name === 'fancyflow') return;
      try {
        load(name);
      } catch (e) {
        throw new FancyflowError(
          'MODULE_LOAD',
          `Cannot load step module "${name}": ${e instanceof Error ? e.message : String(e)}`,
          {
            details: { module: name, pointer: `/modules/${index}` },
            cause: e,
          },
        );
      }
    });
  }

  /** Runs the workflow: all of it, from a step, or one step. */
  run(mode: 'all' | 'from' | 'step', stepId?: string): Promise<RunReport> {
    if (mode !== 'all' && stepId === undefined) {
      throw new FancyflowError('PROTOCOL', `A "${mode}" run needs a stepId`, { details: { mode } });
    }
    return this.runTracked((signal) =>
      this.orchestrator.run(this.currentWorkflow, {
        signal,
        ...(mode === 'from' ? { from: stepId } : mode === 'step' ? { only: stepId } : {}),
      }),
    );
  }

  /** Cancels every run going on; true when there was one. */
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
      throw new FancyflowError('DATUM_NOT_FOUND', `The store holds no datum for cell "${cellId}"`, {
        details: { cellId },
      });
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
    registerNotebookCellsHost(undefined);
  }
}

function revive(error: SerializedError | undefined, cellId: string): FancyflowError {
  if (!error) return new FancyflowError('INTERNAL', `Step "${cellId}" did not complete`);
  const revived = new FancyflowError(error.code, error.message, { details: error.details });
  if (error.stack) revived.stack = error.stack;
  return revived;
}
