/**
 * Workflow: the steps of a notebook in order (a linear story), with wiring checked as steps are
 * added, and its JSON document form.
 */
import { FancyflowError, serializeIssues, toJsonPointer, type JsonValue } from './errors';
import {
  FORMAT_VERSION,
  NOTEBOOK_METADATA_KEY,
  READABLE_FORMAT_VERSIONS,
  WorkflowDocumentSchema,
  migrateDocument,
  type WorkflowDocument,
} from './format';
import { checkJsonLimits } from './json-limits';
import { withoutRunHistory } from './notebook-metadata';
import type { FunctionRegistry } from './registry';
import { checkArguments, parseStepConfig } from './step';
import {
  createWorkflowStep,
  isWorkflowStep,
  serializeStep,
  type WorkflowStep,
} from './workflow-step';

/** Tells whether a cell exists outside the workflow (in the store, or as a notebook cell). */
export type KnownCells = (cellId: string) => boolean;

/** Options of a Workflow. */
export interface WorkflowOptions {
  /** Modules that define the steps (written to the document). Default none. */
  modules?: string[];
  /** Steps defined in notebook cells: slug → cell id (written to the document). Default `{}`. */
  definitions?: Record<string, string>;
  /** Free metadata. Default `{}`. */
  metadata?: Record<string, JsonValue>;
  /**
   * Cells that exist without a step producing them (store contents, notebook cells). Default: none
   * (every wired cell must be produced by an earlier step).
   */
  known?: KnownCells;
}

/** Options of parsing a document. */
export interface ParseOptions {
  /** Checks slugs, wiring arguments and configs against this registry. */
  registry?: FunctionRegistry;
  /** Cells that exist outside the workflow. */
  known?: KnownCells;
}

/** The result of {@link Workflow.safeParse}. */
export type ParseResult =
  { success: true; workflow: Workflow } | { success: false; error: FancyflowError };

const none: KnownCells = () => false;

/**
 * An ordered list of WorkflowSteps.
 *
 * @example
 * const wf = new Workflow();
 * const raw = readCsv({}, { path: 'cars.csv' }, { id: 'raw' });
 * wf.add(raw).add(dropNulls({ table: raw }, { threshold: 0.5 }, { id: 'clean' }));
 * JSON.stringify(wf); // the workflow document
 */
export class Workflow {
  private readonly list: WorkflowStep[] = [];
  private readonly positions = new Map<string, number>();
  /** Modules that define the steps, for the document. */
  modules: string[];
  /** Steps defined in notebook cells (slug → cell id), for the document. */
  definitions: Record<string, string>;
  /** Free metadata, for the document. */
  metadata: Record<string, JsonValue>;
  private readonly known: KnownCells;

  constructor(options: WorkflowOptions = {}) {
    this.modules = [...(options.modules ?? [])];
    this.definitions = { ...(options.definitions ?? {}) };
    this.metadata = { ...(options.metadata ?? {}) };
    this.known = options.known ?? none;
  }

