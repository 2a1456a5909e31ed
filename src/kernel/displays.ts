/**
 * How values look in a notebook: `text/plain`, the FancyCell display
 * (`application/vnd.fancyflow.cell+json` plus an HTML card), and the rich MIME types some values
 * carry themselves (a Vega-Lite spec, a PNG).
 */
import { inspect } from 'node:util';
import { describeValue, type FancyCell } from '../core/cell';
import type { StepReport } from '../core/orchestrator';
import { isFancyFunction, type FancyFunction } from '../core/step';
import { tableAdapterFor, type Row } from '../core/table';
import { CELL_MIME_TYPE, type CellDisplay } from '../protocol/messages';

/** A MIME bundle with its metadata. */
export interface MimeBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Rows shown in a display. */
export const DISPLAY_ROWS = 10;

/** A value as text, the way Node's REPL shows it. */
export function plainText(value: unknown): string {
  return inspect(value, {
    depth: 4,
    maxArrayLength: 50,
    maxStringLength: 10_000,
    breakLength: 100,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const IMAGE_SIGNATURES: [string, number[]][] = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
];

/** MIME types a value carries by its shape: Vega/Vega-Lite specs, PNG/JPEG/GIF bytes. */
export function richMime(value: unknown): Record<string, unknown> {
  if (isPlainObject(value) && typeof value.$schema === 'string') {
    const schema = value.$schema;
    const version = /\/v(\d+)(?:\.|\/|\.json)/.exec(schema)?.[1] ?? '5';
    if (schema.includes('vega-lite'))
      return { [`application/vnd.vegalite.v${version}+json`]: value };
    if (/\/schema\/vega\//.test(schema))
      return { [`application/vnd.vega.v${version}+json`]: value };
  }
  if (value instanceof Uint8Array) {
    for (const [mime, signature] of IMAGE_SIGNATURES) {
      if (value.length > signature.length && signature.every((b, i) => value[i] === b)) {
        return {
          [mime]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
        };
      }
    }
  }
  return {};
}

/** A cell value made JSON-safe for a display (dates as ISO text, bigints as text, …). */
export function jsonSafe(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => jsonSafe(v, depth + 1));
  if (ArrayBuffer.isView(value)) {
    const list = Array.from(value as unknown as ArrayLike<number | bigint>).slice(0, 100);
    return list.map((v) => jsonSafe(v, depth + 1));
  }
  if (isPlainObject(value) || typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v, depth + 1);
    return out;
  }
  return jsonSafe((value as { toJSON(): unknown }).toJSON(), depth + 1);
}

/** The first `limit` rows of a table or of an array of records, JSON-safe; undefined for others. */
export function headRows(value: unknown, limit: number): Row[] | undefined {
  const adapter = tableAdapterFor(value);
  if (adapter) return adapter.head(value, limit).map((row) => jsonSafe(row) as Row);
  if (Array.isArray(value) && value.length > 0 && value.slice(0, limit).every(isPlainObject)) {
    return value.slice(0, limit).map((row) => jsonSafe(row) as Row);
  }
  return undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function shapeText(cell: FancyCell): string {
  const shape = cell.summary.shape;
  if (!shape) return '';
  if (cell.kind === 'table' && shape.length === 2) return `${shape[0]} rows × ${shape[1]} columns`;
  return `[${shape.join(' × ')}]`;
}

function stepText(step: StepReport | undefined, cell: FancyCell): string | undefined {
  const producer = cell.producedBy;
  if (!producer && !step) return undefined;
  const slug = producer?.slug ?? step?.slug ?? '';
  const version = producer?.version ? ` ${producer.version}` : '';
  const status = !step
    ? ''
    : step.status === 'cached'
      ? ', cached (unchanged code, config and inputs: not recomputed)'
      : `, ${step.status}${step.durationMs !== undefined ? ` in ${step.durationMs.toFixed(1)} ms` : ''}`;
  return `${slug}${version}${status}`;
}

/** The HTML card of a FancyCell: kind, shape, column schema, first rows, producing step. */
export function cellHtml(display: CellDisplay, value: unknown): string {
  const { cell, rows, step } = display;
  const title = [
    `<strong>${escapeHtml(cell.name ?? cell.id)}</strong>`,
    `<span>${escapeHtml(cell.kind)}</span>`,
    `<code>${escapeHtml(cell.summary.type)}</code>`,
    shapeText(cell) ? `<span>${escapeHtml(shapeText(cell))}</span>` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const parts = [
    `<div class="jp-fancyflow-CellDisplay" data-cell-id="${escapeHtml(cell.id)}">`,
    `<div>${title}</div>`,
  ];
  const produced = stepText(step, cell);
  if (produced) parts.push(`<div>produced by step <code>${escapeHtml(produced)}</code></div>`);
  if (step?.error)
    parts.push(
      `<div><strong>${escapeHtml(step.error.code)}</strong>: ${escapeHtml(step.error.message)}</div>`,
    );
  const columns = cell.summary.columns;
  if (rows && rows.length > 0) {
    const names = columns?.map((c) => c.name) ?? Object.keys(rows[0]!);
    const types = new Map(columns?.map((c) => [c.name, c.type]) ?? []);
    const head = names
      .map(
        (n) =>
          `<th>${escapeHtml(n)}${types.has(n) ? `<br><small>${escapeHtml(types.get(n)!)}</small>` : ''}</th>`,
      )
      .join('');
    const body = rows
      .map((r) => `<tr>${names.map((n) => `<td>${escapeHtml(cellText(r[n]))}</td>`).join('')}</tr>`)
      .join('');
    parts.push(`<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`);
  } else if (columns && columns.length > 0) {
    parts.push(
      `<table><thead><tr><th>column</th><th>type</th></tr></thead><tbody>${columns
        .map((c) => `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.type)}</td></tr>`)
        .join('')}</tbody></table>`,
    );
  } else if (value !== undefined) {
    const text = plainText(value);
    parts.push(`<pre>${escapeHtml(text.length > 2000 ? `${text.slice(0, 2000)}…` : text)}</pre>`);
  }
  parts.push('</div>');
  return parts.join('');
}

/** The text of a table value: its summary and schema (printing its internals helps no one). */
function tableText(display: CellDisplay): string {
  const { cell, rows } = display;
  const lines = [`${cell.summary.type} ${shapeText(cell)}`.trim()];
  for (const c of cell.summary.columns ?? []) lines.push(`  ${c.name}: ${c.type}`);
  if (rows && rows.length > 0) lines.push(plainText(rows.slice(0, 5)));
  return lines.join('\n');
}

/** The execute_result bundle of a cell value stored as `cell`. */
export function cellBundle(value: unknown, cell: FancyCell, step?: StepReport): MimeBundle {
  const display: CellDisplay = { cell };
  const rows = headRows(value, DISPLAY_ROWS);
  if (rows) display.rows = rows;
  if (step) display.step = step;
  return {
    data: {
      'text/plain': cell.kind === 'table' ? tableText(display) : plainText(value),
      'text/html': cellHtml(display, value),
      [CELL_MIME_TYPE]: display,
      ...richMime(value),
    },
    metadata: {},
  };
}

/** A registered step as people read it: `step power_to_weight "Power to weight" v1.0.0 (table) → batch, in Transform`. */
function definitionText(fn: FancyFunction): string {
  const d = fn.describe();
  const inputs = Object.keys(d.inputs).join(', ');
  return `step ${d.slug} "${d.title}" v${d.version} (${inputs}): ${d.traits.execution}, in ${d.category}`;
}

/** The bundle of a value that is not (or could not be) stored as a cell. */
export function valueBundle(value: unknown): MimeBundle {
  if (isFancyFunction(value))
    return { data: { 'text/plain': definitionText(value) }, metadata: {} };
  return { data: { 'text/plain': plainText(value), ...richMime(value) }, metadata: {} };
}

/**
 * The bundle `display(value)` shows: tables and record arrays as an HTML card (not stored, so
 * without the FancyCell MIME type), rich values with their own MIME type, the rest as text.
 */
export function displayBundle(value: unknown): MimeBundle {
  const rows = headRows(value, DISPLAY_ROWS);
  if (!rows) return valueBundle(value);
  const { kind, summary, fingerprint } = describeValue(value);
  const cell: FancyCell = {
    id: 'display',
    uri: '',
    kind,
    summary,
    createdAt: new Date().toISOString(),
    fingerprint,
  };
  const display: CellDisplay = { cell, rows };
  return {
    data: {
      'text/plain': kind === 'table' ? tableText(display) : plainText(value),
      'text/html': cellHtml(display, value),
      ...richMime(value),
    },
    metadata: {},
  };
}
