/**
 * DiskDatumStore: cell values in a folder, one file per datum plus an index.
 *
 * - Tables are Arrow IPC files (`.arrow`, readable by any Arrow tool), JSON values `.json`, binary
 *   data `.bin` (the bytes as they are). The index records each table's family and each binary
 *   value's class, so a value comes back as what was stored: an arquero table as arquero, a
 *   Float64Array as a Float64Array.
 * - Every write is atomic (temp file + rename; fsync first when `durable`). A datum file is written
 *   under a new name (its generation) before the index points at it, so a crash at any moment leaves
 *   the previous state readable; leftover temp files are ignored.
 * - `has` / `cell` / `list` answer from the index in memory; `resolve` reads the file.
 * - A datum file that is missing, truncated or corrupt gives `CORRUPT_DATUM` naming the cell and the
 *   file, for that cell only.
 * - A corrupt index is moved aside (`index.json.corrupt-<time>`) and rebuilt from the datum files,
 *   whose names say everything needed to read them; what the names cannot say (the producing step,
 *   the readable name) is lost, and `problems` says so.
 *
 * One process writes a store at a time.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeValue, type FancyCell } from '../core/cell';
import { describeType } from '../core/contracts';
import { FancyflowError, type ErrorCode } from '../core/errors';
import type { DatumStore, PersistOptions } from '../core/store';
import { tableAdapterFor } from '../core/table';
import { TEMP_PREFIX, writeFileAtomic } from './atomic-file';
import { datumFileName, parseDatumFileName, type DatumFormat } from './datum-file-name';
import { jsonProblem, unpersistable } from './persistable';
import { decodeTable, encodeTable, type TableFamily } from './table-ipc';

/** The index file's name inside the store folder. */
export const INDEX_FILE = 'index.json';
const INDEX_FORMAT = 'fancyflow-disk-store';
const INDEX_VERSION = 1;

/** Options of {@link DiskDatumStore.open}. */
export interface DiskDatumStoreOptions {
  /**
   * fsync each datum file, the index and the folder before a write counts as done, so it survives
   * a power loss, not only a crash of the process. Default true.
   */
  durable?: boolean;
  /**
   * On `resolve`, recompute the content fingerprint of what was read and compare it with the one
   * recorded at `persist`, so a file changed or damaged in place (same size, still parseable) gives
   * `CORRUPT_DATUM` rather than wrong data. Costs one pass over the buffers. Default true.
   */
  verify?: boolean;
}

/** Something found wrong when the store was opened (the rest of the store is usable). */
export interface StoreProblem {
  /** `CORRUPT_DATUM`: a datum file missing or unreadable; `STORE_IO`: the index was rebuilt. */
  code: ErrorCode;
  message: string;
  /** The cell concerned, when one is. */
  cellId?: string;
  /** The file concerned. */
  file: string;
}

const CLASS_NAMES = [
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
  'DataView',
  'Buffer',
] as const;
type BinaryClass = (typeof CLASS_NAMES)[number];

const EntrySchema = z.object({
  file: z.string().min(1),
  byteLength: z.number().int().nonnegative(),
  format: z.enum(['arrow', 'json', 'bytes']),
  /** tables: the family; bytes: the class; json: `json`. */
  tag: z.string(),
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
  cell: FancyCell;
  /**
   * True when the value read back has exactly the content written, so its fingerprint must equal
   * `cell.fingerprint` (false only for arquero columns whose Arrow type flechette had to infer).
   */
  verify?: boolean;
}

const IndexSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(INDEX_VERSION),
  generation: z.number().int().nonnegative(),
  entries: z.array(z.unknown()),
});

/** A value ready to be written: its pieces and how it is read back. */
interface Encoded {
  pieces: Uint8Array[];
  format: DatumFormat;
  tag: string;
  /** The same content in a form that is faster to describe (see `EncodedTable.equivalent`). */
  equivalent?: unknown;
}

function binaryClassOf(value: ArrayBufferView | ArrayBuffer): BinaryClass {
  if (value instanceof ArrayBuffer) return 'ArrayBuffer';
  if (value instanceof DataView) return 'DataView';
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(value)) return 'Buffer';
  // the nearest standard class (a subclass comes back as its standard parent)
  let proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  while (proto) {
    const name = proto.constructor?.name;
    const known = CLASS_NAMES.find((c) => c === name);
    if (known) return known;
    proto = Object.getPrototypeOf(proto) as typeof proto;
  }
  return 'Uint8Array';
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

