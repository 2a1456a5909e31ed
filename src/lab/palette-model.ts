/**
 * The step palette's model: the kernel's step descriptors, a search query, and the filtered steps
 * grouped by category. Free of DOM so it tests in Node; the widget only renders what it computes.
 *
 * Filtering 1,000 steps must stay far below a frame: each step's search text is lower-cased once
 * when the steps arrive, and a keystroke only runs `includes` over those strings.
 *
 * With a query the matches are one list, best first (see {@link matchRank}): `limit` finds the
 * `limit` step before the steps that only mention limits in their descriptions.
 */
import { Signal, type ISignal } from '@lumino/signaling';
import type { StepDescriptor } from '../core/step';

/** One category of the palette with its (filtered) steps, sorted by title. */
export interface PaletteGroup {
  category: string;
  steps: StepDescriptor[];
}

interface IndexedStep {
  step: StepDescriptor;
  /** title, slug, description and category, lower-cased, separated by newlines. */
  haystack: string;
  /** The slug and the title, lower-cased. */
  slug: string;
  title: string;
}

/** The heading of the palette's single list of search results. */
export const SEARCH_RESULTS = 'Best matches';

/** The terms of a query: lower-cased, split on white space, empty terms dropped. */
export function queryTerms(query: string): string[] {
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

/** The text a step is searched by: its title, slug, description and category. */
export function searchText(step: StepDescriptor): string {
  return [step.title, step.slug, step.description, step.category].join('\n').toLowerCase();
}

/**
 * The steps whose title, slug, description or category contain every term of `query`
 * (case-insensitive). An empty query keeps every step. Keeps the input order.
 */
export function filterSteps(steps: readonly StepDescriptor[], query: string): StepDescriptor[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [...steps];
  return steps.filter((s) => matchesTerms(searchText(s), terms));
}

function matchesTerms(haystack: string, terms: readonly string[]): boolean {
  for (const term of terms) if (!haystack.includes(term)) return false;
  return true;
}

function indexStep(step: StepDescriptor): IndexedStep {
  return {
    step,
    haystack: searchText(step),
    slug: step.slug.toLowerCase(),
    title: step.title.toLowerCase(),
  };
}

/**
 * How well a step matches the query terms (lower is better), or -1 when it does not match every
 * term: 0 the slug (or the title) is the query; 1 the slug starts with it; 2 the title's words
 * start with the terms; 3 the slug or title contain them; 4 only the description or category do.
 */
function rankOf(indexed: IndexedStep, terms: readonly string[]): number {
  if (!matchesTerms(indexed.haystack, terms)) return -1;
  const { slug, title } = indexed;
  const spaced = terms.join(' ');
  const joined = terms.join('_');
  if (slug === spaced || slug === joined || title === spaced) return 0;
  if (slug.startsWith(spaced) || slug.startsWith(joined)) return 1;
  const words = title.split(/[^a-z0-9]+/);
  if (terms.every((t) => words.some((w) => w.startsWith(t)))) return 2;
  if (terms.every((t) => slug.includes(t) || title.includes(t))) return 3;
  return 4;
}

/** {@link rankOf} for one step and a free-text query. */
export function matchRank(step: StepDescriptor, query: string): number {
  return rankOf(indexStep(step), queryTerms(query));
}

function ranked(indexed: readonly IndexedStep[], terms: readonly string[]): StepDescriptor[] {
  const hits: { step: StepDescriptor; rank: number }[] = [];
  for (const i of indexed) {
    const rank = rankOf(i, terms);
    if (rank >= 0) hits.push({ step: i.step, rank });
  }
  const byText = collator.compare;
  hits.sort(
    (a, b) =>
      a.rank - b.rank || byText(a.step.title, b.step.title) || byText(a.step.slug, b.step.slug),
  );
  return hits.map((h) => h.step);
}

/**
 * The steps matching every term of `query`, best first (see {@link matchRank}); ties by title.
 * An empty query keeps every step, in the input order.
 */
export function rankSteps(steps: readonly StepDescriptor[], query: string): StepDescriptor[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [...steps];
  return ranked(steps.map(indexStep), terms);
}

// one collator: `localeCompare` with options builds a new one on every call (100× slower)
const collator = new Intl.Collator('en', { sensitivity: 'base' });

/**
 * Groups steps by category: categories in alphabetical order (case-insensitive), steps in each by
 * title then slug. Steps without a category go to `General`.
 */
export function groupSteps(steps: readonly StepDescriptor[]): PaletteGroup[] {
  const groups = new Map<string, StepDescriptor[]>();
  for (const s of steps) {
    const category = s.category.trim() || 'General';
    let list = groups.get(category);
    if (!list) groups.set(category, (list = []));
    list.push(s);
  }
  const byText = collator.compare;
  return [...groups.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([category, list]) => ({
      category,
      steps: list.sort((a, b) => byText(a.title, b.title) || byText(a.slug, b.slug)),
    }));
}

/**
 * A short, readable description of a contract's JSON Schema: `table`, `table (a: number, b: string)`,
 * `bytes`, `number`, `string | null`, `array of number`, `object`, or `any`.
 */
export function describeContract(schema: Record<string, unknown>): string {
  const x = schema['x-fancyflow'] as
    { kind?: unknown; columns?: Record<string, unknown>; exact?: unknown } | undefined;
  if (x && x.kind === 'table') {
    const columns = Object.entries(x.columns ?? {}).map(
      ([name, type]) => `${name}: ${String(type)}`,
    );
    return columns.length === 0 ? 'table' : `table (${columns.join(', ')}${x.exact ? '' : ', …'})`;
  }
  if (x && x.kind === 'bytes') return 'bytes';
  const type = schema['type'];
  if (typeof type === 'string') {
    if (type === 'array' && isSchema(schema['items'])) {
      return `array of ${describeContract(schema['items'])}`;
    }
    return type;
  }
  if (Array.isArray(type)) return type.map(String).join(' | ');
  if (Array.isArray(schema['enum'])) {
    return schema['enum'].map((v) => JSON.stringify(v)).join(' | ');
  }
  if ('const' in schema) return JSON.stringify(schema['const']);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) {
      return options.filter(isSchema).map(describeContract).join(' | ');
    }
  }
  return 'any';
}

