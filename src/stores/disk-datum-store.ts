/**
 * DiskDatumStore: cell values in a folder, one file per datum plus an index.
 *
 * - Tables are Arrow IPC files (`.arrow`, readable by any Arrow tool), JSON values `.json`, binary
 *   data `.bin` (the bytes as they are). The index records each table's family and each binary
 *   value's class, so a value comes back as what was stored: an arquero table as arquero, a
 *   Float64Array as a Float64Array.
 * - Every datum is checked: the XXH3 checksum of its bytes, taken as they are written, is recorded
 *   in the index and in the file's name, and every `resolve` compares it with the bytes it reads.
 *   A datum file that is missing, truncated or changed by a single bit gives `CORRUPT_DATUM` naming
 *   the cell and the file, for that cell only. The index carries a checksum of its entries too.
 * - Several processes may write one store (a notebook kernel and a CLI run). A datum is written to
 *   a temp file with no lock held; then, under the store's lock, the index is read again, the datum
 *   renamed to its final name and the index written back with this one change merged in, so no
 *   process ever loses another's cells. A lock left by a process that has died is taken over.
 * - Every write is atomic (temp file + rename; fsync first when `durable`). A datum file gets a new
 *   name (its generation) before the index points at it, so a crash at any moment leaves the
 *   previous state readable. Opening removes the temp files of writers that have ended.
 * - `has` / `cell` / `list` answer from the index as last read; `refresh()` reads it again, and so
 *   does a `resolve` of a cell not known yet.
 * - A corrupt index is moved aside (`index.json.corrupt-<time>`) and rebuilt from the datum files,
 *   whose names say everything needed to read and check them; what the names cannot say (the
 *   producing step, the readable name) is lost, and `problems` says so.
 * - Stores written before checksums (index version 1) open and are upgraded as they are written.
 *   Their entries are checked against the content fingerprint they recorded (the value read back
 *   must have it); entries without one, or with a 64-bit fingerprint of fancyflow before 128-bit
 *   ones, are served unchecked and listed in `problems` as `UNCHECKED_DATUM` at every open, until
 *   their step writes them again.
 */
import { promises as fs, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeValue, type FancyCell, type ValueDescription } from '../core/cell';
import { FancyflowError, isFancyflowError, type ErrorCode, type JsonValue } from '../core/errors';
import { hashReady, isCurrentDigest } from '../core/hash';
import type { DatumStore, PersistOptions } from '../core/store';
import { removeOrphanTempFiles, TEMP_PREFIX, writeFileAtomic, writeTempFile } from './atomic-file';
import { Checksum, checksumOf, isChecksum } from './checksum';
import { decodeDatum, encodeDatum } from './datum-codec';
import { datumFileName, parseDatumFileName, type DatumFormat } from './datum-file-name';
import { ensureDirectory } from './ensure-directory';
import { readWholeFile } from './read-whole-file';
import { StoreLock } from './store-lock';

/** The index file's name inside the store folder. */
export const INDEX_FILE = 'index.json';
/** The lock file's name inside the store folder (present only while a process changes the index). */
export const LOCK_FILE = 'index.lock';
const INDEX_FORMAT = 'fancyflow-disk-store';
/** 2: entries and the index carry checksums. 1: no checksums (still read). */
const INDEX_VERSION = 2;

/** Options of {@link DiskDatumStore.open}. */
export interface DiskDatumStoreOptions {
  /**
   * fsync each datum file, the index and the folder before a write counts as done, so it survives
   * a power loss, not only a crash of the process. Default true.
   */
  durable?: boolean;
  /**
   * How long to wait for another live process that holds the store's lock (it holds it only while
   * it updates the index) before giving up with `STORE_LOCKED`. Default 30,000 ms.
   */
  lockTimeoutMs?: number;
}

