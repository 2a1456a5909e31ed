/**
 * The code of a step cell: generated from a step, its wiring and config, and read back from the
 * cell's source so the config form, the code and the metadata stay consistent.
 *
 * Generated code is one call, readable as written by hand:
 *
 *     steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })
 *
 * Standard-library steps (module `fancyflow`) are reached as `steps.<slug>`, others through the
 * registry (`defaultRegistry().require('<slug>')`). An input is wired with `cell('<name or cell id>')`.
 */
import type { JsonValue } from '../core/errors';
import type { StepDescriptor } from '../core/step';
import {
  isIdentifierName,
  printLiteral,
  quote,
  raw,
  readStatements,
  ReadError,
  toJson,
  type ExpressionNode,
  type LiteralValue,
} from './js-literal';

/** The names generated code uses; they must match what the package root exports. */
export interface CodeNames {
  /** The object holding the standard steps. Default `steps`. */
  steps: string;
  /** The function that refers to a cell by name or id. Default `cell`. */
  cell: string;
  /** The function returning the registry of every step. Default `defaultRegistry`. */
  registry: string;
  /** The package the names are imported from. Default `fancyflow`. */
  packageName: string;
}

/** The names of the package root (`import { steps, cell, defaultRegistry } from 'fancyflow'`). */
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
  /** `steps`: `steps.<slug>`; `registry`: `defaultRegistry().require('<slug>')`. */
  via: 'steps' | 'registry';
  /** Argument → the cell reference written in `cell('…')` (a readable name or a cell id). */
  wiring: Record<string, string>;
  /** The config as written (fields left out take their defaults). */
  config: Record<string, JsonValue>;
  /** The readable name of the output cell. */
  name?: string;
  /** A title for workflow views. */
  title?: string;
}

/** How a step is reached from cell code: standard-library steps through `steps`. */
export function accessFor(step: Pick<StepDescriptor, 'module'>): StepCall['via'] {
  return step.module === 'fancyflow' ? 'steps' : 'registry';
}

/** The import line that brings the names generated code uses into scope. */
export function importLine(names: CodeNames = DEFAULT_CODE_NAMES, registry = false): string {
  const list = [names.steps, names.cell, ...(registry ? [names.registry] : [])];
  return `import { ${list.join(', ')} } from ${quote(names.packageName)};`;
}

function callee(call: StepCall, names: CodeNames): string {
  if (call.via === 'steps') {
    return isIdentifierName(call.slug)
      ? `${names.steps}.${call.slug}`
      : `${names.steps}[${quote(call.slug)}]`;
  }
  return `${names.registry}().require(${quote(call.slug)})`;
}

/**
 * The config fields worth writing: those whose value differs from the schema's top-level default
 * (so the code stays short and the defaults stay visible in the form).
 */
export function withoutDefaults(
  config: Record<string, JsonValue>,
  schema: Record<string, unknown> | undefined,
): Record<string, JsonValue> {
  const props = schema?.['properties'];
  if (typeof props !== 'object' || props === null) return { ...config };
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(config)) {
    const field = (props as Record<string, unknown>)[key];
    const hasDefault = typeof field === 'object' && field !== null && 'default' in field;
    if (hasDefault && jsonEqual((field as { default: unknown }).default, value)) continue;
    out[key] = value;
  }
  return out;
}

/** The config with the schema's top-level defaults filled in where a field is absent. */
export function withDefaults(
  config: Record<string, JsonValue>,
  schema: Record<string, unknown> | undefined,
): Record<string, JsonValue> {
  const props = schema?.['properties'];
  if (typeof props !== 'object' || props === null) return { ...config };
  const out: Record<string, JsonValue> = {};
  for (const [key, field] of Object.entries(props as Record<string, unknown>)) {
    if (key in config) continue;
    if (typeof field === 'object' && field !== null && 'default' in field) {
      out[key] = structuredCloneJson((field as { default: JsonValue }).default);
    }
  }
  return { ...out, ...config };
}

