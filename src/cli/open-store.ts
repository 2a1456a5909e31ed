/**
 * The `--store` option: `memory` (the default) or a directory for a DiskDatumStore, whose cells
 * survive the process and can be wired to by later runs.
 */
import * as path from 'node:path';
import { FancyflowError, MemoryDatumStore, isFancyflowError, type DatumStore } from '../core';
import { DiskDatumStore } from '../stores/disk-datum-store';
import { oneLine } from './report-error';

/** The value of `--store` that keeps cells in memory. */
export const MEMORY_STORE = 'memory';

/** An opened store and what was found wrong in it (a disk store's unreadable files). */
export interface OpenedStore {
  store: DatumStore;
  /** One line per problem, for stderr: the store still opened, without those cells. */
  warnings: string[];
}

/** Opens the store `--store` names (relative directories against `cwd`). */
export async function openStore(option: string | undefined, cwd: string): Promise<OpenedStore> {
  if (option === undefined || option === MEMORY_STORE) {
    return { store: new MemoryDatumStore(), warnings: [] };
  }
  const dir = path.resolve(cwd, option);
  try {
    const store = await DiskDatumStore.open(dir);
    const warnings = store.problems.map(
      (p) => `fancyflow: warning: ${p.file}: ${p.code}: ${oneLine(p.message)}`,
    );
    return { store, warnings };
  } catch (e) {
    if (isFancyflowError(e)) throw e;
    throw new FancyflowError('STORE_IO', `Cannot open the store in ${dir}: ${String(e)}`, {
      details: { dir },
      cause: e,
    });
  }
}

/** Waits until everything the store was asked to write is on disk (before the process exits). */
export async function flushStore(store: DatumStore): Promise<void> {
  if (store instanceof DiskDatumStore) await store.flush();
}
