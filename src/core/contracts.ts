/**
 * Contracts: the zod schemas that a step's inputs and output must satisfy, plus fancyflow's own
 * contracts for tables and bytes. Checking never copies: a step receives the very object the
 * previous step returned (zod's `parse` would return a copy, so it is used only for config).
 */
import { z } from 'zod';
import { serializeIssues, type JsonValue, type SerializedIssue } from './errors';
import {
  columnMatches,
  tableAdapterFor,
  type ColumnInfo,
  type ColumnType,
  type ColumnTypeSpec,
} from './table';

/** Any zod schema used as a contract. */
export type Contract = z.ZodType;

/** Column requirements of a table contract: column name → type (or type family). */
export type ColumnSpecs = Record<string, ColumnTypeSpec>;

/** What a table contract asks of a table. */
export interface TableContractSpec {
  /** Columns that must be present, with their types. Default: none. */
  columns: ColumnSpecs;
  /** When true, columns not listed are refused. Default: false. */
  exact: boolean;
}

/**
 * An opaque table value: an Apache Arrow `Table` or an arquero `ColumnTable` (any family that a
 * table adapter recognises). Use the typed contracts of the package root (`aqTable`, `arrowTable`)
 * to get the library's own type.
 */
export type AnyTable = object;

/** A zod schema that accepts tables, with the spec kept for fast checks and JSON Schema. */
export type TableContract<T extends object = AnyTable> = z.ZodType<T> & {
  readonly [TABLE_SPEC]: TableContractSpec;
};

const TABLE_SPEC: unique symbol = Symbol.for('fancyflow.tableSpec') as never;

/** Maps column specs to the TypeScript type of one row's values (used by row_wise steps). */
export type ColumnValue<S extends ColumnTypeSpec> = S extends
  | 'number'
  | 'integer'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'decimal'
  ? number | null
  : S extends 'int64' | 'uint64'
    ? bigint | number | null
    : S extends 'string' | 'utf8'
      ? string | null
      : S extends 'boolean' | 'bool'
        ? boolean | null
        : S extends 'temporal' | 'date' | 'timestamp'
          ? Date | number | null
          : unknown;

/** The row type a table contract describes. */
export type RowOf<C> =
  C extends TableContract<object>
    ? C extends { readonly __columns?: infer S extends ColumnSpecs }
      ? { [K in keyof S]: ColumnValue<S[K]> } & Record<string, unknown>
      : Record<string, unknown>
    : Record<string, unknown>;

/** A table contract that also carries its column specs in its type (for row types). */
export type TypedTableContract<T extends object, S extends ColumnSpecs> = TableContract<T> & {
  readonly __columns?: S;
};

/**
 * A contract for tables (any family a table adapter recognises: Arrow, arquero). Checks column
 * names and types from the table's schema, never its rows. The value's type is {@link AnyTable};
 * the package root's `aqTable()` / `arrowTable()` give the library's own table type.
 *
 * @param columns required columns and their types; default none.
 * @param options `exact: true` refuses columns not listed (default false).
 * @example
 * const cars = table({ Horsepower: 'number', Origin: 'string' });
 */
export function table<const S extends ColumnSpecs = ColumnSpecs>(
  columns?: S,
  options: TableContractOptions = {},
): TypedTableContract<AnyTable, S> {
  return typedTable<AnyTable, S>(columns, options);
}

/** Options of a table contract. */
export interface TableContractOptions {
  /** Refuse columns that are not listed. Default false. */
  exact?: boolean;
  /** Shown in the palette and in JSON Schema. */
  description?: string;
}

/**
 * {@link table} with an explicit value type `T` (for adapters of one table library).
 *
 * @example
 * const aqTable = (columns) => typedTable<ColumnTable>(columns);
 */
export function typedTable<T extends object, const S extends ColumnSpecs = ColumnSpecs>(
  columns?: S,
  options: TableContractOptions = {},
): TypedTableContract<T, S> {
  const spec: TableContractSpec = {
    columns: { ...(columns ?? {}) },
    exact: options.exact ?? false,
  };
  const schema = z
    .custom<T>((value) => tableIssues(value, spec).length === 0, {
      error: 'Expected a table with the required columns',
    })
    .meta({
      title: 'Table',
      ...(options.description ? { description: options.description } : {}),
      'x-fancyflow': { kind: 'table', columns: spec.columns, exact: spec.exact },
    });
  Object.defineProperty(schema, TABLE_SPEC, { value: spec, enumerable: false });
  return schema as unknown as TypedTableContract<T, S>;
}

