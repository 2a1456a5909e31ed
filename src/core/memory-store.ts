/**
 * The default store: values kept by reference in memory (no copies, no serialisation), lost when the
 * process ends.
 */
import { createCell, type CellInit, type FancyCell } from './cell';
import { FancyflowError } from './errors';
import type { DatumStore, PersistOptions } from './store';

interface Entry {
  value: unknown;
  cell: FancyCell;
}

/**
 * A DatumStore that keeps values by reference.
 *
 * @example
 * const store = new MemoryDatumStore();
 * store.persist([1, 2, 3], { cellId: 'numbers' });
 * store.resolve('numbers'); // the same array object
 */
export class MemoryDatumStore implements DatumStore {
  readonly description = 'memory';
  private readonly entries = new Map<string, Entry>();

  has(cellId: string): boolean {
    return this.entries.has(cellId);
  }

  cell(cellId: string): FancyCell | undefined {
    return this.entries.get(cellId)?.cell;
  }

  list(): FancyCell[] {
    return Array.from(this.entries.values(), (e) => e.cell);
  }

  resolve(cellId: string): unknown {
    const entry = this.entries.get(cellId);
    if (!entry) {
      throw new FancyflowError('DATUM_NOT_FOUND', `The store holds no datum for cell "${cellId}"`, {
        details: { cellId },
      });
    }
    return entry.value;
  }

  persist(value: unknown, options: PersistOptions): FancyCell {
    const init: CellInit = {
      id: options.cellId,
      uri: `memory://${encodeURIComponent(options.cellId)}`,
    };
    if (options.producedBy) init.producedBy = options.producedBy;
    if (options.name) init.name = options.name;
    const cell = createCell(init, value);
    // delete first so a replaced cell moves to the end of the registration order
    this.entries.delete(options.cellId);
    this.entries.set(options.cellId, { value, cell });
    return cell;
  }

  delete(cellId: string): boolean {
    return this.entries.delete(cellId);
  }

  /** Forgets everything (what a kernel restart does to the memory store). */
  clear(): void {
    this.entries.clear();
  }
}
