/**
 * The content-addressed cache: a step's key is a 128-bit hash of its slug, version, code
 * fingerprint, canonical config and the fingerprints of its inputs. When the store's cell for the
 * step already carries a record with that key, the step is `cached`: its datum is neither loaded nor
 * recomputed (the store's index answers). Keys hold input fingerprints, not upstream keys, so a
 * recomputed step that gives the same output leaves the steps after it cached (early cutoff).
 *
 * The Orchestrator makes one {@link RunCache} per run when its `cache` option is set; with caching
 * off nothing here runs.
 */
import type { FancyCell } from './cell';
import { isoTime } from './cell';
import type { JsonValue } from './errors';
import {
  canonicalJson,
  compareRecord,
  readStepRecord,
  type StaleReason,
  type StepRecord,
} from './freshness';
import { hash128 } from './hash';
import type { StepReport } from './orchestrator';
import type { ResolvedStep } from './step';
import type { DatumStore } from './store';
import type { WorkflowStep } from './workflow-step';

/** Options of caching (the Orchestrator's `cache` option). */
export interface CacheSettings {
  /**
   * The version of the module or package that defines a step (`fancyflow` → `0.1.0`), part of its
   * code fingerprint so that a change to helpers the function calls is seen too. Default: none
   * (the function's source alone).
   */
  moduleVersion?: (module: string) => string | undefined;
}

/** Whether a step's output came from the cache: `off` when caching was off or forced off. */
export type CacheOutcome = 'hit' | 'miss' | 'off';

const codePrints = new WeakMap<ResolvedStep, string>();

/**
 * The fingerprint of a step's code: its function's source, execution trait, and the version of
 * the module that defines it when known (see {@link CacheSettings.moduleVersion}). Kept per
 * definition. Needs `await hashReady()` first.
 */
export function codeFingerprint(def: ResolvedStep, settings: CacheSettings = {}): string {
  let print = codePrints.get(def);
  if (print === undefined) {
    const module = def.module ?? '';
    const version = (module && settings.moduleVersion?.(module)) || '';
    print = hash128('code', def.fn.toString(), def.execution, module, version);
    codePrints.set(def, print);
  }
  return print;
}

/** The cache key of a step run with `config` on inputs of these fingerprints. */
export function cacheKey(
  slug: string,
  version: string,
  code: string,
  config: JsonValue,
  inputs: StepRecord['inputs'],
  source = '',
): string {
  const parts = ['key', slug, version, code, canonicalJson(config), source];
  for (const argument of Object.keys(inputs).sort()) {
    parts.push(argument, inputs[argument]!.fingerprint);
  }
  return hash128(...parts);
}

/**
 * The StepRecord a store's cell carries, with its output fingerprint (the cell's own); undefined
 * for cells without one or with one that is not a valid record.
 */
export function recordOfCell(cell: FancyCell | undefined): StepRecord | undefined {
  if (cell?.record === undefined) return undefined;
  // a store's index is a file: a forged or garbled record is no record
  const record = readStepRecord(cell.record);
  return record && { ...record, output: cell.fingerprint };
}

/** One run's cache: the record, outcome and miss reasons of each step, by its place in the run. */
export class RunCache {
  readonly records: (StepRecord | undefined)[] = [];
  readonly outcomes: CacheOutcome[] = [];
  readonly reasons: (StaleReason[] | undefined)[] = [];

  constructor(
    private readonly settings: CacheSettings,
    private readonly store: DatumStore,
    private readonly runId: string,
    /** Steps to recompute whatever the cache holds: all (`true`) or these ids. */
    private readonly recompute: boolean | ReadonlySet<string>,
  ) {}

  /**
   * Looks step `i` up: the store's cell when it holds the output for this key (a hit: the record of
   * this run is made), else undefined (the step runs; its record is finished by
   * {@link RunCache.ran}). Inputs missing from the store make no record: the run reports them.
   */
  lookup(
    i: number,
    step: WorkflowStep,
    def: ResolvedStep,
    config: JsonValue,
    at: number,
  ): FancyCell | undefined {
    const store = this.store;
    const inputs: StepRecord['inputs'] = {};
    for (const argument in step.wiring) {
      const cell = step.wiring[argument]!;
      const input = store.cell(cell);
      if (!input) return undefined;
      inputs[argument] = { cell, fingerprint: input.fingerprint };
    }
    const code = codeFingerprint(def, this.settings);
    let source: string | undefined;
    if (def.cacheKey) {
      try {
        source = def.cacheKey(config as Record<string, JsonValue>);
      } catch {
        // the step itself will say what is wrong (a missing file): it runs, uncached
        this.outcomes[i] = 'off';
        return undefined;
      }
    }
    const key = cacheKey(step.slug, def.version, code, config, inputs, source);
    const record: StepRecord = {
      stepId: step.id,
      slug: step.slug,
      version: def.version,
      code,
      config,
      inputs,
      key,
      status: 'completed',
      cached: false,
      durationMs: 0,
      runId: this.runId,
      at: isoTime(at),
    };
    if (source !== undefined) record.source = source;
    this.records[i] = record;
    const forced =
      this.recompute === true || (this.recompute !== false && this.recompute.has(step.id));
    if (forced || !def.cacheable) {
      this.outcomes[i] = 'off';
      return undefined;
    }
    const cell = store.cell(step.id);
    const previous = cell?.record;
    if (cell && previous && previous.key === key) {
      this.outcomes[i] = 'hit';
      record.status = 'cached';
      record.cached = true;
      record.output = cell.fingerprint;
      return cell;
    }
    this.outcomes[i] = 'miss';
    this.reasons[i] = compareRecord(recordOfCell(cell), {
      slug: step.slug,
      version: def.version,
      code,
      config,
      inputs,
      source,
    });
    return undefined;
  }

  /** The record step `i` is persisted with, its duration and time set (its output comes after). */
  persisting(i: number, durationMs: number, at: number): StepRecord | undefined {
    const record = this.records[i];
    if (!record) return undefined;
    record.durationMs = durationMs;
    record.at = isoTime(at);
    return record;
  }

  /** Step `i` completed with `cell`: its record gets the output fingerprint. */
  ran(i: number, cell: FancyCell): void {
    const record = this.records[i];
    // the cell holds this same record: its output is the cell's fingerprint either way
    if (record) record.output = cell.fingerprint;
  }

  /** Adds step `i`'s outcome, miss reasons and (once it ended) record to its report. */
  report(i: number, report: StepReport, ended: boolean): void {
    const outcome = this.outcomes[i];
    if (outcome !== undefined) report.cache = outcome;
    const reasons = this.reasons[i];
    if (reasons !== undefined) report.reasons = reasons;
    const record = this.records[i];
    if (ended && record !== undefined) report.record = record;
  }

  /** Step `i` did not complete: its record says how it ended. */
  ended(i: number, status: StepRecord['status'], durationMs: number | undefined): void {
    const record = this.records[i];
    if (record) {
      record.status = status;
      record.durationMs = durationMs ?? 0;
    }
  }
}