  /** The steps, in order. */
  get steps(): readonly WorkflowStep[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  /** The step with id `id`, or undefined. */
  get(id: string): WorkflowStep | undefined {
    const at = this.positions.get(id);
    return at === undefined ? undefined : this.list[at];
  }

  /** The position of step `id`, or -1. */
  indexOf(id: string): number {
    return this.positions.get(id) ?? -1;
  }

  /**
   * Appends a step, or replaces the step with the same id in its position (a re-run notebook
   * cell). Throws `MISSING_CELL` or `FORWARD_REFERENCE` (naming the argument) when the wiring
   * refers to a cell that no earlier step produces and `known` does not know.
   */
  add(step: WorkflowStep, options: { known?: KnownCells } = {}): this {
    if (!isWorkflowStep(step)) {
      throw new FancyflowError(
        'INVALID_REFERENCE',
        'Workflow.add takes a WorkflowStep (the result of calling a step)',
      );
    }
    const at = this.positions.get(step.id) ?? this.list.length;
    this.checkWiring(step, at, options.known ?? this.known, `/steps/${at}`);
    if (at === this.list.length) {
      this.positions.set(step.id, at);
      this.list.push(step);
    } else {
      this.list[at] = step;
    }
    return this;
  }

  /** Removes step `id`; true when it was there. Later steps wired to it fail when run. */
  remove(id: string): boolean {
    const at = this.positions.get(id);
    if (at === undefined) return false;
    this.list.splice(at, 1);
    this.positions.clear();
    this.list.forEach((s, i) => this.positions.set(s.id, i));
    return true;
  }

  /**
   * The cell ids a step at position `at` may use: outputs of earlier steps. Throws on the first
   * argument wired to anything else.
   */
  private checkWiring(step: WorkflowStep, at: number, known: KnownCells, pointer: string): void {
    for (const [argument, cellId] of Object.entries(step.wiring)) {
      const producer = this.positions.get(cellId);
      if (producer !== undefined && producer < at) continue;
      if (producer === undefined && cellId !== step.id && known(cellId)) continue;
      const forward = producer !== undefined || cellId === step.id;
      throw new FancyflowError(
        forward ? 'FORWARD_REFERENCE' : 'MISSING_CELL',
        forward
          ? `Step "${step.id}" (${step.slug}), argument "${argument}": cell "${cellId}" is produced by ${cellId === step.id ? 'this step itself' : 'a later step'}`
          : `Step "${step.id}" (${step.slug}), argument "${argument}": no earlier step produces cell "${cellId}" and the store does not hold it`,
        {
          details: {
            stepId: step.id,
            slug: step.slug,
            argument,
            cellId,
            pointer: `${pointer}/wiring${toJsonPointer([argument])}`,
          },
        },
      );
    }
  }

  /** The workflow document (the current `formatVersion`). */
  toJSON(): WorkflowDocument {
    return {
      formatVersion: FORMAT_VERSION,
      steps: this.list.map(serializeStep),
      modules: [...this.modules],
      definitions: { ...this.definitions },
      metadata: { ...this.metadata },
    };
  }

  /**
   * Reads a workflow document, or a notebook (`.ipynb` JSON) carrying one in its metadata under
   * `fancyflow`, from JSON text or a parsed value. Throws a coded error whose `details.pointer` is
   * the JSON pointer of the problem: `INVALID_JSON`, `INVALID_DOCUMENT` (also for a `__proto__`,
   * `constructor` or `prototype` key anywhere, and for nesting deeper than `MAX_JSON_DEPTH`),
   * `UNSUPPORTED_FORMAT_VERSION`, `DUPLICATE_STEP_ID`, `MISSING_CELL`, `FORWARD_REFERENCE`, and,
   * with a registry, `UNKNOWN_STEP`, `MISSING_ARGUMENT`, `UNKNOWN_ARGUMENT`, `INVALID_CONFIG`.
   */
  static parse(input: unknown, options: ParseOptions = {}): Workflow {
    const value = typeof input === 'string' ? parseJsonText(input) : input;
    const { document, base } = extractDocument(value);
    // Before any schema: forbidden keys would be dropped by it, deep nesting would overflow it.
    checkJsonLimits(document, { base });
    const doc = validateDocument(document, base);
    const workflow = new Workflow({
      modules: doc.modules,
      definitions: doc.definitions,
      metadata: doc.metadata,
      known: options.known ?? none,
    });
    doc.steps.forEach((s, i) => {
      if (workflow.positions.has(s.id)) {
        throw new FancyflowError('DUPLICATE_STEP_ID', `Two steps have the id "${s.id}"`, {
          details: { stepId: s.id, pointer: `${base}/steps/${i}/id` },
        });
      }
      workflow.positions.set(s.id, i);
      workflow.list.push(createWorkflowStep(s));
    });
    workflow.list.forEach((step, i) => {
      if (options.registry) checkStep(step, options.registry, `${base}/steps/${i}`);
      workflow.checkWiring(step, i, workflow.known, `${base}/steps/${i}`);
    });
    return workflow;
  }

  /** Like {@link Workflow.parse}, returning the error instead of throwing it. */
  static safeParse(input: unknown, options: ParseOptions = {}): ParseResult {
    try {
      return { success: true, workflow: Workflow.parse(input, options) };
    } catch (e) {
      if (e instanceof FancyflowError) return { success: false, error: e };
      throw e;
    }
  }
}

/** JSON.parse with a coded error that says where (line and column). */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = jsonErrorPosition(text);
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    throw new FancyflowError(
      'INVALID_JSON',
      `Invalid JSON at line ${line}, column ${column}: ${message}`,
      { details: { pointer: '', line, column }, cause: e },
    );
  }
}

