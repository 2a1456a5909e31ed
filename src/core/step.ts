/**
 * `step()`: turns a plain function into a FancyFunction with contracts, and calling a FancyFunction
 * with references to cells gives a WorkflowStep (the wiring), never a result.
 */
import { z } from 'zod';
import type { FancyCell } from './cell';
import {
  compileContract,
  contractJsonSchema,
  isOptionalContract,
  type ContractCheck,
  tableSpecOf,
  type Contract,
  type RowOf,
} from './contracts';
import {
  FancyflowError,
  formatPath,
  serializeIssues,
  toJsonPointer,
  type JsonValue,
} from './errors';
import type { Row } from './table';
import { createWorkflowStep, isWorkflowStep, type WorkflowStep } from './workflow-step';
import { defaultRegistry, type FunctionRegistry } from './registry';

/** The contracts of a step's inputs: argument name → contract. */
export type StepInputs = Record<string, Contract>;

/** A step's config schema: a zod object of JSON-serialisable fields (give them defaults). */
export type ConfigSchema = z.ZodObject;

/** The empty config schema used when a step declares none. */
export type EmptyConfig = z.ZodObject<Record<never, never>>;

/**
 * How the Orchestrator calls a step:
 * - `batch` (default): once, with every input whole (a table arrives as one table).
 * - `row_wise`: the step has exactly one input, a table; its function gets one row and returns one
 *   row; the Orchestrator maps it over the table a record batch at a time and assembles the
 *   results into a table of the same family. Its output contract must be a table contract.
 */
export type Execution = 'batch' | 'row_wise';

/** Execution traits of a step. */
export interface StepTraits {
  /** Default `batch`. */
  execution?: Execution;
  /**
   * False for a step whose output may change with the same code, config and inputs (it reads a
   * file that changes, draws random numbers without a seed): it runs every time instead of being
   * answered from the cache. Default true.
   */
  cache?: boolean;
}

/** What `step()` takes. */
export interface StepDefinition<I extends StepInputs, C extends ConfigSchema, O extends Contract> {
  /** Unique in its registry: lowercase letters, digits, `_` `-` `.`, starting with a letter. */
  slug: string;
  /** Default: the slug. */
  title?: string;
  /** Default: empty. */
  description?: string;
  /** Palette group. Default `General`. */
  category?: string;
  /** The step's version, recorded in workflows. Default `1.0.0`. */
  version?: string;
  inputs: I;
  /** Default: no config (`z.object({})`). */
  config?: C;
  output: O;
  /** Default `{ execution: 'batch' }`. */
  traits?: StepTraits;
  /**
   * What the output depends on besides the config and the inputs, as a short text that changes
   * when it does: a read step returns the file's size and modification time. Part of the cache
   * key, and recorded (a change makes the step stale: `read file changed`). Called before every
   * cached run of the step, so it must be quick; when it throws, the step runs uncached. Default:
   * nothing besides config and inputs.
   *
   * @example
   * cacheKey: ({ path }) => { const s = statSync(path); return `${s.size}:${s.mtimeMs}`; }
   */
  cacheKey?: (config: z.output<C>) => string;
  /** The module that defines the step, for workflow documents (`fancyflow`, `./my-steps.js`). */
  module?: string;
}

/** The values a batch step receives: argument → the contract's type. */
export type InputValues<I extends StepInputs> = { [K in keyof I]: z.output<I[K]> };

/** What a running step gets besides its inputs and config. */
export interface StepContext {
  /** The id of the WorkflowStep being run (its output cell id). */
  stepId: string;
  /** Aborted when the run is cancelled: long steps should check it. */
  signal: AbortSignal;
}

/** The function of a batch step. */
export type BatchFunction<I extends StepInputs, C extends ConfigSchema, O extends Contract> = (
  inputs: InputValues<I>,
  config: z.output<C>,
  context: StepContext,
) => z.input<O> | Promise<z.input<O>>;

/**
 * The function of a row_wise step: one row in, one row out. `context.index` is the row's index in
 * the input table; the context object is the same for every row of a call (its index changes), so
 * keep the index, not the object.
 */
