/**
 * FancyCell: what the store knows about one datum (never the datum itself), and how a value is
 * classified and summarised.
 */
import { describeType } from './contracts';
import type { StepRecord } from './freshness';
import { Hash128, hash128 } from './hash';
import { tableAdapterFor, type ColumnInfo, type TableAdapter } from './table';

/** How a datum is kept: a table, a JSON value, binary data, or any other in-memory value. */
export type CellKind = 'table' | 'json' | 'bytes' | 'value';

/** A datum's summary: enough to show it without loading it. */
export interface CellSummary {
  /** The value's type: `arrow.Table`, `arquero.ColumnTable`, `Float64Array`, `object`, `number`, … */
  type: string;
  /** `[rows, columns]` for tables, `[length]` for arrays and typed arrays; absent for scalars. */
  shape?: number[];
  /** The column schema of tables. */
  columns?: ColumnInfo[];
  /**
   * Bytes held: tables, their buffers; bytes, their byteLength. Absent for JSON in memory (it would
   * cost a serialisation per step); stores that write JSON give its file size.
   */
  byteSize?: number;
}

/** The step that produced a cell. */
export interface Provenance {
  stepId: string;
  slug: string;
  version: string;
}

/**
 * What the store knows about one datum. JSON-safe. Cells made by stores may compute fields on first
 * read (the memory store's: everything but `id`, `producedBy` and `name`): copy them with
 * `JSON.stringify` or `cellSnapshot`, not object spread.
 */
export interface FancyCell {
  /** The cell id (in a notebook: the JupyterLab cell id; in a workflow: the producing step's id). */
  id: string;
  /** Where the datum lives: `memory://<id>`, `file:///…`, `s3://…`. */
  uri: string;
  kind: CellKind;
  summary: CellSummary;
  /** The step that produced the datum, when a step did. */
  producedBy?: Provenance;
  /** ISO 8601 time of registration. */
  createdAt: string;
  /**
   * A content fingerprint (XXH3-128, 32 hex digits): equal contents give equal fingerprints for tables,
   * bytes and JSON. Values of kind `value` get an identity fingerprint (same object, same print).
   */
  fingerprint: string;
  /** A readable name (a notebook variable name), when one is known. */
  name?: string;
  /**
   * What produced the datum (lineage and the cache): the step's code and config fingerprints,
   * its inputs' fingerprints and the cache key. Its `output` is this cell's `fingerprint` (read it
   * with `recordOfCell`). Absent for values no cached run produced.
   */
  record?: StepRecord;
}

/** A value's kind, summary and fingerprint. */
export interface ValueDescription {
  kind: CellKind;
  summary: CellSummary;
  fingerprint: string;
}

let identityCounter = 0;
const identities = new WeakMap<object, string>();

function identityFingerprint(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    let id = identities.get(value);
    if (!id) {
      id = hash128('identity', String(++identityCounter), String(Math.random()));
      identities.set(value, id);
    }
    return id;
  }
  return hash128(typeof value, String(value));
}

function isPlainJsonShape(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (Array.isArray(value)) return true;
      const proto = Object.getPrototypeOf(value) as unknown;
      return proto === Object.prototype || proto === null;
    }
    default:
      return false;
  }
}

/** A value's kind, and the table adapter that recognised it (for tables). */
interface Classification {
  kind: CellKind;
  adapter?: TableAdapter;
}

/**
 * True for the values a notebook lists as data cells: tables, binary data, and JSON arrays and
 * objects. Scalars, functions and class instances (a step definition, a helper) are not data.
 */
export function isDataValue(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const kind = classify(value).kind;
  return kind !== 'value';
}

/** The kind of a value, decided from its top level only (cheap: no serialisation, no hashing). */
function classify(value: unknown): Classification {
  const adapter = tableAdapterFor(value);
  if (adapter) return { kind: 'table', adapter };
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return { kind: 'bytes' };
  // A value holding a function or a Map deeper down is still `json` here: the disk store checks
  // deeply before writing.
  if (isPlainJsonShape(value)) return { kind: 'json' };
  return { kind: 'value' };
}

function summarize(value: unknown, { kind, adapter }: Classification): CellSummary {
  if (adapter) {
    const columns = adapter.columns(value);
    return {
      type: `${adapter.name}.${describeType(value)}`,
      shape: [adapter.numRows(value), columns.length],
      columns,
      byteSize: adapter.byteSize(value),
    };
  }
  if (kind === 'bytes') {
    const view = value as ArrayBufferView | ArrayBuffer;
    const length = (view as { length?: unknown }).length;
    return {
      type: describeType(value),
      shape: [typeof length === 'number' ? length : view.byteLength],
      byteSize: view.byteLength,
    };
  }
  const summary: CellSummary = { type: describeType(value) };
  if (Array.isArray(value)) summary.shape = [value.length];
  else if (kind === 'json' && typeof value === 'object' && value !== null) {
    // a chart is a picture, not an object of N keys
    const schema = (value as { $schema?: unknown }).$schema;
    if (typeof schema === 'string' && schema.includes('vega-lite'))
      return { type: 'Vega-Lite spec' };
    summary.shape = [Object.keys(value).length];
  }
  return summary;
}

