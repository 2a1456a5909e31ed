/**
 * The workflow panel's model for one notebook: its steps in notebook order, each step's status,
 * the run in progress, and the connection state. Free of DOM.
 *
 * A step's status is the kernel's latest report when this kernel ran it, else the one saved in the
 * cell's metadata (what the saved outputs show), else `pending`: badges, panel and outputs tell
 * the same story after a reopen or a restart.
 *
 * Run events arrive at the rate steps finish (thousands per second for trivial steps), so applying
 * one touches one map entry and emits `stepChanged` for that step only (badges update from it at
 * once); `changed` makes the panel re-render, and lumino conflates those into one per frame.
 */
import { Signal, type ISignal } from '@lumino/signaling';
import type { StepStatus, WorkflowDocument } from '../core/format';
import type { RunEvent, RunStatus, StepReport } from '../core/orchestrator';
import { toStepReport } from '../core/step-report';
import type { SerializedStep } from '../core/workflow-step';
import type { WorkflowState } from '../protocol/messages';
import type { ConnectionStatus } from './connection-status';

/** One step as the panel shows it. */
export interface StepView {
  step: SerializedStep;
  status: StepStatus;
  /** The latest report for the step (from this kernel, or saved in the notebook). */
  report?: StepReport;
  /** True when the report is the one saved in the notebook (this kernel has not run the step). */
  saved?: boolean;
}

/** A run started from the panel: the cells it executes, and how far it got. */
export interface RunProgress {
  runId: string;
  /** Every cell the run executes, in order. */
  cellIds: string[];
  /** The step cells among them. */
  stepIds: string[];
  /** Cells whose execution ended (ok, failed or aborted). */
  done: number;
  /** Set when the run finished. */
  status?: RunStatus;
  durationMs?: number;
  startedAt: number;
}

const TERMINAL: ReadonlySet<StepStatus> = new Set([
  'completed',
  'cached',
  'failed',
  'skipped',
  'cancelled',
]);

/** True for completed, cached, failed, skipped and cancelled. */
export function isTerminal(status: StepStatus): boolean {
  return TERMINAL.has(status);
}

let runCounter = 0;

/**
 * The panel state of one notebook.
 *
 * @example
 * const model = new WorkflowModel();
 * model.setSteps(document.steps, savedReports); // statuses as saved
 * connection.pushed.connect((_, push) => push.type === 'event' && model.applyEvent(push.event));
 */
export class WorkflowModel {
  private list: SerializedStep[] = [];
  private readonly reports = new Map<string, StepReport>();
  private saved: ReadonlyMap<string, StepReport> = new Map();
  private currentRun: RunProgress | undefined;
  private currentConnection: ConnectionStatus = { kind: 'no-notebook' };
  private readonly changedSignal = new Signal<this, void>(this);
  private readonly stepChangedSignal = new Signal<this, StepView>(this);

  /** Emitted when anything changes (steps, statuses, run, connection). */
  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  /** Emitted when one step's status changes (badges listen to this). */
  get stepChanged(): ISignal<this, StepView> {
    return this.stepChangedSignal;
  }

  /** The steps in order with their statuses. */
  get steps(): StepView[] {
    return this.list.map((step) => this.view(step));
  }

  /** The step with this id, with its status. */
  stepView(stepId: string): StepView | undefined {
    const step = this.list.find((s) => s.id === stepId);
    return step && this.view(step);
  }

  private view(step: SerializedStep): StepView {
    const report = this.reports.get(step.id);
    if (report) return { step, status: report.status, report };
    const saved = this.saved.get(step.id);
    if (saved) return { step, status: saved.status, report: saved, saved: true };
    return { step, status: 'pending' };
  }

  /** The panel's run in progress, or the last one. */
  get run(): RunProgress | undefined {
    return this.currentRun;
  }

  /** True while a panel run goes on, or a step runs in the kernel. */
  get running(): boolean {
    if (this.currentRun !== undefined && this.currentRun.status === undefined) return true;
    for (const report of this.reports.values()) if (report.status === 'running') return true;
    return false;
  }

  /** The connection to the kernel. */
  get connection(): ConnectionStatus {
    return this.currentConnection;
  }

