/**
 * The step palette (left sidebar): the current notebook's kernel's steps, grouped by category and
 * searchable, each card with its description, inputs and their contracts, output, config fields
 * and traits. "Insert" adds a step cell below the active cell (wired to the previous step); "Wire…"
 * opens a picker to choose each input's cell first. Cards can also be dragged onto the notebook.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { StepDescriptor } from '../core/step';
import {
  describeConnection,
  canOfferKernelChange,
  type ConnectionStatus,
} from './connection-status';
import { choiceText, preferredChoice } from './cell-choices';
import { configFields, describeContract, PaletteModel, type PaletteGroup } from './palette-model';
import type { INotebookFlow, INotebookFlows } from './tokens';

/** The MIME type of a step dragged from the palette (its data is the slug). */
export const STEP_DRAG_MIME = 'application/vnd.fancyflow.step';

/** What the palette asks of the app besides the flows. */
export interface IPaletteActions {
  /** Changes the current notebook's kernel to the fancyflow kernel. */
  changeKernel(): void;
  /** Reports an error the user should see (a failed insert). */
  showError(message: string): void;
}

/** The palette sidebar. */
export class PaletteWidget extends ReactWidget {
  readonly model = new PaletteModel();
  private flow: INotebookFlow | null = null;

  constructor(
    private readonly flows: INotebookFlows,
    private readonly actions: IPaletteActions,
  ) {
    super();
    this.id = 'jp-fancyflow-palette';
    this.addClass('jp-fancyflow-Palette');
    this.title.caption = 'fancyflow steps';
    this.model.changed.connect(() => this.update());
    flows.currentChanged.connect((_, flow) => this.follow(flow));
    this.follow(flows.current);
  }

  private follow(flow: INotebookFlow | null): void {
    if (this.flow) {
      this.flow.stepsChanged.disconnect(this.onSteps, this);
      this.flow.connection.statusChanged.disconnect(this.onStatus, this);
    }
    this.flow = flow;
    if (flow) {
      flow.stepsChanged.connect(this.onSteps, this);
      flow.connection.statusChanged.connect(this.onStatus, this);
    }
    this.onSteps();
    this.onStatus();
  }

  private onSteps(): void {
    this.model.setSteps(this.flow?.steps ?? []);
  }

  private onStatus(): void {
    const status: ConnectionStatus = this.flow
      ? this.flow.connection.status
      : { kind: 'no-notebook' };
    this.model.message = describeConnection(status);
    this.update();
  }

  protected render(): React.ReactElement {
    const status: ConnectionStatus = this.flow
      ? this.flow.connection.status
      : { kind: 'no-notebook' };
    return (
      <PaletteView model={this.model} status={status} flow={this.flow} actions={this.actions} />
    );
  }
}

interface IPaletteViewProps {
  model: PaletteModel;
  status: ConnectionStatus;
  flow: INotebookFlow | null;
  actions: IPaletteActions;
}

function PaletteView(props: IPaletteViewProps): React.ReactElement {
  const { model, status, flow, actions } = props;
  const message = model.message;
  const groups = model.groups;
  return (
    <div className="jp-fancyflow-Palette-body">
      <div className="jp-fancyflow-Palette-header">
        <h2 className="jp-fancyflow-Palette-title">Steps</h2>
        <input
          className="jp-fancyflow-Palette-search jp-mod-styled"
          type="search"
          placeholder="Search steps"
          aria-label="Search steps"
          value={model.query}
          onChange={(e) => {
            model.query = e.currentTarget.value;
          }}
        />
        {!message && (
          <div className="jp-fancyflow-Palette-count">
            {model.matchCount === model.steps.length
              ? `${model.steps.length} steps`
              : `${model.matchCount} of ${model.steps.length} steps`}
          </div>
        )}
      </div>
      {message && (
        <div className="jp-fancyflow-Notice" role="note">
          <p>{message}</p>
          {canOfferKernelChange(status) && flow && (
            <button className="jp-mod-styled jp-mod-accept" onClick={() => actions.changeKernel()}>
              Change kernel to TypeScript (fancyflow)
            </button>
          )}
        </div>
      )}
      {!message && groups.length === 0 && (
        <div className="jp-fancyflow-Notice">
          {model.steps.length === 0
            ? 'The kernel has no steps registered yet. Run a cell that imports fancyflow or defines steps with step().'
            : `No step matches “${model.query}”.`}
        </div>
      )}
      {!message && (
        <PaletteGroups
          groups={groups}
          query={model.query}
          searching={model.searching}
          flow={flow}
          actions={actions}
        />
      )}
    </div>
  );
}

