/**
 * One notebook's fancyflow state: the kernel connection, the registered steps, the workflow model,
 * and where each fact comes from. The notebook is the single truth:
 * - a step cell's code is the program; its `fancyflow` metadata is derived from the code (and
 *   from the form, which edits the code), and the notebook's `fancyflow` document from the step
 *   cells in notebook order — what a shared .ipynb carries;
 * - statuses come from the kernel's events, and are saved into the cells' metadata;
 * - a run from the panel executes the step cells through the notebook, exactly as Shift-Enter
 *   does (the kernel's one queue, busy state, outputs, execution counts, Interrupt), together
 *   with the cells they need that this kernel has not run yet;
 * - opening a notebook executes nothing: the workflow shows from the metadata.
 */
import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';
import { FancyflowError, isFancyflowError, type JsonValue } from '../core/errors';
import {
  NOTEBOOK_METADATA_KEY,
  hasOutput,
  type CellMetadata,
  type WorkflowDocument,
} from '../core/format';
import type { StepRecord } from '../core/freshness';
import type { RunStatus, StepReport } from '../core/orchestrator';
import {
  appendRun,
  deepFreeze,
  historyRunOf,
  readRunHistory,
  RUN_HISTORY_KEY,
} from '../core/notebook-metadata';
import { toStepReport } from '../core/step-report';
import type { StepDescriptor } from '../core/step';
import type { Push, StepDescriptorWithCode, WorkflowState } from '../protocol/messages';
import { applyStatePatch, changedKeys, type StatePatch } from '../protocol/state-patch';
import {
  canonicalCellMetadata,
  markCustomCode,
  metadataFromCall,
  nameIndex,
  readCellMetadata,
  readNotebookWorkflow,
  sameWorkflow,
  savedReport,
  stepCells,
  updateFromReport,
  updatesFromState,
  workflowFromCells,
  type CellSnapshot,
  type StepOrigins,
} from './cell-metadata';
import { cellChoices, choiceCell, preferredChoice, type StepInputDescriptor } from './cell-choices';
import {
  generateStepCode,
  importLine,
  jsonEqual,
  parseStepCode,
  replaceConfig,
  setWiring,
  uniqueName,
  withDefaults,
  withoutDefaults,
} from './codegen';
import { KernelConnection } from './kernel-connection';
import { planRun, type PlanCell, type RunPlan, type RunRequest } from './run-plan';
import type {
  ICellChoice,
  IFancyflowSettings,
  IInsertOptions,
  INotebookFlow,
  IRunOptions,
  IRunResult,
  IRunConfirmation,
  RunMode,
} from './tokens';
import { staleStepIds } from './staleness';
import { WorkflowModel } from './workflow-model';

/** Milliseconds of quiet after a code edit before the code is read back into metadata. */
const CODE_SYNC_DELAY_MS = 300;

/** How long a run that stopped waits for the kernel's replies to the cells it did not run. */
const ABORTED_REPLY_WAIT_MS = 10_000;

/** Options of a {@link NotebookFlow}. */
export interface NotebookFlowOptions {
  /** The settings in force (read at each use). */
  settings: () => IFancyflowSettings;
  /**
   * Asks the user before a run executes cells JupyterLab does not trust; resolves true to run.
   * Default: never run untrusted cells.
   */
  confirmUntrusted?: (confirmation: IRunConfirmation) => Promise<boolean>;
}