export type RowFunction<I extends StepInputs, C extends ConfigSchema> = (
  row: RowOf<I[keyof I]>,
  config: z.output<C>,
  context: StepContext & { index: number },
) => Row;

/** A reference to a cell: a FancyCell, a cell id, an earlier WorkflowStep, or `{ cellId }`. */
export type CellReference = FancyCell | WorkflowStep | string | { cellId: string };

// Decided on the output type: table contracts accept `unknown` as input, and only contracts whose
// value may be undefined (z.optional) make an argument optional.
type OptionalKeys<I extends StepInputs> = {
  [K in keyof I]: undefined extends z.output<I[K]> ? K : never;
}[keyof I];

/** The references a call takes: one per input (inputs whose contract accepts undefined may be left out). */
export type StepReferences<I extends StepInputs> = {
  [K in Exclude<keyof I, OptionalKeys<I>>]: CellReference;
} & { [K in OptionalKeys<I>]?: CellReference };

/** Options of a call. */
export interface CallOptions {
  /** The step id (= its output cell id). Default: `<slug>_<n>`, unique in this process. */
  id?: string;
  /** A title shown in workflow views. Default: the step's title. */
  title?: string;
  /** A readable name for the output cell, so later cells can say `cell('clean')`. */
  name?: string;
}

/** A step definition with every default filled in (what the Orchestrator runs). */
export interface ResolvedStep {
  slug: string;
  title: string;
  description: string;
  category: string;
  version: string;
  inputs: StepInputs;
  optionalInputs: ReadonlySet<string>;
  config: ConfigSchema;
  output: Contract;
  /** The input contracts, compiled. */
  inputChecks: Readonly<Record<string, ContractCheck>>;
  /** The output contract, compiled. */
  outputCheck: ContractCheck;
  execution: Execution;
  /** False when `traits.cache` is false: the step always runs. */
  cacheable: boolean;
  /** See {@link StepDefinition.cacheKey}. */
  cacheKey?: (config: Record<string, JsonValue>) => string;
  module?: string;
  /** The function: a batch function, or a row function when `execution` is `row_wise`. */
  fn: (input: never, config: never, context: never) => unknown;
}

/** The JSON description of a step (palette, CLI, comm protocol). */
export interface StepDescriptor {
  slug: string;
  title: string;
  description: string;
  category: string;
  version: string;
  inputs: Record<string, { schema: Record<string, unknown>; optional: boolean }>;
  output: Record<string, unknown>;
  config: Record<string, unknown>;
  traits: { execution: Execution; cache?: false };
  module?: string;
}

const FANCY_FUNCTION = Symbol.for('fancyflow.FancyFunction');

/** A registered step: call it with references to get a WorkflowStep. */
export interface FancyFunction<
  I extends StepInputs = StepInputs,
  C extends ConfigSchema = ConfigSchema,
  O extends Contract = Contract,
> {
  /** Wires the step: returns a WorkflowStep (never runs it). Throws a coded error on bad wiring or config. */
  (references: StepReferences<I>, config?: z.input<C>, options?: CallOptions): WorkflowStep;
  readonly slug: string;
  readonly version: string;
  /** The contracts, typed: `z.infer<typeof myStep.contracts.config>` is the config's type. */
  readonly contracts: { readonly inputs: I; readonly config: C; readonly output: O };
  readonly definition: ResolvedStep;
  /** The step's JSON description (JSON Schemas of its contracts). Computed once. */
  describe(): StepDescriptor;
  /** Parses a config (defaults applied); throws `INVALID_CONFIG` naming the issue path. */
  parseConfig(config: unknown): z.output<C>;
  readonly [FANCY_FUNCTION]: true;
}

/** Options of `step()`. */
export interface StepOptions {
  /** The registry to register in. Default: the process-wide default registry. */
  registry?: FunctionRegistry;
}

const SLUG_PATTERN = /^[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)*$/;

