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
import { FORMAT_VERSION, type StepStatus, type WorkflowDocument } from '../core/format';
import { freshness, type Freshness, type StepRecord } from '../core/freshness';
import type { RunEvent, RunStatus, StepReport } from '../core/orchestrator';
import { toStepReport } from '../core/step-report';
import type { SerializedStep } from '../core/workflow-step';
import type { WorkflowState } from '../protocol/messages';
import type { ConnectionStatus } from './connection-status';
import { badgeState, type BadgeState } from './staleness';

/** One step as the panel shows it. */
export interface StepView {
  step: SerializedStep;
  status: StepStatus;
  /** The latest report for the step (from this kernel, or saved in the notebook). */
  report?: StepReport;
  /** True when the report is the one saved in the notebook (this kernel has not run the step). */
  saved?: boolean;
  /** What the badge shows: the status, `cached`, `stale` or `upstream-stale`. */
  state: BadgeState;
  /** What produced the step's last output (from this kernel, or saved in the notebook). */
  record?: StepRecord;
  /** Whether the last run still holds for the step as written now, and why not. */
  freshness?: Freshness;
}

/** What is known now that the freshness check compares the last runs against. */
export interface FreshnessFacts {
  /** Slug → the fingerprint of the step's code in the kernel (list-steps). */
  code: Readonly<Record<string, string>>;
  /** Slug → false for a step that opts out of the cache. */
  cacheable: Readonly<Record<string, boolean>>;
  /** Cell id → the fingerprint of a non-step input cell, where the kernel knows it. */
  fingerprints: Readonly<Record<string, string>>;
}

