/**
 * The default store: values kept by reference in memory (no copies, no serialisation), lost when the
 * process ends.
 */
import { cellValue, createCell, type FancyCell } from './cell';
import { FancyflowError } from './errors';
import type { DatumStore, PersistOptions } from './store';

/**
 * A DatumStore that keeps values by reference. Its cells compute their uri, kind, creation time
 * text, summary and fingerprint when first read, so registering a value costs one small object.
 *
 * @example
 * const store = new MemoryDatumStore();
 * store.persist([1, 2, 3], { cellId: 'numbers' });
 * store.resolve('numbers'); // the same array object
 */
export class MemoryDatumStore implements DatumStore {
  readonly description = 'memory';
  /** Cell id → its cell, which holds the value. */
  private readonly entries = new Map<string, FancyCell>();

  has(cellId: string): boolean {
    return this.entries.has(cellId);
  }

  cell(cellId: string): FancyCell | undefined {
    return this.entries.get(cellId);
  }

  list(): FancyCell[] {
    return Array.from(this.entries.values());
  }

  resolve(cellId: string): unknown {
    const cell = this.entries.get(cellId);
    if (!cell) {
      throw new FancyflowError('DATUM_NOT_FOUND', `The store holds no datum for cell "${cellId}"`, {
        details: { cellId },
      });
    }
    return cellValue(cell);
  }

  persist(value: unknown, options: PersistOptions): FancyCell {
    const cellId = options.cellId;
    // one literal shape whatever the options hold (the uri is made from the id when read)
    const cell = createCell(
      {
        id: cellId,
        producedBy: options.producedBy,
        name: options.name,
        at: options.at,
        record: options.record,
      },
      value,
    );
    const entries = this.entries;
    const size = entries.size;
    entries.set(cellId, cell);
    if (entries.size === size) {
      // a replaced cell moves to the end of the registration order
      entries.delete(cellId);
      entries.set(cellId, cell);
    }
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
