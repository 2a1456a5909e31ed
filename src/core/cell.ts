/**
 * FancyCell: what the store knows about one datum (never the datum itself), and how a value is
 * classified and summarised.
 */
import { describeType } from './contracts';
import { Hasher } from './hash';
import { tableAdapterFor, type ColumnInfo } from './table';

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
  /** Bytes held (tables: their buffers; bytes: byteLength; json: its JSON text's length). */
  byteSize?: number;
}

/** The step that produced a cell. */
export interface Provenance {
  stepId: string;
  slug: string;
  version: string;
}

/**
 * What the store knows about one datum. JSON-safe. Cells made by stores compute `summary` and
 * `fingerprint` on first read: copy them with `JSON.stringify` or `cellSnapshot`, not object spread.
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
   * A content fingerprint (16 hex digits): equal contents give equal fingerprints for tables,
   * bytes and JSON. Values of kind `value` get an identity fingerprint (same object, same print).
   */
  fingerprint: string;
  /** A readable name (a notebook variable name), when one is known. */
  name?: string;
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
      id = new Hasher().string(`identity:${++identityCounter}:${Math.random()}`).digest();
      identities.set(value, id);
    }
    return id;
  }
  return new Hasher().string(`${typeof value}:${String(value)}`).digest();
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

/**
 * Classifies and summarises a value without copying it. Tables are recognised by the registered
 * table adapters; `json` means a plain object, array or primitive at the top level (a value holding
 * a function or a Map deeper down is still `json`: the disk store checks deeply before writing).
 */
export function describeValue(value: unknown): ValueDescription {
  const lazy = lazyDescription(value);
  return { kind: lazy.kind, summary: lazy.summary(), fingerprint: lazy.fingerprint() };
}

/** A value's kind now, and its summary and fingerprint when first asked for (computed once). */
export interface LazyDescription {
  kind: CellKind;
  summary(): CellSummary;
  fingerprint(): string;
}

function memo<T>(compute: () => T): () => T {
  let done = false;
  let result: T;
  return () => {
    if (!done) {
      result = compute();
      done = true;
    }
    return result;
  };
}

/**
 * Like {@link describeValue}, but only the kind is computed at once: stores use it so that the
 * Orchestrator's hot path never serialises or hashes a value nobody looks at.
 */
export function lazyDescription(value: unknown): LazyDescription {
  const adapter = tableAdapterFor(value);
  if (adapter) {
    return {
      kind: 'table',
      summary: memo(() => {
        const columns = adapter.columns(value);
        return {
          type: `${adapter.name}.${describeType(value)}`,
          shape: [adapter.numRows(value), columns.length],
          columns,
          byteSize: adapter.byteSize(value),
        };
      }),
      fingerprint: memo(() => adapter.fingerprint(value)),
    };
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return {
      kind: 'bytes',
      summary: memo(() => {
        const length = (value as { length?: unknown }).length;
        return {
          type: describeType(value),
          shape: [typeof length === 'number' ? length : value.byteLength],
          byteSize: value.byteLength,
        };
      }),
      fingerprint: memo(() => new Hasher().bytes(value).digest()),
    };
  }
  if (isPlainJsonShape(value)) {
    // Serialised only when a summary or fingerprint is read. Values that turn out not to be JSON
    // (cycles, BigInt deep inside) keep kind `json` with an identity fingerprint; the disk store
    // checks deeply before writing.
    const text = memo((): string | undefined => {
      try {
        return JSON.stringify(value);
      } catch {
        return undefined;
      }
    });
    return {
      kind: 'json',
      summary: memo(() => {
        const summary: CellSummary = { type: describeType(value) };
        const json = text();
        if (json !== undefined) summary.byteSize = json.length;
        if (Array.isArray(value)) summary.shape = [value.length];
        else if (typeof value === 'object' && value !== null) {
          summary.shape = [Object.keys(value).length];
        }
        return summary;
      }),
      fingerprint: memo(() => {
        const json = text();
        return json === undefined ? identityFingerprint(value) : new Hasher().string(json).digest();
      }),
    };
  }
  return {
    kind: 'value',
    summary: memo(() => {
      const summary: CellSummary = { type: describeType(value) };
      if (Array.isArray(value)) summary.shape = [value.length];
      return summary;
    }),
    fingerprint: memo(() => identityFingerprint(value)),
  };
}

let lastMs = -1;
let lastIso = '';

/** The current time as ISO 8601 (formatted once per millisecond: stores stamp many cells a ms). */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** What a store knows when it registers a cell. */
export interface CellInit {
  id: string;
  uri: string;
  producedBy?: Provenance;
  name?: string;
  createdAt?: string;
}

/**
 * A FancyCell whose `summary` and `fingerprint` are computed on first read and then kept, so the
 * Orchestrator's hot path never serialises or hashes a value nobody looks at. Those two fields are
 * getters on the prototype: copy a cell with `JSON.stringify` or {@link cellSnapshot}, not with
 * object spread.
 */
class StoredCell implements FancyCell {
  readonly id: string;
  readonly uri: string;
  readonly kind: CellKind;
  readonly createdAt: string;
  producedBy?: Provenance;
  name?: string;
  readonly #description: LazyDescription;

  constructor(init: CellInit, description: LazyDescription) {
    this.id = init.id;
    this.uri = init.uri;
    this.kind = description.kind;
    this.createdAt = init.createdAt ?? nowIso();
    if (init.producedBy) this.producedBy = init.producedBy;
    if (init.name) this.name = init.name;
    this.#description = description;
  }

  get summary(): CellSummary {
    return this.#description.summary();
  }

  get fingerprint(): string {
    return this.#description.fingerprint();
  }

  toJSON(): FancyCell {
    return cellSnapshot(this);
  }
}

/** Makes a FancyCell with lazily computed `summary` and `fingerprint` (see {@link cellSnapshot}). */
export function createCell(init: CellInit, description: LazyDescription): FancyCell {
  return new StoredCell(init, description);
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
  return out;
}
