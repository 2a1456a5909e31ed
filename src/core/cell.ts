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

/** What the store knows about one datum. JSON-safe. */
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
 * table adapters; JSON is checked at the top level and by serialising it (so a value holding a
 * function or a Map one level down is `json` with that part dropped: the disk store checks deeply).
 */
export function describeValue(value: unknown): ValueDescription {
  const adapter = tableAdapterFor(value);
  if (adapter) {
    const columns = adapter.columns(value);
    return {
      kind: 'table',
      summary: {
        type: `${adapter.name}.${describeType(value)}`,
        shape: [adapter.numRows(value), columns.length],
        columns,
        byteSize: adapter.byteSize(value),
      },
      fingerprint: adapter.fingerprint(value),
    };
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const byteLength = value.byteLength;
    const length = (value as { length?: unknown }).length;
    return {
      kind: 'bytes',
      summary: {
        type: describeType(value),
        shape: [typeof length === 'number' ? length : byteLength],
        byteSize: byteLength,
      },
      fingerprint: new Hasher().bytes(value).digest(),
    };
  }
  if (isPlainJsonShape(value)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined; // cycles or BigInt: not JSON after all
    }
    if (text !== undefined) {
      const summary: CellSummary = { type: describeType(value), byteSize: text.length };
      if (Array.isArray(value)) summary.shape = [value.length];
      else if (typeof value === 'object' && value !== null) summary.shape = [Object.keys(value).length];
      return { kind: 'json', summary, fingerprint: new Hasher().string(text).digest() };
    }
  }
  const summary: CellSummary = { type: describeType(value) };
  if (Array.isArray(value)) summary.shape = [value.length];
  return { kind: 'value', summary, fingerprint: identityFingerprint(value) };
}
