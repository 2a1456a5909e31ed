/**
 * A Jupyter notebook (.ipynb, nbformat 4) as the CLI reads it: its code cells in order, with ids,
 * sources and metadata. Reading executes nothing; a file that is not a notebook gets a coded
 * error with the JSON pointer of the problem.
 */
import { FancyflowError } from '../core';
import { checkJsonLimits } from '../core/json-limits';

/** One cell of a notebook. */
export interface NotebookCell {
  /** The nbformat 4.5 cell id, or `cell-<n>` for older files. */
  id: string;
  /** The cell's position in the notebook (0-based). */
  index: number;
  type: string;
  source: string;
  metadata: Record<string, unknown>;
}

/** A notebook's cells and metadata. */
export interface NotebookFile {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, pointer: string): FancyflowError {
  return new FancyflowError('INVALID_DOCUMENT', message, { details: { pointer } });
}

/** True when a parsed JSON value looks like a notebook (it has `cells` and `nbformat`). */
export function isNotebookValue(value: unknown): boolean {
  return isRecord(value) && 'cells' in value && 'nbformat' in value;
}

/** The cells of a parsed notebook. Throws `INVALID_DOCUMENT` naming where it is not one. */
export function readNotebook(value: unknown): NotebookFile {
  if (!isRecord(value)) throw invalid('A notebook must be a JSON object', '');
  if (value.nbformat !== 4) {
    throw invalid(
      `Only nbformat 4 notebooks are read (this one says ${JSON.stringify(value.nbformat)?.slice(0, 20)})`,
      '/nbformat',
    );
  }
  if (!Array.isArray(value.cells)) throw invalid('`cells` must be an array', '/cells');
  const seen = new Set<string>();
  const cells = value.cells.map((raw: unknown, index): NotebookCell => {
    const at = `/cells/${index}`;
    if (!isRecord(raw)) throw invalid('A cell must be an object', at);
    const type = raw.cell_type;
    if (typeof type !== 'string') throw invalid('`cell_type` must be a string', `${at}/cell_type`);
    const source = raw.source;
    let text: string;
    if (typeof source === 'string') text = source;
    else if (Array.isArray(source) && source.every((s) => typeof s === 'string')) {
      text = source.join('');
    } else throw invalid('`source` must be a string or a list of strings', `${at}/source`);
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : `cell-${index + 1}`;
    if (seen.has(id)) throw invalid(`Two cells have the id "${id.slice(0, 80)}"`, `${at}/id`);
    seen.add(id);
    const metadata = isRecord(raw.metadata) ? raw.metadata : {};
    // metadata is read (and written back): no prototype keys, no nesting past the limit
    checkJsonLimits(metadata, { base: `${at}/metadata` });
    return { id, index, type, source: text, metadata };
  });
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  checkJsonLimits(metadata, { base: '/metadata' });
  return { cells, metadata };
}
