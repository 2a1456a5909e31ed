/**
 * The workflow panel (right sidebar) of the current notebook: the connection state in words, run
 * all / run stale / cancel and a progress bar, the active step's editor and lineage, the steps in
 * order (wiring, live status or why it is stale, time, output shape, run from here / run this
 * step, Shift to recompute) and the wiring picture.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { NOTEBOOK_METADATA_KEY, hasOutput } from '../core/format';
import { canOfferKernelChange, describeConnection } from './connection-status';
import { readCellMetadata } from './cell-metadata';
import { cellLabels } from './labels';
import { Lineage } from './lineage';
import { reasonLines } from './staleness';
import { StepEditor } from './step-editor';
import { badgeText, badgeTitle } from './status-badge';
import type { INotebookFlow, INotebookFlows, IRunOptions, RunMode } from './tokens';
import { Throttle } from './throttle';
import { WiringPicture } from './wiring-picture';
import { formatDuration, formatShape, type StepView } from './workflow-model';

/**
 * The panel follows a run at most this often: its 50 rows and the wiring picture took most of
 * the page's main thread during a run-all when redrawn every frame, and the kernel's next events
 * waited behind them (the badges in the cells change at once).
 */
const PANEL_INTERVAL_MS = 200;

/** The key that makes Run this step recompute (named in its tooltip). */
export const FORCE_KEY = 'Shift';

/** What the panel asks of the app. */
export interface IWorkflowPanelActions {
  run(mode: RunMode, target?: string | readonly string[], options?: IRunOptions): void;
  cancel(): void;
  changeKernel(): void;
  /** Makes the step's cell the active cell and scrolls to it. */
  selectStep(stepId: string): void;
}

/** The workflow panel. */
export class WorkflowPanel extends ReactWidget {
  private flow: INotebookFlow | null = null;
  /** lumino conflates update requests per frame; during a run at most every 200 ms. */
  private readonly redraw = new Throttle(() => this.update(), PANEL_INTERVAL_MS);

  constructor(
    private readonly flows: INotebookFlows,
    private readonly actions: IWorkflowPanelActions,
  ) {
    super();
    this.id = 'jp-fancyflow-workflow';
    this.addClass('jp-fancyflow-WorkflowPanel');
    this.title.caption = 'fancyflow workflow';
    flows.currentChanged.connect((_, flow) => this.follow(flow));
    this.follow(flows.current);
  }

  private follow(flow: INotebookFlow | null): void {
    const old = this.flow;
    if (old) {
      old.workflow.changed.disconnect(this.refresh, this);
      old.metadataChanged.disconnect(this.refresh, this);
      old.stepsChanged.disconnect(this.refresh, this);
      old.panel.content.activeCellChanged.disconnect(this.refresh, this);
    }
    this.flow = flow;
    if (flow) {
      flow.workflow.changed.connect(this.refresh, this);
      flow.metadataChanged.connect(this.refresh, this);
      flow.stepsChanged.connect(this.refresh, this);
      flow.panel.content.activeCellChanged.connect(this.refresh, this);
    }
    this.update();
  }

  /** Re-renders at the next animation frame, or once 200 ms passed since the last one. */
  private refresh(): void {
    this.redraw.request();
  }

  override dispose(): void {
    this.redraw.dispose();
    super.dispose();
  }

  protected render(): React.ReactElement {
    return <WorkflowView flow={this.flow} actions={this.actions} />;
  }
}

interface IWorkflowViewProps {
  flow: INotebookFlow | null;
  actions: IWorkflowPanelActions;
}