/** True when `slug` is a valid step slug (at most 64 characters). */
export function isValidSlug(slug: string): boolean {
  return slug.length <= 64 && SLUG_PATTERN.test(slug);
}

/** True when `value` is a FancyFunction (of any copy of this package). */
export function isFancyFunction(value: unknown): value is FancyFunction {
  return typeof value === 'function' && (value as Partial<FancyFunction>)[FANCY_FUNCTION] === true;
}

/**
 * Defines a step, registers it and returns its FancyFunction.
 *
 * @example
 * const cleanData = step(
 *   {
 *     slug: 'clean_data',
 *     inputs: { df: table() },
 *     config: z.object({ threshold: z.number().min(0).max(1).default(0.5) }),
 *     output: table(),
 *   },
 *   ({ df }, { threshold }) => dropSparseRows(df, threshold),
 * );
 * const cleaned = cleanData({ df: 'raw' }, { threshold: 0.3 }); // a WorkflowStep
 */
export function step<
  I extends StepInputs,
  O extends Contract,
  C extends ConfigSchema = EmptyConfig,
>(
  definition: StepDefinition<I, C, O> & { traits: { execution: 'row_wise' } },
  fn: RowFunction<I, C>,
  options?: StepOptions,
): FancyFunction<I, C, O>;
export function step<
  I extends StepInputs,
  O extends Contract,
  C extends ConfigSchema = EmptyConfig,
>(
  definition: StepDefinition<I, C, O> & { traits?: { execution?: 'batch' } },
  fn: BatchFunction<I, C, O>,
  options?: StepOptions,
): FancyFunction<I, C, O>;
export function step(
  definition: StepDefinition<StepInputs, ConfigSchema, Contract>,
  fn: (...args: never[]) => unknown,
  options: StepOptions = {},
): FancyFunction {
  const resolved = resolveDefinition(definition, fn);
  const fancy = createFancyFunction(resolved);
  (options.registry ?? defaultRegistry()).register(fancy);
  return fancy;
}

function invalidDefinition(slug: string, message: string, cause?: unknown): FancyflowError {
  return new FancyflowError('INVALID_DEFINITION', `Step "${slug}": ${message}`, {
    details: { slug },
    cause,
  });
}

function resolveDefinition(
  def: StepDefinition<StepInputs, ConfigSchema, Contract>,
  fn: (...args: never[]) => unknown,
): ResolvedStep {
  if (typeof def !== 'object' || def === null) {
    throw new FancyflowError('INVALID_DEFINITION', 'step() needs a definition object');
  }
  const slug = def.slug;
  if (typeof slug !== 'string' || !isValidSlug(slug)) {
    throw new FancyflowError(
      'INVALID_SLUG',
      `Invalid step slug ${JSON.stringify(slug)}: use lowercase letters, digits and _ - . (starting with a letter, at most 64 characters)`,
      { details: { slug: String(slug) } },
    );
  }
  if (typeof fn !== 'function')
    throw invalidDefinition(slug, 'the second argument must be a function');
  if (typeof def.inputs !== 'object' || def.inputs === null) {
    throw invalidDefinition(slug, '`inputs` must be a record of zod schemas');
  }
  for (const [name, contract] of Object.entries(def.inputs)) {
    if (!isZodSchema(contract))
      throw invalidDefinition(slug, `input "${name}" is not a zod schema`);
  }
  if (!isZodSchema(def.output)) throw invalidDefinition(slug, '`output` is not a zod schema');
  const config = def.config ?? z.object({});
  if (!(config instanceof z.ZodObject) && !isZodObjectLike(config)) {
    throw invalidDefinition(slug, '`config` must be a zod object');
  }
  try {
    z.toJSONSchema(config, { unrepresentable: 'throw', io: 'input' });
  } catch (e) {
    throw invalidDefinition(slug, 'its config schema is not JSON-serialisable', e);
  }
  const execution = def.traits?.execution ?? 'batch';
  if (execution !== 'batch' && execution !== 'row_wise') {
    throw invalidDefinition(slug, `unknown execution trait ${JSON.stringify(execution)}`);
  }
  const cache = def.traits?.cache ?? true;
  if (typeof cache !== 'boolean') {
    throw invalidDefinition(
      slug,
      `traits.cache must be true or false, not ${JSON.stringify(cache)}`,
    );
  }
  if (execution === 'row_wise') {
    const contracts = Object.values(def.inputs);
    if (contracts.length !== 1 || !tableSpecOf(contracts[0]!)) {
      throw invalidDefinition(slug, 'a row_wise step takes exactly one input, a table contract');
    }
    if (!tableSpecOf(def.output)) {
      throw invalidDefinition(slug, "a row_wise step's output must be a table contract");
    }
  }
  const optionalInputs = new Set(
    Object.entries(def.inputs)
      .filter(([, c]) => isOptionalContract(c))
      .map(([name]) => name),
  );
  const resolved: ResolvedStep = {
    slug,
    title: def.title ?? slug,
    description: def.description ?? '',
    category: def.category ?? 'General',
    version: def.version ?? '1.0.0',
    inputs: { ...def.inputs },
    optionalInputs,
    config,
    output: def.output,
    inputChecks: Object.fromEntries(
      Object.entries(def.inputs).map(([name, contract]) => [name, compileContract(contract)]),
    ),
    outputCheck: compileContract(def.output),
    execution,
    cacheable: cache,
    fn: fn as ResolvedStep['fn'],
  };
  if (def.module !== undefined) resolved.module = def.module;
  if (def.cacheKey !== undefined) {
    resolved.cacheKey = def.cacheKey as unknown as (config: Record<string, JsonValue>) => string;
  }
  return resolved;
}

