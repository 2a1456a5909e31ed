/**
 * The cells a step input can be wired to, and whether each fits the input's contract: a table
 * input gets table cells (with the columns it needs, of the right types); a cell that does not fit
 * is still listed, disabled, with the reason ("a Vega-Lite v5 spec (json), not a table", "missing
 * column Horsepower"); a cell that has not run yet is offered with "not run yet". Pure: it sees
 * the notebook through plain snapshots and the kernel through its FancyCells (kind and summary),
 * so it is tested in Node.
 */
import type { FancyCell } from '../core/cell';
import type { StepDescriptor } from '../core/step';
import { columnMatches, type ColumnInfo, type ColumnTypeSpec } from '../core/table';
import { NOTEBOOK_METADATA_KEY } from '../core/format';
import { nameIndex, readCellMetadata, referenceFor, type CellSnapshot } from './cell-metadata';
import { describeContract } from './palette-model';
import type { ICellChoice } from './tokens';

/** One input of a step, as the kernel describes it. */
export type StepInputDescriptor = StepDescriptor['inputs'][string];

/** What the choices need of one notebook cell. */
export interface ChoiceCell extends CellSnapshot {
  /** The first line of its source (for labels). */
  firstLine: string;
}

/** The notebook and the kernel as the choices see them. */
export interface ChoiceContext {
  /** The notebook's cells, in order. */
  cells: readonly ChoiceCell[];
  /** The kernel's state (its stored cells and known names), when connected. */
  kernel?: { cells: readonly FancyCell[]; names: Record<string, string> } | undefined;
  /** The steps registered in the kernel. */
  steps: readonly StepDescriptor[];
}

/** The shape of a notebook cell model that {@link choiceCell} reads (JupyterLab's ICellModel). */
export interface CellModelLike {
  readonly id: string;
  readonly type: string;
  getMetadata(key: string): unknown;
  readonly sharedModel: { getSource(): string };
}

/** A cell model as the choices see it. */
export function choiceCell(cell: CellModelLike): ChoiceCell {
  return {
    id: cell.id,
    cellType: cell.type,
    metadata: cell.getMetadata(NOTEBOOK_METADATA_KEY),
    firstLine: cell.sharedModel.getSource().split('\n')[0]!.slice(0, 40),
  };
}

/** Whether a cell fits an input, and why not. */
export interface Fit {
  fits: boolean;
  reason?: string;
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface FancyflowMeta {
  kind?: unknown;
  columns?: unknown;
  exact?: unknown;
}

function fancyflowMeta(schema: Schema): FancyflowMeta | undefined {
  const x = schema['x-fancyflow'];
  return isSchema(x) ? x : undefined;
}

function article(phrase: string): string {
  return /^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

/**
 * What a cell holds, in words: `a table`, `a Vega-Lite v5 spec (json)` (the producing step's
 * output title), `an object (json)`, `bytes (Uint8Array)`, `a Map (value)`.
 */
export function describeCell(
  cell: Pick<FancyCell, 'kind' | 'summary'>,
  producer?: StepDescriptor,
): string {
  if (cell.kind === 'table') return 'a table';
  const title = producer?.output['title'];
  if (typeof title === 'string' && title && fancyflowMeta(producer!.output)?.kind === cell.kind) {
    return `${article(title)} (${cell.kind})`;
  }
  if (cell.kind === 'bytes') return `bytes (${cell.summary.type})`;
  return `${article(cell.summary.type)} (${cell.kind})`;
}

const JSON_TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

/** The JSON types a schema accepts, or undefined when it accepts anything (or cannot tell). */
function jsonTypes(schema: Schema, depth = 0): Set<string> | undefined {
  if (depth > 4) return undefined;
  const type = schema['type'];
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.map(String));
  const options = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(options)) {
    const out = new Set<string>();
    for (const option of options) {
      const types = isSchema(option) ? jsonTypes(option, depth + 1) : undefined;
      if (!types) return undefined;
      for (const t of types) out.add(t);
    }
    return out;
  }
  const values = Array.isArray(schema['enum'])
    ? schema['enum']
    : 'const' in schema
      ? [schema['const']]
      : undefined;
  if (values) return new Set(values.map(jsonTypeOfValue));
  return undefined;
}

function jsonTypeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The JSON type of a json cell, from its summary (`object`, `array`, `number`, …). */
function jsonTypeOfCell(cell: Pick<FancyCell, 'kind' | 'summary'>): string | undefined {
  if (cell.kind !== 'json') return undefined;
  const type = cell.summary.type;
  return JSON_TYPES.includes(type) ? type : undefined;
}

function typeName(column: ColumnInfo): string {
  return column.type === 'dictionary' && column.valueType
    ? `dictionary<${column.valueType}>`
    : column.type;
}

function listed(words: string[]): string {
  return words.length > 3 ? `${words.slice(0, 3).join(', ')}, …` : words.join(', ');
}

/**
 * Whether a stored cell fits an input contract (its JSON Schema, as in StepDescriptor.inputs):
 * table contracts check the kind and the columns (names, types, `exact`); bytes contracts the
 * kind; other contracts the JSON type of the value. `producer` (the step that made the cell)
 * names what the cell holds in the reason.
 */