const FANCYFLOW_IMPORT = /import\s*\{([^}]*)\}\s*from\s*['"]fancyflow['"]/;

/** The fancyflow state of one notebook. */
export class NotebookFlow implements INotebookFlow {
  readonly connection: KernelConnection;
  readonly workflow = new WorkflowModel();
  private stepList: StepDescriptorWithCode[] = [];
  private state: WorkflowState | undefined;
  private currentProblem: string | undefined;
  private readonly stepsChangedSignal = new Signal<this, readonly StepDescriptor[]>(this);
  private readonly metadataChangedSignal = new Signal<this, string>(this);
  private readonly watched = new Set<ICellModel>();
  /**
   * A frozen copy of each watched cell's `fancyflow` metadata until it changes: read with
   * `readCellMetadata`, which reads a frozen value once (during a run the badges, the panel and
   * the state pushes read every step cell's metadata several times a frame).
   */
  private readonly metadataCopies = new Map<ICellModel, unknown>();
  /** The saved workflow document as last read, while the notebook's metadata is unchanged. */
  private savedDocumentCopy: { document: WorkflowDocument | undefined } | undefined;
  private followsNotebookMetadata = false;
  /**
   * Each watched cell's id: a cell model reads its id from the shared (Yjs) model, ~10 µs a read,
   * and every event and state push looked cells up by id through all of them.
   */
  private readonly ids = new Map<ICellModel, string>();
  /** Cell id → its model, until the cells change (built when first needed). */
  private byId: Map<string, ICellModel> | undefined;
  /** Each watched code cell's source when last seen (output changes are content changes too). */
  private readonly sources = new Map<ICellModel, string>();
  private readonly codeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private docTimer: ReturnType<typeof setTimeout> | undefined;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly finishedReports: StepReport[] = [];
  /**
   * The panel run going on: its id, its cells not finished yet, whether it was interrupted, and
   * the steps it finished (for the notebook's run history).
   */
  private activeRun:
    | { runId: string; pending: Set<string>; interrupted: boolean; steps: Map<string, StepReport> }
    | undefined;
  /** The kernel's runs going on (one per step cell executed): when each started, its steps. */
  private readonly kernelRuns = new Map<string, { at: number; steps: StepReport[] }>();
  /**
   * Cell id → its source when it last ran (or was first seen), for the cells that define steps
   * and the data cells steps read: an edit since makes the steps that depend on it stale at once.
   */
  private readonly ranSources = new Map<string, string>();
  private disposed = false;
  private readonly settings: () => IFancyflowSettings;
  private readonly confirmUntrusted: (confirmation: IRunConfirmation) => Promise<boolean>;

  constructor(
    readonly panel: NotebookPanel,
    options: NotebookFlowOptions,
  ) {
    this.settings = options.settings;
    this.confirmUntrusted = options.confirmUntrusted ?? (() => Promise.resolve(false));
    const settings = this.settings();
    this.connection = new KernelConnection(panel.sessionContext, {
      kernelName: settings.kernelName,
      timeoutMs: settings.requestTimeoutMs,
      store: () => this.settings().defaultStore,
      // empty: no preference (the kernel keeps its FANCYFLOW_QUEUE, if any)
      queue: () => this.settings().queue || undefined,
    });
    this.workflow.connection = this.connection.status;
    this.connection.statusChanged.connect((_, status) => {
      this.workflow.connection = status;
      if (status.kind === 'restarting' || status.kind === 'dead' || status.kind === 'starting') {
        // a new kernel has run nothing: every step shows what the notebook saved
        this.workflow.resetStatuses();
        this.state = undefined;
      }
      if (status.kind !== 'connected' && this.stepList.length > 0) this.setSteps([]);
    });
    this.connection.connected.connect(() => void this.onConnected());
    this.connection.pushed.connect((_, push) => this.onPush(push));
    NotebookActions.executed.connect(this.onCellExecuted, this);
    void panel.context.ready.then(() => {
      if (this.disposed) return;
      const model = panel.content.model;
      if (!model) return;
      model.cells.changed.connect(this.onCellsChanged, this);
      model.metadataChanged.connect(this.onNotebookMetadataChanged, this);
      this.followsNotebookMetadata = true;
      for (const cell of model.cells) this.watch(cell);
      this.showSavedWorkflow();
    });
    panel.disposed.connect(() => this.dispose());
  }

  get steps(): readonly StepDescriptor[] {
    return this.stepList;
  }

  get stepsChanged(): ISignal<this, readonly StepDescriptor[]> {
    return this.stepsChangedSignal;
  }

  get metadataChanged(): ISignal<this, string> {
    return this.metadataChangedSignal;
  }

  get kernelState(): WorkflowState | undefined {
    return this.state;
  }

  get problem(): string | undefined {
    return this.currentProblem;
  }

  private setProblem(problem: string | undefined): void {
    if (problem === this.currentProblem) return;
    this.currentProblem = problem;
    // the panel re-renders on any workflow change
    this.workflow.connection = this.connection.status;
  }

  // ---- the notebook ------------------------------------------------------------------------

  private get cellModels(): ICellModel[] {
    const model = this.panel.content.model;
    return model ? [...model.cells] : [];
  }

  private snapshots(): CellSnapshot[] {
    return this.cellModels.map((c) => ({
      id: this.idOf(c),
      cellType: c.type,
      metadata: this.metadataOf(c),
    }));
  }

  /** The cell's `fancyflow` metadata, frozen (the same copy until it changes). */
  private metadataOf(cell: ICellModel): unknown {
    if (this.metadataCopies.has(cell)) return this.metadataCopies.get(cell);
    const copy = deepFreeze(cell.getMetadata(NOTEBOOK_METADATA_KEY));
    if (this.watched.has(cell)) this.metadataCopies.set(cell, copy);
    return copy;
  }

  private idOf(cell: ICellModel): string {
    return this.ids.get(cell) ?? cell.id;
  }

  private cellModel(cellId: string): ICellModel | undefined {
    if (!this.byId) {
      // built once until the cells change (badges and state pushes look up every step cell)
      this.byId = new Map();
      for (const c of this.cellModels)
        if (!this.byId.has(this.idOf(c))) this.byId.set(this.idOf(c), c);
    }
    const cell = this.byId.get(cellId);
    if (cell && !cell.isDisposed && this.followsNotebookMetadata) return cell;
    this.byId = undefined;
    return this.cellModels.find((c) => this.idOf(c) === cellId);
  }

  stepMetadata(cellId: string): CellMetadata | undefined {
    const cell = this.cellModel(cellId);
    return cell && cell.type === 'code' ? readCellMetadata(this.metadataOf(cell)) : undefined;
  }

  private writeMetadata(cellId: string, metadata: CellMetadata): void {
    const cell = this.cellModel(cellId);
    if (!cell) return;
    if (jsonEqual(cell.getMetadata(NOTEBOOK_METADATA_KEY), metadata)) return;
    cell.setMetadata(NOTEBOOK_METADATA_KEY, canonicalCellMetadata(metadata));
    // metadataChanged of the cell schedules the document update and tells the views
  }

  /**
   * The notebook's saved workflow document, if it has one; read once until the notebook's
   * metadata changes (every state push and document update reads it).
   */
  private savedDocument(): WorkflowDocument | undefined {
    if (this.savedDocumentCopy) return this.savedDocumentCopy.document;
    const model = this.panel.content.model;
    const document = readNotebookWorkflow(model?.getMetadata(NOTEBOOK_METADATA_KEY));
    const copy = { document: document && deepFreeze(document) };
    if (this.followsNotebookMetadata) this.savedDocumentCopy = copy;
    return copy.document;
  }

  private onNotebookMetadataChanged(_: unknown, change: { key: string }): void {
    if (change.key === NOTEBOOK_METADATA_KEY) this.savedDocumentCopy = undefined;
  }

  /** Where the kernel says the notebook's steps come from. */
  private origins(): StepOrigins {
    const modules: Record<string, string> = {};
    for (const step of this.stepList)
      if (step.module !== undefined) modules[step.slug] = step.module;
    return { modules, ...(this.state ? { definitions: this.state.definitions } : {}) };
  }

  /** The workflow from the cells (the document a save writes). */
  private currentDocument(): WorkflowDocument {
    return workflowFromCells(this.snapshots(), this.savedDocument(), this.origins());
  }

  /** The records of the last runs saved in the step cells' metadata. */
  private savedRecords(): Map<string, StepRecord> {
    const out = new Map<string, StepRecord>();
    for (const { metadata } of stepCells(this.snapshots())) {
      if (metadata.record) out.set(metadata.stepId, metadata.record);
    }
    return out;
  }

  /**
   * Tells the workflow model what is known now: the steps' code fingerprints and the data cells'
   * fingerprints from the kernel; a cell that defines a step, or a data cell a step reads, edited
   * since it ran counts as changed at once (before the kernel has seen it).
   */
  private updateFacts(): void {
    const code: Record<string, string> = {};
    const cacheable: Record<string, boolean> = {};
    for (const step of this.stepList) {
      code[step.slug] = step.code;
      if (!step.cacheable) cacheable[step.slug] = false;
    }
    const fingerprints: Record<string, string> = {};
    for (const cell of this.state?.cells ?? []) fingerprints[cell.id] = cell.fingerprint;
    const definitions = {
      ...(this.savedDocument()?.definitions ?? {}),
      ...(this.state?.definitions ?? {}),
    };
    for (const [slug, cellId] of Object.entries(definitions)) {
      if (this.editedSinceRun(cellId)) code[slug] = `edited:${cellId}`;
    }
    const steps = this.workflow.serializedSteps;
    const stepIds = new Set(steps.map((s) => s.id));
    for (const step of steps) {
      for (const cellId of Object.values(step.wiring)) {
        if (!stepIds.has(cellId) && this.editedSinceRun(cellId)) {
          fingerprints[cellId] = `edited:${cellId}`;
        }
      }
    }
    this.workflow.setFacts({ code, cacheable, fingerprints });
  }

  /** True when the cell's source differs from when it last ran here (or was first seen). */
  private editedSinceRun(cellId: string): boolean {
    const source = this.cellModel(cellId)?.sharedModel.getSource();
    if (source === undefined) return false;
    const baseline = this.ranSources.get(cellId);
    if (baseline === undefined) this.ranSources.set(cellId, source);
    return baseline !== undefined && baseline !== source;
  }

  private onCellExecuted(_: unknown, args: ExecutedArgs): void {
    if (args.notebook !== this.panel.content) return;
    const cell = args.cell.model;
    if (!this.ranSources.has(cell.id)) return;
    this.ranSources.set(cell.id, cell.sharedModel.getSource());
    this.updateFacts();
  }

  /**
   * Adds a run to the notebook's run history (`metadata.fancyflow.runs`, bounded by
   * `appendRun`): per step its status, time, output fingerprint and whether the
   * cache answered.
   */
  private appendHistory(
    runId: string,
    status: RunStatus,
    startedAt: number,
    durationMs: number,
    steps: StepReport[],
  ): void {
    const model = this.panel.content.model;
    const current = model?.getMetadata(NOTEBOOK_METADATA_KEY);
    if (!model || typeof current !== 'object' || current === null || Array.isArray(current)) return;
    const run = historyRunOf({
      runId,
      status,
      startedAt: new Date(startedAt).toISOString(),
      durationMs,
      steps,
    });
    model.setMetadata(
      NOTEBOOK_METADATA_KEY,
      appendRun(current as Record<string, unknown>, run) as unknown as JsonValue,
    );
  }

  /** The statuses saved in the step cells' metadata. */
  private savedReports(): Map<string, StepReport> {
    const out = new Map<string, StepReport>();
    for (const { metadata } of stepCells(this.snapshots())) {
      const report = savedReport(metadata);
      if (report) out.set(metadata.stepId, report);
    }
    return out;
  }

  /** A saved notebook shows its workflow at once, with the statuses it was saved with. */
  private showSavedWorkflow(): void {
    this.workflow.setDocument(this.currentDocument(), this.savedReports(), this.savedRecords());
    this.updateFacts();
  }

  /**
   * Writes the metadata of finished steps once per macrotask, not once per event: during a run the
   * kernel's events arrive in bursts and each write touches the shared model, so writing per event
   * would queue the next events (and their badges) behind it.
   */
  private scheduleReportWrites(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      const reports = this.finishedReports.splice(0);
      if (this.disposed || reports.length === 0) return;
      const snapshots = this.snapshots();
      for (const report of reports) {
        const update = updateFromReport(snapshots, report);
        if (update) this.writeMetadata(update.cellId, update.metadata);
      }
    }, 0);
  }

  private scheduleDocumentUpdate(): void {
    if (this.docTimer !== undefined) return;
    this.docTimer = setTimeout(() => {
      this.docTimer = undefined;
      this.updateDocument();
    }, 0);
  }

  private updateDocument(): void {
    if (this.disposed) return;
    const model = this.panel.content.model;
    if (!model) return;
    const document = this.currentDocument();
    const saved = this.savedDocument();
    if (document.steps.length === 0 && !saved) {
      this.workflow.setSteps([]);
      return;
    }
    if (!saved || !sameWorkflow(saved, document)) {
      // the run history beside the document stays as it is
      const history = readRunHistory(model.getMetadata(NOTEBOOK_METADATA_KEY));
      const value = history.length > 0 ? { ...document, [RUN_HISTORY_KEY]: history } : document;
      model.setMetadata(NOTEBOOK_METADATA_KEY, value as unknown as JsonValue);
    }
    this.workflow.setSteps(document.steps, this.savedReports(), this.savedRecords());
  }

  private onCellsChanged(): void {
    this.byId = undefined;
    const present = new Set(this.cellModels);
    for (const cell of [...this.watched]) {
      if (!present.has(cell)) {
        this.watched.delete(cell);
        this.metadataCopies.delete(cell);
        this.ids.delete(cell);
        this.sources.delete(cell);
        cell.contentChanged.disconnect(this.onContentChanged, this);
        cell.metadataChanged.disconnect(this.onCellMetadataChanged, this);
      }
    }
    for (const cell of present) this.watch(cell);
    this.scheduleDocumentUpdate();
  }

  private watch(cell: ICellModel): void {
    if (this.watched.has(cell)) return;
    this.watched.add(cell);
    this.ids.set(cell, cell.id);
    this.sources.set(cell, cell.sharedModel.getSource());
    cell.contentChanged.connect(this.onContentChanged, this);
    cell.metadataChanged.connect(this.onCellMetadataChanged, this);
  }

  private onCellMetadataChanged(cell: ICellModel, change: { key: string }): void {
    if (change.key !== NOTEBOOK_METADATA_KEY) return;
    this.metadataCopies.delete(cell);
    this.scheduleDocumentUpdate();
    this.metadataChangedSignal.emit(cell.id);
  }

  private onContentChanged(cell: ICellModel): void {
    if (cell.type !== 'code') return;
    // outputs and execution counts change the content too: only an edit of the code is read back
    const source = cell.sharedModel.getSource();
    if (this.sources.get(cell) === source) return;
    this.sources.set(cell, source);
    const id = cell.id;
    const timer = this.codeTimers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.codeTimers.set(
      id,
      setTimeout(() => {
        this.codeTimers.delete(id);
        this.syncCodeToMetadata(id);
        // an edited step definition makes its steps stale before it runs
        if (this.ranSources.has(id)) this.updateFacts();
      }, CODE_SYNC_DELAY_MS),
    );
  }

  /**
   * Reads a code cell back into step metadata: a step call gets (or updates) its metadata, a cell
   * whose code no longer reads as one is marked custom code.
   */
  syncCodeToMetadata(cellId: string): void {
    const cell = this.cellModel(cellId);
    if (!cell || cell.type !== 'code') return;
    const previous = this.stepMetadata(cellId);
    const parsed = parseStepCode(cell.sharedModel.getSource());
    if (!parsed.ok) {
      if (previous) this.writeMetadata(cellId, markCustomCode(previous));
      return;
    }
    const step = this.stepList.find((s) => s.slug === parsed.call.slug);
    // without the step's schema the defaults are unknown: wait for the kernel's steps
    if (!step) return;
    const names = nameIndex(this.snapshots(), this.state?.names);
    this.writeMetadata(cellId, metadataFromCall(cellId, parsed.call, step, names, previous));
  }

  private flushCodeEdits(): void {
    for (const [id, timer] of [...this.codeTimers]) {
      clearTimeout(timer);
      this.codeTimers.delete(id);
      this.syncCodeToMetadata(id);
    }
  }

  // ---- the kernel ----------------------------------------------------------------------------

  private async onConnected(): Promise<void> {
    try {
      await this.refresh();
      this.setProblem(undefined);
    } catch (e) {
      this.setProblem(messageOf(e));
    }
  }

  /** Asks the kernel for its steps and state. Runs no code. */
  async refresh(): Promise<void> {
    const { steps } = await this.connection.request({ type: 'list-steps' });
    this.setSteps(steps);
    // code written before the steps were known (or by hand) is read back now
    for (const { cellId } of stepCells(this.snapshots())) this.syncCodeToMetadata(cellId);
    this.applyState(await this.connection.request({ type: 'get-workflow' }));
  }

  private setSteps(steps: StepDescriptorWithCode[]): void {
    this.stepList = steps;
    this.updateFacts();
    this.stepsChangedSignal.emit(steps);
  }

  /**
   * Takes the kernel's state. With the `patch` it was made by, only what the patch changed is
   * redone: during a run-all each cell's push changes a step's status and record and adds its
   * output cell, and redoing every step cell's metadata, the workflow document, every status and
   * the freshness facts after each cell made each push cost O(cells) on the page's main thread.
   */
  private applyState(state: WorkflowState, patch?: StatePatch): void {
    this.state = state;
    const changed = (key: keyof WorkflowState) => patch === undefined || key in patch;
    // the steps whose status or record changed; undefined: any may have
    const statuses = patch && !changed('workflow') ? changedKeys(patch, 'statuses') : undefined;
    const records = patch ? changedKeys(patch, 'records') : undefined;
    const stepIds = statuses && records ? [...new Set([...statuses, ...records])] : undefined;
    if (!stepIds || stepIds.length > 0) {
      const only = statuses && new Set(statuses);
      for (const update of updatesFromState(this.snapshots(), state, only)) {
        this.writeMetadata(update.cellId, update.metadata);
      }
    }
    // the document follows the cells' metadata (a write schedules its update) and the kernel's
    // definitions
    if (changed('workflow') || changed('definitions')) this.updateDocument();
    this.workflow.applyState(state, stepIds);
    if (changed('workflow') || changed('definitions') || changed('cells')) this.updateFacts();
  }

  private onPush(push: Push): void {
    switch (push.type) {
      case 'event': {
        const event = push.event;
        if (event.type === 'run-started') {
          this.kernelRuns.set(event.runId, { at: event.at, steps: [] });
          return;
        }
        if (event.type === 'run-finished') {
          const run = this.kernelRuns.get(event.runId);
          this.kernelRuns.delete(event.runId);
          // a cell run by hand is a run of the history; a panel run's cells make one run
          if (run && !this.activeRun && run.steps.length > 0) {
            this.appendHistory(event.runId, event.status, run.at, event.durationMs, run.steps);
          }
          return;
        }
        this.workflow.applyEvent(event);
        if (event.status !== 'running' && event.status !== 'pending') {
          const report = toStepReport(event);
          this.finishedReports.push(report);
          this.scheduleReportWrites();
          this.kernelRuns.get(event.runId)?.steps.push(report);
          this.activeRun?.steps.set(report.stepId, report);
        }
        return;
      }
      case 'registry-changed':
        this.setSteps(push.steps);
        return;
      case 'workflow-changed':
        this.applyState(push.state);
        return;
      case 'workflow-patch':
        // patches follow the state of `get-workflow` on this comm; without one, ask for it
        if (this.state) this.applyState(applyStatePatch(this.state, push.patch), push.patch);
        else void this.refresh().catch((e: unknown) => this.setProblem(messageOf(e)));
        return;
    }
  }

  // ---- runs ----------------------------------------------------------------------------------

  private planCells(): PlanCell[] {
    return this.cellModels.map((c) => {
      const metadata = c.type === 'code' ? readCellMetadata(this.metadataOf(c)) : undefined;
      return {
        id: this.idOf(c),
        cellType: c.type,
        ...(metadata ? { step: { stepId: metadata.stepId, slug: metadata.slug } } : {}),
        empty: c.sharedModel.getSource().trim() === '',
        trusted: c.trusted,
      };
    });
  }

  /** Slug → the cell known to define it (the kernel's knowledge first, then the saved file's). */
  definitionsOf(slugs: readonly string[]): Record<string, string> {
    const known = {
      ...(this.savedDocument()?.definitions ?? {}),
      ...(this.state?.definitions ?? {}),
    };
    const out: Record<string, string> = {};
    for (const slug of slugs) if (known[slug] !== undefined) out[slug] = known[slug];
    return out;
  }

  /** What a run would execute (the panel shows it before asking). */
  plan(request: RunRequest): RunPlan {
    const state = this.state;
    // a cell that defines a step, or a data cell a step reads, edited since it ran here has not
    // run as it reads now: a run brings it along, as it brings a cell this kernel never ran
    const executed = new Set(Object.keys(state?.executed ?? {}));
    for (const cellId of this.ranSources.keys()) {
      if (this.editedSinceRun(cellId)) executed.delete(cellId);
    }
    return planRun(
      this.planCells(),
      {
        executed,
        registered: new Set(this.stepList.map((s) => s.slug)),
        definitions: this.definitionsOf(this.usedSlugs()),
      },
      request,
    );
  }

  private usedSlugs(): string[] {
    return stepCells(this.snapshots()).map(({ metadata }) => metadata.slug);
  }

  /** A line naming a cell for people: `[3] const power = step(…`. */
  describeCell(cellId: string): string {
    const cells = this.cellModels;
    const index = cells.findIndex((c) => c.id === cellId);
    const cell = cells[index];
    if (!cell) return cellId;
    const metadata = cell.type === 'code' ? readCellMetadata(this.metadataOf(cell)) : undefined;
    const firstLine =
      cell.sharedModel
        .getSource()
        .split('\n')
        .find((l) => l.trim() !== '') ?? '';
    const text = firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : firstLine;
    return metadata?.name ? `[${index + 1}] ${metadata.name}: ${text}` : `[${index + 1}] ${text}`;
  }

  /** The steps `Run stale` runs: those the freshness check does not call fresh. */
  staleSteps(): string[] {
    const model = this.workflow;
    return staleStepIds(model.freshness, (id) => {
      const view = model.stepView(id);
      // a completed step with no record of its run is judged by nothing (an older notebook)
      return view !== undefined && hasOutput(view.status) && view.record === undefined;
    });
  }

  async run(
    mode: RunMode,
    target?: string | readonly string[],
    options: IRunOptions = {},
  ): Promise<IRunResult> {
    if (this.activeRun) {
      throw new FancyflowError(
        'RUN_IN_PROGRESS',
        'A run of this notebook is going on: cancel it or wait',
      );
    }
    this.flushCodeEdits();
    const plan = this.plan(
      mode === 'stale' ? { mode: 'steps', stepIds: this.staleSteps() } : runRequest(mode, target),
    );
    if (plan.cells.length === 0) return { status: 'completed', cells: 0, failed: [] };
    if (plan.untrusted.length > 0) {
      const confirmed = await this.confirmUntrusted({
        notebook: this.panel.context.localPath,
        cells: plan.untrusted.map((id) => this.describeCell(id)),
        total: plan.cells.length,
      });
      if (!confirmed) return { status: 'cancelled', cells: 0, failed: [], declined: true };
    }
    if (options.force && plan.targets.length > 0) {
      // one-shot: the next execution of these step cells recomputes whatever the cache holds
      await this.connection.request({ type: 'recompute', cellIds: plan.targets });
    }
    const notebook = this.panel.content;
    const widgets = plan.cells
      .map((id) => notebook.widgets.find((w) => w.model.id === id))
      .filter((w): w is NonNullable<typeof w> => w !== undefined);
    const stepIds = plan.cells.filter((id) => this.stepMetadata(id) !== undefined);
    const progress = this.workflow.beginRun(plan.cells, stepIds);
    const active = {
      runId: progress.runId,
      pending: new Set(plan.cells),
      interrupted: false,
      steps: new Map<string, StepReport>(),
    };
    this.activeRun = active;
    const failed: IRunResult['failed'] = [];
    const onExecuted = (_: unknown, args: ExecutedArgs) => {
      const cellId = args.cell.model.id;
      if (args.notebook !== notebook || !active.pending.delete(cellId)) return;
      // JupyterLab's KernelError: an `aborted` reply (queued behind a failure) has no name
      const error = args.error as { errorName?: string; errorValue?: string } | null | undefined;
      if (!args.success && error?.errorName !== undefined) {
        const message = `${error.errorName}: ${error.errorValue ?? ''}`;
        if (error.errorName === 'Interrupted' || error.errorValue?.startsWith('CANCELLED')) {
          // the notebook's own Interrupt, or our Cancel
          active.interrupted = true;
        } else {
          const metadata = this.stepMetadata(cellId);
          const label = metadata?.name ?? metadata?.slug ?? this.describeCell(cellId);
          failed.push({ cellId, label, message });
        }
      }
      this.workflow.cellDone(active.runId);
      reported.emit();
    };
    const reported = new Signal<this, void>(this);
    NotebookActions.executed.connect(onExecuted);
    try {
      await clearOutputs(widgets);
      await NotebookActions.runCells(notebook, widgets, this.panel.sessionContext);
      await this.settled(
        widgets.map((w) => w.model),
        active.pending,
        () => failed.length > 0 || active.interrupted,
        reported,
      );
    } finally {
      NotebookActions.executed.disconnect(onExecuted);
      this.activeRun = undefined;
    }
    const status: RunStatus = active.interrupted
      ? 'cancelled'
      : failed.length > 0 || active.pending.size > 0
        ? 'failed'
        : 'completed';
    this.workflow.endRun(active.runId, status);
    if (active.steps.size > 0) {
      const durationMs = this.workflow.run?.durationMs ?? Date.now() - progress.startedAt;
      this.appendHistory(active.runId, status, progress.startedAt, durationMs, [
        ...active.steps.values(),
      ]);
    }
    return { status, cells: plan.cells.length, failed };
  }

  /**
   * Resolves when none of `cells` is running or queued any more. After a failure or an interrupt
   * JupyterLab resolves its run and marks the queued cells idle at once, before the kernel's
   * `aborted` replies and the statuses it gives their steps (skipped, cancelled) have arrived:
   * then every cell still in `unreported` is waited for (its aborted reply comes right after the
   * failure), unless the kernel goes away, the cell is deleted, or {@link ABORTED_REPLY_WAIT_MS}
   * pass.
   */
  private settled(
    cells: readonly ICellModel[],
    unreported: ReadonlySet<string>,
    stopped: () => boolean,
    reported: ISignal<this, void>,
  ): Promise<void> {
    let awaitReplies = true;
    const busy = () =>
      cells.some(
        (c) =>
          !c.isDisposed &&
          ((c as { executionState?: string }).executionState === 'running' ||
            (awaitReplies && stopped() && unreported.has(c.id))),
      );
    if (!busy()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (busy() && this.connection.status.kind === 'connected') return;
        clearTimeout(bound);
        for (const c of cells) c.stateChanged.disconnect(check);
        this.connection.statusChanged.disconnect(check);
        reported.disconnect(check);
        resolve();
      };
      const bound = setTimeout(() => {
        awaitReplies = false;
        check();
      }, ABORTED_REPLY_WAIT_MS);
      for (const c of cells) c.stateChanged.connect(check);
      this.connection.statusChanged.connect(check);
      reported.connect(check);
    });
  }

  /** Interrupts the kernel: the running step is cancelled and the queued cells are not run. */
  async cancel(): Promise<boolean> {
    const kernel = this.panel.sessionContext.session?.kernel;
    if (!kernel) return false;
    if (this.activeRun) this.activeRun.interrupted = true;
    await kernel.interrupt();
    return true;
  }

  // ---- editing -------------------------------------------------------------------------------

  cellChoices(index: number, input?: StepInputDescriptor): ICellChoice[] {
    return cellChoices(
      { cells: this.cellModels.map(choiceCell), kernel: this.state, steps: this.stepList },
      index,
      input,
    );
  }

  /**
   * The index of a code cell at or above `index` that imports the names generated code uses
   * from `fancyflow`, or -1.
   */
  private importCellAbove(index: number): number {
    const cells = this.cellModels;
    for (let i = Math.min(index, cells.length - 1); i >= 0; i--) {
      const cell = cells[i]!;
      if (cell.type !== 'code') continue;
      const match = FANCYFLOW_IMPORT.exec(cell.sharedModel.getSource());
      if (!match) continue;
      const names = match[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]);
      if (names.includes('steps') && names.includes('cell')) return i;
    }
    return -1;
  }

  async insertStep(slug: string, options: IInsertOptions = {}): Promise<string> {
    const notebook = this.panel.content;
    const model = notebook.model;
    if (!model) throw new FancyflowError('INTERNAL', 'The notebook is not loaded yet');
    const step = this.stepList.find((s) => s.slug === slug);
    if (!step) {
      throw new FancyflowError('UNKNOWN_STEP', `No step "${slug}" is registered in the kernel`, {
        details: { slug },
      });
    }
    const below = options.belowIndex ?? notebook.activeCellIndex;
    let index = Math.max(0, Math.min(below + 1, model.cells.length));
    if (this.importCellAbove(index - 1) < 0) {
      // the import goes once per notebook, above the first code cell (after a title)
      const firstCode = this.cellModels.findIndex((c) => c.type === 'code');
      const at = firstCode < 0 ? index : Math.min(firstCode, index);
      model.sharedModel.insertCell(at, {
        cell_type: 'code',
        source: importLine(),
        metadata: { trusted: true },
      });
      index++;
    }
    const wiring: Record<string, string> = {};
    for (const [argument, input] of Object.entries(step.inputs)) {
      const chosen = options.wiring?.[argument];
      const fallback = chosen ? undefined : preferredChoice(this.cellChoices(index - 1, input));
      if (chosen) wiring[argument] = chosen;
      else if (!input.optional && fallback) wiring[argument] = fallback.reference;
    }
    const snapshots = this.snapshots();
    const names = nameIndex(snapshots, this.state?.names);
    const name = uniqueName(slug, new Set(names.keys()));
    const config = withDefaults(options.config ?? {}, step.config);
    const call = {
      slug,
      wiring,
      config: withoutDefaults(config, step.config),
      name,
    };
    const source = generateStepCode(call);
    const shared = model.sharedModel.insertCell(index, {
      cell_type: 'code',
      source,
      metadata: { trusted: true },
    });
    const cellId = shared.getId();
    this.writeMetadata(cellId, metadataFromCall(cellId, call, step, names, undefined));
    notebook.activeCellIndex = index;
    this.updateDocument();
    if (options.run ?? this.settings().runOnInsert) {
      const widget = notebook.widgets.find((w) => w.model.id === cellId);
      // during a run the cell joins the kernel's queue behind it (the run brings what it needs)
      if (this.activeRun && widget) {
        await NotebookActions.runCells(notebook, [widget], this.panel.sessionContext);
      } else {
        await this.run('step', cellId);
      }
    }
    return cellId;
  }

  setStepConfig(cellId: string, config: Record<string, JsonValue>): void {
    const cell = this.cellModel(cellId);
    const previous = this.stepMetadata(cellId);
    if (!cell || !previous || previous.customCode) return;
    const step = this.stepList.find((s) => s.slug === previous.slug);
    const full = withDefaults(config, step?.config);
    const code = replaceConfig(cell.sharedModel.getSource(), withoutDefaults(full, step?.config), {
      schema: step?.config,
    });
    if (code === undefined) {
      this.writeMetadata(cellId, markCustomCode(previous));
      return;
    }
    if (code !== cell.sharedModel.getSource()) cell.sharedModel.setSource(code);
    this.writeMetadata(cellId, { ...previous, config: full });
  }

  setStepWiring(cellId: string, argument: string, reference: string): void {
    const cell = this.cellModel(cellId);
    const previous = this.stepMetadata(cellId);
    if (!cell || !previous || previous.customCode) return;
    const parsed = parseStepCode(cell.sharedModel.getSource());
    if (!parsed.ok) {
      this.writeMetadata(cellId, markCustomCode(previous));
      return;
    }
    const wiring = { ...parsed.call.wiring };
    if (reference) wiring[argument] = reference;
    else delete wiring[argument];
    const code = setWiring(cell.sharedModel.getSource(), argument, reference);
    if (code !== undefined && code !== cell.sharedModel.getSource())
      cell.sharedModel.setSource(code);
    const step = this.stepList.find((s) => s.slug === previous.slug);
    const names = nameIndex(this.snapshots(), this.state?.names);
    this.writeMetadata(
      cellId,
      metadataFromCall(cellId, { ...parsed.call, wiring }, step, names, previous),
    );
  }

  /** Stops following the notebook and the kernel. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const timer of this.codeTimers.values()) clearTimeout(timer);
    if (this.docTimer !== undefined) clearTimeout(this.docTimer);
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    NotebookActions.executed.disconnect(this.onCellExecuted, this);
    this.connection.dispose();
    Signal.clearData(this);
    Signal.clearData(this.workflow);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

/** What `NotebookActions.executed` says of one cell. */
interface ExecutedArgs {
  notebook: unknown;
  cell: { model: ICellModel };
  success: boolean;
  error?: Error | null;
}

