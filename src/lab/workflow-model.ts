/**
 * The workflow panel's model for one notebook: its steps in notebook order, each step's latest
 * status in the connected kernel, the run in progress, and the connection state. Free of DOM.
 *
 * Run events arrive at the rate steps finish (thousands per second for trivial steps), so applying
 * one touches one map entry and emits `stepChanged` for that step only (badges update from it at
 * once); `changed` makes the panel re-render, and lumino conflates those into one per frame.
 */
import { Signal, type ISignal } from '@lumino/signaling';
import type { StepStatus, WorkflowDocument } from '../core/format';
import type { RunEvent, RunStatus, StepReport } from '../core/orchestrator';
import type { SerializedStep } from '../core/workflow-step';
import type { WorkflowState } from '../protocol/messages';
import type { ConnectionStatus } from './connection-status';

/** One step as the panel shows it. */
export interface StepView {
  step: SerializedStep;
  status: StepStatus;
  /** The latest report for the step in this kernel (absent before it ran). */
  report?: StepReport;
}

/** The run the panel shows progress for. */
export interface RunProgress {
  runId: string;
  /** The steps the run selected, in order. */
  stepIds: string[];
  /** Steps that reached completed, failed or skipped. */
  done: number;
  /** Set when the run finished. */
  status?: RunStatus;
  durationMs?: number;
  startedAt: number;
}

const TERMINAL: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** True for completed, failed, skipped and cancelled. */
export function isTerminal(status: StepStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * The panel state of one notebook.
 *
 * @example
 * const model = new WorkflowModel();
 * model.setDocument(savedDocument); // every step pending
 * connection.pushed.connect((_, push) => push.type === 'event' && model.applyEvent(push.event));
 */
export class WorkflowModel {
  private list: SerializedStep[] = [];
  private readonly reports = new Map<string, StepReport>();
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
    return report ? { step, status: report.status, report } : { step, status: 'pending' };
  }

  /** The run in progress, or the last one. */
  get run(): RunProgress | undefined {
    return this.currentRun;
  }

  /** True while a run goes on. */
  get running(): boolean {
    return this.currentRun !== undefined && this.currentRun.status === undefined;
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
   * Replaces the steps (notebook order), keeping the statuses of steps still present. Steps whose
   * wiring or config changed keep their status too: the kernel's next state or event updates them.
   */
  setSteps(steps: readonly SerializedStep[]): void {
    this.list = steps.map((s) => ({ ...s, wiring: { ...s.wiring }, config: { ...s.config } }));
    const ids = new Set(this.list.map((s) => s.id));
    for (const id of [...this.reports.keys()]) if (!ids.has(id)) this.reports.delete(id);
    this.changedSignal.emit();
  }

  /** Shows a saved document: its steps, every one pending (a fresh kernel has run none). */
  setDocument(document: WorkflowDocument): void {
    this.reports.clear();
    this.currentRun = undefined;
    this.setSteps(document.steps);
  }

  /** Forgets every status (a kernel restart): every step pending, no run. */
  resetStatuses(): void {
    this.reports.clear();
    this.currentRun = undefined;
    this.changedSignal.emit();
  }

  /** Takes the kernel's statuses (a `get-workflow` reply or a `workflow-changed` push). */
  applyState(state: Pick<WorkflowState, 'statuses' | 'running'>): void {
    this.reports.clear();
    for (const [id, report] of Object.entries(state.statuses)) this.reports.set(id, report);
    if (!state.running && this.currentRun && this.currentRun.status === undefined) {
      // the kernel is idle: a run we did not see finish is over
      this.currentRun = { ...this.currentRun, status: 'completed' };
    }
    this.changedSignal.emit();
  }

  /** Applies one run event. Returns the step it changed, if any. */
  applyEvent(event: RunEvent): StepView | undefined {
    switch (event.type) {
      case 'run-started': {
        this.currentRun = {
          runId: event.runId,
          stepIds: [...event.stepIds],
          done: 0,
          startedAt: event.at,
        };
        for (const id of event.stepIds) {
          const step = this.list.find((s) => s.id === id);
          this.reports.set(id, {
            stepId: id,
            slug: step?.slug ?? '',
            name: step?.name ?? step?.slug ?? id,
            status: 'pending',
          });
        }
        this.changedSignal.emit();
        return undefined;
      }
      case 'step-status': {
        const report: StepReport = { ...event };
        delete (report as Partial<typeof event>).type;
        delete (report as Partial<typeof event>).runId;
        delete (report as Partial<typeof event>).at;
        const before = this.reports.get(event.stepId)?.status;
        this.reports.set(event.stepId, report);
        const run = this.currentRun;
        if (
          run &&
          run.runId === event.runId &&
          isTerminal(event.status) &&
          !(before && isTerminal(before))
        ) {
          run.done = Math.min(run.stepIds.length, run.done + 1);
        }
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
      case 'run-finished': {
        const run = this.currentRun;
        if (run && run.runId === event.runId) {
          this.currentRun = { ...run, status: event.status, durationMs: event.durationMs };
        }
        this.changedSignal.emit();
        return undefined;
      }
    }
  }

  /** Progress of the current run as a fraction in [0, 1] (0 without a run). */
  get progress(): number {
    const run = this.currentRun;
    if (!run || run.stepIds.length === 0) return 0;
    return run.done / run.stepIds.length;
  }

  /** How many steps are in each status. */
  get counts(): Record<StepStatus, number> {
    const out: Record<StepStatus, number> = {
      pending: 0,
      running: 0,
      completed: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    };
    for (const step of this.list) out[this.reports.get(step.id)?.status ?? 'pending']++;
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
