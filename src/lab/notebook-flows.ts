/**
 * The flows of every open notebook (one {@link NotebookFlow} each, with its badges), and the one
 * of the current notebook, which the palette and the workflow panel show.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';
import { NotebookFlow } from './notebook-flow';
import { StatusBadges } from './status-badge';
import { confirmUntrustedRun } from './trust-dialog';
import type { IFancyflowSettings, INotebookFlow, INotebookFlows } from './tokens';

/** The defaults of the settings (`schema/lab/notebook.json` says the same). */
export const DEFAULT_SETTINGS: IFancyflowSettings = {
  kernelName: 'fancyflow',
  defaultStore: 'memory',
  queue: '',
  runOnInsert: false,
  requestTimeoutMs: 30_000,
};

/** Settings as stored (unchecked) → settings in force. */
export function readSettings(
  raw: Partial<Record<keyof IFancyflowSettings, unknown>>,
): IFancyflowSettings {
  const out = { ...DEFAULT_SETTINGS };
  if (typeof raw.kernelName === 'string' && raw.kernelName.trim())
    out.kernelName = raw.kernelName.trim();
  if (typeof raw.defaultStore === 'string' && raw.defaultStore.trim())
    out.defaultStore = raw.defaultStore.trim();
  if (typeof raw.queue === 'string') out.queue = raw.queue.trim();
  if (typeof raw.runOnInsert === 'boolean') out.runOnInsert = raw.runOnInsert;
  if (typeof raw.requestTimeoutMs === 'number' && raw.requestTimeoutMs >= 1000) {
    out.requestTimeoutMs = raw.requestTimeoutMs;
  }
  return out;
}

/** Tracks the notebooks' flows. */
export class NotebookFlows implements INotebookFlows {
  private readonly flows = new Map<NotebookPanel, NotebookFlow>();
  private readonly currentChangedSignal = new Signal<this, INotebookFlow | null>(this);
  private currentFlow: INotebookFlow | null = null;
  settings: IFancyflowSettings = { ...DEFAULT_SETTINGS };

  constructor(tracker: INotebookTracker) {
    tracker.widgetAdded.connect((_, panel) => this.add(panel));
    tracker.forEach((panel) => this.add(panel));
    tracker.currentChanged.connect((_, panel) => this.setCurrent(panel));
    this.setCurrent(tracker.currentWidget);
  }

  get current(): INotebookFlow | null {
    return this.currentFlow;
  }

  get currentChanged(): ISignal<this, INotebookFlow | null> {
    return this.currentChangedSignal;
  }

  get(panel: NotebookPanel): INotebookFlow | undefined {
    return this.flows.get(panel);
  }

  private add(panel: NotebookPanel): NotebookFlow {
    let flow = this.flows.get(panel);
    if (flow) return flow;
    flow = new NotebookFlow(panel, {
      settings: () => this.settings,
      confirmUntrusted: confirmUntrustedRun,
    });
    const badges = new StatusBadges(flow);
    this.flows.set(panel, flow);
    panel.disposed.connect(() => {
      badges.dispose();
      this.flows.delete(panel);
      if (this.currentFlow === flow) this.setCurrent(null);
    });
    return flow;
  }

  private setCurrent(panel: NotebookPanel | null): void {
    const flow = panel && !panel.isDisposed ? this.add(panel) : null;
    if (flow === this.currentFlow) return;
    this.currentFlow = flow;
    this.currentChangedSignal.emit(flow);
  }
}
