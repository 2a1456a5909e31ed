/**
 * The status badge of each step cell (pending, running, completed, cached, failed, skipped,
 * cancelled, with the time taken; stale or upstream stale once something it reads was edited,
 * with the reasons on hover) and, for a step that did not complete, why, under the code. A status
 * saved in the notebook (this kernel has not run the step) is marked as such. Badges change in the
 * same task as the kernel's event arrives: a run event touches one badge's text and class, nothing
 * else; the freshness of the other steps follows with the next frame (at most every 100 ms).
 */
import type { Cell } from '@jupyterlab/cells';
import type { IDisposable } from '@lumino/disposable';
import { hasOutput, type StepStatus } from '../core/format';
import type { INotebookFlow } from './tokens';
import { cellLabels } from './labels';
import { Throttle } from './throttle';
import { staleTitle, stateText, type BadgeState } from './staleness';
import { formatDuration, formatShape, type StepView } from './workflow-model';

const LINE = 'jp-fancyflow-CellStatus';
const BADGE = 'jp-fancyflow-StatusBadge';
const ERROR = 'jp-fancyflow-CellStatus-error';
const OUTPUTS = 'jp-Cell-outputWrapper';

/** The text of a badge: `completed · 12 ms`, `cached · 85 × 11`, `stale`, `running…`. */
export function badgeText(
  view: Pick<StepView, 'status' | 'report'> & { state?: BadgeState },
): string {
  const { status, report } = view;
  const state = view.state ?? status;
  if (state === 'running') return 'running…';
  if (state === 'stale' || state === 'upstream-stale') return stateText(state);
  const parts: string[] = [state];
  if (state === 'completed' || state === 'cached') {
    const shape = formatShape(report?.summary?.shape);
    if (shape) parts.push(shape);
  }
  const time = formatDuration(report?.durationMs);
  if (time && status !== 'pending') parts.push(time);
  return parts.join(' · ');
}

/**
 * The hover text of a badge: the step and its state, the reasons it is stale (cells and steps
 * named by `label`), and whether the status is the one saved in the notebook.
 */
export function badgeTitle(
  view: Pick<StepView, 'status' | 'saved' | 'freshness'> & { state?: BadgeState },
  title: string | undefined,
  label: (cellOrStepId: string) => string,
): string {
  const state = view.state ?? view.status;
  const reasons = view.freshness?.reasons ?? [];
  const what =
    (state === 'stale' || state === 'upstream-stale') && reasons.length > 0
      ? staleTitle(state, reasons, label)
      : stateText(state);
  const head = title ? `${title}: ${what}` : what;
  return view.saved ? `${head}\n(as saved in the notebook: this kernel has not run it)` : head;
}

/**
 * Writes a cell's status line (the badge, and the error of a failed or skipped step) between its
 * input and its output; removes it when `view` is undefined. `label` names the cells and steps in
 * the reasons of a stale step.
 */
export function renderBadge(
  cell: Cell,
  view: StepView | undefined,
  title?: string,
  label: (cellOrStepId: string) => string = (id) => id,
): void {
  const last = rendered.get(cell);
  if (view && last && drawn(cell, last, view, title)) return;
  let line = cell.node.querySelector<HTMLElement>(`:scope > .${LINE}`);
  if (!view) {
    line?.remove();
    rendered.delete(cell);
    return;
  }
  if (!line) {
    line = document.createElement('div');
    line.className = LINE;
    line.dataset['stepId'] = view.step.id;
    const badge = document.createElement('span');
    badge.className = BADGE;
    badge.setAttribute('role', 'status');
    const error = document.createElement('span');
    error.className = ERROR;
    line.append(badge, error);
  }
  // between the code and its outputs (whose wrapper a lazily rendered cell adds later)
  const outputs = cell.node.querySelector(`:scope > .${OUTPUTS}`);
  if (line.nextElementSibling !== outputs || line.parentElement !== cell.node) {
    cell.node.insertBefore(line, outputs);
  }
  const badge = line.firstElementChild as HTMLElement;
  const error = line.lastElementChild as HTMLElement;
  const text = badgeText(view);
  if (badge.textContent !== text) badge.textContent = text;
  setStatusClass(badge, view.status);
  setStatusClass(line, view.status);
  if (badge.dataset['state'] !== view.state) badge.dataset['state'] = view.state;
  const saved = view.saved === true;
  if ((badge.dataset['saved'] === 'true') !== saved) {
    if (saved) badge.dataset['saved'] = 'true';
    else delete badge.dataset['saved'];
  }
  const hover = badgeTitle(view, title, label);
  if (badge.title !== hover) badge.title = hover;
  const message = !hasOutput(view.status) ? view.report?.error?.message : undefined;
  const code = view.report?.error?.code;
  const errorText = message ? (code ? `${code}: ${message}` : message) : '';
  if (error.textContent !== errorText) error.textContent = errorText;
  rendered.set(cell, {
    line,
    stepId: view.step.id,
    status: view.status,
    state: view.state,
    saved: saved,
    report: view.report,
    title,
  });
}