export function contractFit(
  schema: Schema,
  cell: Pick<FancyCell, 'kind' | 'summary'>,
  producer?: StepDescriptor,
): Fit {
  const meta = fancyflowMeta(schema);
  const what = describeCell(cell, producer);
  if (meta?.kind === 'table') {
    if (cell.kind !== 'table') return { fits: false, reason: `${what}, not a table` };
    const columns = new Map((cell.summary.columns ?? []).map((c) => [c.name, c]));
    const wanted = isSchema(meta.columns) ? Object.entries(meta.columns) : [];
    const missing = wanted.filter(([name]) => !columns.has(name)).map(([name]) => name);
    if (missing.length > 0) {
      const s = missing.length > 1 ? 's' : '';
      return { fits: false, reason: `missing column${s} ${listed(missing)}` };
    }
    for (const [name, spec] of wanted) {
      const have = columns.get(name)!;
      if (!columnMatches(have, spec as ColumnTypeSpec)) {
        return { fits: false, reason: `column ${name} is ${typeName(have)}, not ${String(spec)}` };
      }
    }
    if (meta.exact === true) {
      const extra = [...columns.keys()].filter((name) => !wanted.some(([w]) => w === name));
      if (extra.length > 0) {
        const s = extra.length > 1 ? 's' : '';
        return { fits: false, reason: `extra column${s} ${listed(extra)}` };
      }
    }
    return { fits: true };
  }
  if (meta?.kind === 'bytes') {
    return cell.kind === 'bytes' ? { fits: true } : { fits: false, reason: `${what}, not bytes` };
  }
  const types = jsonTypes(schema);
  if (!types) return { fits: true };
  const type = jsonTypeOfCell(cell);
  if (type && (types.has(type) || (type === 'number' && types.has('integer')))) {
    return { fits: true };
  }
  return { fits: false, reason: `${what}, not ${describeContract(schema)}` };
}

/**
 * Whether the output of a step that has not run yet can fit an input, judged from the step's
 * output contract alone (its kind: a chart's spec never fits a table input).
 */
export function declaredFit(input: Schema, producer: StepDescriptor | undefined): Fit {
  const want = fancyflowMeta(input)?.kind;
  const have = producer ? fancyflowMeta(producer.output)?.kind : undefined;
  if (want === undefined || have === undefined || want === have) {
    return { fits: true, reason: 'not run yet' };
  }
  const title = producer!.output['title'];
  const what =
    typeof title === 'string' && title && have !== 'table'
      ? `${article(title)} (${String(have)})`
      : article(String(have));
  return { fits: false, reason: `${what}, not ${article(String(want))} (not run yet)` };
}

/**
 * The cells that a step inserted below cell `index` (or edited at `index`) can be wired to,
 * nearest first: step cells and cells the kernel stored or knows by name. With `input`, each
 * choice says whether it fits that input; those that fit come first.
 */
export function cellChoices(
  context: ChoiceContext,
  index: number,
  input?: StepInputDescriptor,
): ICellChoice[] {
  const { cells, steps } = context;
  const names = nameIndex(cells, context.kernel?.names);
  const stored = new Map((context.kernel?.cells ?? []).map((c) => [c.id, c]));
  const bySlug = new Map(steps.map((s) => [s.slug, s]));
  const out: ICellChoice[] = [];
  for (let i = Math.min(index, cells.length - 1); i >= 0; i--) {
    const cell = cells[i]!;
    if (cell.cellType !== 'code') continue;
    const metadata = readCellMetadata(cell.metadata);
    const reference = referenceFor(cell.id, names);
    let choice: ICellChoice;
    let producer: StepDescriptor | undefined;
    let value: FancyCell | undefined;
    if (metadata) {
      producer = bySlug.get(metadata.slug);
      const title = metadata.title ?? producer?.title ?? metadata.slug;
      value = stored.get(metadata.outputCellId ?? metadata.stepId) ?? stored.get(cell.id);
      choice = {
        cellId: cell.id,
        reference,
        label: metadata.name ? `${metadata.name} (${title})` : `${title} [${i + 1}]`,
        isStep: true,
        fits: true,
      };
    } else if (stored.has(cell.id) || reference !== cell.id) {
      value = stored.get(cell.id);
      if (value?.producedBy) producer = bySlug.get(value.producedBy.slug);
      choice = {
        cellId: cell.id,
        reference,
        label: reference !== cell.id ? reference : `[${i + 1}] ${cell.firstLine}`,
        isStep: false,
        fits: true,
      };
    } else {
      continue;
    }
    if (input) {
      const fit = value
        ? contractFit(input.schema, value, producer)
        : metadata
          ? declaredFit(input.schema, producer)
          : { fits: true, reason: 'not run yet' };
      choice.fits = fit.fits;
      if (fit.reason !== undefined) choice.reason = fit.reason;
    }
    out.push(choice);
  }
  return [...out.filter((c) => c.fits), ...out.filter((c) => !c.fits)];
}

/** The choice to preselect for an input: the nearest fitting step cell, else the nearest fitting cell. */
export function preferredChoice(choices: readonly ICellChoice[]): ICellChoice | undefined {
  return choices.find((c) => c.fits && c.isStep) ?? choices.find((c) => c.fits);
}

/** How a picker shows a choice: its label, and the reason when there is one. */
export function choiceText(choice: ICellChoice): string {
  if (choice.reason === undefined) return choice.label;
  return choice.fits ? `${choice.label} (${choice.reason})` : `${choice.label} — ${choice.reason}`;
}