function structuredCloneJson(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

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

/** Options of {@link generateStepCode}. */
export interface GenerateOptions {
  names?: CodeNames;
  /** Starts the code with the import line (for a notebook that does not import fancyflow yet). */
  withImport?: boolean;
  /** Maximum line length before the call is broken up. Default {@link MAX_LINE}. */
  maxLine?: number;
}

/**
 * The code of a step cell.
 *
 * @example
 * generateStepCode({ slug: 'drop_nulls', via: 'steps', wiring: { table: 'clean' },
 *   config: { threshold: 0.5 }, name: 'drop_nulls_1' });
 * // steps.drop_nulls({ table: cell('clean') }, { threshold: 0.5 }, { name: 'drop_nulls_1' })
 */
export function generateStepCode(call: StepCall, options: GenerateOptions = {}): string {
  const names = options.names ?? DEFAULT_CODE_NAMES;
  const maxLine = options.maxLine ?? MAX_LINE;
  const wiring: Record<string, LiteralValue> = {};
  for (const [arg, ref] of Object.entries(call.wiring))
    wiring[arg] = raw(`${names.cell}(${quote(ref)})`);
  const callOptions: Record<string, JsonValue> = {};
  if (call.name !== undefined) callOptions['name'] = call.name;
  if (call.title !== undefined) callOptions['title'] = call.title;
  const args = [printLiteral(wiring)];
  const hasConfig = Object.keys(call.config).length > 0;
  const hasOptions = Object.keys(callOptions).length > 0;
  if (hasConfig || hasOptions) args.push(printLiteral(call.config));
  if (hasOptions) args.push(printLiteral(callOptions));
  const head = callee(call, names);
  const oneLine = `${head}(${args.join(', ')})`;
  const body =
    oneLine.length <= maxLine ? oneLine : `${head}(\n${args.map((a) => `  ${a},`).join('\n')}\n)`;
  return options.withImport ? `${importLine(names, call.via === 'registry')}\n${body}` : body;
}

/** The result of reading a cell's code. */
export type ParsedStepCode =
  | {
      ok: true;
      call: StepCall;
      /** The import lines the code starts with, as written. */ imports: string[];
    }
  | { ok: false; reason: string };

const IMPORT_LINE = /^\s*import\s+(?:type\s+)?\{[^}]*\}\s+from\s+(['"])[^'"\n]+\1\s*;?[ \t]*$/gm;

/**
 * Reads a step cell's code back into a {@link StepCall}, when the code still has the generated
 * shape (import lines, comments, white space, line breaks and a trailing `;` may differ). Returns
 * `{ ok: false }` for anything else (custom code): never throws.
 */
export function parseStepCode(code: string, names: CodeNames = DEFAULT_CODE_NAMES): ParsedStepCode {
  const imports: string[] = [];
  const rest = code.replace(IMPORT_LINE, (line) => {
    imports.push(line.trim());
    return '';
  });
  let statements: ExpressionNode[];
  try {
    statements = readStatements(rest);
  } catch (e) {
    return { ok: false, reason: e instanceof ReadError ? e.message : String(e) };
  }
  if (statements.length !== 1) {
    return { ok: false, reason: `expected one step call, found ${statements.length} statements` };
  }
  try {
    return { ok: true, call: readCall(statements[0]!, names), imports };
  } catch (e) {
    return { ok: false, reason: e instanceof ReadError ? e.message : String(e) };
  }
}

function readCall(node: ExpressionNode, names: CodeNames): StepCall {
  if (node.type !== 'call') throw new ReadError('not a call');
  const { slug, via } = readCallee(node.callee, names);
  const [wiringNode, configNode, optionsNode, ...extra] = node.args;
  if (extra.length > 0) throw new ReadError('too many arguments');
  if (!wiringNode || wiringNode.type !== 'object')
    throw new ReadError('the wiring is not an object literal');
  const wiring: Record<string, string> = {};
  for (const [arg, ref] of wiringNode.entries) wiring[arg] = readReference(ref, names);
  let config: Record<string, JsonValue> = {};
  if (configNode) {
    const value = toJson(configNode);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ReadError('the config is not an object literal');
    }
    config = value;
  }
  const call: StepCall = { slug, via, wiring, config };
  if (optionsNode) {
    const value = toJson(optionsNode);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ReadError('the options are not an object literal');
    }
    for (const [key, v] of Object.entries(value)) {
      if ((key !== 'name' && key !== 'title') || typeof v !== 'string') {
        throw new ReadError(`unsupported call option "${key}"`);
      }
      call[key] = v;
    }
  }
  return call;
}

function readCallee(node: ExpressionNode, names: CodeNames): Pick<StepCall, 'slug' | 'via'> {
  if (
    node.type === 'member' &&
    node.object.type === 'identifier' &&
    node.object.name === names.steps
  ) {
    return { slug: node.property, via: 'steps' };
  }
  if (
    node.type === 'call' &&
    node.callee.type === 'member' &&
    isRegistry(node.callee.object, names) &&
    (node.callee.property === 'require' || node.callee.property === 'get') &&
    node.args.length === 1 &&
    node.args[0]!.type === 'literal' &&
    typeof node.args[0]!.value === 'string'
  ) {
    return { slug: node.args[0]!.value, via: 'registry' };
  }
  throw new ReadError('the callee is not a step');
}

/** `defaultRegistry()` (or a variable of that name holding the registry). */
function isRegistry(node: ExpressionNode, names: CodeNames): boolean {
  if (node.type === 'identifier') return node.name === names.registry;
  return (
    node.type === 'call' &&
    node.args.length === 0 &&
    node.callee.type === 'identifier' &&
    node.callee.name === names.registry
  );
}

function readReference(node: ExpressionNode, names: CodeNames): string {
  if (node.type === 'literal' && typeof node.value === 'string' && node.value.length > 0)
    return node.value;
  if (
    node.type === 'call' &&
    node.callee.type === 'identifier' &&
    node.callee.name === names.cell &&
    node.args.length === 1 &&
    node.args[0]!.type === 'literal' &&
    typeof node.args[0]!.value === 'string' &&
    node.args[0]!.value.length > 0
  ) {
    return node.args[0]!.value;
  }
  throw new ReadError('an input is not wired with cell(…)');
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
 * The code with its config replaced (form edit → code), keeping the code's wiring, name, title and
 * import line. Returns undefined when the code is custom (not in the generated shape).
 */
export function replaceConfig(
  code: string,
  config: Record<string, JsonValue>,
  options: GenerateOptions = {},
): string | undefined {
  const parsed = parseStepCode(code, options.names);
  if (!parsed.ok) return undefined;
  const body = generateStepCode({ ...parsed.call, config }, { ...options, withImport: false });
  return [...parsed.imports, body].join('\n');
}