type TypedArrayCtor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => ArrayBufferView;

const TYPED_ARRAYS: Partial<Record<BinaryClass, TypedArrayCtor & { BYTES_PER_ELEMENT: number }>> = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** The stored bytes as an object of the class they were persisted as (a view where aligned). */
function restoreBinary(bytes: Buffer, cls: string): ArrayBufferView | ArrayBuffer {
  switch (cls) {
    case 'Buffer':
      return bytes;
    case 'ArrayBuffer': {
      const buffer = bytes.buffer as ArrayBuffer; // readFile allocates a plain ArrayBuffer
      return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
        ? buffer
        : buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case 'DataView':
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const ctor = TYPED_ARRAYS[cls as BinaryClass];
  if (!ctor) throw new Error(`unknown binary class "${cls}"`);
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw new Error(`${bytes.byteLength} bytes is not a whole number of ${cls} elements`);
  }
  if (bytes.byteOffset % size === 0) {
    return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, bytes.byteLength / size);
}

/**
 * A DatumStore in a folder, which survives the process.
 *
 * @example
 * const store = await DiskDatumStore.open('./.fancyflow-store');
 * const orchestrator = new Orchestrator({ store });
 * await orchestrator.run(workflow);
 * // later, in another process:
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
  private readonly verify: boolean;
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  /** Index writes, in order. */
  private commits: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, options: DiskDatumStoreOptions) {
    this.dir = dir;
    this.description = `disk:${dir}`;
    this.durable = options.durable ?? true;
    this.verify = options.verify ?? true;
  }

  /**
   * Opens (creating if needed) the store in `dir`: reads its index and checks that every datum
   * file it lists is there with the recorded size. Problems are reported in `problems`, never
   * thrown, except when the folder itself cannot be used (`STORE_IO`).
   */
  static async open(dir: string, options: DiskDatumStoreOptions = {}): Promise<DiskDatumStore> {
    const store = new DiskDatumStore(path.resolve(dir), options);
    try {
      await fs.mkdir(store.dir, { recursive: true });
    } catch (e) {
      throw new FancyflowError(
        'STORE_IO',
        `Cannot create the store folder ${store.dir}: ${String(e)}`,
        {
          details: { dir: store.dir },
          cause: e,
        },
      );
    }
    await store.load();
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

  async resolve(cellId: string): Promise<unknown> {
    const entry = this.entries.get(cellId);
    if (!entry) {
      throw new FancyflowError('DATUM_NOT_FOUND', `The store holds no datum for cell "${cellId}"`, {
        details: { cellId, store: this.dir },
      });
    }
    const file = path.join(this.dir, entry.file);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      throw this.corrupt(
        cellId,
        file,
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file is missing' : String(e),
        e,
      );
    }
    if (bytes.byteLength !== entry.byteLength) {
      throw this.corrupt(
        cellId,
        file,
        `the file has ${bytes.byteLength} bytes, ${entry.byteLength} were written (truncated or overwritten)`,
      );
    }
    let value: unknown;
    try {
      value = decodeDatum(bytes, entry.format, entry.tag, entry.cell);
    } catch (e) {
      throw this.corrupt(cellId, file, e instanceof Error ? e.message : String(e), e);
    }
    if (
      this.verify &&
      entry.verify &&
      describeValue(value).fingerprint !== entry.cell.fingerprint
    ) {
      throw this.corrupt(
        cellId,
        file,
        'its content does not match the fingerprint recorded when it was written (changed or damaged in place)',
      );
    }
    return value;
  }

  async persist(value: unknown, options: PersistOptions): Promise<FancyCell> {
    const cellId = options.cellId;
    const encoded = encodeDatum(value, cellId);
    const { kind, summary, fingerprint } = describeValue(encoded.equivalent ?? value);
    const generation = ++this.generation;
    const file = datumFileName({ cellId, generation, format: encoded.format, tag: encoded.tag });
    const target = path.join(this.dir, file);
    let byteLength: number;
    try {
      // the index commit that follows fsyncs the folder, which makes this rename durable too
      byteLength = await writeFileAtomic(target, encoded.pieces, {
        durable: this.durable,
        syncDirectory: false,
      });
    } catch (e) {
      throw new FancyflowError(
        'STORE_IO',
        `Cannot write cell "${cellId}" to ${target}: ${String(e)}`,
        {
          details: { cellId, file: target },
          cause: e,
        },
      );
    }
    const cell: FancyCell = {
      id: cellId,
      uri: pathToFileURL(target).href,
      kind,
      summary,
      createdAt: new Date().toISOString(),
      fingerprint,
    };
    if (options.producedBy) cell.producedBy = { ...options.producedBy };
    if (options.name) cell.name = options.name;
    const entry: Entry = { file, byteLength, format: encoded.format, tag: encoded.tag, cell };
    if (encoded.format !== 'arrow' || encoded.tag === 'arrow' || encoded.equivalent) {
      entry.verify = true;
    }
    await this.commit(() => {
      const previous = this.entries.get(cellId);
      // two persists of one cell at once: the one called last wins, whichever finished writing first
      const previousGeneration = previous
        ? (parseDatumFileName(previous.file)?.generation ?? 0)
        : 0;
      if (previousGeneration > generation) return file;
      this.entries.delete(cellId); // a replaced cell moves to the end, as in the memory store
      this.entries.set(cellId, entry);
      return previous && previous.file !== file ? previous.file : undefined;
    }, target);
    return cell;
  }

  async delete(cellId: string): Promise<boolean> {
    if (!this.entries.has(cellId)) return false;
    await this.commit(
      () => {
        const previous = this.entries.get(cellId);
        this.entries.delete(cellId);
        return previous?.file;
      },
      path.join(this.dir, INDEX_FILE),
    );
    return true;
  }

  /** Waits until every write started so far is done. */
  async flush(): Promise<void> {
    await this.commits;
  }

  /**
   * Applies `change` to the in-memory index and writes the index, one commit at a time. The file
   * `change` returns (a replaced datum) is removed once the new index is on disk.
   */
  private commit(change: () => string | undefined, what: string): Promise<void> {
    const run = async (): Promise<void> => {
      const obsolete = change();
      try {
        await this.writeIndex();
      } catch (e) {
        throw new FancyflowError(
          'STORE_IO',
          `Cannot write the store index for ${what}: ${String(e)}`,
          {
            details: { file: path.join(this.dir, INDEX_FILE) },
            cause: e,
          },
        );
      }
      if (obsolete) await fs.rm(path.join(this.dir, obsolete), { force: true });
    };
    const next = this.commits.then(run, run);
    this.commits = next.catch(() => undefined);
    return next;
  }

  private async writeIndex(): Promise<void> {
    const document = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      generation: this.generation,
      entries: Array.from(this.entries.values()),
    };
    const text = JSON.stringify(document, null, 1);
    await writeFileAtomic(path.join(this.dir, INDEX_FILE), [Buffer.from(text, 'utf8')], {
      durable: this.durable,
    });
  }

  private corrupt(cellId: string, file: string, why: string, cause?: unknown): FancyflowError {
    return new FancyflowError(
      'CORRUPT_DATUM',
      `Cell "${cellId}": its datum file ${file} cannot be read: ${why}`,
      {
        details: { cellId, file, reason: why },
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }

  private async load(): Promise<void> {
    const indexPath = path.join(this.dir, INDEX_FILE);
    let text: string | undefined;
    try {
      text = await fs.readFile(indexPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new FancyflowError(
          'STORE_IO',
          `Cannot read the store index ${indexPath}: ${String(e)}`,
          {
            details: { file: indexPath },
            cause: e,
          },
        );
      }
    }
    if (text === undefined) {
      // a new store, or one whose index was deleted: adopt whatever datum files are there
      if ((await this.datumFiles()).length > 0)
        await this.rebuild(undefined, 'the index file is missing');
      return;
    }
    let parsed: z.infer<typeof IndexSchema>;
    try {
      const result = IndexSchema.safeParse(JSON.parse(text));
      if (!result.success) throw new Error(result.error.issues[0]?.message ?? 'not a store index');
      parsed = result.data;
    } catch (e) {
      await this.rebuild(
        indexPath,
        `the index is corrupt (${e instanceof Error ? e.message : String(e)})`,
      );
      return;
    }
    this.generation = parsed.generation;
    for (const raw of parsed.entries) {
      const result = EntrySchema.safeParse(raw);
      const rawId = (raw as { cell?: { id?: unknown } } | null)?.cell?.id;
      if (!result.success) {
        this.problems.push({
          code: 'CORRUPT_DATUM',
          message: `An index entry${typeof rawId === 'string' ? ` for cell "${rawId}"` : ''} is unreadable and was skipped: ${result.error.issues[0]?.message ?? ''}`,
          ...(typeof rawId === 'string' ? { cellId: rawId } : {}),
          file: indexPath,
        });
        continue;
      }
      const entry = result.data as unknown as Entry;
      this.entries.set(entry.cell.id, entry);
    }
    await Promise.all(
      Array.from(this.entries.values(), async (entry) => {
        const file = path.join(this.dir, entry.file);
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
            message: `Cell "${entry.cell.id}": its datum file ${file} ${why}`,
            cellId: entry.cell.id,
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

  /** Rebuilds the index from the datum files (the newest generation of each cell wins). */
  private async rebuild(corruptIndex: string | undefined, why: string): Promise<void> {
    let backup: string | undefined;
    if (corruptIndex) {
      backup = `${corruptIndex}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await fs.rename(corruptIndex, backup);
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
    let recovered = 0;
    for (const [cellId, { file }] of ordered) {
      const name = parseDatumFileName(file)!;
      const full = path.join(this.dir, file);
      try {
        const bytes = await fs.readFile(full);
        const stat = await fs.stat(full);
        const value = decodeDatum(bytes, name.format, name.tag);
        const { kind, summary, fingerprint } = describeValue(value);
        const cell: FancyCell = {
          id: cellId,
          uri: pathToFileURL(full).href,
          kind,
          summary,
          createdAt: stat.mtime.toISOString(),
          fingerprint,
        };
        this.entries.set(cellId, {
          file,
          byteLength: bytes.byteLength,
          format: name.format,
          tag: name.tag,
          cell,
          verify: true, // the fingerprint was computed from what the file holds
        });
        recovered++;
      } catch (e) {
        this.problems.push({
          code: 'CORRUPT_DATUM',
          message: `Cell "${cellId}": its datum file ${full} cannot be read and was left out of the rebuilt index: ${e instanceof Error ? e.message : String(e)}`,
          cellId,
          file: full,
        });
      }
    }
    this.problems.push({
      code: 'STORE_IO',
      message: `The store index was rebuilt from ${recovered} datum file(s) because ${why}${backup ? `; the old index was kept as ${backup}` : ''}. Producing steps and readable names of the cells were lost.`,
      file: backup ?? path.join(this.dir, INDEX_FILE),
    });
    await this.writeIndex();
  }
}

/** The value as pieces to write, or UNPERSISTABLE saying why it cannot be written. */
function encodeDatum(value: unknown, cellId: string): Encoded {
  const adapter = tableAdapterFor(value);
  if (adapter) {
    if (adapter.name !== 'arrow' && adapter.name !== 'arquero') {
      throw unpersistable(
        cellId,
        `is a ${adapter.name} table, which the disk store cannot write (it writes Arrow and arquero tables)`,
      );
    }
    const family: TableFamily = adapter.name;
    const encoded = encodeTable(value, family);
    return {
      pieces: encoded.pieces,
      format: 'arrow',
      tag: family,
      ...(encoded.equivalent ? { equivalent: encoded.equivalent } : {}),
    };
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return { pieces: [bytesOf(value)], format: 'bytes', tag: binaryClassOf(value) };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw unpersistable(
        cellId,
        `is a ${describeType(value)} (the disk store writes tables, binary data and plain JSON values, not class instances)`,
      );
    }
  }
  const problem = jsonProblem(value);
  if (problem) throw unpersistable(cellId, problem.reason, problem.path);
  return { pieces: [Buffer.from(JSON.stringify(value), 'utf8')], format: 'json', tag: 'json' };
}

/** Reads a datum back; throws (any error) when the bytes are not what they should be. */
function decodeDatum(
  bytes: Buffer,
  format: DatumFormat,
  tag: string,
  expected?: FancyCell,
): unknown {
  switch (format) {
    case 'json':
      return JSON.parse(bytes.toString('utf8')) as unknown;
    case 'bytes':
      return restoreBinary(bytes, tag);
    case 'arrow': {
      if (tag !== 'arrow' && tag !== 'arquero') throw new Error(`unknown table family "${tag}"`);
      const table = decodeTable(bytes, tag);
      const shape = expected?.summary.shape;
      const adapter = tableAdapterFor(table);
      if (!adapter) throw new Error('the Arrow data did not give a table');
      // a damaged file can still parse: check what the index recorded
      if (
        shape &&
        (adapter.numRows(table) !== shape[0] || adapter.columns(table).length !== shape[1])
      ) {
        throw new Error(
          `it holds ${adapter.numRows(table)} rows × ${adapter.columns(table).length} columns, ${shape[0]} × ${shape[1]} were written`,
        );
      }
      return table;
    }
  }
}