/**
 * Clears the outputs of the cells about to run, then lets the page draw one frame. JupyterLab
 * clears each cell's outputs as it sends the cell to the kernel, and its output area measures
 * itself on every change (a forced layout per cell): for 50 cells that was ~0.2–0.3 s of the
 * page's main thread in the task that had already sent the first cells, and so the first steps'
 * events (and badges) waited behind it. Cleared here, the kernel gets the first cell once the page
 * is free again; the notebook's own clear then finds nothing to remove.
 */
async function clearOutputs(widgets: readonly { model: ICellModel }[]): Promise<void> {
  let cleared = false;
  for (const { model } of widgets) {
    if (model.isDisposed || model.type !== 'code') continue;
    const outputs = (model as ICodeCellModel).outputs;
    if (outputs.length === 0) continue;
    outputs.clear();
    cleared = true;
  }
  if (cleared) await afterFrame();
}

/** Resolves after the page's next frame (or 100 ms, when the page draws no frames: hidden). */
function afterFrame(): Promise<void> {
  return new Promise((resolve) => {
    const fallback = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(fallback);
      // the frame's style, layout and paint run after this callback: resolve after them
      setTimeout(resolve, 0);
    });
  });
}

/** The plan request of a run command. */
function runRequest(
  mode: Exclude<RunMode, 'stale'>,
  target: string | readonly string[] | undefined,
): RunRequest {
  if (mode === 'all') return { mode };
  const ids = target === undefined ? [] : typeof target === 'string' ? [target] : target;
  if (mode === 'cells') return { mode, cellIds: ids };
  return { mode, stepId: ids[0] ?? '' };
}

/** A user-facing sentence for anything thrown. */
export function messageOf(e: unknown): string {
  if (isFancyflowError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