/**
 * The offset of the first JSON syntax error in `text` (engines differ in whether their messages
 * carry a position, so this small scanner finds it). Called only after JSON.parse failed.
 * Iterative: a text nested 100,000 deep is scanned, not a stack overflow.
 */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0].length === 0) fail();
    i += m![0].length;
  };
  /** A scalar value; false when `text[i]` opens an object or array instead (not consumed). */
  const scalar = (): boolean => {
    const ch = text[i];
    if (ch === '{' || ch === '[') return false;
    if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else fail();
    return true;
  };
  /** Reads `"key":` of an object member. */
  const key = () => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  // The open objects and arrays, innermost last: '}' or ']' is what closes each.
  const open: ('}' | ']')[] = [];
  try {
    for (;;) {
      // Here a value is expected.
      ws();
      if (!scalar()) {
        const close = text[i] === '{' ? '}' : ']';
        i++;
        ws();
        if (text[i] === close) {
          i++;
        } else {
          open.push(close);
          if (close === '}') key();
          continue;
        }
      }
      // A value ended: a comma (and the next member) or closing brackets follow.
      for (;;) {
        const close = open[open.length - 1];
        if (close === undefined) {
          ws();
          return i < text.length ? i : Math.max(0, text.length - 1);
        }
        ws();
        if (text[i] === ',') {
          i++;
          if (close === '}') key();
          break;
        }
        if (text[i] !== close) fail();
        i++;
        open.pop();
      }
    }
  } catch (at) {
    return Math.min(typeof at === 'number' ? at : 0, text.length);
  }
}

function isNotebook(value: unknown): value is { metadata?: Record<string, unknown> } {
  return typeof value === 'object' && value !== null && 'cells' in value && 'nbformat' in value;
}

function extractDocument(value: unknown): { document: unknown; base: string } {
  if (!isNotebook(value)) return { document: value, base: '' };
  const document = value.metadata?.[NOTEBOOK_METADATA_KEY];
  if (document === undefined) {
    throw new FancyflowError(
      'INVALID_DOCUMENT',
      `The notebook has no fancyflow workflow (metadata.${NOTEBOOK_METADATA_KEY} is missing)`,
      { details: { pointer: `/metadata/${NOTEBOOK_METADATA_KEY}` } },
    );
  }
  // the run history beside the document is read apart (readRunHistory): it never makes it invalid
  return { document: withoutRunHistory(document), base: `/metadata/${NOTEBOOK_METADATA_KEY}` };
}

function validateDocument(document: unknown, base: string): WorkflowDocument {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new FancyflowError('INVALID_DOCUMENT', 'A workflow document must be a JSON object', {
      details: { pointer: base },
    });
  }
  const version = (document as { formatVersion?: unknown }).formatVersion;
  if (version === undefined) {
    throw new FancyflowError('INVALID_DOCUMENT', `${base || '(root)'}: formatVersion is missing`, {
      details: { pointer: `${base}/formatVersion` },
    });
  }
  if (typeof version !== 'number' || !READABLE_FORMAT_VERSIONS.includes(version)) {
    throw new FancyflowError(
      'UNSUPPORTED_FORMAT_VERSION',
      `Format version ${JSON.stringify(version).slice(0, 40)} is not supported (this build reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
      {
        details: { pointer: `${base}/formatVersion`, formatVersion: String(version).slice(0, 40) },
      },
    );
  }
  const result = WorkflowDocumentSchema.safeParse(migrateDocument(document));
  if (!result.success) {
    const issues = serializeIssues(result.error.issues);
    const first = issues[0]!;
    const pointer = base + toJsonPointer(first.path);
    throw new FancyflowError('INVALID_DOCUMENT', `${pointer || '(root)'}: ${first.message}`, {
      details: { pointer, issues: issues as unknown as JsonValue },
    });
  }
  return result.data;
}

/**
 * Checks one step against a registry: its slug is registered, its wiring names the step's
 * arguments, its config passes the config schema. Throws the coded error, with `pointer` (the
 * step's JSON pointer) extended to the place.
 */
export function checkStep(step: WorkflowStep, registry: FunctionRegistry, pointer: string): void {
  const fn = registry.get(step.slug);
  if (!fn) {
    try {
      registry.require(step.slug);
    } catch (e) {
      if (e instanceof FancyflowError) {
        throw new FancyflowError(e.code, `${pointer}/slug: ${e.message}`, {
          details: { ...e.details, stepId: step.id, pointer: `${pointer}/slug` },
        });
      }
      throw e;
    }
    return;
  }
  const def = fn.definition;
  checkArguments(def, Object.keys(step.wiring), { pointer, stepId: step.id });
  try {
    parseStepConfig(def, step.config);
  } catch (e) {
    if (e instanceof FancyflowError) {
      const inner = typeof e.details.pointer === 'string' ? e.details.pointer : '';
      throw new FancyflowError(e.code, `${pointer}/config${inner}: ${e.message}`, {
        details: { ...e.details, stepId: step.id, pointer: `${pointer}/config${inner}` },
        cause: e.cause,
      });
    }
    throw e;
  }
}