/** What a cell's status line was last drawn from. */
interface Drawn {
  line: HTMLElement;
  stepId: string;
  status: StepStatus;
  state: BadgeState;
  saved: boolean;
  report: StepView['report'];
  title: string | undefined;
}

/**
 * Each cell's status line as last drawn: the badges are redrawn every 100 ms during a run, and
 * most of them show what they showed (finding the line, formatting its text and title and
 * reading its attributes back was O(cells) work ten times a second).
 */
const rendered = new WeakMap<Cell, Drawn>();

/**
 * True when the line shows `view` already and sits where it belongs. A stale badge's title names
 * cells and steps, whose labels may have changed: it is always redrawn.
 */
function drawn(cell: Cell, last: Drawn, view: StepView, title: string | undefined): boolean {
  const line = last.line;
  return (
    view.state !== 'stale' &&
    view.state !== 'upstream-stale' &&
    last.stepId === view.step.id &&
    last.status === view.status &&
    last.state === view.state &&
    last.saved === (view.saved === true) &&
    last.report === view.report &&
    last.title === title &&
    line.parentElement === cell.node &&
    line.nextElementSibling?.classList.contains(OUTPUTS) === true
  );
}

function setStatusClass(node: HTMLElement, status: StepStatus): void {
  if (node.dataset['status'] !== status) node.dataset['status'] = status;
}

/**
 * Keeps the badges of one notebook's step cells in line with its workflow model.
 *
 * @example
 * const badges = new StatusBadges(flow); // disposed with the notebook
 */
export class StatusBadges implements IDisposable {
  private disposed = false;
  private scheduled = false;
  /**
   * Cell id → its widget, until the cells change: a cell reads its id from the shared (Yjs) model,
   * and each run event looked its cell up through all of them.
   */
  private readonly widgets = new Map<string, Cell>();
  /** Every badge is redrawn at the next frame, at most every 100 ms during a run. */
  private readonly redraw = new Throttle(() => this.nextFrame(), 100);

  constructor(private readonly flow: INotebookFlow) {
    flow.workflow.stepChanged.connect(this.onStepChanged, this);
    flow.workflow.changed.connect(this.schedule, this);
    flow.metadataChanged.connect(this.schedule, this);
    flow.panel.content.model?.cells.changed.connect(this.onCellsChanged, this);
    flow.panel.content.activeCellChanged.connect(this.schedule, this);
    void flow.panel.context.ready.then(() => {
      flow.panel.content.model?.cells.changed.connect(this.onCellsChanged, this);
      this.schedule();
    });
  }

  private onCellsChanged(): void {
    this.widgets.clear();
    this.schedule();
  }

  private cellWidget(cellId: string): Cell | undefined {
    const known = this.widgets.get(cellId);
    if (known && !known.isDisposed) return known;
    this.widgets.clear();
    for (const widget of this.flow.panel.content.widgets) this.widgets.set(widget.model.id, widget);
    return this.widgets.get(cellId);
  }

  private onStepChanged(_: unknown, view: StepView): void {
    const cell = this.cellWidget(view.step.id);
    if (cell) renderBadge(cell, view, view.step.title ?? view.step.name);
  }

  private schedule(): void {
    if (!this.disposed) this.redraw.request();
  }

  private nextFrame(): void {
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.renderAll();
    });
  }

  /** Renders every badge (after structural changes: cells added, moved, metadata edited). */
  renderAll(): void {
    if (this.disposed) return;
    const labels = cellLabels(this.flow);
    const label = (id: string) => labels.get(id) ?? this.flow.describeCell(id);
    for (const cell of this.flow.panel.content.widgets) {
      const metadata = this.flow.stepMetadata(cell.model.id);
      if (!metadata) {
        renderBadge(cell, undefined);
        continue;
      }
      const view = this.flow.workflow.stepView(metadata.stepId);
      renderBadge(
        cell,
        view ?? {
          step: {
            id: metadata.stepId,
            slug: metadata.slug,
            version: metadata.version,
            wiring: metadata.wiring,
            config: metadata.config,
          },
          status: 'pending',
          state: 'pending',
        },
        metadata.title ?? metadata.name,
        label,
      );
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.redraw.dispose();
    this.flow.workflow.stepChanged.disconnect(this.onStepChanged, this);
    this.flow.workflow.changed.disconnect(this.schedule, this);
    this.flow.metadataChanged.disconnect(this.schedule, this);
    this.flow.panel.content.model?.cells.changed.disconnect(this.onCellsChanged, this);
    this.widgets.clear();
    for (const cell of this.flow.panel.content.widgets) renderBadge(cell, undefined);
  }
}
