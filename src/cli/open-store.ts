/**
 * The `--store` option: `memory` (the default), `s3://bucket/prefix` for an S3DatumStore, or a
 * directory for a DiskDatumStore; the last two survive the process and can be shared by processes
 * (later runs, queue workers).
 */
import * as path from 'node:path';
import { FancyflowError, MemoryDatumStore, isFancyflowError, type DatumStore } from '../core';
import { DiskDatumStore, type StoreProblem } from '../stores/disk-datum-store';
import { S3DatumStore } from '../stores/s3-datum-store';
import { isS3Url } from '../stores/s3-location';
import { oneLine } from './report-error';

/** The value of `--store` that keeps cells in memory. */
export const MEMORY_STORE = 'memory';

/** An opened store and what was found wrong in it (a disk store's unreadable files). */
export interface OpenedStore {
  store: DatumStore;
  /** One line per problem, for stderr: the store still opened, without those cells. */
  warnings: string[];
}

function warningsOf(problems: readonly StoreProblem[]): string[] {
  return problems.map((p) => `fancyflow: warning: ${p.file}: ${p.code}: ${oneLine(p.message)}`);
}

/** True when `--store` names a store other processes can share (a folder or S3), not memory. */
export function isSharedStore(option: string | undefined): option is string {
  return option !== undefined && option !== MEMORY_STORE;
}

/**
 * Opens the store `--store` names (relative directories against `cwd`); S3 is configured from the
 * environment as the AWS SDK is (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, the credential chain).
 */
export async function openStore(option: string | undefined, cwd: string): Promise<OpenedStore> {
  if (option === undefined || option === MEMORY_STORE) {
    return { store: new MemoryDatumStore(), warnings: [] };
  }
  if (isS3Url(option)) {
    const store = await S3DatumStore.open(option);
    return { store, warnings: warningsOf(store.problems) };
  }
  const dir = path.resolve(cwd, option);
  try {
    const store = await DiskDatumStore.open(dir);
    return { store, warnings: warningsOf(store.problems) };
  } catch (e) {
    if (isFancyflowError(e)) throw e;
    throw new FancyflowError('STORE_IO', `Cannot open the store in ${dir}: ${String(e)}`, {
      details: { dir },
      cause: e,
    });
  }
}

/** Waits until everything the store was asked to write is stored (before the process exits). */
export async function flushStore(store: DatumStore): Promise<void> {
  if (store instanceof DiskDatumStore || store instanceof S3DatumStore) await store.flush();
}

/** Lets the process exit: closes the connections an S3 store keeps open. */
export function closeStore(store: DatumStore): void {
  if (store instanceof S3DatumStore) store.close();
}

/** The store's description as `--store` would name it again (what a queue worker opens). */
export function storeSpecOf(store: DatumStore): string | undefined {
  if (store instanceof DiskDatumStore) return store.dir;
  if (store instanceof S3DatumStore) return store.url;
  return undefined;
}
