/**
 * Freshness: which steps of a workflow are up to date, and why the others are not, from the last
 * StepRecord of each step and what is known now (code fingerprints, input fingerprints). Pure and
 * browser-safe (the JupyterLab panel, the kernel and `fancyflow status` share it): it runs nothing
 * and reads no data.
 */
import type { JsonValue } from './errors';
import { StepRecordSchema, hasOutput, type StepStatus, type WorkflowDocument } from './format';
import { findJsonViolation } from './json-limits';

/**
 * What produced a step's output: kept with the FancyCell (lineage), in the step cell's metadata and
 * in the store's index (the cache). Holds config and fingerprints only, never data.
 */
export interface StepRecord {
  /** The step's id (its output cell's id). */
  stepId: string;
  slug: string;
  /** The step's declared version. */
  version: string;
  /** Fingerprint of the step's code (function source + defining module/package version). */
  code: string;
  /** The canonical config as run. */
  config: JsonValue;
  /** Argument → the input cell and its fingerprint when the step ran. */
  inputs: Record<string, { cell: string; fingerprint: string }>;
  /** The cache key: a 128-bit hash of slug, version, code, config and input fingerprints. */
  key: string;
  /** The output's fingerprint (completed and cached steps). */
  output?: string;
  /** What the output depends on besides config and inputs (a read file's size and time). */
  source?: string;
  status: StepStatus;
  /** True when the output came from the cache (the step did not run). */
  cached: boolean;
  durationMs: number;
  runId: string;
  /** ISO 8601 time the record was made. */
  at: string;
}

/**
 * A StepRecord from an untrusted value (a saved notebook, a store's index), or undefined when it is
 * not one: a forged or garbled record is ignored, never trusted and never thrown at the reader.
 */
export function readStepRecord(value: unknown): StepRecord | undefined {
  if (typeof value !== 'object' || value === null || findJsonViolation(value)) return undefined;
  const parsed = StepRecordSchema.safeParse(value);
  return parsed.success ? (parsed.data as StepRecord) : undefined;
}

/** One reason a step is stale. */
export type StaleReason =
  | { kind: 'never-run' }
  | { kind: 'config'; changes: ConfigChange[] }
  | { kind: 'input'; argument: string; cell: string }
  | { kind: 'code'; slug: string }
  | { kind: 'version'; from: string; to: string }
  | { kind: 'upstream'; stepId: string }
  | { kind: 'source'; slug: string }
  | { kind: 'not-cacheable' };

/** One changed config entry: its JSON path (`threshold`, `columns/0`), before and after. */
export interface ConfigChange {
  path: string;
  /** Absent when the entry was added. */
  from?: JsonValue;
  /** Absent when the entry was removed. */
  to?: JsonValue;
}

/** A step's freshness. */
export interface Freshness {
  stepId: string;
  /** True when the step's last output is what running it now would give. */
  fresh: boolean;
  /** Why it is stale (empty when fresh). */
  reasons: StaleReason[];
  /**
   * False when the step's current code fingerprint is not known (a step defined in a notebook
   * cell that has not run): its code was not compared.
   */
  codeKnown: boolean;
}

/** What is known now, for {@link freshness}. */
export interface CurrentState {
  /** The step's current code fingerprint, if known. */
  code(slug: string): string | undefined;
  /** The current fingerprint of a cell no step of the workflow produces, if known. */
  fingerprint(cellId: string): string | undefined;
  /** False for steps that opt out of caching (`traits: { cache: false }`). Default: true. */
  cacheable?(slug: string): boolean;
  /** What a step's output depends on besides config and inputs now (a read file's size and time). */
  source?(step: WorkflowDocument['steps'][number]): string | undefined;
}

/**
 * Fresh or stale for each step, in workflow order, from the last record of each step and what is
 * known now. Runs nothing and reads no data.
 *
 * A step is stale when it never ran, opted out of caching, its version, code or config changed, an
 * input cell is another or has another fingerprint than when it ran, or a step upstream is stale.
 *
 * @example
 * const report = freshness(doc, (id) => records.get(id), {
 *   code: (slug) => codes.get(slug),
 *   fingerprint: (cell) => store.cell(cell)?.fingerprint,
 * });
 * report.filter((f) => !f.fresh).map((f) => f.reasons.map((r) => describeReason(r, String)));
 */
export function freshness(
  workflow: Pick<WorkflowDocument, 'steps'>,
  last: (stepId: string) => StepRecord | undefined,
  now: CurrentState,
): Freshness[] {
  const byStep = new Map<string, { fresh: boolean; record: StepRecord | undefined }>();
  const out: Freshness[] = [];
  for (const step of workflow.steps) {
    const record = last(step.id);
    const code = now.code(step.slug);
    const reasons: StaleReason[] = [];
    const inputs: CurrentInputs = {};
    for (const argument of Object.keys(step.wiring).sort()) {
      const cell = step.wiring[argument]!;
      const producer = byStep.get(cell);
      if (producer && !producer.fresh) {
        if (!reasons.some((r) => r.kind === 'upstream' && r.stepId === cell)) {
          reasons.push({ kind: 'upstream', stepId: cell });
        }
        inputs[argument] = { cell, fingerprint: SKIP };
      } else {
        const fingerprint = producer ? producer.record?.output : now.fingerprint(cell);
        inputs[argument] = { cell, fingerprint };
      }
    }
    const cacheable = now.cacheable ? now.cacheable(step.slug) : true;
    const source = now.source?.(step);
    const own = compareRecord(record, { ...step, code, inputs, cacheable, source });
    reasons.unshift(...own);
    const fresh = reasons.length === 0;
    byStep.set(step.id, { fresh, record });
    out.push({ stepId: step.id, fresh, reasons, codeKnown: code !== undefined });
  }
  return out;
}