function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function' &&
    '_zod' in value
  );
}

function isZodObjectLike(value: unknown): value is ConfigSchema {
  return (
    isZodSchema(value) && (value as { _zod: { def: { type: string } } })._zod.def.type === 'object'
  );
}

let stepCounter = 0;

/** Turns a reference into a cell id, or throws INVALID_REFERENCE naming the argument. */
export function referenceToCellId(ref: unknown, slug: string, argument: string): string {
  if (typeof ref === 'string' && ref.length > 0) return ref;
  if (isWorkflowStep(ref)) return ref.id;
  if (typeof ref === 'object' && ref !== null) {
    const candidate = ref as { id?: unknown; uri?: unknown; cellId?: unknown };
    if (typeof candidate.cellId === 'string' && candidate.cellId.length > 0)
      return candidate.cellId;
    if (typeof candidate.id === 'string' && typeof candidate.uri === 'string') return candidate.id;
  }
  throw new FancyflowError(
    'INVALID_REFERENCE',
    `Step "${slug}", argument "${argument}": expected a cell id, a FancyCell or a WorkflowStep, got ${ref === null ? 'null' : typeof ref}`,
    { details: { slug, argument } },
  );
}

/**
 * Throws `UNKNOWN_ARGUMENT` for an argument the step does not declare and `MISSING_ARGUMENT` for a
 * required input not given. With `at` (a document's step), messages and details carry its pointer.
 */
export function checkArguments(
  step: ResolvedStep,
  given: readonly string[],
  at?: { pointer: string; stepId: string },
): void {
  const where = (suffix: string): { prefix: string; details: Record<string, JsonValue> } =>
    at
      ? {
          prefix: `${at.pointer}${suffix}: `,
          details: { stepId: at.stepId, pointer: `${at.pointer}${suffix}` },
        }
      : { prefix: '', details: {} };
  const inputs = Object.keys(step.inputs);
  for (const argument of given) {
    // Own keys only: `in` would accept `toString` or `constructor` through Object.prototype.
    if (Object.hasOwn(step.inputs, argument)) continue;
    const { prefix, details } = where(`/wiring${toJsonPointer([argument])}`);
    throw new FancyflowError(
      'UNKNOWN_ARGUMENT',
      `${prefix}Step "${step.slug}" has no input "${argument}" (inputs: ${inputs.join(', ') || 'none'})`,
      { details: { slug: step.slug, argument, ...details } },
    );
  }
  for (const argument of inputs) {
    if (given.includes(argument) || step.optionalInputs.has(argument)) continue;
    const { prefix, details } = where('/wiring');
    throw new FancyflowError(
      'MISSING_ARGUMENT',
      `${prefix}Step "${step.slug}" needs input "${argument}"`,
      {
        details: { slug: step.slug, argument, ...details },
      },
    );
  }
}

