/**
 * The editor of the active step cell (top of the workflow panel): its status and error, a picker
 * for each input's cell, and the config form. Edits rewrite the cell's code and metadata; a cell
 * whose code was changed by hand ("custom code") shows its config read-only.
 */
import * as React from 'react';
import { hasOutput, type CellMetadata } from '../core/format';
import { choiceText } from './cell-choices';
import { ConfigForm } from './config-form';
import { describeContract } from './palette-model';
import type { INotebookFlow } from './tokens';
import { badgeText } from './status-badge';
import type { StepView } from './workflow-model';

/** Props of {@link StepEditor}. */
export interface IStepEditorProps {
  flow: INotebookFlow;
  cellId: string;
  cellIndex: number;
  metadata: CellMetadata;
  view: StepView | undefined;
}

/** The active step cell's editor. */
export function StepEditor(props: IStepEditorProps): React.ReactElement {
  const { flow, cellId, cellIndex, metadata, view } = props;
  const step = flow.steps.find((s) => s.slug === metadata.slug);
  const status = view ?? { status: 'pending' as const, state: 'pending' as const };
  const title = metadata.title ?? step?.title ?? metadata.slug;
  const error = view?.report?.error;
  return (
    <section className="jp-fancyflow-StepEditor" aria-label="Active step">
      <div className="jp-fancyflow-StepEditor-head">
        <span className="jp-fancyflow-StepEditor-title">{title}</span>
        {metadata.name && <code className="jp-fancyflow-StepEditor-name">{metadata.name}</code>}
        <span
          className="jp-fancyflow-StatusBadge jp-mod-inline"
          data-status={status.status}
          data-state={status.state}
        >
          {badgeText(status)}
        </span>
      </div>
      {error && !hasOutput(status.status) && (
        <div className="jp-fancyflow-CellError" data-status={status.status}>
          {error.code}: {error.message}
        </div>
      )}
      {!step && (
        <div className="jp-fancyflow-Notice">
          The kernel has no step “{metadata.slug}” registered
          {flow.connection.status.kind === 'connected' ? '' : ' (no fancyflow kernel is connected)'}
          .
        </div>
      )}
      {metadata.customCode && (
        <div className="jp-fancyflow-Notice">
          This cell’s code was changed by hand, so its config is read from the kernel after it runs.
          Edit the config in the code.
        </div>
      )}
      {step && Object.keys(step.inputs).length > 0 && (
        <div className="jp-fancyflow-StepEditor-wiring">
          <h4>Inputs</h4>
          {Object.entries(step.inputs).map(([name, input]) => {
            const current = metadata.wiring[name] ?? '';
            const choices = flow.cellChoices(cellIndex - 1, input);
            const known = choices.some((c) => c.cellId === current);
            return (
              <label
                key={name}
                className="jp-fancyflow-WiringPicker-row"
                title={describeContract(input.schema)}
              >
                <code>{name}</code>
                <select
                  className="jp-mod-styled"
                  aria-label={`Cell for ${name}`}
                  value={choices.find((c) => c.cellId === current)?.reference ?? current}
                  disabled={metadata.customCode === true}
                  onChange={(e) => flow.setStepWiring(cellId, name, e.currentTarget.value)}
                >
                  {(input.optional || !current) && <option value="">(not wired)</option>}
                  {!known && current && <option value={current}>{current}</option>}
                  {choices.map((c) => (
                    <option
                      key={c.cellId}
                      value={c.reference}
                      disabled={!c.fits && c.cellId !== current}
                      title={c.reason}
                    >
                      {choiceText(c)}
                    </option>
                  ))}
                </select>
              </label>
            );
          })}
        </div>
      )}
      {step && (
        <div className="jp-fancyflow-StepEditor-config">
          <h4>Config</h4>
          <ConfigForm
            key={cellId}
            schema={step.config}
            value={metadata.config}
            readOnly={metadata.customCode === true}
            onChange={(config) => flow.setStepConfig(cellId, config)}
          />
        </div>
      )}
    </section>
  );
}