function WorkflowView(props: IWorkflowViewProps): React.ReactElement {
  const { flow, actions } = props;
  if (!flow) {
    return (
      <div className="jp-fancyflow-WorkflowPanel-body">
        <h2 className="jp-fancyflow-WorkflowPanel-title">Workflow</h2>
        <div className="jp-fancyflow-Notice">{describeConnection({ kind: 'no-notebook' })}</div>
      </div>
    );
  }
  const model = flow.workflow;
  const status = flow.connection.status;
  const message = describeConnection(status);
  const connected = status.kind === 'connected';
  const steps = model.steps;
  const run = model.run;
  const running = model.running;
  const notebook = flow.panel.content;
  const active = notebook.activeCell;
  const activeMetadata =
    active && active.model.type === 'code'
      ? readCellMetadata(active.model.getMetadata(NOTEBOOK_METADATA_KEY))
      : undefined;
  const counts = model.counts;
  const labels = cellLabels(flow);
  const label = (id: string) => labels.get(id) ?? flow.describeCell(id);
  const missing = connected ? missingDefinitions(flow) : undefined;
  const stale = flow.staleSteps();
  return (
    <div className="jp-fancyflow-WorkflowPanel-body">
      <h2 className="jp-fancyflow-WorkflowPanel-title">
        Workflow{' '}
        <span className="jp-fancyflow-WorkflowPanel-notebook">{flow.panel.context.localPath}</span>
      </h2>
      {message && (
        <div className="jp-fancyflow-Notice" role="note">
          <p>{message}</p>
          {canOfferKernelChange(status) && (
            <button className="jp-mod-styled jp-mod-accept" onClick={() => actions.changeKernel()}>
              Change kernel to TypeScript (fancyflow)
            </button>
          )}
        </div>
      )}
      {flow.problem && (
        <div className="jp-fancyflow-Notice jp-mod-error" role="alert">
          {flow.problem}
        </div>
      )}
      {missing && (
        <div className="jp-fancyflow-Notice jp-fancyflow-MissingSteps" role="note">
          <p>
            This kernel has not registered {missing.slugs.map((s) => `“${s}”`).join(', ')} yet.
            {missing.cells.length > 0
              ? ' The notebook defines them in:'
              : ' No cell of this notebook is known to define them: run the cell that does.'}
          </p>
          {missing.cells.length > 0 && (
            <>
              <ul>
                {missing.cells.map((id) => (
                  <li key={id}>
                    <code>{flow.describeCell(id)}</code>
                  </li>
                ))}
              </ul>
              <button
                className="jp-mod-styled jp-mod-accept"
                disabled={running}
                onClick={() => actions.run('cells', missing.cells)}
              >
                Run the cells that define them
              </button>
            </>
          )}
        </div>
      )}
      <div className="jp-fancyflow-Toolbar">
        <button
          className="jp-fancyflow-Button jp-mod-accept"
          disabled={!connected || running || steps.length === 0}
          onClick={(e) => actions.run('all', undefined, { force: e.shiftKey })}
          title={`Run every step cell (and any cell above them this kernel has not run yet). ${FORCE_KEY}-click: recompute every step even when the cache holds its output`}
        >
          Run all
        </button>
        <button
          className="jp-fancyflow-Button"
          disabled={!connected || running || stale.length === 0}
          onClick={() => actions.run('stale')}
          title={
            stale.length === 0
              ? 'Every step is fresh: its last run holds for its config, code and inputs'
              : `Run the stale steps' cells: ${stale.map(label).join(', ')}`
          }
        >
          Run stale
        </button>
        <button
          className="jp-fancyflow-Button jp-mod-warn"
          disabled={!connected || !running}
          onClick={() => actions.cancel()}
        >
          Cancel
        </button>
        <span className="jp-fancyflow-Toolbar-summary">
          {steps.length} steps
          {counts.completed > 0 && ` · ${counts.completed} completed`}
          {counts.cached > 0 && ` · ${counts.cached} cached`}
          {counts.failed > 0 && ` · ${counts.failed} failed`}
          {counts.skipped > 0 && ` · ${counts.skipped} skipped`}
          {counts.cancelled > 0 && ` · ${counts.cancelled} cancelled`}
          {stale.length > 0 && ` · ${stale.length} stale`}
        </span>
      </div>
      {run && (
        <div
          className="jp-fancyflow-Progress"
          data-status={run.status ?? 'running'}
          data-run-id={run.runId}
        >
          <progress max={run.cellIds.length || 1} value={run.done} aria-label="Run progress" />
          <span className="jp-fancyflow-Progress-text">
            {run.status === undefined
              ? `Running: ${run.done} of ${cellCount(run.cellIds.length)}`
              : `Run ${run.status}: ${cellCount(run.cellIds.length)} in ${formatDuration(run.durationMs)}`}
          </span>
        </div>
      )}
      {active && activeMetadata && (
        <StepEditor
          flow={flow}
          cellId={active.model.id}
          cellIndex={notebook.activeCellIndex}
          metadata={activeMetadata}
          view={model.stepView(activeMetadata.stepId)}
        />
      )}
      {active && activeMetadata && (
        <Lineage view={model.stepView(activeMetadata.stepId)} label={label} />
      )}
      {steps.length === 0 ? (
        <div className="jp-fancyflow-Notice">
          This notebook has no steps yet. Insert one from the Steps palette, or run a cell that
          calls a step.
        </div>
      ) : (
        <ol className="jp-fancyflow-StepList">
          {steps.map((view, i) => (
            <StepRow
              key={view.step.id}
              view={view}
              index={i}
              label={label}
              active={active?.model.id === view.step.id}
              connected={connected}
              running={running}
              actions={actions}
            />
          ))}
        </ol>
      )}
      {steps.length > 0 && (
        <details className="jp-fancyflow-WiringDetails" open>
          <summary>Wiring</summary>
          <WiringPicture
            steps={steps}
            cellLabels={labels}
            onSelect={(id) => actions.selectStep(id)}
          />
        </details>
      )}
    </div>
  );
}