const NO_FACTS: FreshnessFacts = { code: {}, cacheable: {}, fingerprints: {} };

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
  private savedRecords: ReadonlyMap<string, StepRecord> = new Map();
  /** The records of this kernel's runs: from its events, and of its store's outputs. */
  private readonly kernelRecords = new Map<string, StepRecord>();
  private facts: FreshnessFacts = NO_FACTS;
  /** The freshness of every step, computed when first asked for after a change. */
  private verdicts: Map<string, Freshness> | undefined;
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

  /** The steps in order, without their statuses. */
  get serializedSteps(): readonly SerializedStep[] {
    return this.list;
  }

  /** The step with this id, with its status. */
  stepView(stepId: string): StepView | undefined {
    const step = this.list.find((s) => s.id === stepId);
    return step && this.view(step);
  }

  /**
   * A step's view; `judge: false` leaves out the freshness check when it would have to be
   * recomputed (a run event's view: the badges catch up with the next frame's full render).
   */
  private view(step: SerializedStep, judge = true): StepView {
    const verdict = judge || this.verdicts ? this.freshnessOf(step.id) : undefined;
    const report = this.reports.get(step.id);
    const saved = report ? undefined : this.saved.get(step.id);
    const latest = report ?? saved;
    const status = latest?.status ?? 'pending';
    const record = this.lastRecord(step.id);
    const view: StepView = {
      step,
      status,
      state: badgeState(status, { freshness: verdict, recorded: record !== undefined }),
    };
    if (latest) view.report = latest;
    if (saved) view.saved = true;
    if (record) view.record = record;
    if (verdict) view.freshness = verdict;
    return view;
  }

  /**
   * The record of a step's last run: this kernel's (its latest report, else its output in the
   * store), else the one saved in its cell.
   */
  lastRecord(stepId: string): StepRecord | undefined {
    return this.kernelRecords.get(stepId) ?? this.savedRecords.get(stepId);
  }

  private freshnessOf(stepId: string): Freshness | undefined {
    if (!this.verdicts) {
      const facts = this.facts;
      const document: WorkflowDocument = {
        formatVersion: FORMAT_VERSION,
        steps: this.list,
        modules: [],
        definitions: {},
        metadata: {},
      };
      const verdicts = freshness(document, (id) => this.lastRecord(id), {
        code: (slug) => facts.code[slug],
        fingerprint: (cellId) => facts.fingerprints[cellId],
        cacheable: (slug) => facts.cacheable[slug] !== false,
      });
      this.verdicts = new Map(verdicts.map((v) => [v.stepId, v]));
    }
    return this.verdicts.get(stepId);
  }

  /** The freshness of every step, in order. */
  get freshness(): Freshness[] {
    return this.list
      .map((s) => this.freshnessOf(s.id))
      .filter((v): v is Freshness => v !== undefined);
  }

  /** Takes what is known now of the steps' code and the input cells (the kernel's view). */
  setFacts(facts: FreshnessFacts): void {
    // the same facts again (every state push of a run brings them) change no verdict
    const now = this.facts;
    if (
      sameEntries(now.code, facts.code) &&
      sameEntries(now.cacheable, facts.cacheable) &&
      sameEntries(now.fingerprints, facts.fingerprints)
    )
      return;
    this.facts = facts;
    this.verdicts = undefined;
    this.changedSignal.emit();
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
    savedRecords: ReadonlyMap<string, StepRecord> = new Map(),
  ): void {
    this.list = steps.map((s) => ({ ...s, wiring: { ...s.wiring }, config: { ...s.config } }));
    this.saved = saved;
    this.savedRecords = savedRecords;
    this.verdicts = undefined;
    const ids = new Set(this.list.map((s) => s.id));
    for (const id of [...this.reports.keys()]) if (!ids.has(id)) this.reports.delete(id);
    this.changedSignal.emit();
  }

  /** Shows a saved document: its steps with their saved statuses. */
  setDocument(
    document: WorkflowDocument,
    saved?: ReadonlyMap<string, StepReport>,
    savedRecords?: ReadonlyMap<string, StepRecord>,
  ): void {
    this.reports.clear();
    this.kernelRecords.clear();
    this.currentRun = undefined;
    this.setSteps(document.steps, saved, savedRecords);
  }

  /** Forgets the kernel's statuses (a restart): every step as saved in the notebook, no run. */
  resetStatuses(): void {
    this.reports.clear();
    this.kernelRecords.clear();
    this.verdicts = undefined;
    if (this.currentRun && this.currentRun.status === undefined) {
      this.currentRun = { ...this.currentRun, status: 'cancelled' };
    }
    this.changedSignal.emit();
  }

  /**
   * Takes the kernel's statuses (a `get-workflow` reply, a `workflow-changed` push, or the state a
   * `workflow-patch` made). With `stepIds`, only those steps' statuses and records are taken (the
   * others are known unchanged: a patch names what it changed), and nothing is redone when none
   * is given.
   */
  applyState(
    state: Pick<WorkflowState, 'statuses' | 'records'>,
    stepIds?: readonly string[],
  ): void {
    if (stepIds === undefined) {
      this.reports.clear();
      this.kernelRecords.clear();
      for (const [id, record] of Object.entries(state.records ?? {}))
        this.kernelRecords.set(id, record);
      for (const [id, report] of Object.entries(state.statuses)) {
        this.reports.set(id, report);
        if (report.record) this.kernelRecords.set(id, report.record);
      }
    } else {
      if (stepIds.length === 0) return;
      const records = state.records ?? {};
      for (const id of stepIds) {
        const report = Object.hasOwn(state.statuses, id) ? state.statuses[id] : undefined;
        const record = report?.record ?? (Object.hasOwn(records, id) ? records[id] : undefined);
        if (report) this.reports.set(id, report);
        else this.reports.delete(id);
        if (record) this.kernelRecords.set(id, record);
        else this.kernelRecords.delete(id);
      }
    }
    this.verdicts = undefined;
    this.changedSignal.emit();
  }

  /** Applies one kernel event (a step's status). Returns the step it changed, if any. */
  applyEvent(event: RunEvent): StepView | undefined {
    if (event.type !== 'step-status') return undefined;
    const report = toStepReport(event);
    this.reports.set(event.stepId, report);
    // a finished step's record can change what is fresh downstream; the rest keep the verdicts
    if (report.record !== undefined) {
      this.kernelRecords.set(event.stepId, report.record);
      this.verdicts = undefined;
    }
    const step = this.list.find((s) => s.id === event.stepId);
    if (!step) {
      this.changedSignal.emit();
      return undefined;
    }
    const view = this.view(step, false);
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
    for (const step of this.list) out[this.view(step, false).status]++;
    return out;
  }
}

function sameEntries<T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
  );
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

/**
 * One formatter for the counts that are not plain integers: `toLocaleString` builds a new one per
 * call (~20 µs), and even a shared `Intl.NumberFormat` was the largest item of ours in the page's
 * profile of a run-all (badges and panel rows format every step's shape): integers, what shapes
 * hold, are grouped by hand.
 */
const COUNT = new Intl.NumberFormat('en-US');

/** `12,000` for 12000: an integer's digits grouped by three, as `COUNT` does. */
function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return COUNT.format(n);
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** `398 × 9` for a `[rows, columns]` shape, `12` for `[12]`, empty when unknown. */
export function formatShape(shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return '';
  return shape.map(formatCount).join(' × ');
}