/** Cards rendered at first; more follow as the list is scrolled (1,000 steps stay fast). */
export const PAGE_SIZE = 40;

interface IPaletteGroupsProps {
  groups: PaletteGroup[];
  query: string;
  /** The groups are one ranked list of search results: cards show their category. */
  searching: boolean;
  flow: INotebookFlow | null;
  actions: IPaletteActions;
}

function PaletteGroups(props: IPaletteGroupsProps): React.ReactElement {
  const { groups, flow, actions } = props;
  const [limit, setLimit] = React.useState(PAGE_SIZE);
  const sentinel = React.useRef<HTMLDivElement>(null);
  const total = groups.reduce((n, g) => n + g.steps.length, 0);
  // a new query starts from the top again
  React.useEffect(() => setLimit(PAGE_SIZE), [props.query]);
  React.useEffect(() => {
    const node = sentinel.current;
    if (!node || limit >= total) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setLimit((l) => l + 2 * PAGE_SIZE);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [limit, total]);
  let left = limit;
  const shown: PaletteGroup[] = [];
  for (const group of groups) {
    if (left <= 0) break;
    const steps = group.steps.slice(0, left);
    left -= steps.length;
    shown.push({ category: group.category, steps });
  }
  return (
    <div className="jp-fancyflow-Palette-groups" data-query={props.query}>
      {shown.map((group) => (
        <section key={group.category} className="jp-fancyflow-Palette-group">
          <h3 className="jp-fancyflow-Palette-category">{group.category}</h3>
          {group.steps.map((step) => (
            <StepCard
              key={step.slug}
              step={step}
              flow={flow}
              actions={actions}
              showCategory={props.searching}
            />
          ))}
        </section>
      ))}
      {limit < total && (
        <div ref={sentinel} className="jp-fancyflow-Palette-more">
          {total - limit} more steps…
        </div>
      )}
    </div>
  );
}

interface IStepCardProps {
  step: StepDescriptor;
  flow: INotebookFlow | null;
  actions: IPaletteActions;
  showCategory?: boolean;
}

const StepCard = React.memo(function StepCard(props: IStepCardProps): React.ReactElement {
  const { step, flow, actions } = props;
  const [wiring, setWiring] = React.useState<Record<string, string> | undefined>(undefined);
  const inputs = Object.entries(step.inputs);
  const fields = configFields(step.config);
  const insert = (chosen?: Record<string, string>) => {
    if (!flow) return;
    flow.insertStep(step.slug, chosen ? { wiring: chosen } : {}).then(
      () => setWiring(undefined),
      (e: unknown) => actions.showError(e instanceof Error ? e.message : String(e)),
    );
  };
  const openPicker = () => {
    if (!flow) return;
    const initial: Record<string, string> = {};
    for (const [name, input] of inputs) {
      const preferred = preferredChoice(
        flow.cellChoices(flow.panel.content.activeCellIndex, input),
      );
      if (!input.optional && preferred) initial[name] = preferred.reference;
    }
    setWiring(initial);
  };
  return (
    <div
      className="jp-fancyflow-StepCard"
      data-slug={step.slug}
      draggable
      onDragStart={(e) => {
        e.dataTransfer.setData(STEP_DRAG_MIME, step.slug);
        e.dataTransfer.setData('text/plain', step.slug);
        e.dataTransfer.effectAllowed = 'copy';
      }}
    >
      <div className="jp-fancyflow-StepCard-head">
        <span className="jp-fancyflow-StepCard-title">{step.title}</span>
        <code className="jp-fancyflow-StepCard-slug">{step.slug}</code>
        {props.showCategory && (
          <span className="jp-fancyflow-StepCard-category">{step.category}</span>
        )}
        <span className="jp-fancyflow-StepCard-actions">
          {inputs.length > 0 && (
            <button
              className="jp-fancyflow-Button"
              title="Choose the cells this step reads, then insert it"
              onClick={() => (wiring ? setWiring(undefined) : openPicker())}
              disabled={!flow}
            >
              Wire…
            </button>
          )}
          <button
            className="jp-fancyflow-Button jp-mod-accept"
            title="Insert this step below the active cell"
            aria-label={`Insert ${step.title}`}
            onClick={() => insert()}
            disabled={!flow}
          >
            Insert
          </button>
        </span>
      </div>
      {step.description && (
        <p className="jp-fancyflow-StepCard-description" title={step.description}>
          {step.description}
        </p>
      )}
      <dl className="jp-fancyflow-StepCard-facts">
        <dt>Inputs</dt>
        <dd>
          {inputs.length === 0
            ? 'none'
            : inputs.map(([name, input]) => (
                <span key={name} className="jp-fancyflow-StepCard-input">
                  <code>{name}</code>
                  {input.optional ? '?' : ''}: {describeContract(input.schema)}
                </span>
              ))}
        </dd>
        <dt>Output</dt>
        <dd>{describeContract(step.output)}</dd>
        {fields.length > 0 && (
          <>
            <dt>Config</dt>
            <dd>
              {fields.map((f) => (
                <span key={f.name} className="jp-fancyflow-StepCard-field" title={f.description}>
                  <code>{f.name}</code>
                  {f.required ? '' : '?'}: {f.type}
                  {f.defaultText !== undefined && f.defaultText.length < 24
                    ? ` = ${f.defaultText}`
                    : ''}
                </span>
              ))}
            </dd>
          </>
        )}
        <dt>Traits</dt>
        <dd>
          <span className="jp-fancyflow-Trait">{step.traits.execution}</span>
          <span className="jp-fancyflow-Trait">v{step.version}</span>
        </dd>
      </dl>
      {wiring && flow && (
        <WiringPicker
          step={step}
          flow={flow}
          wiring={wiring}
          onChange={setWiring}
          onInsert={() => insert(wiring)}
          onCancel={() => setWiring(undefined)}
        />
      )}
    </div>
  );
});

interface IWiringPickerProps {
  step: StepDescriptor;
  flow: INotebookFlow;
  wiring: Record<string, string>;
  onChange(wiring: Record<string, string>): void;
  onInsert(): void;
  onCancel(): void;
}

function WiringPicker(props: IWiringPickerProps): React.ReactElement {
  const { step, flow, wiring } = props;
  const index = flow.panel.content.activeCellIndex;
  return (
    <div className="jp-fancyflow-WiringPicker">
      {Object.entries(step.inputs).map(([name, input]) => {
        const choices = flow.cellChoices(index, input);
        return (
          <label
            key={name}
            className="jp-fancyflow-WiringPicker-row"
            title={describeContract(input.schema)}
          >
            <code>{name}</code>
            <select
              className="jp-mod-styled"
              value={wiring[name] ?? ''}
              aria-label={`Cell for ${name}`}
              onChange={(e) => props.onChange({ ...wiring, [name]: e.currentTarget.value })}
            >
              {input.optional && <option value="">(not wired)</option>}
              {!input.optional && !wiring[name] && <option value="">choose a cell…</option>}
              {choices.map((c) => (
                <option
                  key={c.cellId}
                  value={c.reference}
                  disabled={!c.fits}
                  title={c.reason}
                  data-fits={c.fits ? 'true' : 'false'}
                >
                  {choiceText(c)}
                </option>
              ))}
            </select>
          </label>
        );
      })}
      <div className="jp-fancyflow-WiringPicker-buttons">
        <button className="jp-fancyflow-Button" onClick={props.onCancel}>
          Cancel
        </button>
        <button className="jp-fancyflow-Button jp-mod-accept" onClick={props.onInsert}>
          Insert wired
        </button>
      </div>
    </div>
  );
}
