/**
 * FunctionRegistry: slug → FancyFunction. The default registry lives on `globalThis` so that every
 * copy of this package in one process (a notebook can load two) registers into the same one.
 */
import { FancyflowError } from './errors';
import type { FancyFunction, StepDescriptor } from './step';

/**
 * The module of the package's own (standard) steps: what workflow documents list to use them, and
 * how a notebook session tells them from the steps its cells define.
 */
export const STANDARD_MODULE = 'fancyflow';

/** What happened to the registry. */
export interface RegistryChange {
  type: 'registered' | 'replaced' | 'removed';
  slug: string;
}

/** Options of a registry. */
export interface RegistryOptions {
  /**
   * What registering a second, different step under a taken slug does: `error` throws
   * `DUPLICATE_SLUG`; `replace` replaces it (what a re-run notebook cell needs). Default `error`;
   * the default registry uses `replace`. Either way a standard step never takes a slug that a step
   * of another module holds: the standard library loads when first needed, possibly after a
   * notebook registered a step of its own under a standard slug, and the user's step keeps it.
   */
  onDuplicate?: 'error' | 'replace';
}

/**
 * Slug → FancyFunction.
 *
 * @example
 * const registry = new FunctionRegistry();
 * step({ slug: 'double', inputs: { x: z.number() }, output: z.number() }, ({ x }) => 2 * x, { registry });
 */
export class FunctionRegistry {
  private readonly steps = new Map<string, FancyFunction>();
  private readonly listeners = new Set<(change: RegistryChange) => void>();
  private readonly onDuplicate: 'error' | 'replace';

  constructor(options: RegistryOptions = {}) {
    this.onDuplicate = options.onDuplicate ?? 'error';
  }

  /** Registers a step; see {@link RegistryOptions.onDuplicate} for a taken slug. */
  register(fn: FancyFunction): void {
    const existing = this.steps.get(fn.slug);
    if (existing === fn) return;
    if (
      existing &&
      fn.definition.module === STANDARD_MODULE &&
      existing.definition.module !== STANDARD_MODULE
    ) {
      return;
    }
    if (existing && this.onDuplicate === 'error') {
      throw new FancyflowError(
        'DUPLICATE_SLUG',
        `A step with slug "${fn.slug}" is already registered`,
        {
          details: { slug: fn.slug },
        },
      );
    }
    this.steps.set(fn.slug, fn);
    this.emit({ type: existing ? 'replaced' : 'registered', slug: fn.slug });
  }

  /** Removes a step; true when it was there. */
  unregister(slug: string): boolean {
    const had = this.steps.delete(slug);
    if (had) this.emit({ type: 'removed', slug });
    return had;
  }

  get(slug: string): FancyFunction | undefined {
    return this.steps.get(slug);
  }

  /** The step registered under `slug`; throws `UNKNOWN_STEP` (with close matches) otherwise. */
  require(slug: string): FancyFunction {
    const fn = this.steps.get(slug);
    if (fn) return fn;
    const limit = Math.max(2, Math.floor(slug.length / 4));
    const near = [...this.steps.keys()]
      .map((s) => ({
        s,
        // The length difference bounds the distance from below: a slug of a megabyte costs
        // nothing (the full distance would take its length times every slug's, in time and memory).
        d:
          s.includes(slug) || slug.includes(s)
            ? 0
            : Math.abs(s.length - slug.length) > limit
              ? Infinity
              : editDistance(s, slug),
      }))
      .filter(({ d }) => d <= limit)
      .sort((a, b) => a.d - b.d)
      .slice(0, 3)
      .map(({ s }) => s);
    throw new FancyflowError(
      'UNKNOWN_STEP',
      `Unknown step "${slug}"${near.length ? ` (did you mean ${near.map((s) => `"${s}"`).join(', ')}?)` : ''}`,
      { details: { slug } },
    );
  }

  has(slug: string): boolean {
    return this.steps.has(slug);
  }

  get size(): number {
    return this.steps.size;
  }

  /** Every registered step, sorted by category then slug. */
  list(): FancyFunction[] {
    return [...this.steps.values()].sort(
      (a, b) =>
        a.definition.category.localeCompare(b.definition.category) || a.slug.localeCompare(b.slug),
    );
  }

  /** JSON descriptions of every step (the palette's and `fancyflow steps`'s data). */
  describe(): StepDescriptor[] {
    return this.list().map((fn) => fn.describe());
  }

  /** Calls `listener` on every change; returns the function that unsubscribes. */
  subscribe(listener: (change: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: RegistryChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** Levenshtein distance (for "did you mean" suggestions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

const DEFAULT_KEY = Symbol.for('fancyflow.defaultRegistry');

/** The process-wide registry `step()` registers in unless told otherwise (`onDuplicate: 'replace'`). */
export function defaultRegistry(): FunctionRegistry {
  const g = globalThis as typeof globalThis & { [DEFAULT_KEY]?: FunctionRegistry };
  return (g[DEFAULT_KEY] ??= new FunctionRegistry({ onDuplicate: 'replace' }));
}