/** Parses a config against a step's schema, throwing INVALID_CONFIG with the first issue's path. */
export function parseStepConfig(step: ResolvedStep, config: unknown): Record<string, JsonValue> {
  const result = step.config.safeParse(config ?? {});
  if (!result.success) {
    const issues = serializeIssues(result.error.issues);
    const first = issues[0]!;
    throw new FancyflowError(
      'INVALID_CONFIG',
      `Step "${step.slug}": config ${formatPath(first.path)}: ${first.message}`,
      {
        details: {
          slug: step.slug,
          pointer: toJsonPointer(first.path),
          issues: issues as unknown as JsonValue,
        },
      },
    );
  }
  return result.data as Record<string, JsonValue>;
}

function createFancyFunction(resolved: ResolvedStep): FancyFunction {
  let descriptor: StepDescriptor | undefined;
  const call = (references: unknown, config?: unknown, options: CallOptions = {}): WorkflowStep => {
    const slug = resolved.slug;
    if (typeof references !== 'object' || references === null) {
      throw new FancyflowError(
        'INVALID_REFERENCE',
        `Step "${slug}" is called with an object of references: { ${Object.keys(resolved.inputs).join(', ')} }`,
        { details: { slug } },
      );
    }
    const refs = references as Record<string, unknown>;
    const given = Object.keys(refs).filter((name) => refs[name] !== undefined);
    checkArguments(resolved, given);
    const wiring: Record<string, string> = {};
    for (const name of given) wiring[name] = referenceToCellId(refs[name], slug, name);
    const parsed = parseStepConfig(resolved, config);
    const init: Parameters<typeof createWorkflowStep>[0] = {
      id: options.id ?? `${slug.replace(/[.-]/g, '_')}_${++stepCounter}`,
      slug,
      version: resolved.version,
      wiring,
      config: parsed,
    };
    if (options.title !== undefined) init.title = options.title;
    if (options.name !== undefined) init.name = options.name;
    return createWorkflowStep(init, { by: resolved, config: parsed });
  };
  const properties: PropertyDescriptorMap = {
    slug: { value: resolved.slug },
    version: { value: resolved.version },
    definition: { value: resolved },
    contracts: {
      value: Object.freeze({
        inputs: resolved.inputs,
        config: resolved.config,
        output: resolved.output,
      }),
    },
    describe: {
      value: (): StepDescriptor => (descriptor ??= describeStep(resolved)),
    },
    parseConfig: { value: (config: unknown) => parseStepConfig(resolved, config) },
    [FANCY_FUNCTION]: { value: true },
  };
  Object.defineProperties(call, properties);
  Object.defineProperty(call, 'name', { value: resolved.slug });
  return call as unknown as FancyFunction;
}

function describeStep(resolved: ResolvedStep): StepDescriptor {
  const inputs: StepDescriptor['inputs'] = {};
  for (const [name, contract] of Object.entries(resolved.inputs)) {
    inputs[name] = {
      schema: contractJsonSchema(contract),
      optional: resolved.optionalInputs.has(name),
    };
  }
  const out: StepDescriptor = {
    slug: resolved.slug,
    title: resolved.title,
    description: resolved.description,
    category: resolved.category,
    version: resolved.version,
    inputs,
    output: contractJsonSchema(resolved.output),
    config: contractJsonSchema(resolved.config, 'input'),
    traits: resolved.cacheable
      ? { execution: resolved.execution }
      : { execution: resolved.execution, cache: false },
  };
  if (resolved.module !== undefined) out.module = resolved.module;
  return out;
}
