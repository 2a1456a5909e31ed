/**
 * The `fancyflow` metadata of step cells and of the notebook, and how they follow each other:
 * cell metadata → the notebook's workflow document (the cells in notebook order), the kernel's
 * state → cell metadata (after a run, or a cell that made a step), a run event → one cell's status.
 * Pure functions over plain snapshots of the notebook, so they test in Node.
 */
import type { ErrorCode, JsonValue } from '../core/errors';
import {
  CellMetadataSchema,
  FORMAT_VERSION,
  WorkflowDocumentSchema,
  type CellMetadata,
  type WorkflowDocument,
} from '../core/format';
import type { StepReport } from '../core/orchestrator';
import type { StepDescriptor } from '../core/step';
import type { SerializedStep } from '../core/workflow-step';
import type { WorkflowState } from '../protocol/messages';
import { jsonEqual, withDefaults, type StepCall } from './codegen';

/** What the sync needs to know of one notebook cell. */
export interface CellSnapshot {
  /** The cell id (nbformat 4.5 `id`; the step id of a step cell). */
  id: string;
  /** `code`, `markdown` or `raw`. */
  cellType: string;
  /** The cell's `fancyflow` metadata value, as stored (unchecked). */
  metadata: unknown;
}

/** The step metadata of a cell, or undefined when the value is absent or not valid. */
export function readCellMetadata(value: unknown): CellMetadata | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = CellMetadataSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A notebook's workflow document, or undefined when the value is absent or not valid. */
export function readNotebookWorkflow(value: unknown): WorkflowDocument | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = WorkflowDocumentSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The step cells of a notebook in order, with their metadata. */
export function stepCells(
  cells: readonly CellSnapshot[],
): { cellId: string; metadata: CellMetadata }[] {
  const out: { cellId: string; metadata: CellMetadata }[] = [];
  for (const cell of cells) {
    if (cell.cellType !== 'code') continue;
    const metadata = readCellMetadata(cell.metadata);
    if (metadata) out.push({ cellId: cell.id, metadata });
  }
  return out;
}

/** A step of a workflow document from a cell's metadata (its id is the cell's step id). */
export function serializedStepOf(metadata: CellMetadata): SerializedStep {
  const step: SerializedStep = {
    id: metadata.stepId,
    slug: metadata.slug,
    version: metadata.version,
    wiring: { ...metadata.wiring },
    config: { ...metadata.config },
  };
  if (metadata.title !== undefined) step.title = metadata.title;
  if (metadata.name !== undefined) step.name = metadata.name;
  return step;
}

/** What the kernel knows about where the notebook's steps come from. */
export interface StepOrigins {
  /** Slug → the cell whose execution registered the step in this kernel. */
  definitions?: Record<string, string>;
  /** Slug → the module that declares the step (`fancyflow`, a package). */
  modules?: Record<string, string>;
}

/**
 * The notebook's workflow document from its step cells, in notebook order. The saved document
 * (`base`) gives the free metadata and what the kernel does not know now; `origins` (the kernel's
 * view) says which cell defines each step and which module declares it. Definitions of cells no
 * longer in the notebook, and of steps no cell uses, are dropped.
 */
export function workflowFromCells(
  cells: readonly CellSnapshot[],
  base?: Partial<Pick<WorkflowDocument, 'modules' | 'definitions' | 'metadata'>>,
  origins: StepOrigins = {},
): WorkflowDocument {
  const steps = stepCells(cells).map(({ metadata }) => serializedStepOf(metadata));
  const cellIds = new Set(cells.map((c) => c.id));
  const definitions: Record<string, string> = {};
  const modules = new Set<string>(['fancyflow']);
  for (const step of steps) {
    const definedBy = origins.definitions?.[step.slug] ?? base?.definitions?.[step.slug];
    if (definedBy !== undefined && cellIds.has(definedBy)) definitions[step.slug] = definedBy;
    const module = origins.modules?.[step.slug];
    if (module !== undefined) modules.add(module);
  }
  for (const module of base?.modules ?? []) modules.add(module);
  return {
    formatVersion: FORMAT_VERSION,
    steps,
    modules: [...modules],
    definitions: sortedRecord(definitions),
    metadata: { ...(base?.metadata ?? {}) },
  };
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * True when two documents hold the same steps, modules, definitions and metadata. The format
 * version is not compared: an older saved document is rewritten only when its content changes,
 * so opening a notebook never modifies it.
 */
export function sameWorkflow(a: WorkflowDocument, b: WorkflowDocument): boolean {
  return (
    jsonEqual(a.steps, b.steps) &&
    jsonEqual(a.modules, b.modules) &&
    jsonEqual(a.definitions, b.definitions) &&
    jsonEqual(a.metadata, b.metadata)
  );
}

/** The keys of step cell metadata, in the order they are written (one canonical form). */
const METADATA_KEYS = Object.keys(CellMetadataSchema.shape) as (keyof CellMetadata)[];

/** Cell metadata with its keys in the schema's order, so equal metadata is written identically. */
export function canonicalCellMetadata(metadata: CellMetadata): CellMetadata {
  const out: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) if (metadata[key] !== undefined) out[key] = metadata[key];
  return out as CellMetadata;
}