/** An input's fingerprint that is not to be compared (its producer is already a reason). */
const SKIP = '\u0000skip';

/** Argument → the cell wired to it and its current fingerprint (undefined when not known). */
export type CurrentInputs = Record<string, { cell: string; fingerprint: string | undefined }>;

/** What a step would be run with now, for {@link compareRecord}. */
export interface CurrentStep {
  slug: string;
  version: string;
  /** The current code fingerprint; undefined when not known (not compared). */
  code: string | undefined;
  config: JsonValue;
  inputs: CurrentInputs;
  /** Default true. */
  cacheable?: boolean;
  /** What the output depends on besides config and inputs; undefined: not compared. */
  source?: string | undefined;
}

/**
 * Why a step's last record does not stand for running it now (empty when it does): never run,
 * not cacheable, code, version, config, or an input that is another cell or has another
 * fingerprint. Upstream staleness is the caller's to add.
 */
export function compareRecord(record: StepRecord | undefined, now: CurrentStep): StaleReason[] {
  if (!record || record.output === undefined || !hasOutput(record.status)) {
    return [{ kind: 'never-run' }];
  }
  const reasons: StaleReason[] = [];
  if (now.cacheable === false) reasons.push({ kind: 'not-cacheable' });
  if (record.slug !== now.slug || (now.code !== undefined && now.code !== record.code)) {
    reasons.push({ kind: 'code', slug: now.slug });
  }
  if (record.version !== now.version) {
    reasons.push({ kind: 'version', from: record.version, to: now.version });
  }
  if (now.source !== undefined && now.source !== record.source) {
    reasons.push({ kind: 'source', slug: now.slug });
  }
  const changes = configChanges(record.config, now.config);
  if (changes.length > 0) reasons.push({ kind: 'config', changes });
  for (const argument of Object.keys(now.inputs).sort()) {
    const { cell, fingerprint } = now.inputs[argument]!;
    if (fingerprint === SKIP) continue;
    const then = Object.prototype.hasOwnProperty.call(record.inputs, argument)
      ? record.inputs[argument]
      : undefined;
    if (
      !then ||
      then.cell !== cell ||
      fingerprint === undefined ||
      fingerprint !== then.fingerprint
    ) {
      reasons.push({ kind: 'input', argument, cell });
    }
  }
  for (const argument of Object.keys(record.inputs).sort()) {
    if (!Object.prototype.hasOwnProperty.call(now.inputs, argument)) {
      reasons.push({ kind: 'input', argument, cell: record.inputs[argument]!.cell });
    }
  }
  return reasons;
}

/** The differences between two configs, as JSON paths with before and after (sorted by path). */
export function configChanges(
  from: JsonValue | undefined,
  to: JsonValue | undefined,
): ConfigChange[] {
  const changes: ConfigChange[] = [];
  diff(from, to, '', changes);
  return changes;
}

function isRecord(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function diff(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
  out: ConfigChange[],
): void {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const has = (o: object) => Object.prototype.hasOwnProperty.call(o, key);
      diff(has(a) ? a[key] : undefined, has(b) ? b[key] : undefined, join(path, key), out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diff(v, b[i], join(path, String(i)), out));
    return;
  }
  if (sameJson(a, b)) return;
  const change: ConfigChange = { path };
  if (a !== undefined) change.from = a;
  if (b !== undefined) change.to = b;
  out.push(change);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}/${key}`;
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON text with object keys sorted: equal values give equal texts (cache keys, comparisons). */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A config value for a one-line message, clipped. */
function shortJson(value: JsonValue | undefined): string {
  if (value === undefined) return '∅';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/**
 * One line per reason, for people: `config changed (threshold 0.3 → 0.5)`, `input "clean"
 * changed`, `step code changed`, `upstream "clean" is stale`. `label` names a cell or step.
 */
export function describeReason(
  reason: StaleReason,
  label: (cellOrStepId: string) => string,
): string {
  switch (reason.kind) {
    case 'never-run':
      return 'never run';
    case 'config':
      return `config changed (${reason.changes
        .map((c) => `${c.path || '(config)'} ${shortJson(c.from)} → ${shortJson(c.to)}`)
        .join(', ')})`;
    case 'input':
      return `input ${label(reason.cell)} changed (argument ${reason.argument})`;
    case 'code':
      return `step code changed (${reason.slug})`;
    case 'version':
      return `step version changed (${reason.from} → ${reason.to})`;
    case 'upstream':
      return `upstream ${label(reason.stepId)} is stale`;
    case 'source':
      return `the file it reads changed (${reason.slug})`;
    case 'not-cacheable':
      return 'not cacheable (traits.cache is false): runs every time';
  }
}
