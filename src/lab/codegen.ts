/**
 * The code of a step cell: generated from a step, its wiring and config, and read back from the
 * cell's source so the config form, the code and the metadata stay consistent.
 *
 * Generated code is one call, readable as written by hand:
 *
 *     steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })
 *
 * Every registered step is reached as `steps.<slug>` (`steps['<slug>']` when the slug is not an
 * identifier); an input is wired with `cell('<name or cell id>')`. Code is read with a real parser
 * (./code-reader.ts) and edited by source ranges (./code-edit.ts): a form edit rewrites only the
 * config argument's changed parts, a wiring change only that input's reference, and the rest of
 * the cell (other statements, comments, formatting) stays as the user wrote it.
 */
import { jsonEqual } from '../core/notebook-metadata';
import type { JsonValue } from '../core/errors';
import {
  applyEdits,
  columnOf,
  lineIndent,
  literalEdits,
  replaceNode,
  restructureObject,
} from './code-edit';
import { jsonOf, readStepCall } from './code-reader';
import {
  isIdentifierName,
  printLiteral,
  printLiteralBlock,
  quote,
  raw,
  type LiteralValue,
} from './js-literal';

/** The names generated code uses; they must match what the package root exports. */
export interface CodeNames {
  /** The object holding every registered step. Default `steps`. */
  steps: string;
  /** The function that refers to a cell by name or id. Default `cell`. */
  cell: string;
  /** The function returning the registry of every step. Default `defaultRegistry`. */
  registry: string;
  /** The package the names are imported from. Default `fancyflow`. */
  packageName: string;
}

/** The names of the package root (`import { steps, cell } from 'fancyflow'`). */
export const DEFAULT_CODE_NAMES: CodeNames = {
  steps: 'steps',
  cell: 'cell',
  registry: 'defaultRegistry',
  packageName: 'fancyflow',
};

/** Lines longer than this are broken into one argument per line. */
export const MAX_LINE = 88;

/** What a step cell's code says: which step, wired how, with which config and call options. */
export interface StepCall {
  slug: string;
  /** @deprecated Every step is reached as `steps.<slug>`; the value is ignored. */
  via?: 'steps' | 'registry';
  /** Argument → the cell reference written in `cell('…')` (a readable name or a cell id). */
  wiring: Record<string, string>;
  /** The config as written (fields left out take their defaults). */
  config: Record<string, JsonValue>;
  /** The readable name of the output cell. */
  name?: string;
  /** A title for workflow views. */
  title?: string;
}

/**
 * How a step is reached from cell code.
 *
 * @deprecated Every registered step is reached as `steps.<slug>`: this returns `'steps'`.
 */
export function accessFor(_step?: unknown): 'steps' {
  return 'steps';
}

/** The import line that brings the names generated code uses into scope. */
export function importLine(names: CodeNames = DEFAULT_CODE_NAMES, registry = false): string {
  const list = [names.steps, names.cell, ...(registry ? [names.registry] : [])];
  return `import { ${list.join(', ')} } from ${quote(names.packageName)};`;
}

/** `steps.<slug>`, or `steps['<slug>']` when the slug is not an identifier (`my-step`, `a.b`). */
export function stepAccess(slug: string, names: CodeNames = DEFAULT_CODE_NAMES): string {
  return isIdentifierName(slug) ? `${names.steps}.${slug}` : `${names.steps}[${quote(slug)}]`;
}

type Schema = Record<string, unknown> | undefined;

function fieldsOf(schema: Schema): Record<string, unknown> | undefined {
  const props = schema?.['properties'];
  return typeof props === 'object' && props !== null
    ? (props as Record<string, unknown>)
    : undefined;
}

function defaultOf(field: unknown): { value: JsonValue } | undefined {
  return typeof field === 'object' && field !== null && 'default' in field
    ? { value: (field as { default: JsonValue }).default }
    : undefined;
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** The config without fields whose value is `undefined` (a cleared form field). */
export function definedFields(
  config: Record<string, JsonValue | undefined>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) defineField(out, key, value);
  }
  return out;
}