/** The table spec of a contract made by {@link table}, or undefined for other schemas. */
export function tableSpecOf(contract: Contract): TableContractSpec | undefined {
  return (contract as Partial<TableContract>)[TABLE_SPEC];
}

/** Binary data: `Uint8Array` (and every other typed array, `DataView`, `ArrayBuffer`). */
export type Bytes = ArrayBufferView | ArrayBuffer;

/**
 * A contract for binary data: any typed array, DataView or ArrayBuffer. Never copies.
 */
export function bytes(options: { description?: string } = {}): z.ZodType<Bytes> {
  return z
    .custom<Bytes>((v) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer, {
      error: 'Expected binary data (a typed array or ArrayBuffer)',
    })
    .meta({
      title: 'Bytes',
      ...(options.description ? { description: options.description } : {}),
      'x-fancyflow': { kind: 'bytes' },
    });
}

/** A JSON value (the contract of json cells). */
export const jsonValue: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;

/** The problems of `value` against a table spec; empty when it satisfies it. */
export function tableIssues(value: unknown, spec: TableContractSpec): SerializedIssue[] {
  const adapter = tableAdapterFor(value);
  if (!adapter) {
    return [
      {
        path: [],
        code: 'invalid_type',
        message: `Expected a table, received ${describeType(value)}`,
      },
    ];
  }
  const columns = adapter.columns(value);
  const byName = new Map<string, ColumnInfo>();
  for (const c of columns) byName.set(c.name, c);
  const issues: SerializedIssue[] = [];
  for (const [name, want] of Object.entries(spec.columns)) {
    const have = byName.get(name);
    if (!have) {
      issues.push({
        path: ['columns', name],
        code: 'missing_column',
        message: `Missing column "${name}" (${want}); the table has ${columns.map((c) => c.name).join(', ') || 'no columns'}`,
      });
    } else if (!columnMatches(have, want)) {
      issues.push({
        path: ['columns', name],
        code: 'column_type',
        message: `Column "${name}" is ${typeName(have)}, expected ${want}`,
      });
    }
  }
  if (spec.exact) {
    for (const c of columns) {
      if (!(c.name in spec.columns)) {
        issues.push({
          path: ['columns', c.name],
          code: 'unexpected_column',
          message: `Unexpected column "${c.name}"`,
        });
      }
    }
  }
  return issues;
}

function typeName(c: ColumnInfo): ColumnType | string {
  return c.type === 'dictionary' && c.valueType ? `dictionary<${c.valueType}>` : c.type;
}

/** A short description of a value's type for messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name && name !== 'Object' ? name : 'object';
  }
  return typeof value;
}

/** A compiled contract check: the issues of a value, or `undefined` when it satisfies the contract. */
export type ContractCheck = (value: unknown) => SerializedIssue[] | undefined;

/** Compiles a contract into a check (done once per step definition, not per value). */
export function compileContract(contract: Contract): ContractCheck {
  const spec = tableSpecOf(contract);
  if (spec) {
    return (value) => {
      const issues = tableIssues(value, spec);
      return issues.length === 0 ? undefined : issues;
    };
  }
  return (value) => {
    const result = contract.safeParse(value);
    return result.success ? undefined : serializeIssues(result.error.issues);
  };
}

/**
 * Checks `value` against `contract` without copying it. Returns the issues, or `undefined` when the
 * value satisfies the contract.
 */
export function checkContract(contract: Contract, value: unknown): SerializedIssue[] | undefined {
  return compileContract(contract)(value);
}

/** True when the contract accepts `undefined` (the argument may be left unwired). */
export function isOptionalContract(contract: Contract): boolean {
  return contract.safeParse(undefined).success;
}

/**
 * The JSON Schema (draft 2020-12) of a contract. Table and bytes contracts come out as
 * `{ "x-fancyflow": { kind, columns } }`; other unrepresentable parts (functions, Map) as `{}`.
 */
export function contractJsonSchema(
  contract: Contract,
  io: 'input' | 'output' = 'output',
): Record<string, unknown> {
  return z.toJSONSchema(contract, { unrepresentable: 'any', io }) as Record<string, unknown>;
}