/** How a stored datum is checked when it is read. */
export type DatumCheck =
  /** its bytes against the checksum recorded when it was written */
  | 'checksum'
  /** (stores of version 1) the value read back against its recorded content fingerprint */
  | 'fingerprint'
  /** (stores of version 1) not at all: nothing was recorded to check it against */
  | 'unchecked';

/** Something found wrong when the store was opened (the rest of the store is usable). */
export interface StoreProblem {
  /**
   * `CORRUPT_DATUM`: a datum file missing or unreadable; `UNCHECKED_DATUM`: a datum that cannot be
   * checked when read; `STORE_IO`: the index was rebuilt.
   */
  code: ErrorCode;
  message: string;
  /** The cell concerned, when one is. */
  cellId?: string;
  /** The file concerned. */
  file: string;
}

const EntrySchema = z.object({
  file: z.string().min(1),
  byteLength: z.number().int().nonnegative(),
  format: z.enum(['arrow', 'json', 'bytes']),
  /** tables: the family; bytes: the class; json: `json`. */
  tag: z.string(),
  checksum: z.string().refine(isChecksum, 'not a checksum this store can check').optional(),
  verify: z.boolean().optional(),
  cell: z
    .object({
      id: z.string(),
      uri: z.string(),
      kind: z.enum(['table', 'json', 'bytes', 'value']),
      summary: z.object({ type: z.string() }).loose(),
      createdAt: z.string(),
      fingerprint: z.string(),
    })
    .loose(),
});

/** One cell in the index. */
interface Entry {
  file: string;
  byteLength: number;
  format: DatumFormat;
  tag: string;
  /** The checksum of the file's bytes; absent only in entries written by version-1 stores. */
  checksum?: string;
  /** Version-1 entries: true when the value read back must have `cell.fingerprint`. */
  verify?: boolean;
  cell: FancyCell;
}

const IndexSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  version: z.union([z.literal(1), z.literal(INDEX_VERSION)]),
  generation: z.number().int().nonnegative(),
  /** The checksum of the entries as compact JSON (version 2). */
  checksum: z.string().optional(),
  entries: z.array(z.unknown()),
});

function checkOfEntry(entry: Entry): DatumCheck {
  if (entry.checksum) return 'checksum';
  return entry.verify && isCurrentDigest(entry.cell.fingerprint) ? 'fingerprint' : 'unchecked';
}

function checksumOfText(text: string): string {
  return checksumOf([Buffer.from(text, 'utf8')]);
}

/** A datum file's bytes and their checksum, taken while they are read. */
interface DatumBytes {
  bytes: Buffer;
  checksum: string;
}

