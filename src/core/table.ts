/**
 * Tables, seen through adapters. The core knows no table library: `src/tables` registers adapters
 * for Apache Arrow and arquero when the package root loads. Adapters live on `globalThis` so that two
 * copies of this package (a notebook can load two) see the same ones.
 */

/** Logical column types, named as Apache Arrow names them. */
export const ColumnTypes = [
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'decimal',
  'utf8',
  'binary',
  'date',
  'timestamp',
  'time',
  'duration',
  'interval',
  'list',
  'struct',
  'map',
  'dictionary',
  'null',
  'unknown',
] as const;

/** A logical column type. */
export type ColumnType = (typeof ColumnTypes)[number];

/**
 * What a table contract may ask of a column: an exact {@link ColumnType}, or a family:
 * `number` (any int or float), `integer`, `string` (utf8, or a dictionary of utf8), `boolean`,
 * `temporal` (date or timestamp), `any`.
 */
export type ColumnTypeSpec =
  ColumnType | 'number' | 'integer' | 'string' | 'boolean' | 'temporal' | 'any';

/** One column of a table's schema. */
export interface ColumnInfo {
  name: string;
  type: ColumnType;
  /** For dictionary columns, the type of the values (`utf8` for arquero/Arrow string dictionaries). */
  valueType?: ColumnType;
  nullable?: boolean;
}

/** A row as a step sees it: column name → value. */
export type Row = Record<string, unknown>;

/** Options for {@link TableAdapter.mapRows}. */
export interface MapRowsOptions {
  signal?: AbortSignal;
}

/** How fancyflow sees one family of table values (Arrow tables, arquero tables, …). */
export interface TableAdapter<T = unknown> {
  /** A short name: `arrow`, `arquero`. */
  readonly name: string;
  /** True when `value` is a table of this family. Must not walk rows. */
  is(value: unknown): value is T;
  /** The column schema, read from the table's metadata without walking rows. */
  columns(table: T): ColumnInfo[];
  numRows(table: T): number;
  /** Bytes held by the table's buffers (an estimate where the library does not say). */
  byteSize(table: T): number;
  /** A content fingerprint: equal tables give equal strings. */
  fingerprint(table: T): string;
  /** The first `limit` rows as plain objects (for previews). */
  head(table: T, limit: number): Row[];
  /**
   * Applies `fn` to every row, a batch at a time, and assembles the results into a new table of the
   * same family. Checks `signal` between batches.
   */
  mapRows(table: T, fn: (row: Row, index: number) => Row, options?: MapRowsOptions): Promise<T>;
  /**
   * The table `mapRows(input, fn)` would build had `fn` returned, in order, the rows of `parts`:
   * tables of this family that `mapRows` built over consecutive row ranges of `input` (a split
   * `row_wise` step's parts, put together without a second pass of row objects). Optional: without
   * it the parts' rows are mapped again.
   */
  concatRows?(input: T, parts: readonly T[]): T;
}

const ADAPTERS_KEY = Symbol.for('fancyflow.tableAdapters');

type GlobalWithAdapters = typeof globalThis & { [ADAPTERS_KEY]?: TableAdapter[] };

function adapterList(): TableAdapter[] {
  const g = globalThis as GlobalWithAdapters;
  return (g[ADAPTERS_KEY] ??= []);
}

/** Registers a table adapter (once per `name`; a later one with the same name replaces it). */
export function registerTableAdapter<T>(adapter: TableAdapter<T>): void {
  const list = adapterList();
  const at = list.findIndex((a) => a.name === adapter.name);
  if (at >= 0) list[at] = adapter as TableAdapter;
  else list.push(adapter as TableAdapter);
}

/** The adapter that recognises `value`, or undefined when it is not a known table. */
export function tableAdapterFor(value: unknown): TableAdapter | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const adapter of adapterList()) if (adapter.is(value)) return adapter;
  return undefined;
}

/** The names of the registered table adapters. */
export function tableAdapterNames(): string[] {
  return adapterList().map((a) => a.name);
}

const INTEGER_TYPES: ReadonlySet<ColumnType> = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
]);
const FLOAT_TYPES: ReadonlySet<ColumnType> = new Set(['float16', 'float32', 'float64', 'decimal']);

/** True when a column of type `info` satisfies `spec`. */
export function columnMatches(info: ColumnInfo, spec: ColumnTypeSpec): boolean {
  const type = info.type === 'dictionary' && info.valueType ? info.valueType : info.type;
  switch (spec) {
    case 'any':
      return true;
    case 'number':
      return INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type);
    case 'integer':
      return INTEGER_TYPES.has(type);
    case 'string':
      return type === 'utf8';
    case 'boolean':
      return type === 'bool';
    case 'temporal':
      return type === 'date' || type === 'timestamp';
    default:
      return type === spec || info.type === spec;
  }
}