function fingerprintOf(value: unknown, { kind, adapter }: Classification): string {
  if (adapter) return adapter.fingerprint(value);
  if (kind === 'bytes') {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : (value as ArrayBufferView);
    return new Hash128().update(bytes).digest();
  }
  if (kind === 'json') {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined; // cycles or BigInt deep inside: not JSON after all
    }
    if (json !== undefined) return new Hash128().update(json).digest();
  }
  return identityFingerprint(value);
}

/**
 * Classifies and summarises a value without copying it. Tables are recognised by the registered
 * table adapters; `json` means a plain object, array or primitive at the top level.
 */
export function describeValue(value: unknown): ValueDescription {
  const classification = classify(value);
  return {
    kind: classification.kind,
    summary: summarize(value, classification),
    fingerprint: fingerprintOf(value, classification),
  };
}

let lastMs = -1;
let lastIso = '';

/** `ms` (epoch milliseconds) as ISO 8601, formatted once per millisecond (cells come many a ms). */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  if (whole !== lastMs) {
    lastMs = whole;
    lastIso = new Date(whole).toISOString();
  }
  return lastIso;
}

/** The current time as ISO 8601 (formatted once per millisecond: stores stamp many cells a ms). */
export function nowIso(): string {
  return isoTime(Date.now());
}

/** What a store knows when it registers a cell. */
export interface CellInit {
  id: string;
  /** Default: `memory://<id>` (made when first read). */
  uri?: string;
  producedBy?: Provenance;
  name?: string;
  /** ISO 8601. Default: `at` as ISO 8601. */
  createdAt?: string;
  /** When the value was registered, in epoch milliseconds. Default: now. */
  at?: number;
  record?: StepRecord;
}

/** What a StoredCell computes when first asked. */
interface LazyFields {
  uri?: string;
  classification?: Classification;
  summary?: CellSummary;
  fingerprint?: string;
}

/**
 * A FancyCell that keeps its value and computes its uri (when none was given), kind, summary and
 * fingerprint on first read (and then keeps them), so a store that registers a cell per step (the
 * memory store, under the Orchestrator's hot path) never classifies, serialises or hashes a value
 * nobody looks at. It holds as little as it can (it lives as long as its datum): the lazily
 * computed fields share one object, made on first read. Those fields are getters on the
 * prototype: copy a cell with `JSON.stringify` or {@link cellSnapshot}, not with object spread.
 * Every instance has one shape from its constructor on.
 */
class StoredCell implements FancyCell {
  readonly id: string;
  readonly createdAt: string;
  producedBy?: Provenance;
  name?: string;
  record?: StepRecord;
  readonly #value: unknown;
  #lazy: LazyFields | undefined;

  constructor(init: CellInit, value: unknown) {
    this.id = init.id;
    // formatted once per millisecond and shared by the cells of that millisecond
    this.createdAt = init.createdAt ?? isoTime(init.at ?? Date.now());
    this.producedBy = init.producedBy;
    this.name = init.name || undefined;
    this.record = init.record;
    this.#value = value;
    this.#lazy = init.uri === undefined ? undefined : { uri: init.uri };
  }

  /** The value a StoredCell holds (see {@link cellValue}). */
  static valueOf(cell: FancyCell): unknown {
    return #value in cell ? (cell as StoredCell).#value : undefined;
  }

  get uri(): string {
    const lazy = (this.#lazy ??= {});
    return (lazy.uri ??= `memory://${encodeURIComponent(this.id)}`);
  }

  get kind(): CellKind {
    return this.#classify().kind;
  }

  get summary(): CellSummary {
    const lazy = (this.#lazy ??= {});
    return (lazy.summary ??= summarize(this.#value, this.#classify()));
  }

  get fingerprint(): string {
    const lazy = (this.#lazy ??= {});
    return (lazy.fingerprint ??= fingerprintOf(this.#value, this.#classify()));
  }

  #classify(): Classification {
    const lazy = (this.#lazy ??= {});
    return (lazy.classification ??= classify(this.#value));
  }

  toJSON(): FancyCell {
    return cellSnapshot(this);
  }
}

/**
 * Makes the FancyCell of `value`, computing its `uri` (when not given), `kind`, `summary` and
 * `fingerprint` when first read (see {@link cellSnapshot}). The cell keeps a reference to the
 * value until it is dropped.
 */
export function createCell(init: CellInit, value: unknown): FancyCell {
  return new StoredCell(init, value);
}

/**
 * The value a cell made by {@link createCell} refers to (what `MemoryDatumStore.resolve` returns
 * for it); undefined for cells made otherwise.
 */
export function cellValue(cell: FancyCell): unknown {
  return StoredCell.valueOf(cell);
}

/** A plain, JSON-safe copy of a cell (every field computed). */
export function cellSnapshot(cell: FancyCell): FancyCell {
  const out: FancyCell = {
    id: cell.id,
    uri: cell.uri,
    kind: cell.kind,
    summary: cell.summary,
    createdAt: cell.createdAt,
    fingerprint: cell.fingerprint,
  };
  if (cell.producedBy) out.producedBy = cell.producedBy;
  if (cell.name) out.name = cell.name;
  if (cell.record) out.record = cell.record;
  return out;
}
