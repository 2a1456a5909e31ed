/**
 * The `fancyflow` metadata a notebook carries (each step cell's, and the notebook's workflow
 * document), read and derived as pure functions over plain snapshots of the cells: used by the
 * JupyterLab extension and by the CLI when it writes an executed notebook. Imports zod only.
 *
 * The step cells are the truth: the notebook's document is derived from them in notebook order,
 * and a step's last run is written into its cell in one canonical form.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors';
import { readStepRecord } from './freshness';
import { findJsonViolation } from './json-limits';
import {
  CellMetadataSchema,
  FORMAT_VERSION,
  StepStatusSchema,
  hasOutput,
  WorkflowDocumentSchema,
  migrateDocument,
  type CellMetadata,
  type WorkflowDocument,
} from './format';
import type { RunReport, StepReport } from './orchestrator';
import type { SerializedStep } from './workflow-step';

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** What the sync needs to know of one notebook cell. */
export interface CellSnapshot {
  /** The cell id (nbformat 4.5 `id`; the step id of a step cell). */
  id: string;
  /** `code`, `markdown` or `raw`. */
  cellType: string;
  /** The cell's `fancyflow` metadata value, as stored (unchecked). */
  metadata: unknown;
}

/**
 * The step metadata of a cell, or undefined when the value is absent or not valid (a hostile
 * file's `__proto__` keys or nesting too deep for a recursive check count as not valid).
 */
export function readCellMetadata(value: unknown): CellMetadata | undefined {
  if (value === undefined || value === null) return undefined;
  // a frozen value cannot change: it is read once (the lab hands out frozen copies of each cell's
  // metadata until it changes, and reads every step cell's several times a frame during a run)
  const frozen = typeof value === 'object' && Object.isFrozen(value);
  if (frozen) {
    const known = readFrozen.get(value);
    if (known !== undefined) return known ?? undefined;
  }
  const metadata = checkCellMetadata(value);
  if (frozen) readFrozen.set(value, metadata ? deepFreeze(metadata) : null);
  return metadata;
}

const readFrozen = new WeakMap<object, CellMetadata | null>();

/** `value`, frozen with everything in it (JSON data: no cycles). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function checkCellMetadata(value: unknown): CellMetadata | undefined {
  // a forged or garbled record is dropped, never trusted, and does not cost the cell its step
  if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'record')) {
    const { record, ...rest } = value as Record<string, unknown>;
    if (readStepRecord(record) === undefined) value = rest;
  }
  if (findJsonViolation(value)) return undefined;
  const parsed = CellMetadataSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A notebook's workflow document, or undefined when the value is absent or not valid. */
export function readNotebookWorkflow(value: unknown): WorkflowDocument | undefined {
  const document = withoutRunHistory(value);
  if (document === undefined || document === null || findJsonViolation(document)) return undefined;
  const parsed = WorkflowDocumentSchema.safeParse(migrateDocument(document));
  return parsed.success ? parsed.data : undefined;
}

/** The key of the run history in a notebook's `metadata.fancyflow` (beside the document). */
export const RUN_HISTORY_KEY = 'runs';

/** How many runs a notebook keeps in its history. */
export const RUN_HISTORY_LIMIT = 20;

/** How many steps one run of the history keeps. */
const HISTORY_STEP_LIMIT = 1000;

/**
 * A notebook's `metadata.fancyflow` without its run history: the workflow document (the history
 * is read apart, by {@link readRunHistory}, and never makes the document invalid).
 */
export function withoutRunHistory(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if (!Object.prototype.hasOwnProperty.call(value, RUN_HISTORY_KEY)) return value;
  const { [RUN_HISTORY_KEY]: _history, ...document } = value as Record<string, unknown>;
  return document;
}

/** One step of a run in the history. */
export const HistoryStepSchema = z
  .object({
    status: StepStatusSchema,
    durationMs: z.number().nonnegative().finite().optional(),
    output: z.string().min(1).max(128).optional(),
    cached: z.boolean(),
  })
  .strict();

/** One run in a notebook's history. */
export const HistoryRunSchema = z
  .object({
    runId: z.string().min(1).max(256),
    at: z.string().min(1).max(64),
    status: z.enum(['completed', 'failed', 'cancelled']),
    durationMs: z.number().nonnegative().finite(),
    steps: z
      .record(z.string().min(1).max(1024), HistoryStepSchema)
      .refine((steps) => Object.keys(steps).length <= HISTORY_STEP_LIMIT, 'too many steps'),
  })
  .strict();

/** One run in a notebook's history. */
export type HistoryRun = z.output<typeof HistoryRunSchema>;

/**
 * The run history of a notebook's `metadata.fancyflow` (oldest first, at most
 * {@link RUN_HISTORY_LIMIT}); entries that are not valid runs are skipped, anything else that is
 * not a history reads as none.
 */
export function readRunHistory(fancyflowMetadata: unknown): HistoryRun[] {
  if (typeof fancyflowMetadata !== 'object' || fancyflowMetadata === null) return [];
  if (!Object.prototype.hasOwnProperty.call(fancyflowMetadata, RUN_HISTORY_KEY)) return [];
  const history = (fancyflowMetadata as Record<string, unknown>)[RUN_HISTORY_KEY];
  if (!Array.isArray(history) || findJsonViolation(history)) return [];
  const out: HistoryRun[] = [];
  for (const entry of history.slice(-RUN_HISTORY_LIMIT)) {
    const parsed = HistoryRunSchema.safeParse(entry);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** A run report as a history entry (per step: status, duration, output fingerprint, cached). */
export function historyRunOf(report: RunReport): HistoryRun {
  const steps: HistoryRun['steps'] = {};
  for (const step of report.steps.slice(0, HISTORY_STEP_LIMIT)) {
    const entry: HistoryRun['steps'][string] = {
      status: step.status,
      cached: step.status === 'cached',
    };
    if (step.durationMs !== undefined) {
      entry.durationMs = Math.max(0, Math.round(step.durationMs * 10) / 10);
    }
    const output = step.record?.output;
    if (output !== undefined && hasOutput(step.status)) entry.output = output;
    steps[step.stepId] = entry;
  }
  return {
    runId: report.runId.slice(0, 256),
    at: report.startedAt,
    status: report.status,
    durationMs: Math.max(0, Math.round(report.durationMs * 10) / 10),
    steps,
  };
}

/**
 * The notebook's `metadata.fancyflow` with `run` appended to its history (the oldest dropped
 * beyond {@link RUN_HISTORY_LIMIT}); a history that was not valid is replaced.
 */
export function appendRun(
  fancyflowMetadata: Record<string, unknown>,
  run: HistoryRun,
): Record<string, unknown> {
  const history = [...readRunHistory(fancyflowMetadata), run].slice(-RUN_HISTORY_LIMIT);
  return { ...fancyflowMetadata, [RUN_HISTORY_KEY]: history };
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
  // tenths of a millisecond: more digits are noise in a saved file
  if (report.durationMs !== undefined)
    out.durationMs = Math.max(0, Math.round(report.durationMs * 10) / 10);
  else delete out.durationMs;
  if (report.record) out.record = report.record;
  if (hasOutput(report.status)) {
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
