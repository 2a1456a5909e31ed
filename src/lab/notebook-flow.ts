/**
 * One notebook's fancyflow state: the kernel connection, the registered steps, the workflow model,
 * and the sync between the three places a step lives (cell code, cell metadata, the kernel):
 * - the cells' `fancyflow` metadata, in notebook order, is the workflow; it is written to the
 *   notebook's `fancyflow` metadata whenever it changes (what a shared .ipynb carries);
 * - code edits are read back into metadata while the code keeps the generated shape;
 * - the kernel's state (after a cell ran, after a run) and its events update metadata and statuses;
 * - a fresh kernel gets the notebook's workflow (`set-workflow`) so "run all" reproduces it.
 */
import { NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import type { ICellModel } from '@jupyterlab/cells';
import { Signal, type ISignal } from '@lumino/signaling';
import { FancyflowError, isFancyflowError, type JsonValue } from '../core/errors';
import { NOTEBOOK_METADATA_KEY, type CellMetadata, type WorkflowDocument } from '../core/format';
import type { RunEvent, RunReport } from '../core/orchestrator';
import type { StepDescriptor } from '../core/step';
import type { Push, WorkflowState } from '../protocol/messages';
import {
  markCustomCode,
  metadataFromCall,
  nameIndex,
  readCellMetadata,
  readNotebookWorkflow,
  sameWorkflow,
  stepCells,
  updateFromReport,
  updatesFromState,
  workflowFromCells,
  type CellSnapshot,
} from './cell-metadata';
import { cellChoices, choiceCell, preferredChoice, type StepInputDescriptor } from './cell-choices';
import {
  generateStepCode,
  jsonEqual,
  parseStepCode,
  replaceConfig,
  setWiring,
  uniqueName,
  withDefaults,
  withoutDefaults,
} from './codegen';
import { KernelConnection } from './kernel-connection';
import type { ICellChoice, IFancyflowSettings, IInsertOptions, INotebookFlow } from './tokens';
import { WorkflowModel } from './workflow-model';

/** Milliseconds of quiet after a code edit before the code is read back into metadata. */
const CODE_SYNC_DELAY_MS = 300;

/** The fancyflow state of one notebook. */
export class NotebookFlow implements INotebookFlow {
  readonly connection: KernelConnection;
  readonly workflow = new WorkflowModel();
  private stepList: StepDescriptor[] = [];
  private state: WorkflowState | undefined;
  private currentProblem: string | undefined;
  private readonly stepsChangedSignal = new Signal<this, readonly StepDescriptor[]>(this);
  private readonly metadataChangedSignal = new Signal<this, string>(this);
  private readonly watched = new Set<ICellModel>();
  private readonly codeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private docTimer: ReturnType<typeof setTimeout> | undefined;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly finishedEvents: Extract<RunEvent, { type: 'step-status' }>[] = [];
  private disposed = false;

  constructor(
    readonly panel: NotebookPanel,
    private readonly settings: () => IFancyflowSettings,
  ) {
    this.connection = new KernelConnection(panel.sessionContext, {
      kernelName: settings().kernelName,
      timeoutMs: settings().requestTimeoutMs,
      store: () => settings().defaultStore,
    });
    this.workflow.connection = this.connection.status;
    this.connection.statusChanged.connect((_, status) => {
      this.workflow.connection = status;
      if (status.kind === 'restarting' || status.kind === 'dead' || status.kind === 'starting') {
        this.workflow.resetStatuses();
        this.state = undefined;
      }
      if (status.kind !== 'connected' && this.stepList.length > 0) {
        this.stepList = [];
        this.stepsChangedSignal.emit(this.stepList);
      }
    });
    this.connection.connected.connect(() => void this.onConnected());
    this.connection.pushed.connect((_, push) => this.onPush(push));
    void panel.context.ready.then(() => {
      if (this.disposed) return;
      const model = panel.content.model;
      if (!model) return;
      model.cells.changed.connect(this.onCellsChanged, this);
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
      id: c.id,
      cellType: c.type,
      metadata: c.getMetadata(NOTEBOOK_METADATA_KEY),
    }));
  }

  private cellModel(cellId: string): ICellModel | undefined {
    return this.cellModels.find((c) => c.id === cellId);
  }

  stepMetadata(cellId: string): CellMetadata | undefined {
    const cell = this.cellModel(cellId);
    return cell && cell.type === 'code'
      ? readCellMetadata(cell.getMetadata(NOTEBOOK_METADATA_KEY))
      : undefined;
  }

  private writeMetadata(cellId: string, metadata: CellMetadata): void {
    const cell = this.cellModel(cellId);
    if (!cell) return;
    if (jsonEqual(cell.getMetadata(NOTEBOOK_METADATA_KEY), metadata)) return;
    cell.setMetadata(NOTEBOOK_METADATA_KEY, metadata);
    // metadataChanged of the cell schedules the document update and tells the views
  }

  /** The notebook's saved workflow document, if it has one. */
  private savedDocument(): WorkflowDocument | undefined {
    return readNotebookWorkflow(this.panel.content.model?.getMetadata(NOTEBOOK_METADATA_KEY));
  }

  /** The workflow from the cells, written to the notebook metadata when it differs. */
  private currentDocument(): WorkflowDocument {
    return workflowFromCells(this.snapshots(), this.savedDocument());
  }

  /** A saved notebook shows its workflow at once, every step pending. */
  private showSavedWorkflow(): void {
    const document = this.currentDocument();
    this.workflow.setDocument(document);
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
      const events = this.finishedEvents.splice(0);
      if (this.disposed || events.length === 0) return;
      const snapshots = this.snapshots();
      for (const event of events) {
        const update = updateFromReport(snapshots, event);
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
      model.setMetadata(NOTEBOOK_METADATA_KEY, document as unknown as JsonValue);
    }
    this.workflow.setSteps(document.steps);
  }

  private onCellsChanged(): void {
    const present = new Set(this.cellModels);
    for (const cell of [...this.watched]) {
      if (!present.has(cell)) {
        this.watched.delete(cell);
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
    cell.contentChanged.connect(this.onContentChanged, this);
    cell.metadataChanged.connect(this.onCellMetadataChanged, this);
  }

  private onCellMetadataChanged(cell: ICellModel, change: { key: string }): void {
    if (change.key !== NOTEBOOK_METADATA_KEY) return;
    this.scheduleDocumentUpdate();
    this.metadataChangedSignal.emit(cell.id);
  }

  private onContentChanged(cell: ICellModel): void {
    if (cell.type !== 'code' || !readCellMetadata(cell.getMetadata(NOTEBOOK_METADATA_KEY))) return;
    const id = cell.id;
    const timer = this.codeTimers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.codeTimers.set(
      id,
      setTimeout(() => {
        this.codeTimers.delete(id);
        this.syncCodeToMetadata(id);
      }, CODE_SYNC_DELAY_MS),
    );
  }

  /** Reads a step cell's code back into its metadata (or marks it custom code). */
  syncCodeToMetadata(cellId: string): void {
    const cell = this.cellModel(cellId);
    const previous = this.stepMetadata(cellId);
    if (!cell || !previous) return;
    const parsed = parseStepCode(cell.sharedModel.getSource());
    if (!parsed.ok) {
      this.writeMetadata(cellId, markCustomCode(previous));
      return;
    }
    const step = this.stepList.find((s) => s.slug === parsed.call.slug);
    // without the step's schema the defaults are unknown: wait for the kernel's steps
    if (!step) return;
    const names = nameIndex(this.snapshots(), this.state?.names);
    this.writeMetadata(cellId, metadataFromCall(cellId, parsed.call, step, names, previous));
  }

  // ---- the kernel ----------------------------------------------------------------------------

  private async onConnected(): Promise<void> {
    try {
      await this.refresh();
    } catch (e) {
      this.setProblem(messageOf(e));
    }
  }

  async refresh(): Promise<void> {
    let { steps } = await this.connection.request({ type: 'list-steps' });
    const saved = this.currentDocument();
    const known = new Set(steps.map((s) => s.slug));
    if (steps.length === 0 || saved.steps.some((s) => !known.has(s.slug))) {
      // a fresh kernel has loaded no step module yet: load the ones the workflow names
      await this.loadModules(saved.modules.length > 0 ? saved.modules : ['fancyflow']);
      ({ steps } = await this.connection.request({ type: 'list-steps' }));
    }
    this.setSteps(steps);
    // code written before the steps were known (or by hand) is read back now
    for (const { cellId } of stepCells(this.snapshots())) this.syncCodeToMetadata(cellId);
    let state = await this.connection.request({ type: 'get-workflow' });
    const document = this.currentDocument();
    if (state.workflow.steps.length === 0 && document.steps.length > 0) {
      // a fresh kernel: give it the notebook's workflow so a run reproduces the outputs
      try {
        state = await this.sendWorkflow(document);
        this.setProblem(undefined);
      } catch (e) {
        this.setProblem(
          `The notebook's workflow could not be loaded into the kernel: ${messageOf(e)}`,
        );
      }
    }
    this.applyState(state);
  }

  /**
   * Imports step modules in the kernel (silently: no output, no history), so their steps register.
   * Failures are left to the next request to report (the steps stay unknown).
   */
  private async loadModules(modules: readonly string[]): Promise<void> {
    const kernel = this.panel.sessionContext.session?.kernel;
    if (!kernel) return;
    const code = modules.map((m) => `import ${quoteModule(m)};`).join('\n');
    const future = kernel.requestExecute({
      code,
      silent: true,
      store_history: false,
      stop_on_error: false,
    });
    await Promise.race([
      future.done.catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, this.settings().requestTimeoutMs)),
    ]);
  }

  private setSteps(steps: StepDescriptor[]): void {
    this.stepList = steps;
    this.stepsChangedSignal.emit(steps);
  }

  private sendWorkflow(document: WorkflowDocument): Promise<WorkflowState> {
    return this.connection.request({
      type: 'set-workflow',
      workflow: document,
      knownCells: this.cellModels.map((c) => c.id),
    });
  }

  private applyState(state: WorkflowState): void {
    this.state = state;
    for (const update of updatesFromState(this.snapshots(), state)) {
      this.writeMetadata(update.cellId, update.metadata);
    }
    this.updateDocument();
    this.workflow.applyState(state);
  }

  private onPush(push: Push): void {
    switch (push.type) {
      case 'event': {
        const event = push.event;
        this.workflow.applyEvent(event);
        if (
          event.type === 'step-status' &&
          event.status !== 'running' &&
          event.status !== 'pending'
        ) {
          this.finishedEvents.push(event);
          this.scheduleReportWrites();
        }
        return;
      }
      case 'registry-changed':
        this.setSteps(push.steps);
        return;
      case 'workflow-changed':
        this.applyState(push.state);
        return;
    }
  }

  // ---- actions -------------------------------------------------------------------------------

  cellChoices(index: number, input?: StepInputDescriptor): ICellChoice[] {
    return cellChoices(
      { cells: this.cellModels.map(choiceCell), kernel: this.state, steps: this.stepList },
      index,
      input,
    );
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
    const index = Math.max(0, Math.min(below + 1, model.cells.length));
    const wiring: Record<string, string> = {};
    for (const [argument, input] of Object.entries(step.inputs)) {
      const chosen = options.wiring?.[argument];
      const fallback = chosen ? undefined : preferredChoice(this.cellChoices(index - 1, input));
      if (chosen) wiring[argument] = chosen;
      else if (!input.optional && fallback) wiring[argument] = fallback.reference;
    }
    const snapshots = this.snapshots();
    const taken = new Set([...nameIndex(snapshots, this.state?.names).keys()]);
    const name = uniqueName(slug, taken);
    const config = withDefaults(options.config ?? {}, step.config);
    const call = {
      slug,
      wiring,
      config: withoutDefaults(config, step.config),
      name,
    };
    // each step cell imports what it uses, so it runs on its own (after a restart too)
    const source = generateStepCode(call, { withImport: true });
    const names = nameIndex(snapshots, this.state?.names);
    const shared = model.sharedModel.insertCell(index, { cell_type: 'code', source, metadata: {} });
    const cellId = shared.getId();
    const metadata = metadataFromCall(cellId, call, step, names, undefined);
    const cell = this.cellModel(cellId);
    cell?.setMetadata(NOTEBOOK_METADATA_KEY, metadata);
    notebook.activeCellIndex = index;
    this.updateDocument();
    if (options.run ?? this.settings().runOnInsert) {
      await NotebookActions.run(notebook, this.panel.sessionContext);
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

  async run(mode: 'all' | 'from' | 'step', stepId?: string): Promise<RunReport> {
    // pending code edits first, then make sure the kernel runs what the notebook shows
    for (const [id, timer] of [...this.codeTimers]) {
      clearTimeout(timer);
      this.codeTimers.delete(id);
      this.syncCodeToMetadata(id);
    }
    const document = this.currentDocument();
    const state = this.state ?? (await this.connection.request({ type: 'get-workflow' }));
    if (!jsonEqual(state.workflow.steps, document.steps)) {
      try {
        this.applyState(await this.sendWorkflow(document));
        this.setProblem(undefined);
      } catch (e) {
        this.setProblem(`The workflow could not be sent to the kernel: ${messageOf(e)}`);
        throw e;
      }
    }
    const body =
      stepId === undefined
        ? { type: 'run' as const, mode }
        : { type: 'run' as const, mode, stepId };
    return this.connection.request(body, { timeoutMs: 0 });
  }

  async cancel(): Promise<boolean> {
    const { cancelled } = await this.connection.request({ type: 'cancel' });
    return cancelled;
  }

  /** Stops following the notebook and the kernel. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const timer of this.codeTimers.values()) clearTimeout(timer);
    if (this.docTimer !== undefined) clearTimeout(this.docTimer);
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    this.connection.dispose();
    Signal.clearData(this);
    Signal.clearData(this.workflow);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

function quoteModule(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A user-facing sentence for anything thrown. */
export function messageOf(e: unknown): string {
  if (isFancyflowError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
