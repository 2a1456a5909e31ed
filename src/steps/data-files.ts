/**
 * Where the I/O steps read and write: a path (absolute, or relative to `baseDir`, default the
 * working directory) or a dataset of the `vega-datasets` npm package; writes are atomic.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { FancyflowError } from '../core';

/** Dataset names: a file name of `vega-datasets/data`, no folders. */
const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The config fields of a read step: `path` or `dataset` (exactly one), and `baseDir`. */
export function sourceFields(example: { path: string; dataset: string }) {
  return {
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        `File to read: absolute, or relative to baseDir. Give this or dataset. Example: "${example.path}".`,
      ),
    dataset: z
      .string()
      .regex(DATASET_NAME, 'a file name of the vega-datasets package, e.g. "cars.json"')
      .optional()
      .describe(
        `A data set shipped in the vega-datasets npm package, by file name. Give this or path. Example: "${example.dataset}".`,
      ),
    baseDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder that a relative path is resolved against. Default: the working directory.'),
  };
}

/** The config fields of a write step: `path` and `baseDir`. */
export function targetFields(example: string) {
  return {
    path: z
      .string()
      .min(1)
      .describe(
        `File to write (parent folders are created): absolute, or relative to baseDir. Example: "${example}".`,
      ),
    baseDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder that a relative path is resolved against. Default: the working directory.'),
  };
}

/** A zod check for read configs: exactly one of `path` and `dataset`, with allowed extensions. */
export function checkSource(extensions: readonly string[]) {
  return (
    config: { path?: string | undefined; dataset?: string | undefined },
    ctx: z.RefinementCtx,
  ): void => {
    const given = (config.path === undefined ? 0 : 1) + (config.dataset === undefined ? 0 : 1);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [config.dataset === undefined ? 'path' : 'dataset'],
        message: given === 0 ? 'give path or dataset' : 'give path or dataset, not both',
      });
      return;
    }
    const name = config.path ?? config.dataset ?? '';
    const field = config.path === undefined ? 'dataset' : 'path';
    if (!extensions.some((ext) => name.toLowerCase().endsWith(ext))) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `expected a ${extensions.join(' or ')} file, got "${name}"`,
      });
    }
  };
}

/** The folder of the vega-datasets data files (its package `exports` hide them from `require.resolve`). */
export function vegaDatasetsDir(): string {
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data');
}

/** The absolute file a read config names. */
export function sourceFile(config: {
  path?: string | undefined;
  dataset?: string | undefined;
  baseDir?: string | undefined;
}): string {
  if (config.dataset !== undefined) return path.join(vegaDatasetsDir(), config.dataset);
  return targetFile({ path: config.path ?? '', baseDir: config.baseDir });
}

/**
 * A read step's cache key besides its config: the file's size and modification time, so a file
 * that changes makes the step run again (and `fancyflow status` call it stale).
 */
export function sourceStamp(config: {
  path?: string | undefined;
  dataset?: string | undefined;
  baseDir?: string | undefined;
}): string {
  const stats = statSync(sourceFile(config));
  return `${stats.size}:${stats.mtimeMs}`;
}

/** The absolute file a write config names. */
export function targetFile(config: { path: string; baseDir?: string | undefined }): string {
  return path.resolve(config.baseDir ?? process.cwd(), config.path);
}

/** Reads a file; `FILE_READ` naming the file (and the dataset) when it cannot. */
export async function readSource(
  file: string,
  slug: string,
  encoding?: 'utf8',
): Promise<string | Uint8Array> {
  try {
    return encoding ? await readFile(file, encoding) : new Uint8Array(await readFile(file));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(e);
    throw new FancyflowError('FILE_READ', `Step "${slug}": cannot read ${file}: ${reason}`, {
      details: { slug, file },
      cause: e,
    });
  }
}

/**
 * Writes `data` to `file` atomically (a temporary file in the same folder, then a rename), creating
 * the folder. `STORE_IO` naming the file when it cannot.
 */
export async function writeAtomic(
  file: string,
  data: string | Uint8Array,
  slug: string,
): Promise<number> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw new FancyflowError('STORE_IO', `Step "${slug}": cannot write ${file}: ${String(e)}`, {
      details: { slug, file },
      cause: e,
    });
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/** What the write steps return: where the table went, and how big it is. */
export const WriteSummarySchema = z
  .object({
    path: z.string().describe('The absolute path written.'),
    format: z.enum(['csv', 'arrow']).describe('The file format.'),
    rows: z.number().int().nonnegative().describe('Rows written.'),
    columns: z.number().int().nonnegative().describe('Columns written.'),
    bytes: z.number().int().nonnegative().describe('Size of the file in bytes.'),
  })
  .meta({ title: 'Written file' });

/** What the write steps return. */
export type WriteSummary = z.output<typeof WriteSummarySchema>;
