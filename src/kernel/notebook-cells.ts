/**
 * `cell()` and `cells`: how notebook code refers to the outputs of other cells, by cell id or by a
 * readable name. Kept light (no zeromq, no tslab): the package root exports it. The kernel's
 * session registers itself on `globalThis` under a `Symbol.for` key, so every copy of this package
 * in the kernel process sees the same session.
 */
import type { FancyCell } from '../core/cell';
import { FancyflowError } from '../core/errors';
import type { MaybePromise } from '../core/store';

/** What the kernel's notebook session offers to `cell()` and `cells`. */
export interface NotebookCellsHost {
  /** The cell id a name or id stands for; throws `MISSING_CELL` (listing known names) otherwise. */
  resolveCell(nameOrId: string): string;
  /** The FancyCells of the session's store, names included. */
  listCells(): FancyCell[];
  /** The FancyCell of a name or id, or undefined. */
  findCell(nameOrId: string): FancyCell | undefined;
  /** The value of a name or id (from the store). Throws `MISSING_CELL`/`DATUM_NOT_FOUND`. */
  cellValue(nameOrId: string): MaybePromise<unknown>;
  /** Readable name → cell id. */
  cellNames(): Record<string, string>;
}

const HOST_KEY = Symbol.for('fancyflow.notebookSession');

type GlobalWithHost = typeof globalThis & { [HOST_KEY]?: NotebookCellsHost };

/** Makes `host` the session `cell()` and `cells` answer from (the kernel calls this). */
export function registerNotebookCellsHost(host: NotebookCellsHost | undefined): void {
  const g = globalThis as GlobalWithHost;
  if (host) g[HOST_KEY] = host;
  else delete g[HOST_KEY];
}

function host(): NotebookCellsHost | undefined {
  return (globalThis as GlobalWithHost)[HOST_KEY];
}

/**
 * A reference to another cell's output, for wiring a step: by the cell's readable name (a step's
 * `name` option) or its id. In a kernel, an unknown name throws `MISSING_CELL` naming the known
 * ones; outside a kernel the argument is taken as the cell id.
 *
 * @example
 * cleanData({ df: cell('raw') }, { threshold: 0.3 }, { name: 'clean' })
 */
export function cell(nameOrId: string): { cellId: string } {
  const h = host();
  return { cellId: h ? h.resolveCell(nameOrId) : nameOrId };
}

/** The notebook's cells (the session store's FancyCells), looked up by id or readable name. */
export interface CellsAccessor extends Iterable<FancyCell> {
  /** Every FancyCell, in the order they were stored. Empty outside a kernel. */
  list(): FancyCell[];
  /** The FancyCell with this id or name, or undefined. */
  get(nameOrId: string): FancyCell | undefined;
  /** True when a cell with this id or name exists. */
  has(nameOrId: string): boolean;
  /** The value of a cell (may be a promise with a disk store). Throws `MISSING_CELL` outside a kernel. */
  value(nameOrId: string): MaybePromise<unknown>;
  /** Readable name → cell id. */
  names(): Record<string, string>;
  /** How many cells there are. */
  readonly length: number;
}

/**
 * The notebook's cells.
 *
 * @example
 * cells.list().map((c) => c.summary.shape);
 * const raw = await cells.value('raw');
 */
export const cells: CellsAccessor = {
  list: () => host()?.listCells() ?? [],
  get: (nameOrId) => host()?.findCell(nameOrId),
  has: (nameOrId) => host()?.findCell(nameOrId) !== undefined,
  value(nameOrId) {
    const h = host();
    if (!h) {
      throw new FancyflowError(
        'MISSING_CELL',
        `No notebook session: cell "${nameOrId}" is unknown`,
        {
          details: { cellId: nameOrId },
        },
      );
    }
    return h.cellValue(nameOrId);
  },
  names: () => host()?.cellNames() ?? {},
  get length() {
    return host()?.listCells().length ?? 0;
  },
  [Symbol.iterator]() {
    return (host()?.listCells() ?? [])[Symbol.iterator]();
  },
};