  set connection(value: ConnectionStatus) {
    this.currentConnection = value;
    this.changedSignal.emit();
  }

  /**
   * Replaces the steps (notebook order) and the statuses saved in their cells, keeping the
   * kernel's statuses of steps still present.
   */
  setSteps(
    steps: readonly SerializedStep[],
    saved: ReadonlyMap<string, StepReport> = new Map(),
  ): void {
    this.list = steps.map((s) => ({ ...s, wiring: { ...s.wiring }, config: { ...s.config } }));
    this.saved = saved;
    const ids = new Set(this.list.map((s) => s.id));
    for (const id of [...this.reports.keys()]) if (!ids.has(id)) this.reports.delete(id);
    this.changedSignal.emit();
  }

  /** Shows a saved document: its steps with their saved statuses. */
  setDocument(document: WorkflowDocument, saved?: ReadonlyMap<string, StepReport>): void {
    this.reports.clear();
    this.currentRun = undefined;
    this.setSteps(document.steps, saved);
  }

  /** Forgets the kernel's statuses (a restart): every step as saved in the notebook, no run. */
  resetStatuses(): void {
    this.reports.clear();
    if (this.currentRun && this.currentRun.status === undefined) {
      this.currentRun = { ...this.currentRun, status: 'cancelled' };
    }
    this.changedSignal.emit();
  }

  /** Takes the kernel's statuses (a `get-workflow` reply or a `workflow-changed` push). */
  applyState(state: Pick<WorkflowState, 'statuses'>): void {
    this.reports.clear();
    for (const [id, report] of Object.entries(state.statuses)) this.reports.set(id, report);
    this.changedSignal.emit();
  }

  /** Applies one kernel event (a step's status). Returns the step it changed, if any. */
  applyEvent(event: RunEvent): StepView | undefined {
    if (event.type !== 'step-status') return undefined;
    const report = toStepReport(event);
    this.reports.set(event.stepId, report);
    const step = this.list.find((s) => s.id === event.stepId);
    if (!step) {
      this.changedSignal.emit();
      return undefined;
    }
    const view: StepView = { step, status: report.status, report };
    this.stepChangedSignal.emit(view);
    this.changedSignal.emit();
    return view;
  }

  /** A panel run starts executing `cellIds`, of which `stepIds` are step cells. */
  beginRun(cellIds: readonly string[], stepIds: readonly string[]): RunProgress {
    this.currentRun = {
      runId: `panel-${++runCounter}`,
      cellIds: [...cellIds],
      stepIds: [...stepIds],
      done: 0,
      startedAt: Date.now(),
    };
    this.changedSignal.emit();
    return this.currentRun;
  }

  /** One cell of the current run finished executing (whatever the outcome). */
  cellDone(runId: string): void {
    const run = this.currentRun;
    if (!run || run.runId !== runId || run.status !== undefined) return;
    run.done = Math.min(run.cellIds.length, run.done + 1);
    this.changedSignal.emit();
  }

  /** The current run ended. */
  endRun(runId: string, status: RunStatus): void {
    const run = this.currentRun;
    if (!run || run.runId !== runId || run.status !== undefined) return;
    this.currentRun = {
      ...run,
      done: run.cellIds.length,
      status,
      durationMs: Date.now() - run.startedAt,
    };
    this.changedSignal.emit();
  }

  /** Progress of the current run as a fraction in [0, 1] (0 without a run). */
  get progress(): number {
    const run = this.currentRun;
    if (!run || run.cellIds.length === 0) return 0;
    return run.done / run.cellIds.length;
  }

  /** How many steps are in each status. */
  get counts(): Record<StepStatus, number> {
    const out: Record<StepStatus, number> = {
      pending: 0,
      running: 0,
      completed: 0,
      cached: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    };
    for (const step of this.list) out[this.view(step).status]++;
    return out;
  }
}

/** `1.2 s`, `35 ms`, `2 min 3 s` for a duration in milliseconds. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `398 × 9` for a `[rows, columns]` shape, `12` for `[12]`, empty when unknown. */
export function formatShape(shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return '';
  return shape.map((n) => n.toLocaleString('en-US')).join(' × ');
}
