/**
 * A step's config JSON Schema (zod's draft 2020-12 output) made ready for JupyterLab's schema form
 * (RJSF with ajv 8 in draft-07 mode): the `$schema` key dropped (ajv would refuse the unknown
 * meta-schema), `$defs` kept as `definitions`, and a title for fields that lack one. Pure.
 */

import type { JsonValue } from '../core/errors';
import { literalKinds, resolveRef, stripUndefinedDeep } from './form-values';

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `threshold_ratio` → `Threshold ratio`, `maxRows` → `Max rows`. */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!isSchema(value)) return value;
  const out: Schema = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string') out[key] = v.replace('#/$defs/', '#/definitions/');
    else out[key] = rewriteRefs(v);
  }
  return out;
}

/** The schema the config form renders. Never mutates its input. */
export function formSchema(config: Schema): Schema {
  const copy = rewriteRefs(config) as Schema;
  delete copy['$schema'];
  if (isSchema(copy['$defs'])) {
    copy['definitions'] = copy['$defs'];
    delete copy['$defs'];
  }
  if (copy['type'] === undefined) copy['type'] = 'object';
  const properties = copy['properties'];
  if (isSchema(properties)) {
    for (const [name, field] of Object.entries(properties)) {
      if (isSchema(field) && field['title'] === undefined) field['title'] = humanize(name);
    }
  }
  return copy;
}

/** True when the config has no fields (the form says "no configuration"). */
export function hasConfigFields(config: Schema): boolean {
  const properties = config['properties'];
  return isSchema(properties) && Object.keys(properties).length > 0;
}

function isEmptyContainer(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isSchema(value) && Object.keys(value).length === 0;
}

/**
 * The form's data without the empty arrays and objects the form adds on its own for optional
 * fields (RJSF fills array fields with `[]`): a field left out means "the step's own default",
 * which `[]` may not be. Fields the config had before, required fields and fields whose default is
 * that empty value are kept.
 */
export function pruneFormData<T extends Record<string, unknown>>(
  next: T,
  previous: Record<string, unknown>,
  config: Schema,
): T {
  const properties = isSchema(config['properties']) ? config['properties'] : {};
  const required = new Set(Array.isArray(config['required']) ? config['required'].map(String) : []);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    const field = properties[key];
    const hasDefault = isSchema(field) && 'default' in field;
    if (isEmptyContainer(value) && !(key in previous) && !required.has(key) && !hasDefault)
      continue;
    out[key] = value;
  }
  return out as T;
}

/** The name under which the config form registers its literal field (see ./literal-field.tsx). */
export const LITERAL_FIELD = 'fancyflowLiteral';

/** A uiSchema node (RJSF): `ui:*` options and the uiSchema of nested fields. */
export interface UiSchema {
  [key: string]: unknown;
}

/**
 * The form's uiSchema: fields that accept several JSON types (see `literalKinds`) use the literal
 * field instead of RJSF's "choose a type" dropdown; empty scalar fields show their default as a
 * placeholder. Nested objects and array items are covered too.
 */
export function formUiSchema(schema: Schema): UiSchema {
  const root = schema;
  const visit = (raw: Schema, depth: number): UiSchema | undefined => {
    if (depth > 8) return undefined;
    const s = resolveRef(raw, root);
    if (literalKinds(s, root) !== undefined) {
      return { 'ui:field': LITERAL_FIELD, 'ui:fieldReplacesAnyOrOneOf': true };
    }
    const out: UiSchema = {};
    const def = s['default'];
    if (def !== undefined && (typeof def !== 'object' || def === null)) {
      out['ui:placeholder'] = String(def);
    }
    const properties = s['properties'];
    if (isSchema(properties)) {
      for (const [name, field] of Object.entries(properties)) {
        const child = isSchema(field) ? visit(field, depth + 1) : undefined;
        if (child && Object.keys(child).length > 0) out[name] = child;
      }
    }
    const items = s['items'];
    if (isSchema(items)) {
      const child = visit(items, depth + 1);
      if (child && Object.keys(child).length > 0) out['items'] = child;
    }
    return out;
  };
  return visit(schema, 0) ?? {};
}

/**
 * The config a form edit means: fields the user emptied are left out (their default applies), as
 * are the empty lists and objects the form adds on its own for optional fields (see
 * {@link pruneFormData}); everything else is kept exactly as the form holds it.
 */
export function configFromForm(
  formData: Record<string, unknown>,
  previous: Record<string, JsonValue>,
  schema: Schema,
): Record<string, JsonValue> {
  return pruneFormData(stripUndefinedDeep(formData), previous, schema);
}
