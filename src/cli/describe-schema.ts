/**
 * Short, readable type expressions for the JSON Schemas of step contracts and configs:
 * `table{Horsepower: number}`, `number[]`, `"mean" | "sum"`, `bytes`.
 */

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wrapUnion(text: string): string {
  return text.includes(' | ') ? `(${text})` : text;
}

const JSON_TYPES = ['array', 'boolean', 'null', 'number', 'object', 'string'];

/** True for the union zod's `z.json()` becomes: any JSON value. */
function isJsonUnion(union: unknown[]): boolean {
  const types = union.map((s) => (isSchema(s) ? s.type : undefined));
  return types.length === JSON_TYPES.length && [...types].sort().join() === JSON_TYPES.join();
}

/** A type expression for a JSON Schema (as made by `contractJsonSchema`). */
export function describeSchema(schema: unknown, depth = 0): string {
  if (!isSchema(schema)) return schema === false ? 'never' : 'any';
  const fancy = schema['x-fancyflow'];
  if (isSchema(fancy)) {
    if (fancy.kind === 'table') {
      const columns = isSchema(fancy.columns) ? Object.entries(fancy.columns) : [];
      if (columns.length === 0) return 'table';
      return `table{${columns.map(([name, type]) => `${name}: ${String(type)}`).join(', ')}}`;
    }
    return String(fancy.kind);
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) {
    if (isJsonUnion(union)) return 'json';
    return [...new Set(union.map((s) => describeSchema(s, depth)))].join(' | ');
  }
  const type = schema.type;
  if (Array.isArray(type))
    return type.map((t) => describeSchema({ ...schema, type: t }, depth)).join(' | ');
  switch (type) {
    case 'array': {
      if (Array.isArray(schema.prefixItems)) {
        return `[${schema.prefixItems.map((s) => describeSchema(s, depth + 1)).join(', ')}]`;
      }
      return `${wrapUnion(describeSchema(schema.items, depth + 1))}[]`;
    }
    case 'object': {
      const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
      if (properties.length === 0) {
        return isSchema(schema.additionalProperties)
          ? `Record<string, ${describeSchema(schema.additionalProperties, depth + 1)}>`
          : 'object';
      }
      if (depth >= 2) return 'object';
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      const fields = properties.map(
        ([name, s]) => `${name}${required.has(name) ? '' : '?'}: ${describeSchema(s, depth + 1)}`,
      );
      return `{${fields.join(', ')}}`;
    }
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return type;
    default:
      return 'any';
  }
}

/** One field of a config schema, for listings. */
export interface ConfigField {
  name: string;
  type: string;
  required: boolean;
  /** JSON text of the default, when there is one. */
  default?: string;
  description?: string;
}

/** The fields of a config object's JSON Schema. */
export function configFields(schema: unknown): ConfigField[] {
  if (!isSchema(schema) || !isSchema(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, s]) => {
    const field: ConfigField = {
      name,
      type: describeSchema(s, 1),
      required: required.has(name) && !(isSchema(s) && 'default' in s),
    };
    if (isSchema(s)) {
      if ('default' in s) field.default = JSON.stringify(s.default);
      if (typeof s.description === 'string') field.description = s.description;
    }
    return field;
  });
}
