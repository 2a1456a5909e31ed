/**
 * The DatumStore interface: where cell values live. The Orchestrator and the kernel only speak to
 * this interface; `MemoryDatumStore` (here) and the Node-side stores in `src/stores` implement it.
 */
import type { FancyCell, Provenance } from './cell';
import type { StepRecord } from './freshness';

/** A value or a promise of it: stores answer synchronously where they can (memory), which keeps the
 * Orchestrator's per-step overhead low. */
export type MaybePromise<T> = T | Promise<T>;

/** What the caller knows about a value being persisted. */
export interface PersistOptions {
  /** The cell id to register the value under (an existing one is replaced). */
  cellId: string;
  /** The step that produced it. */
  producedBy?: Provenance;
  /** A readable name (notebook variable), when known. */
  name?: string;
  /**
   * When the value was made, in epoch milliseconds (the Orchestrator passes the time it read for
   * the step's end, so a store need not read the clock again). Default: now.
   */
  at?: number;
  /** What produced the value (kept as the cell's `record`: lineage and the cache). */
  record?: StepRecord;
}

/** Where cell values live. */
export interface DatumStore {
  /** A short description for people: `memory`, `disk:/path/to/store`. */
  readonly description: string;
  /** True when the store holds a datum for `cellId`. Answered from the store's index (no I/O). */
  has(cellId: string): boolean;
  /** The FancyCell metadata of `cellId`, or undefined. */
  cell(cellId: string): FancyCell | undefined;
  /** Every FancyCell, in registration order. */
  list(): FancyCell[];
  /**
   * The value of `cellId`. Throws a `FancyflowError` with code `DATUM_NOT_FOUND` when absent and
   * `CORRUPT_DATUM` (naming the cell and the file) when its stored form cannot be read.
   */
  resolve(cellId: string): MaybePromise<unknown>;
  /** Stores `value` under `options.cellId` and returns its FancyCell (whose `uri` says where). */
  persist(value: unknown, options: PersistOptions): MaybePromise<FancyCell>;
  /** Forgets `cellId`; true when it was there. */
  delete(cellId: string): MaybePromise<boolean>;
  /**
   * Stores that several processes share: reads what others wrote since (all of it, or at least
   * the cells `cellIds`), so that `has`, `cell` and `list` see it. Absent where nothing is shared.
   */
  refresh?(cellIds?: readonly string[]): Promise<void>;
}

/** True when `value` is a thenable (so callers await only when they must). */
export function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
