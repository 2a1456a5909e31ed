/**
 * The `fancyflow` metadata of step cells and of the notebook, and how they follow each other:
 * cell metadata → the notebook's workflow document (the cells in notebook order), the kernel's
 * state → cell metadata (after a run, or a cell that made a step), a run event → one cell's status.
 * Pure functions over plain snapshots of the notebook, so they test in Node.
 */
import type { JsonValue } from '../core/errors';
import type { CellMetadata } from '../core/format';
import {
  applyStepReport,
  jsonEqual,
  metadataFromStep,
  readCellMetadata,
  stepCells,
  type CellSnapshot,
} from '../core/notebook-metadata';
import type { StepReport } from '../core/orchestrator';
import type { StepDescriptor } from '../core/step';
import type { WorkflowState } from '../protocol/messages';
import { withDefaults, type StepCall } from './codegen';

export {
  applyStepReport,
  canonicalCellMetadata,
  metadataFromStep,
  readCellMetadata,
  readNotebookWorkflow,
  sameWorkflow,
  savedReport,
  serializedStepOf,
  stepCells,
  workflowFromCells,
  type CellSnapshot,
  type StepOrigins,
} from '../core/notebook-metadata';

/** One cell whose metadata must change. */
export interface MetadataUpdate {
  cellId: string;
  metadata: CellMetadata;
}

/**
 * The cell metadata changes that bring the notebook in line with the kernel's state: every
 * kernel step whose id is a code cell of the notebook becomes (or updates) that cell's metadata,
 * with its latest status. Cells the kernel does not know are left alone. Only real changes are
 * returned; with `stepIds`, only those steps are looked at (the rest are known to be in line).
 */
export function updatesFromState(
  cells: readonly CellSnapshot[],
  state: Pick<WorkflowState, 'workflow' | 'statuses'>,
  stepIds?: ReadonlySet<string>,
): MetadataUpdate[] {
  const byId = new Map(cells.filter((c) => c.cellType === 'code').map((c) => [c.id, c]));
  const updates: MetadataUpdate[] = [];
  for (const step of state.workflow.steps) {
    if (stepIds && !stepIds.has(step.id)) continue;
    const cell = byId.get(step.id);
    if (!cell) continue;
    const previous = readCellMetadata(cell.metadata);
    const next = metadataFromStep(step, previous, state.statuses[step.id]);
    if (!previous || !jsonEqual(previous, next)) updates.push({ cellId: cell.id, metadata: next });
  }
  return updates;
}

/** The metadata update for one `step-status` event, or undefined when nothing changes. */
export function updateFromReport(
  cells: readonly CellSnapshot[],
  report: StepReport,
): MetadataUpdate | undefined {
  const cell = cells.find((c) => c.id === report.stepId && c.cellType === 'code');
  const previous = cell && readCellMetadata(cell.metadata);
  if (!cell || !previous) return undefined;
  const next = applyStepReport(previous, report);
  return jsonEqual(previous, next) ? undefined : { cellId: cell.id, metadata: next };
}

/**
 * Resolves the references written in code (`cell('clean')`) to cell ids: a readable name known
 * from `names` becomes its cell id; anything else is taken as a cell id already.
 */
export function resolveWiring(
  wiring: Record<string, string>,
  names: ReadonlyMap<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [arg, ref] of Object.entries(wiring)) out[arg] = names.get(ref) ?? ref;
  return out;
}

/** Readable name → cell id, from the step cells' names and the kernel's known names. */
export function nameIndex(
  cells: readonly CellSnapshot[],
  kernelNames: Record<string, string> = {},
): Map<string, string> {
  const out = new Map<string, string>(Object.entries(kernelNames));
  for (const { cellId, metadata } of stepCells(cells)) {
    if (metadata.name !== undefined) out.set(metadata.name, cellId);
  }
  return out;
}

/**
 * The metadata of a step cell whose code was read as `call` (code → metadata). Keeps the last
 * run's status; the config gets the schema's top-level defaults.
 */
export function metadataFromCall(
  cellId: string,
  call: StepCall,
  step: Pick<StepDescriptor, 'version' | 'config'> | undefined,
  names: ReadonlyMap<string, string>,
  previous: CellMetadata | undefined,
): CellMetadata {
  const out: CellMetadata = {
    ...(previous ?? {}),
    stepId: previous?.stepId ?? cellId,
    slug: call.slug,
    version: step?.version ?? previous?.version ?? '1.0.0',
    wiring: resolveWiring(call.wiring, names),
    config: withDefaults(call.config, step?.config) as Record<string, JsonValue>,
  };
  delete out.customCode;
  if (call.name !== undefined) out.name = call.name;
  else delete out.name;
  if (call.title !== undefined) out.title = call.title;
  else delete out.title;
  if (previous && previous.slug !== call.slug) {
    delete out.status;
    delete out.error;
    delete out.durationMs;
    delete out.outputShape;
    delete out.outputCellId;
  }
  return out;
}

/** The metadata marked as custom code (its config is no longer read from the code). */
export function markCustomCode(metadata: CellMetadata): CellMetadata {
  return metadata.customCode ? metadata : { ...metadata, customCode: true };
}

/** A readable reference to a cell for code: its name if it has one, else its id. */
export function referenceFor(cellId: string, names: ReadonlyMap<string, string>): string {
  for (const [name, id] of names) if (id === cellId) return name;
  return cellId;
}