/** The last run saved in a step cell's metadata, as a report (undefined when it never ran). */
export function savedReport(metadata: CellMetadata): StepReport | undefined {
  if (metadata.status === undefined || metadata.status === 'pending') return undefined;
  const report: StepReport = {
    stepId: metadata.stepId,
    slug: metadata.slug,
    name: metadata.name ?? metadata.slug,
    // a run the notebook was saved during is over
    status: metadata.status === 'running' ? 'cancelled' : metadata.status,
  };
  if (metadata.durationMs !== undefined) report.durationMs = metadata.durationMs;
  if (metadata.outputShape !== undefined) {
    report.summary = { type: '', shape: [...metadata.outputShape] };
  }
  if (metadata.outputCellId !== undefined) report.outputCellId = metadata.outputCellId;
  if (metadata.error !== undefined) {
    const { code, message } = metadata.error;
    report.error = { name: 'FancyflowError', code: code as ErrorCode, message, details: {} };
  }
  return report;
}

/**
 * The metadata with a run's report for its step applied: status, duration, output cell and shape,
 * and the error of a failed or skipped step (cleared otherwise).
 */
export function applyStepReport(metadata: CellMetadata, report: StepReport): CellMetadata {
  const out: CellMetadata = { ...metadata, status: report.status };
  delete out.error;
  if (report.status === 'running' || report.status === 'pending') {
    delete out.durationMs;
    return out;
  }
  if (report.durationMs !== undefined) out.durationMs = Math.max(0, report.durationMs);
  else delete out.durationMs;
  if (report.status === 'completed') {
    out.outputCellId = report.outputCellId ?? metadata.stepId;
    const shape = report.summary?.shape;
    if (shape) out.outputShape = [...shape];
    else delete out.outputShape;
  }
  if (report.error) out.error = { code: report.error.code, message: report.error.message };
  return out;
}

/** Cell metadata for a workflow step (the kernel's view), keeping what the cell alone knows. */
export function metadataFromStep(
  step: SerializedStep,
  previous: CellMetadata | undefined,
  report: StepReport | undefined,
): CellMetadata {
  let out: CellMetadata = {
    ...(previous ?? {}),
    stepId: step.id,
    slug: step.slug,
    version: step.version,
    wiring: { ...step.wiring },
    config: { ...step.config },
  };
  if (step.name !== undefined) out.name = step.name;
  else delete out.name;
  if (step.title !== undefined) out.title = step.title;
  else delete out.title;
  if (report) out = applyStepReport(out, report);
  return out;
}

/** One cell whose metadata must change. */
export interface MetadataUpdate {
  cellId: string;
  metadata: CellMetadata;
}

/**
 * The cell metadata changes that bring the notebook in line with the kernel's state: every
 * kernel step whose id is a code cell of the notebook becomes (or updates) that cell's metadata,
 * with its latest status. Cells the kernel does not know are left alone. Only real changes are
 * returned.
 */
export function updatesFromState(
  cells: readonly CellSnapshot[],
  state: Pick<WorkflowState, 'workflow' | 'statuses'>,
): MetadataUpdate[] {
  const byId = new Map(cells.filter((c) => c.cellType === 'code').map((c) => [c.id, c]));
  const updates: MetadataUpdate[] = [];
  for (const step of state.workflow.steps) {
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