function cellCount(n: number): string {
  return n === 1 ? '1 cell' : `${n} cells`;
}

/** The slugs the workflow uses that the kernel lacks, and the cells known to define them. */
function missingDefinitions(flow: INotebookFlow): { slugs: string[]; cells: string[] } | undefined {
  // until the kernel listed its steps (it always has fancyflow's own), nothing is known missing
  if (flow.steps.length === 0) return undefined;
  const plan = flow.plan({ mode: 'all' });
  const registered = new Set(flow.steps.map((s) => s.slug));
  const slugs = [...new Set(flow.workflow.steps.map((s) => s.step.slug))].filter(
    (slug) => !registered.has(slug),
  );
  if (slugs.length === 0) return undefined;
  const definitions = flow.definitionsOf(slugs);
  const cells = [...new Set(Object.values(definitions))].filter((id) => plan.cells.includes(id));
  return { slugs, cells };
}

interface IStepRowProps {
  view: StepView;
  index: number;
  label: (cellOrStepId: string) => string;
  active: boolean;
  connected: boolean;
  running: boolean;
  actions: IWorkflowPanelActions;
}

function StepRow(props: IStepRowProps): React.ReactElement {
  const { view, label, actions } = props;
  const { step, report } = view;
  const wiring = Object.entries(step.wiring);
  const error = report?.error;
  const stale = view.state === 'stale' || view.state === 'upstream-stale';
  return (
    <li
      className={`jp-fancyflow-StepRow${props.active ? ' jp-mod-active' : ''}`}
      data-step-id={step.id}
      data-status={view.status}
      data-state={view.state}
      data-saved={view.saved ? 'true' : undefined}
      data-shape={hasOutput(view.status) ? formatShape(report?.summary?.shape) : ''}
    >
      <div className="jp-fancyflow-StepRow-head">
        <span className="jp-fancyflow-StepRow-index">{props.index + 1}</span>
        <button
          className="jp-fancyflow-StepRow-name"
          onClick={() => actions.selectStep(step.id)}
          title="Go to the cell"
        >
          {step.name ?? step.title ?? step.slug}
        </button>
        <code className="jp-fancyflow-StepRow-slug">{step.slug}</code>
        <span
          className="jp-fancyflow-StatusBadge jp-mod-inline"
          data-status={view.status}
          data-state={view.state}
          data-saved={view.saved ? 'true' : undefined}
          title={badgeTitle(view, undefined, label)}
        >
          {badgeText(view)}
        </span>
      </div>
      <div className="jp-fancyflow-StepRow-details">
        {wiring.length > 0 && (
          <span className="jp-fancyflow-StepRow-wiring">
            {wiring.map(([arg, ref]) => `${arg} ← ${label(ref)}`).join(', ')}
          </span>
        )}
      </div>
      {stale && view.freshness && (
        <ul className="jp-fancyflow-StepRow-reasons" aria-label="Why it is stale">
          {reasonLines(view.freshness.reasons, label).map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
      {error && !hasOutput(view.status) && (
        <div className="jp-fancyflow-StepRow-error">{error.message}</div>
      )}
      <div className="jp-fancyflow-StepRow-actions">
        <button
          className="jp-fancyflow-Button"
          disabled={!props.connected || props.running}
          onClick={() => actions.run('from', step.id)}
          title="Run this step's cell and every step cell after it (and any cell above them this kernel has not run yet)"
        >
          Run from here
        </button>
        <button
          className="jp-fancyflow-Button"
          disabled={!props.connected || props.running}
          onClick={(e) => actions.run('step', step.id, { force: e.shiftKey })}
          title={`Run this step's cell (and any cell above it this kernel has not run yet). ${FORCE_KEY}-click: recompute it even when the cache holds its output`}
        >
          Run this step
        </button>
      </div>
    </li>
  );
}
