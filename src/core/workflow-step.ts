/**
 * WorkflowStep: one wired call of a step (which cell goes into which argument, plus the static
 * config). Plain, frozen and JSON-serialisable; recognised across package copies by a
 * `Symbol.for` brand.
 */
import type { JsonValue } from './errors';

const WORKFLOW_STEP = Symbol.for('fancyflow.WorkflowStep');
/** The parsed config and the definition that parsed it (this package copy only). */
const PARSED_CONFIG = Symbol('fancyflow.parsedConfig');

/** A step's config as a step definition's config schema parsed it. */
export interface ParsedConfig {
  /** The step definition (its `ResolvedStep`) whose schema parsed `config`. */
  by: object;
  config: Record<string, JsonValue>;
}

/** The JSON form of a WorkflowStep (as stored in workflow documents). */
export interface SerializedStep {
  /** The step id, which is also the id of the cell holding its output. */
  id: string;
  /** The slug of the step's FancyFunction. */
  slug: string;
  /** The step version the wiring was made with. */
  version: string;
  /** Argument name → cell id. */
  wiring: Record<string, string>;
  /** The parsed config (defaults applied). */
  config: Record<string, JsonValue>;
  /** A title for workflow views. */
  title?: string;
  /** A readable name for the output cell (`cell('clean')` in a notebook). */
  name?: string;
}

/** A wired step. Its output cell id is its `id`. */
export type WorkflowStep = Readonly<
  Omit<SerializedStep, 'wiring' | 'config'> & {
    wiring: Readonly<Record<string, string>>;
    config: Readonly<Record<string, JsonValue>>;
  }
>;

/**
 * Makes a frozen, branded WorkflowStep from its JSON form. `parsed` is `init.config` as a step
 * definition's config schema parsed it (what calling a FancyFunction does), so that a run under
 * that same definition does not parse it again.
 */
export function createWorkflowStep(init: SerializedStep, parsed?: ParsedConfig): WorkflowStep {
  const step: SerializedStep = {
    id: init.id,
    slug: init.slug,
    version: init.version,
    wiring: Object.freeze({ ...init.wiring }),
    config: Object.freeze({ ...init.config }),
  };
  if (init.title !== undefined) step.title = init.title;
  if (init.name !== undefined) step.name = init.name;
  Object.defineProperty(step, WORKFLOW_STEP, { value: true });
  if (parsed !== undefined) Object.defineProperty(step, PARSED_CONFIG, { value: parsed });
  return Object.freeze(step);
}

/** The step's config as parsed when the step was made, when that is known. */
export function parsedConfigOf(step: WorkflowStep): ParsedConfig | undefined {
  return (step as { [PARSED_CONFIG]?: ParsedConfig })[PARSED_CONFIG];
}

/** True when `value` is a WorkflowStep made by any copy of this package. */
export function isWorkflowStep(value: unknown): value is WorkflowStep {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [WORKFLOW_STEP]?: unknown })[WORKFLOW_STEP] === true
  );
}

/** The same step under another id (the kernel gives a cell's step the cell's id). */
export function withStepId(step: WorkflowStep, id: string): WorkflowStep {
  return step.id === id
    ? step
    : createWorkflowStep({ ...serializeStep(step), id }, parsedConfigOf(step));
}

/** The JSON form of a step. */
export function serializeStep(step: WorkflowStep): SerializedStep {
  const out: SerializedStep = {
    id: step.id,
    slug: step.slug,
    version: step.version,
    wiring: { ...step.wiring },
    config: { ...step.config },
  };
  if (step.title !== undefined) out.title = step.title;
  if (step.name !== undefined) out.name = step.name;
  return out;
}

/** Cell ids JupyterLab makes (UUIDs) say nothing to a reader; ids written by people do. */
const MACHINE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The readable name of a step for reports and tables: its `name`, else its id when a person wrote
 * it (`numbers`), else `<slug> #<position>` (`drop_nulls #3`) or the slug. Machine ids (a notebook
 * cell's UUID) are for tooltips and JSON only.
 */
export function stepName(
  step: Pick<SerializedStep, 'id' | 'slug' | 'name'>,
  position?: number,
): string {
  if (step.name !== undefined) return step.name;
  if (!MACHINE_ID.test(step.id) && step.id.length <= 64) return step.id;
  return position === undefined ? step.slug : `${step.slug} #${position}`;
}

/**
 * How messages name a step: its readable name quoted, with its slug (`"clean" (drop_nulls)`),
 * or `drop_nulls #3` when it has no readable name.
 */
export function stepLabel(
  step: Pick<SerializedStep, 'id' | 'slug' | 'name'>,
  position?: number,
): string {
  const name = stepName(step, position);
  return name === step.slug || name.startsWith(`${step.slug} #`)
    ? name
    : `"${name}" (${step.slug})`;
}
