/**
 * The workflow panel (right sidebar) of the current notebook: the connection state in words, run
 * all / cancel and a progress bar, the active step's editor, the steps in order (wiring, live
 * status, time, output shape, run from here / run this step) and the wiring picture.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { NOTEBOOK_METADATA_KEY } from '../core/format';
import { canOfferKernelChange, describeConnection } from './connection-status';
import { readCellMetadata } from './cell-metadata';
import { StepEditor } from './step-editor';
import { badgeText } from './status-badge';
import type { INotebookFlow, INotebookFlows } from './tokens';
import { WiringPicture } from './wiring-picture';
import { formatDuration, formatShape, type StepView } from './workflow-model';

/** What the panel asks of the app. */
export interface IWorkflowPanelActions {
  run(mode: 'all' | 'from' | 'step', stepId?: string): void;
  cancel(): void;
  changeKernel(): void;
  /** Makes the step's cell the active cell and scrolls to it. */
  selectStep(stepId: string): void;
}

/** The workflow panel. */
export class WorkflowPanel extends ReactWidget {
  private flow: INotebookFlow | null = null;

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

  /** Re-renders at the next animation frame (lumino conflates update requests). */
  private refresh(): void {
    this.update();
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
  const labels = labelsOf(steps);
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
      <div className="jp-fancyflow-Toolbar">
        <button
          className="jp-fancyflow-Button jp-mod-accept"
          disabled={!connected || running || steps.length === 0}
          onClick={() => actions.run('all')}
        >
          Run all
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
          {counts.failed > 0 && ` · ${counts.failed} failed`}
          {counts.skipped > 0 && ` · ${counts.skipped} skipped`}
        </span>
      </div>
      {run && (
        <div className="jp-fancyflow-Progress" data-status={run.status ?? 'running'}>
          <progress max={run.stepIds.length || 1} value={run.done} aria-label="Run progress" />
          <span className="jp-fancyflow-Progress-text">
            {run.status === undefined
              ? `Running: ${run.done} of ${run.stepIds.length} steps`
              : `Run ${run.status}: ${run.done} of ${run.stepIds.length} steps in ${formatDuration(run.durationMs)}`}
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
              labels={labels}
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
          <WiringPicture steps={steps} onSelect={(id) => actions.selectStep(id)} />
        </details>
      )}
    </div>
  );
}

function labelsOf(steps: StepView[]): Map<string, string> {
  return new Map(
    steps.map((s, i) => [s.step.id, s.step.name ?? `${s.step.title ?? s.step.slug} [${i + 1}]`]),
  );
}

interface IStepRowProps {
  view: StepView;
  index: number;
  labels: Map<string, string>;
  active: boolean;
  connected: boolean;
  running: boolean;
  actions: IWorkflowPanelActions;
}

function StepRow(props: IStepRowProps): React.ReactElement {
  const { view, labels, actions } = props;
  const { step, report } = view;
  const wiring = Object.entries(step.wiring);
  const error = report?.error;
  return (
    <li
      className={`jp-fancyflow-StepRow${props.active ? ' jp-mod-active' : ''}`}
      data-step-id={step.id}
      data-status={view.status}
      data-shape={view.status === 'completed' ? formatShape(report?.summary?.shape) : ''}
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
        <span className="jp-fancyflow-StatusBadge jp-mod-inline" data-status={view.status}>
          {badgeText(view)}
        </span>
      </div>
      <div className="jp-fancyflow-StepRow-details">
        {wiring.length > 0 && (
          <span className="jp-fancyflow-StepRow-wiring">
            {wiring.map(([arg, ref]) => `${arg} ← ${labels.get(ref) ?? ref}`).join(', ')}
          </span>
        )}
      </div>
      {error && (view.status === 'failed' || view.status === 'skipped') && (
        <div className="jp-fancyflow-StepRow-error">{error.message}</div>
      )}
      <div className="jp-fancyflow-StepRow-actions">
        <button
          className="jp-fancyflow-Button"
          disabled={!props.connected || props.running}
          onClick={() => actions.run('from', step.id)}
          title="Run this step and every step after it"
        >
          Run from here
        </button>
        <button
          className="jp-fancyflow-Button"
          disabled={!props.connected || props.running}
          onClick={() => actions.run('step', step.id)}
          title="Run only this step (its inputs come from the store)"
        >
          Run this step
        </button>
      </div>
    </li>
  );
}