async function readDatumFile(file: string): Promise<DatumBytes> {
  const checksum = new Checksum();
  const bytes = await readWholeFile(file, (chunk) => checksum.update(chunk));
  return { bytes, checksum: checksum.digest() };
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What an index update did: nothing, or a change (which may leave a datum file obsolete). */
type Change = { obsolete?: string } | undefined;

/**
 * A DatumStore in a folder, which survives the process and can be shared by several processes.
 *
 * @example
 * const store = await DiskDatumStore.open('./.fancyflow-store');
 * const orchestrator = new Orchestrator({ store });
 * await orchestrator.run(workflow);
 * // later, or at the same time, in another process:
 * const again = await DiskDatumStore.open('./.fancyflow-store');
 * const table = await again.resolve('clean');
 */
export class DiskDatumStore implements DatumStore {
  /** The store folder (absolute). */
  readonly dir: string;
  readonly description: string;
  /** What was found wrong when the store was opened (empty when all is well). */
  readonly problems: StoreProblem[] = [];
  private readonly durable: boolean;
  private readonly lock: StoreLock;
  private entries = new Map<string, Entry>();
  private generation = 0;
  /** The index file's text as last read or written: an unchanged index is not parsed again. */
  private indexText: string | undefined;
  /** This process's index updates, one after the other (the lock orders them between processes). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The latest `persist` call of each cell being written: an earlier call must not win. */
  private readonly latestCall = new Map<string, number>();
  private calls = 0;

  private constructor(dir: string, options: DiskDatumStoreOptions) {
    this.dir = dir;
    this.description = `disk:${dir}`;
    this.durable = options.durable ?? true;
    this.lock = new StoreLock(path.join(dir, LOCK_FILE), options.lockTimeoutMs ?? 30_000);
  }

  /**
   * Opens (creating if needed) the store in `dir`: reads its index, checks that every datum file it
   * lists is there with the recorded size, and removes the temp files of writers that have ended.
   * Problems with datums are reported in `problems`, never thrown. A folder that cannot be created
   * or written gives `STORE_IO` at once; a lock held by a live process for longer than
   * `lockTimeoutMs`, `STORE_LOCKED`.
   */
  static async open(dir: string, options: DiskDatumStoreOptions = {}): Promise<DiskDatumStore> {
    await hashReady(); // fingerprints of what is written
    const store = new DiskDatumStore(path.resolve(dir), options);
    try {
      await ensureDirectory(store.dir);
    } catch (e) {
      throw store.ioError(`Cannot create the store folder ${store.dir}`, e);
    }
    try {
      await removeOrphanTempFiles(store.dir);
    } catch (e) {
      throw store.ioError(`Cannot clean up the store folder ${store.dir}`, e);
    }
    await store.update(`Cannot open the store ${store.dir}`, () => undefined);
    await store.checkFiles();
    return store;
  }

  has(cellId: string): boolean {
    return this.entries.has(cellId);
  }

  cell(cellId: string): FancyCell | undefined {
    return this.entries.get(cellId)?.cell;
  }

  list(): FancyCell[] {
    return Array.from(this.entries.values(), (e) => e.cell);
  }

  /** The absolute path of a cell's datum file, or undefined. */
  fileOf(cellId: string): string | undefined {
    const entry = this.entries.get(cellId);
    return entry ? path.join(this.dir, entry.file) : undefined;
  }

  /** How a cell's datum is checked when it is read, or undefined for an unknown cell. */
  checkOf(cellId: string): DatumCheck | undefined {
    const entry = this.entries.get(cellId);
    return entry && checkOfEntry(entry);
  }

  /**
   * Reads the index again, so that cells other processes wrote or deleted since are seen by `has`,
   * `cell` and `list`.
   */
  async refresh(): Promise<void> {
    await this.update(`Cannot read the store index ${this.indexPath}`, () => undefined);
  }

  async resolve(cellId: string): Promise<unknown> {
    // a cell another process wrote, replaced or deleted since the index was read: read it again, once
    for (let refreshed = false; ; refreshed = true) {
      if (refreshed) await this.refresh();
      const entry = this.entries.get(cellId);
      if (!entry) {
        if (!refreshed) continue;
        throw new FancyflowError(
          'DATUM_NOT_FOUND',
          `The store holds no datum for cell "${cellId}"`,
          { details: { cellId, store: this.dir } },
        );
      }
      let read: DatumBytes;
      try {
        read = await readDatumFile(path.join(this.dir, entry.file));
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        if (missing && !refreshed) continue;
        throw this.corrupt(cellId, entry.file, missing ? 'the file is missing' : String(e), e);
      }
      return this.check(cellId, entry, read);
    }
  }

  async persist(value: unknown, options: PersistOptions): Promise<FancyCell> {
    const cellId = options.cellId;
    const encoded = encodeDatum(value, cellId);
    // the bytes go to disk in the thread pool while this thread takes their checksum and describes
    // the value (its content fingerprint costs about as much as the write); no lock is held
    const writing = writeTempFile(this.dir, 'datum', encoded.pieces, { durable: this.durable });
    let checksum: string;
    let description: ValueDescription;
    try {
      checksum = checksumOf(encoded.pieces);
      description = describeValue(encoded.equivalent ?? value);
    } catch (e) {
      await writing.then((t) => rmSync(t.path, { force: true })).catch(() => undefined);
      throw e;
    }
    const { kind, summary, fingerprint } = description;
    const call = ++this.calls;
    this.latestCall.set(cellId, call);
    const cell: FancyCell = {
      id: cellId,
      // a call that a later call for the same cell overtakes is never stored: it keeps this uri
      uri: pathToFileURL(this.dir).href,
      kind,
      summary,
      createdAt: new Date().toISOString(),
      fingerprint,
    };
    if (options.producedBy) cell.producedBy = { ...options.producedBy };
    if (options.name) cell.name = options.name;
    if (options.record) cell.record = { ...options.record };

    let temp: string | undefined;
    try {
      const written = await writing;
      temp = written.path;
      const byteLength = written.byteLength;
      await this.update(`Cannot write cell "${cellId}" to the store ${this.dir}`, () => {
        if (this.latestCall.get(cellId) !== call) return undefined;
        const file = datumFileName({
          cellId,
          generation: ++this.generation,
          format: encoded.format,
          tag: encoded.tag,
          checksum,
        });
        const target = path.join(this.dir, file);
        renameSync(written.path, target); // made durable by the index write's folder fsync
        cell.uri = pathToFileURL(target).href;
        const previous = this.entries.get(cellId);
        const entry: Entry = {
          file,
          byteLength,
          format: encoded.format,
          tag: encoded.tag,
          checksum,
          cell,
        };
        this.entries.delete(cellId); // a replaced cell moves to the end, as in the memory store
        this.entries.set(cellId, entry);
        return { obsolete: previous?.file };
      });
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(`Cannot write cell "${cellId}" to the store ${this.dir}`, e, { cellId });
    } finally {
      if (this.latestCall.get(cellId) === call) this.latestCall.delete(cellId);
      // gone once renamed into place; still there when the write failed or was overtaken
      if (temp) rmSync(temp, { force: true });
    }
    return cell;
  }

  async delete(cellId: string): Promise<boolean> {
    let existed = false;
    await this.update(`Cannot delete cell "${cellId}" from the store ${this.dir}`, () => {
      const previous = this.entries.get(cellId);
      if (!previous) return undefined;
      existed = this.entries.delete(cellId);
      return { obsolete: previous.file };
    });
    return existed;
  }

  /** Waits until every write started so far is done. */
  async flush(): Promise<void> {
    await this.queue;
  }

  /**
   * Under the store's lock, after this process's earlier updates: reads the index again (so every
   * other process's changes are kept), applies `change` and, when it changed something, writes the
   * index. A datum file the change made obsolete is removed once the index no longer names it.
   * File-system errors become STORE_IO starting with `failure`.
   */
  private update(failure: string, change: () => Change): Promise<void> {
    const run = async () => {
      try {
        const obsolete = await this.lock.run(async () => {
          await this.load();
          const changed = change();
          if (!changed) return undefined;
          await this.writeIndex();
          return changed.obsolete;
        });
        if (obsolete) await fs.rm(path.join(this.dir, obsolete), { force: true });
      } catch (e) {
        if (isFancyflowError(e)) throw e;
        throw this.ioError(failure, e);
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private get indexPath(): string {
    return path.join(this.dir, INDEX_FILE);
  }

  /** Checks the bytes read for a cell and decodes them; CORRUPT_DATUM when they are not right. */
  private check(cellId: string, entry: Entry, { bytes, checksum }: DatumBytes): unknown {
    if (bytes.byteLength !== entry.byteLength) {
      throw this.corrupt(
        cellId,
        entry.file,
        `the file has ${bytes.byteLength} bytes, ${entry.byteLength} were written (truncated or overwritten)`,
      );
    }
    if (entry.checksum && checksum !== entry.checksum) {
      throw this.corrupt(
        cellId,
        entry.file,
        `its bytes do not match the checksum ${entry.checksum} recorded when it was written (changed or damaged in place)`,
      );
    }
    let value: unknown;
    try {
      value = decodeDatum(bytes, entry.format, entry.tag);
    } catch (e) {
      throw this.corrupt(cellId, entry.file, reasonOf(e), e);
    }
    if (
      checkOfEntry(entry) === 'fingerprint' &&
      describeValue(value).fingerprint !== entry.cell.fingerprint
    ) {
      throw this.corrupt(
        cellId,
        entry.file,
        'its content does not match the fingerprint recorded when it was written (changed or damaged in place)',
      );
    }
    return value;
  }

  private corrupt(cellId: string, file: string, why: string, cause?: unknown): FancyflowError {
    const full = path.join(this.dir, file);
    return new FancyflowError(
      'CORRUPT_DATUM',
      `Cell "${cellId}": its datum file ${full} cannot be read: ${why}`,
      {
        details: { cellId, file: full, reason: why },
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }

  private ioError(
    message: string,
    cause: unknown,
    details: Record<string, JsonValue> = {},
  ): FancyflowError {
    return new FancyflowError('STORE_IO', `${message}: ${reasonOf(cause)}`, {
      details: { dir: this.dir, ...details },
      cause,
    });
  }

  private async writeIndex(): Promise<void> {
    const entries = Array.from(this.entries.values());
    const document = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      generation: this.generation,
      checksum: checksumOfText(JSON.stringify(entries)),
      entries,
    };
    const text = JSON.stringify(document, null, 1);
    await writeFileAtomic(this.indexPath, [Buffer.from(text, 'utf8')], { durable: this.durable });
    this.indexText = text;
  }

  /**
   * Brings the entries up to date with the index file (holding the lock). A missing index with
   * datum files beside it, or a corrupt one, is rebuilt from the files.
   */
  private async load(): Promise<void> {
    let text: string | undefined;
    try {
      text = readFileSync(this.indexPath, 'utf8'); // small, and read with the lock held: quick
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined && text === this.indexText) return;
    if (text === undefined) {
      // a new store, or one whose index was deleted: adopt whatever datum files are there
      if ((await this.datumFiles()).length > 0) {
        await this.rebuild(undefined, 'the index file is missing');
      } else {
        this.entries = new Map();
        this.indexText = undefined;
      }
      return;
    }
    let parsed: z.infer<typeof IndexSchema>;
    try {
      const result = IndexSchema.safeParse(JSON.parse(text));
      if (!result.success) throw new Error(result.error.issues[0]?.message ?? 'not a store index');
      parsed = result.data;
      if (
        parsed.version === INDEX_VERSION &&
        parsed.checksum !== checksumOfText(JSON.stringify(parsed.entries))
      ) {
        throw new Error('its entries do not match its checksum (changed or damaged in place)');
      }
    } catch (e) {
      await this.rebuild(this.indexPath, `the index is corrupt (${reasonOf(e)})`);
      return;
    }
    const entries = new Map<string, Entry>();
    for (const raw of parsed.entries) {
      const result = EntrySchema.safeParse(raw);
      const rawId = (raw as { cell?: { id?: unknown } } | null)?.cell?.id;
      if (!result.success) {
        this.problems.push({
          code: 'CORRUPT_DATUM',
          message: `An index entry${typeof rawId === 'string' ? ` for cell "${rawId}"` : ''} is unreadable and was skipped: ${result.error.issues[0]?.message ?? ''}`,
          ...(typeof rawId === 'string' ? { cellId: rawId } : {}),
          file: this.indexPath,
        });
        continue;
      }
      const entry = result.data as Entry;
      entries.set(entry.cell.id, entry);
    }
    this.entries = entries;
    this.generation = Math.max(this.generation, parsed.generation);
    this.indexText = text;
  }

  /** At open: every datum file listed is there with its size; datums that cannot be checked. */
  private async checkFiles(): Promise<void> {
    await Promise.all(
      Array.from(this.entries.values(), async (entry) => {
        const file = path.join(this.dir, entry.file);
        const cellId = entry.cell.id;
        if (checkOfEntry(entry) === 'unchecked') {
          this.problems.push({
            code: 'UNCHECKED_DATUM',
            message: `Cell "${cellId}": its datum file ${file} was written without a checksum${entry.verify ? ' and with a 64-bit fingerprint that this version no longer computes' : ''} (by an earlier version), so it is read unchecked until its step runs again`,
            cellId,
            file,
          });
        }
        let why: string | undefined;
        try {
          const stat = await fs.stat(file);
          if (stat.size !== entry.byteLength)
            why = `has ${stat.size} bytes, ${entry.byteLength} were written`;
        } catch (e) {
          why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : String(e);
        }
        if (why) {
          this.problems.push({
            code: 'CORRUPT_DATUM',
            message: `Cell "${cellId}": its datum file ${file} ${why}`,
            cellId,
            file,
          });
        }
      }),
    );
  }

  /** The datum files in the folder (not the index, not temp files). */
  private async datumFiles(): Promise<string[]> {
    const names = await fs.readdir(this.dir);
    return names.filter((n) => !n.startsWith(TEMP_PREFIX) && parseDatumFileName(n) !== undefined);
  }

  /**
   * Rebuilds the index from the datum files (the newest generation of each cell wins), checking
   * each file against the checksum in its name. Files named by earlier versions carry none: they
   * are adopted as unchecked.
   */
  private async rebuild(corruptIndex: string | undefined, why: string): Promise<void> {
    let backup: string | undefined;
    if (corruptIndex) {
      backup = `${corruptIndex}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(corruptIndex, backup);
    }
    const newest = new Map<string, { file: string; generation: number }>();
    for (const file of await this.datumFiles()) {
      const name = parseDatumFileName(file)!;
      this.generation = Math.max(this.generation, name.generation);
      const known = newest.get(name.cellId);
      if (!known || known.generation < name.generation)
        newest.set(name.cellId, { file, generation: name.generation });
    }
    const ordered = Array.from(newest.entries()).sort((a, b) => a[1].generation - b[1].generation);
    const entries = new Map<string, Entry>();
    for (const [cellId, { file }] of ordered) {
      const name = parseDatumFileName(file)!;
      const full = path.join(this.dir, file);
      try {
        const { bytes, checksum } = await readDatumFile(full);
        if (name.checksum && checksum !== name.checksum) {
          throw new Error(`its bytes do not match the checksum ${name.checksum} in its name`);
        }
        const value = decodeDatum(bytes, name.format, name.tag);
        const { kind, summary, fingerprint } = describeValue(value);
        const stat = await fs.stat(full);
        const cell: FancyCell = {
          id: cellId,
          uri: pathToFileURL(full).href,
          kind,
          summary,
          createdAt: stat.mtime.toISOString(),
          fingerprint,
        };
        const entry: Entry = {
          file,
          byteLength: bytes.byteLength,
          format: name.format,
          tag: name.tag,
          cell,
        };
        if (name.checksum) entry.checksum = name.checksum;
        entries.set(cellId, entry);
      } catch (e) {
        this.problems.push({
          code: 'CORRUPT_DATUM',
          message: `Cell "${cellId}": its datum file ${full} cannot be read and was left out of the rebuilt index: ${reasonOf(e)}`,
          cellId,
          file: full,
        });
      }
    }
    this.entries = entries;
    this.problems.push({
      code: 'STORE_IO',
      message: `The store index was rebuilt from ${entries.size} datum file(s) because ${why}${backup ? `; the old index was kept as ${backup}` : ''}. Producing steps and readable names of the cells were lost.`,
      file: backup ?? this.indexPath,
    });
    await this.writeIndex();
  }
}