function isSchema(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One config field of a step, for the palette card. */
export interface ConfigFieldSummary {
  name: string;
  type: string;
  required: boolean;
  /** The default as JSON text, when the schema has one. */
  defaultText?: string;
  description?: string;
}

/** The config fields of a step's config JSON Schema (top-level properties). */
export function configFields(config: Record<string, unknown>): ConfigFieldSummary[] {
  const properties = config['properties'];
  if (!isSchema(properties)) return [];
  const required = new Set(Array.isArray(config['required']) ? config['required'].map(String) : []);
  return Object.entries(properties).map(([name, raw]) => {
    const schema = isSchema(raw) ? raw : {};
    const field: ConfigFieldSummary = {
      name,
      type: describeContract(schema),
      required: required.has(name) && !('default' in schema),
    };
    if ('default' in schema) field.defaultText = JSON.stringify(schema['default']);
    if (typeof schema['description'] === 'string') field.description = schema['description'];
    return field;
  });
}

/**
 * The palette's state: the registered steps, the query, and the groups to show.
 *
 * @example
 * const model = new PaletteModel();
 * model.setSteps(reply.steps);
 * model.query = 'null';
 * model.groups; // the categories with matching steps
 */
export class PaletteModel {
  private indexed: IndexedStep[] = [];
  private currentQuery = '';
  private cachedGroups: PaletteGroup[] | undefined;
  private cachedCount = 0;
  private readonly changedSignal = new Signal<this, void>(this);
  private currentMessage: string | undefined;

  /** Emitted when the steps, the query or the message change. */
  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  /** Every registered step, in the kernel's order. */
  get steps(): readonly StepDescriptor[] {
    return this.indexed.map((i) => i.step);
  }

  /** Replaces the steps (a `list-steps` reply or a `registry-changed` push). */
  setSteps(steps: readonly StepDescriptor[]): void {
    this.indexed = steps.map(indexStep);
    this.cachedGroups = undefined;
    this.changedSignal.emit();
  }

  /** The step with this slug, if registered. */
  find(slug: string): StepDescriptor | undefined {
    return this.indexed.find((i) => i.step.slug === slug)?.step;
  }

  /** The search query (free text). */
  get query(): string {
    return this.currentQuery;
  }

  set query(value: string) {
    if (value === this.currentQuery) return;
    this.currentQuery = value;
    this.cachedGroups = undefined;
    this.changedSignal.emit();
  }

  /**
   * A sentence for the user instead of the steps (no fancyflow kernel, kernel starting, …), or
   * undefined when the palette shows steps.
   */
  get message(): string | undefined {
    return this.currentMessage;
  }

  set message(value: string | undefined) {
    if (value === this.currentMessage) return;
    this.currentMessage = value;
    this.changedSignal.emit();
  }

  /**
   * Without a query, every step grouped by category; with one, the matching steps as one group
   * ({@link SEARCH_RESULTS}), best match first.
   */
  get groups(): PaletteGroup[] {
    if (!this.cachedGroups) {
      const terms = queryTerms(this.currentQuery);
      if (terms.length === 0) {
        this.cachedCount = this.indexed.length;
        this.cachedGroups = groupSteps(this.indexed.map((i) => i.step));
      } else {
        const matching = ranked(this.indexed, terms);
        this.cachedCount = matching.length;
        this.cachedGroups =
          matching.length === 0 ? [] : [{ category: SEARCH_RESULTS, steps: matching }];
      }
    }
    return this.cachedGroups;
  }

  /** True when the groups are search results (a query is set). */
  get searching(): boolean {
    return queryTerms(this.currentQuery).length > 0;
  }

  /** How many steps match the query. */
  get matchCount(): number {
    void this.groups;
    return this.cachedCount;
  }
}
