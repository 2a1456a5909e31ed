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
 *   a temp file with no lock held; then, under the store's lock, the changes other processes made
 *   to the index since are read, the datum renamed to its final name and one line naming it
 *   appended to the index's journal (`index.journal`, see index-journal.ts), so no process ever
 *   loses another's cells, and a write costs the same in a store of ten cells or of ten thousand.
 *   The journal is folded into `index.json` once it has as many lines as the index has cells.
 *   A lock left by a process that has died is taken over.
 * - Every write is atomic (temp file + rename, or one journal line, which counts only once whole;
 *   fsync first when `durable`). A datum file gets a new name (its generation) before the index
 *   points at it, so a crash at any moment leaves the previous state readable. Opening removes the temp files of writers that have ended.
 * - `has` / `cell` / `list` answer from the index as last read; `refresh()` reads what changed
 *   since (the journal's new lines), and so does a `resolve` of a cell not known yet.
 * - A corrupt index is moved aside (`index.json.corrupt-<time>`) and rebuilt from the datum files,
 *   whose names say everything needed to read and check them; what the names cannot say (the
 *   producing step, the readable name) is lost, and `problems` says so.
 * - Stores written before the journal (index version 2) open as they are; their first write
 *   writes the index as version 3, which names its journal.
 * - Stores written before checksums (index version 1) open and are upgraded as they are written.
 *   Their entries are checked against the content fingerprint they recorded (the value read back
 *   must have it); entries without one, or with a 64-bit fingerprint of fancyflow before 128-bit
 *   ones, are served unchecked and listed in `problems` as `UNCHECKED_DATUM` at every open, until
 *   their step writes them again.
 */
import {
  closeSync,
  fdatasync as fdatasyncFd,
  fstatSync,
  ftruncateSync,
  openSync,
  promises as fs,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { describeValue, type FancyCell, type ValueDescription } from '../core/cell';
import { FancyflowError, isFancyflowError, type ErrorCode, type JsonValue } from '../core/errors';
import { hashReady, isCurrentDigest } from '../core/hash';
import type { DatumStore, PersistOptions } from '../core/store';
import {
  removeFile,
  removeOrphanTempFiles,
  syncDirectory,
  TEMP_PREFIX,
  writeFileAtomic,
  writeTempFile,
} from './atomic-file';
import { Checksum, checksumOf, isChecksum } from './checksum';
import { decodeDatum, encodeDatum, type Encoded } from './datum-codec';
import { datumFileName, parseDatumFileName, type DatumFormat } from './datum-file-name';
import { ensureDirectory } from './ensure-directory';
import { JOURNAL_FILE, journalLine, parseJournal, type JournalRecord } from './index-journal';
import { readWholeFile } from './read-whole-file';
import { Scratch } from './scratch';
import { StoreLock } from './store-lock';

/** The index file's name inside the store folder. */
export const INDEX_FILE = 'index.json';
/** The lock file's name inside the store folder (present only while a process changes the index). */
export const LOCK_FILE = 'index.lock';
export { JOURNAL_FILE };
const INDEX_FORMAT = 'fancyflow-disk-store';
/**
 * 3: the index names the journal that continues it. 2: entries and the index carry checksums, no
 * journal (still read). 1: no checksums (still read).
 */
const INDEX_VERSION = 3;
/** The journal is folded into the index once it has this many lines, or as many as the cells. */
const COMPACT_MIN_LINES = 64;
const fdatasync = promisify(fdatasyncFd);

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
  version: z.union([z.literal(1), z.literal(2), z.literal(INDEX_VERSION)]),
  generation: z.number().int().nonnegative(),
  /** The checksum of the entries as compact JSON (versions 2 and 3). */
  checksum: z.string().optional(),
  /** The id of the journal that continues this index (version 3). */
  journal: z.string().optional(),
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

/**
 * What an index update did: nothing, or a change: its journal line (none: write the index whole),
 * and the datum file it left obsolete, if any.
 */
type Change = { record?: JournalRecord; obsolete?: string } | undefined;

/** Which version of a file was read: a file replaced by a rename is another inode. */
interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

function identityOf(stat: Stats): FileIdentity {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
}

/** How far this process has read the journal. */
interface JournalPosition {
  ino: number;
  /** The bytes of complete lines read (where the next line goes). */
  offset: number;
  /** Lines after the id line. */
  lines: number;
  /** Bytes of a line cut short follow `offset`: the next writer cuts them off. */
  torn: boolean;
  /** The journal is not the one the index names (a compaction stopped halfway): folded in already. */
  stale: boolean;
}

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
  /** The index file as last read or written: an unchanged index is not read again. */
  private snapshot: FileIdentity | undefined;
  /** The journal the index names (undefined: an index of version 1 or 2, or none yet). */
  private journalId: string | undefined;
  /** How far the journal has been read (undefined: not yet, or there is none). */
  private journal: JournalPosition | undefined;
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
    // after this process's own updates; when neither the index file nor the journal's length has
    // changed since they were read, nothing is new and the lock is not taken (two stats, no writes:
    // a queue worker refreshes before every job)
    await this.queue;
    if (this.unchangedOnDisk()) return;
    await this.update(`Cannot read the store index ${this.indexPath}`, () => undefined);
  }

  /**
   * True when the index file is the one last read or written and the journal it names has no
   * bytes beyond the lines read. A writer appends whole lines and a compaction replaces the index
   * (a new inode) before its journal, so any change since shows in one of the two stats.
   */
  private unchangedOnDisk(): boolean {
    const journal = this.journal;
    if (!this.snapshot || this.journalId === undefined || !journal || journal.torn || journal.stale)
      return false;
    try {
      const index = fileIdentity(this.indexPath);
      if (!index || !sameIdentity(index, this.snapshot)) return false;
      const stat = statSync(this.journalPath);
      return stat.ino === journal.ino && stat.size === journal.offset;
    } catch {
      return false; // the slow path reports what is wrong
    }
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
    // the encoding's own arrays (an arquero table's strings as UTF-8) are read until the file is
    // written and the value described, then their memory serves the next write
    const scratch = new Scratch();
    let encoded: Encoded;
    try {
      encoded = encodeDatum(value, cellId, scratch);
    } catch (e) {
      scratch.release();
      throw e;
    }
    // the bytes go to disk in the thread pool while this thread takes their checksum and describes
    // the value (its content fingerprint costs about as much as the write); no lock is held
    const writing = writeTempFile(this.dir, 'datum', encoded.pieces, { durable: this.durable });
    // the checksum and the description below are synchronous: done before the write settles
    const release = () => scratch.release();
    writing.then(release, release);
    let checksum: string;
    let description: ValueDescription;
    try {
      checksum = checksumOf(encoded.pieces);
      description = describeValue(encoded.equivalent ?? value);
    } catch (e) {
      await writing.then((t) => removeFile(t.path)).catch(() => undefined);
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
        temp = undefined;
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
        return {
          record: { set: entry, generation: this.generation },
          ...(previous ? { obsolete: previous.file } : {}),
        };
      });
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(`Cannot write cell "${cellId}" to the store ${this.dir}`, e, { cellId });
    } finally {
      if (this.latestCall.get(cellId) === call) this.latestCall.delete(cellId);
      // still there when the write failed or was overtaken
      if (temp) removeFile(temp);
    }
    return cell;
  }

  async delete(cellId: string): Promise<boolean> {
    let existed = false;
    await this.update(`Cannot delete cell "${cellId}" from the store ${this.dir}`, () => {
      const previous = this.entries.get(cellId);
      if (!previous) return undefined;
      existed = this.entries.delete(cellId);
      return { record: { delete: cellId }, obsolete: previous.file };
    });
    return existed;
  }

  /** Waits until every write started so far is done. */
  async flush(): Promise<void> {
    await this.queue;
  }

  /**
   * Folds the journal into `index.json` now (writes do it by themselves once the journal is as
   * long as the index), so that the index file alone lists every cell.
   */
  async compact(): Promise<void> {
    await this.update(`Cannot write the store index ${this.indexPath}`, () => ({}));
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
          try {
            await this.record(changed.record);
          } catch (e) {
            // the entries changed here are not on disk: read everything again next time
            this.snapshot = undefined;
            this.journal = undefined;
            throw e;
          }
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

  private get journalPath(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /**
   * Records a change (holding the lock): one line appended to the journal, or, when the journal is
   * as long as the index (or missing, or not the one the index names), the index written whole
   * with a new, empty journal.
   */
  private async record(record: JournalRecord | undefined): Promise<void> {
    const journal = this.journal;
    if (
      !record ||
      !journal ||
      journal.stale ||
      journal.lines >= Math.max(COMPACT_MIN_LINES, this.entries.size)
    ) {
      await this.writeIndex();
      return;
    }
    // a datum renamed into place must be durable before the journal names it
    if (this.durable) await syncDirectory(this.dir);
    const line = journalLine(record);
    const fd = openSync(this.journalPath, 'r+');
    try {
      if (journal.torn) ftruncateSync(fd, journal.offset);
      for (let done = 0; done < line.byteLength;) {
        done += writeSync(fd, line, done, line.byteLength - done, journal.offset + done);
      }
      if (this.durable) await fdatasync(fd);
      journal.ino = fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
    journal.offset += line.byteLength;
    journal.lines++;
    journal.torn = false;
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

  /**
   * Writes the whole index, naming a new journal, then that journal (its id line only). A crash
   * between the two leaves the old journal, which the new index does not name: it is ignored.
   */
  private async writeIndex(): Promise<void> {
    const entries = Array.from(this.entries.values());
    const journalId = randomBytes(8).toString('hex');
    const document = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      generation: this.generation,
      journal: journalId,
      checksum: checksumOfText(JSON.stringify(entries)),
      entries,
    };
    const text = JSON.stringify(document, null, 1);
    this.snapshot = undefined;
    this.journal = undefined;
    const durable = { durable: this.durable };
    await writeFileAtomic(this.indexPath, [Buffer.from(text, 'utf8')], durable);
    this.journalId = journalId;
    this.snapshot = fileIdentity(this.indexPath);
    const line = journalLine({ journal: journalId });
    await writeFileAtomic(this.journalPath, [line], durable);
    this.journal = {
      ino: fileIdentity(this.journalPath)!.ino,
      offset: line.byteLength,
      lines: 0,
      torn: false,
      stale: false,
    };
  }

  /**
   * Brings the entries up to date with the index file and its journal (holding the lock): an
   * unchanged index is not read again, and of the journal only the lines added since. A missing
   * index with datum files beside it, or a corrupt one (or journal), is rebuilt from the files.
   */
  private async load(): Promise<void> {
    const identity = fileIdentity(this.indexPath);
    if (identity === undefined) {
      this.snapshot = undefined;
      this.journalId = undefined;
      this.journal = undefined;
      // a new store, or one whose index was deleted: adopt whatever datum files are there
      if ((await this.datumFiles()).length > 0) {
        await this.rebuild(undefined, 'the index file is missing');
      } else {
        this.entries = new Map();
      }
      return;
    }
    if (!sameIdentity(identity, this.snapshot)) {
      if (!(await this.loadIndex())) return;
    }
    await this.loadJournal();
  }

  /** Reads the index file whole; false when it was corrupt (and has been rebuilt). */
  private async loadIndex(): Promise<boolean> {
    this.journal = undefined;
    let text: string;
    let identity: FileIdentity;
    const fd = openSync(this.indexPath, 'r');
    try {
      identity = identityOf(fstatSync(fd));
      text = readFileSync(fd, 'utf8'); // read with the lock held: nobody replaces it meanwhile
    } finally {
      closeSync(fd);
    }
    let parsed: z.infer<typeof IndexSchema>;
    try {
      const result = IndexSchema.safeParse(JSON.parse(text));
      if (!result.success) throw new Error(result.error.issues[0]?.message ?? 'not a store index');
      parsed = result.data;
      if (
        parsed.version !== 1 &&
        parsed.checksum !== checksumOfText(JSON.stringify(parsed.entries))
      ) {
        throw new Error('its entries do not match its checksum (changed or damaged in place)');
      }
    } catch (e) {
      await this.rebuild(this.indexPath, `the index is corrupt (${reasonOf(e)})`);
      return false;
    }
    const entries = new Map<string, Entry>();
    for (const raw of parsed.entries) this.addEntry(entries, raw, this.indexPath);
    this.entries = entries;
    this.generation = Math.max(this.generation, parsed.generation);
    this.journalId = parsed.journal;
    this.snapshot = identity;
    return true;
  }

  /** Applies the journal's lines added since it was last read. */
  private async loadJournal(): Promise<void> {
    if (this.journalId === undefined) return; // versions 1 and 2 have no journal
    let fd: number;
    try {
      fd = openSync(this.journalPath, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // the index was written and the process stopped before its journal: nothing to add
      this.journal = undefined;
      return;
    }
    let bytes: Buffer;
    let from: number;
    let ino: number;
    try {
      const stat = fstatSync(fd);
      ino = stat.ino;
      const known = this.journal;
      if (known && (known.ino !== ino || stat.size < known.offset)) {
        // replaced by another process's compaction: read the new index and journal whole
        closeSync(fd);
        fd = -1;
        this.snapshot = undefined;
        this.journal = undefined;
        await this.load();
        return;
      }
      from = known ? known.offset : 0;
      bytes = Buffer.allocUnsafe(stat.size - from);
      for (let done = 0; done < bytes.byteLength;) {
        const n = readSync(fd, bytes, done, bytes.byteLength - done, from + done);
        if (n === 0) {
          bytes = bytes.subarray(0, done);
          break;
        }
        done += n;
      }
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    const position: JournalPosition = this.journal ?? {
      ino,
      offset: 0,
      lines: 0,
      torn: false,
      stale: false,
    };
    let read;
    try {
      read = parseJournal(bytes, position.offset === 0 ? 0 : position.lines + 1);
      const first = position.offset === 0 ? read.records[0] : undefined;
      if (position.offset === 0 && first !== undefined && !('journal' in first)) {
        throw new Error('line 0 does not name the journal');
      }
    } catch (e) {
      await this.rebuild(this.indexPath, `the index journal is corrupt (${reasonOf(e)})`);
      return;
    }
    let records = read.records;
    if (position.offset === 0 && records.length > 0) {
      const first = records[0] as { journal: string };
      // a journal the index does not name was folded into it already
      position.stale = first.journal !== this.journalId;
      records = position.stale ? [] : records.slice(1);
    } else if (position.offset === 0 && read.consumed === 0) {
      position.stale = true; // not even its id line: written by a process that stopped at once
    }
    for (const record of records) {
      if ('set' in record) {
        const rawId = (record.set as { cell?: { id?: unknown } } | null)?.cell?.id;
        if (typeof rawId === 'string') this.entries.delete(rawId);
        this.addEntry(this.entries, record.set, this.journalPath);
        this.generation = Math.max(this.generation, record.generation);
      } else if ('delete' in record) {
        this.entries.delete(record.delete);
      }
    }
    position.offset += read.consumed;
    position.lines += records.length;
    position.torn = read.torn;
    this.journal = position;
  }

  /** Adds an index entry read from `file` to `entries`; an unreadable one goes to `problems`. */
  private addEntry(entries: Map<string, Entry>, raw: unknown, file: string): void {
    const result = EntrySchema.safeParse(raw);
    const rawId = (raw as { cell?: { id?: unknown } } | null)?.cell?.id;
    if (!result.success) {
      this.problems.push({
        code: 'CORRUPT_DATUM',
        message: `An index entry${typeof rawId === 'string' ? ` for cell "${rawId}"` : ''} is unreadable and was skipped: ${result.error.issues[0]?.message ?? ''}`,
        ...(typeof rawId === 'string' ? { cellId: rawId } : {}),
        file,
      });
      return;
    }
    const entry = result.data as Entry;
    entries.set(entry.cell.id, entry);
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
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      backup = `${corruptIndex}.corrupt-${stamp}`;
      renameSync(corruptIndex, backup);
      try {
        renameSync(this.journalPath, `${this.journalPath}.corrupt-${stamp}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
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

/** The identity of the file at `file`, or undefined when there is none. */
function fileIdentity(file: string): FileIdentity | undefined {
  try {
    return identityOf(statSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function sameIdentity(a: FileIdentity, b: FileIdentity | undefined): boolean {
  return b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