function defineField(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  // defineProperty: a `__proto__` key stays a plain key
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * The config fields worth writing: those whose value differs from the schema's top-level default
 * (so the code stays short and the defaults stay visible in the form).
 */
export function withoutDefaults(
  config: Record<string, JsonValue>,
  schema: Schema,
): Record<string, JsonValue> {
  const props = fieldsOf(schema);
  if (!props) return definedFields(config);
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const found = defaultOf(props[key]);
    if (found && jsonEqual(found.value, value)) continue;
    defineField(out, key, value);
  }
  return out;
}

/** The config with the schema's top-level defaults filled in where a field is absent. */
export function withDefaults(
  config: Record<string, JsonValue>,
  schema: Schema,
): Record<string, JsonValue> {
  const given = definedFields(config);
  const props = fieldsOf(schema);
  if (!props) return given;
  const out: Record<string, JsonValue> = {};
  for (const [key, field] of Object.entries(props)) {
    if (hasOwn(given, key)) continue;
    const found = defaultOf(field);
    if (found) defineField(out, key, structuredCloneJson(found.value));
  }
  for (const [key, value] of Object.entries(given)) defineField(out, key, value);
  return out;
}

function structuredCloneJson(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** Deep equality of JSON values (object key order ignored; `1` and `'1'` differ). */
export { jsonEqual };

/**
 * The config to write in code when the form says `next`, given what the code says (`written`):
 * a field whose effective value (defaults applied) did not change keeps its written form (written
 * or left out, as the user had it); a changed field is written; a field the form left out is left
 * out of the code too, so its default applies.
 */
export function configForCode(
  written: Record<string, JsonValue>,
  next: Record<string, JsonValue>,
  schema: Schema,
): Record<string, JsonValue> {
  const given = definedFields(next);
  const before = withDefaults(written, schema);
  const after = withDefaults(given, schema);
  const out: Record<string, JsonValue> = {};
  for (const key of new Set([...Object.keys(written), ...Object.keys(after)])) {
    if (jsonEqual(before[key], after[key])) {
      if (hasOwn(written, key)) defineField(out, key, written[key]!);
    } else if (hasOwn(given, key)) {
      defineField(out, key, given[key]!);
    }
  }
  return out;
}

/** Options of {@link generateStepCode} and the editing functions. */
export interface GenerateOptions {
  names?: CodeNames;
  /** Starts the code with the import line (for a notebook that does not import fancyflow yet). */
  withImport?: boolean;
  /** Maximum line length before a call or a literal is broken up. Default {@link MAX_LINE}. */
  maxLine?: number;
  /**
   * The step's config JSON Schema. With it, {@link replaceConfig} compares values with defaults
   * applied, so a field the user did not change keeps its written form.
   */
  schema?: Record<string, unknown>;
}

/**
 * The code of a step cell.
 *
 * @example
 * generateStepCode({ slug: 'drop_nulls', wiring: { table: 'clean' },
 *   config: { threshold: 0.5 }, name: 'drop_nulls_1' });
 * // steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })
 */
export function generateStepCode(call: StepCall, options: GenerateOptions = {}): string {
  const names = options.names ?? DEFAULT_CODE_NAMES;
  const maxLine = options.maxLine ?? MAX_LINE;
  const wiring: Record<string, LiteralValue> = {};
  for (const [arg, ref] of Object.entries(call.wiring)) {
    wiring[arg] = raw(`${names.cell}(${quote(ref)})`);
  }
  const callOptions: Record<string, JsonValue> = {};
  if (call.name !== undefined) callOptions['name'] = call.name;
  if (call.title !== undefined) callOptions['title'] = call.title;
  const config = definedFields(call.config);
  const args = [printLiteral(wiring)];
  const hasConfig = Object.keys(config).length > 0;
  const hasOptions = Object.keys(callOptions).length > 0;
  if (hasConfig || hasOptions) args.push(printLiteral(config));
  if (hasOptions) args.push(printLiteral(callOptions));
  const head = stepAccess(call.slug, names);
  const oneLine = `${head}(${args.join(', ')})`;
  const body =
    oneLine.length <= maxLine ? oneLine : `${head}(\n${args.map((a) => `  ${a},`).join('\n')}\n)`;
  return options.withImport ? `${importLine(names)}\n${body}` : body;
}

/** The result of reading a cell's code. */
export type ParsedStepCode =
  | {
      ok: true;
      call: StepCall;
      /** The cell's import declarations, as written. */
      imports: string[];
    }
  | { ok: false; reason: string };

/**
 * Reads a step cell's code back into a {@link StepCall}: the cell holds exactly one top-level
 * statement `steps.<slug>(wiring, config?, options?)` whose arguments are JSON literals (inputs
 * wired with `cell('…')`), anywhere among other statements. Returns `{ ok: false }` for anything
 * else (custom code): never throws.
 */
export function parseStepCode(code: string, names: CodeNames = DEFAULT_CODE_NAMES): ParsedStepCode {
  const read = readStepCall(code, names);
  if (!read.ok) return read;
  const source = read.source;
  const wiring: Record<string, string> = {};
  for (const entry of source.wiring.entries) {
    Object.defineProperty(wiring, entry.key, {
      value: entry.value.reference,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const call: StepCall = {
    slug: source.slug,
    wiring,
    config: source.config ? (jsonOf(source.config) as Record<string, JsonValue>) : {},
  };
  for (const entry of source.options?.entries ?? []) {
    if (entry.value.type === 'scalar' && typeof entry.value.value === 'string') {
      call[entry.key as 'name' | 'title'] = entry.value.value;
    }
  }
  return { ok: true, call, imports: source.imports };
}

/**
 * A readable name for a new step's output: `<slug>_<n>` (dots and dashes as `_`) with the smallest
 * `n` ≥ 1 not in `taken`.
 */
export function uniqueName(slug: string, taken: ReadonlySet<string>): string {
  const base = slug.replace(/[.-]/g, '_');
  for (let n = 1; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * The code with its config replaced (form edit → code). Only the config argument changes, and in
 * it only what differs: unchanged entries keep their text and comments; everything else in the
 * cell stays as written. With `options.schema`, `config` is compared with defaults applied (see
 * {@link configForCode}). Returns the code itself when nothing changes, and undefined when the
 * code is custom (not a step cell the reader understands).
 */
export function replaceConfig(
  code: string,
  config: Record<string, JsonValue>,
  options: GenerateOptions = {},
): string | undefined {
  const names = options.names ?? DEFAULT_CODE_NAMES;
  const maxLine = options.maxLine ?? MAX_LINE;
  const read = readStepCall(code, names);
  if (!read.ok) return undefined;
  const source = read.source;
  const written = source.config ? (jsonOf(source.config) as Record<string, JsonValue>) : {};
  const next = options.schema
    ? configForCode(written, config, options.schema)
    : definedFields(config);
  if (source.config) return applyEdits(code, literalEdits(code, source.config, next, maxLine));
  if (Object.keys(next).length === 0) return code;
  // no config argument yet: it goes right after the wiring
  const wiring = source.args[0]!;
  const column = columnOf(code, wiring.to) + 2;
  const printed = printLiteralBlock(next, {
    indent: lineIndent(code, wiring.from),
    column,
    maxLine,
  });
  return applyEdits(code, [{ from: wiring.to, to: wiring.to, insert: `, ${printed}` }]);
}

/**
 * The code with one input wired to `reference` (a cell name or id), or unwired when `reference`
 * is empty: only that input's reference changes (or its entry is added or removed). Returns
 * undefined when the code is custom.
 */
export function setWiring(
  code: string,
  argument: string,
  reference: string,
  options: GenerateOptions = {},
): string | undefined {
  const names = options.names ?? DEFAULT_CODE_NAMES;
  const maxLine = options.maxLine ?? MAX_LINE;
  const read = readStepCall(code, names);
  if (!read.ok) return undefined;
  const wiring = read.source.wiring;
  const entry = wiring.entries.find((e) => e.key === argument);
  const ref = raw(`${names.cell}(${quote(reference)})`);
  if (entry) {
    if (!reference) {
      const edits = restructureObject(code, wiring, new Set([argument]), [], maxLine);
      return applyEdits(code, edits ?? [{ from: wiring.from, to: wiring.to, insert: '{}' }]);
    }
    if (entry.value.reference === reference) return code;
    const insert = entry.value.style === 'string' ? quote(reference) : printLiteral(ref);
    return applyEdits(code, [{ from: entry.value.from, to: entry.value.to, insert }]);
  }
  if (!reference) return code;
  const edits =
    wiring.entries.length > 0
      ? restructureObject(code, wiring, new Set(), [{ key: argument, value: ref }], maxLine)!
      : [replaceNode(code, wiring, { [argument]: ref }, maxLine)];
  return applyEdits(code, edits);
}
