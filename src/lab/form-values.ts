/**
 * The config form's value rules, pure so they are tested in Node:
 * - a field that accepts several JSON types (the filter's `value`: string | number | boolean)
 *   reads what is typed as a literal: `1980` is the number 1980, `true` a boolean, `[1, 2]` a
 *   list, `"1980"` (in quotes) the text 1980, anything else the text as typed; it shows a value
 *   back in the same notation, so reading what is shown gives the same value;
 * - an empty field is `undefined` while the user edits (it does not snap back to its default);
 *   the config written to code leaves it out, so the step's default applies;
 * - nothing the user did not change is changed (see `configForCode` in ./codegen.ts).
 */
import type { JsonValue } from '../core/errors';
import { jsonEqual } from './codegen';
import { readLiteralText } from './code-reader';
import { printLiteral } from './js-literal';

/** The JSON types a literal field accepts. */
export type LiteralKind = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array';

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** Follows a local `$ref` (`#/definitions/x`, `#/$defs/x`) against the root schema. */
export function resolveRef(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    target = isSchema(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isSchema(target) ? target : schema;
}

/**
 * The JSON types a field accepts, when it accepts more than one kind of scalar (or scalars and a
 * list of scalars): `type: ['string', 'number']`, `anyOf` / `oneOf` of such schemas. Undefined for
 * every other field (objects, enums, a single type), which the form's own widgets handle.
 */
export function literalKinds(schema: Schema, root: Schema = schema): Set<LiteralKind> | undefined {
  const kinds = new Set<LiteralKind>();
  const collect = (raw: Schema, depth: number, inArray: boolean): boolean => {
    const s = resolveRef(raw, root);
    if (depth > 4 || 'enum' in s || 'const' in s || 'properties' in s) return false;
    const type = s['type'];
    const options = s['anyOf'] ?? s['oneOf'];
    if (Array.isArray(options)) {
      return options.every((o) => isSchema(o) && collect(o, depth + 1, inArray));
    }
    const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type : undefined;
    if (!types || types.length === 0) return false;
    for (const t of types) {
      if (t === 'array' && !inArray) {
        const items = s['items'];
        if (!isSchema(items) || !collect(items, depth + 1, true)) return false;
        kinds.add('array');
      } else if (typeof t === 'string' && SCALARS.has(t)) {
        if (!inArray) kinds.add(t as LiteralKind);
      } else {
        return false;
      }
    }
    return true;
  };
  if (!collect(schema, 0, false)) return undefined;
  const scalarKinds = [...kinds].filter((k) => k !== 'array');
  const numeric = kinds.has('number') || kinds.has('integer');
  const distinct = new Set(scalarKinds.map((k) => (k === 'integer' ? 'number' : k)));
  // a single scalar type is the form's own field (a number input, a text box, a checkbox)
  if (distinct.size + (kinds.has('array') ? 1 : 0) < 2 && !(numeric && kinds.has('array'))) {
    return undefined;
  }
  return kinds;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * The value of what was typed in a literal field. Empty → `undefined` (the field is left out).
 * Quoted text is always text; otherwise a number, `true`/`false`, `null` or a `[list]` where the
 * field accepts one; anything else is the text exactly as typed.
 */
export function parseLiteralInput(
  text: string,
  kinds: ReadonlySet<LiteralKind>,
): JsonValue | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) {
    const value = readLiteralText(t);
    if (typeof value === 'string') return value;
  }
  if ((kinds.has('number') || kinds.has('integer')) && NUMBER.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return Object.is(n, -0) ? 0 : n;
  }
  if (kinds.has('boolean') && (t === 'true' || t === 'false')) return t === 'true';
  if (kinds.has('null') && t === 'null') return null;
  if (kinds.has('array') && t.startsWith('[')) {
    const value = readLiteralText(t);
    if (Array.isArray(value)) return value;
  }
  // text, as typed (a field that takes no text shows the validation message)
  return text;
}

/** How a literal field shows a value: the notation {@link parseLiteralInput} reads back. */
export function formatLiteralInput(
  value: JsonValue | undefined,
  kinds: ReadonlySet<LiteralKind>,
): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    const plain =
      !/[\n\r\t]/.test(value) && jsonEqual(parseLiteralInput(value, kinds), value) && value !== '';
    return plain ? value : JSON.stringify(value);
  }
  if (Array.isArray(value)) return printLiteral(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** What a value is stored as, in words the help uses: `number`, `text`, `true/false`, … */
export function literalKindLabel(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'true/false';
    case 'string':
      return 'text';
    default:
      return 'object';
  }
}

/** The help line of a literal field: how to type each kind it accepts. */
export function literalHelp(kinds: ReadonlySet<LiteralKind>): string {
  const stored: string[] = [];
  if (kinds.has('number') || kinds.has('integer')) stored.push('numbers (1980)');
  if (kinds.has('boolean')) stored.push('true/false');
  if (kinds.has('null')) stored.push('null');
  if (kinds.has('array')) stored.push("lists ([1, 'a'])");
  const list =
    stored.length > 1 ? `${stored.slice(0, -1).join(', ')} and ${stored.at(-1)}` : stored[0];
  const asIs = list ? `${list.charAt(0).toUpperCase()}${list.slice(1)} are stored as such` : '';
  if (!kinds.has('string')) return `${asIs}.`;
  return `${asIs}${asIs ? '; ' : ''}put text in quotes ("1980") to store it as text; anything else is text.`;
}

/** Removes `undefined` members of objects at every depth (emptied fields); in arrays they become null. */
export function stripUndefinedDeep(value: Record<string, unknown>): Record<string, JsonValue> {
  const clean = (v: unknown): JsonValue | undefined => {
    if (Array.isArray(v)) return v.map((item) => clean(item) ?? null);
    if (isSchema(v)) {
      const out: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(v)) {
        const cleaned = clean(item);
        if (cleaned !== undefined) {
          Object.defineProperty(out, key, {
            value: cleaned,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
      }
      return out;
    }
    return v as JsonValue | undefined;
  };
  return clean(value) as Record<string, JsonValue>;
}
