/**
 * S3DatumStore: cell values in an S3 bucket (AWS, MinIO, R2, any S3-compatible server), with the
 * semantics of the disk store: Arrow IPC for tables, JSON, bytes; every datum checked on read; a
 * datum appears complete or not at all; a damaged datum is `CORRUPT_DATUM` for its cell only.
 *
 * Layout under `s3://bucket/prefix/`:
 * - `data/<cell>/<write id>.<tag>.xxh3-<hex>.<ext>`: a datum's bytes, written once and never
 *   changed (a new value gets a new key). Large tables go up as a multipart upload, which S3 makes
 *   visible only when it completes.
 * - `cells/<cell>.json`: the cell's record (which datum object, its size, format, checksum, and
 *   the FancyCell), with a checksum of its own. Writing the record is the commit: one PUT, atomic
 *   in S3. A datum is uploaded first, then its record points at it, then the previous datum object
 *   is removed; a crash in between leaves an unreferenced object, never a half-written datum.
 *
 * Many processes share one location (workers of a queue, a kernel): the last record written wins;
 * S3 reads after writes are strongly consistent. `has` / `cell` / `list` answer from the records as
 * last listed; `refresh()` lists again, and `resolve` of an unknown cell reads its record.
 *
 * The SDK is loaded when a store is opened, not when this module is imported.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { describeValue, type FancyCell, type ValueDescription } from '../core/cell';
import { FancyflowError, isFancyflowError, type JsonValue } from '../core/errors';
import { hashReady } from '../core/hash';
import type { DatumStore, PersistOptions } from '../core/store';
import { Checksum, checksumOf, isChecksum } from './checksum';
import { decodeDatum, encodeDatum } from './datum-codec';
import type { DatumFormat } from './datum-file-name';
import { formatS3Url, parseS3Url, usePathStyle, type S3Location } from './s3-location';
import type { StoreProblem } from './disk-datum-store';

const RECORD_FORMAT = 'fancyflow-s3-cell';
const RECORD_VERSION = 1;
const EXTENSIONS: Record<DatumFormat, string> = { arrow: 'arrow', json: 'json', bytes: 'bin' };
/** Datums above this size go up as a multipart upload (parts of this size). */
const MULTIPART_BYTES = 16 << 20;
const PART_BYTES = 8 << 20;
/** Parallel requests when listing or reading many records. */
const PARALLEL = 16;

/** Options of {@link S3DatumStore.open}. */
export interface S3DatumStoreOptions {
  /**
   * The client to use. Default: one configured from the environment the AWS SDK's way
   * (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, the credential chain), addressing buckets by path when
   * an endpoint other than AWS's is set (see `AWS_S3_FORCE_PATH_STYLE`).
   */
  client?: S3Client;
  /** The environment the default client is configured from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const EntrySchema = z.object({
  key: z.string().min(1),
  byteLength: z.number().int().nonnegative(),
  format: z.enum(['arrow', 'json', 'bytes']),
  tag: z.string(),
  checksum: z.string().refine(isChecksum, 'not a checksum this store can check'),
  /** Orders cells written in the same millisecond by one process. */
  seq: z.number().int().nonnegative(),
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

interface Entry {
  /** The datum object's key (with the prefix). */
  key: string;
  byteLength: number;
  format: DatumFormat;
  tag: string;
  checksum: string;
  seq: number;
  cell: FancyCell;
}

const RecordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  version: z.literal(RECORD_VERSION),
  checksum: z.string(),
  entry: z.unknown(),
});

/** Longest encoded cell id kept readable in a key (S3 keys are limited to 1,024 bytes). */
const MAX_ID_CHARS = 400;

/** A cell id as key-safe text: letters, digits, `_` and `-` as they are, the rest %XX; very long
 * ids become `%00<checksum of the id>` (the record still holds the id). */
function encodeId(cellId: string): string {
  const id = encodeURIComponent(cellId).replace(
    /[.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  if (id.length <= MAX_ID_CHARS) return id;
  return `%00${checksumOf([Buffer.from(cellId, 'utf8')]).slice(5)}`;
}

function decodeId(encoded: string): string | undefined {
  if (encoded.startsWith('%00')) return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

/** The SDK's "no such key / bucket" errors. */
function sdkErrorName(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const name = (e as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function isNotFound(e: unknown): boolean {
  const name = sdkErrorName(e);
  const status = (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

let writeCounter = 0;

/** A key part unique to one write (time, process, counter, randomness). */
function writeId(): string {
  const random = Math.floor(Math.random() * 2 ** 32)
    .toString(36)
    .padStart(7, '0');
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${(++writeCounter).toString(36)}-${random}`;
}

async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(PARALLEL, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

type SdkModule = typeof import('@aws-sdk/client-s3');

/**
 * A DatumStore in an S3 bucket, shared by every process that opens the same location.
 *
 * @example
 * // AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000 AWS_REGION=us-east-1 (MinIO), or nothing for AWS
 * const store = await S3DatumStore.open('s3://my-bucket/runs/cars');
 * await new Orchestrator({ store }).run(workflow);
 */
export class S3DatumStore implements DatumStore {
  readonly description: string;
  /** The location as an `s3://bucket/prefix` URL. */
  readonly url: string;
  readonly location: S3Location;
  /** What was found wrong when the store was opened (empty when all is well). */
  readonly problems: StoreProblem[] = [];
  private entries = new Map<string, Entry>();
  /** The ETag of each record as last read, so a refresh reads only the records that changed. */
  private readonly etags = new Map<string, string>();
  private readonly latestCall = new Map<string, number>();
  private calls = 0;
  private seq = 0;
  private pending = new Set<Promise<unknown>>();

  private constructor(
    location: S3Location,
    private readonly client: S3Client,
    private readonly sdk: SdkModule,
  ) {
    this.location = location;
    this.url = formatS3Url(location);
    this.description = this.url;
  }

  /**
   * Opens the store at `url` (`s3://bucket/prefix`): lists its cell records and checks that each
   * datum object is there with its recorded size (problems go to `problems`, never thrown). A
   * bucket that does not exist or cannot be reached gives `STORE_IO` naming the URL.
   */
  static async open(url: string, options: S3DatumStoreOptions = {}): Promise<S3DatumStore> {
    const location = parseS3Url(url);
    await hashReady(); // fingerprints of what is written
    const sdk = await import('@aws-sdk/client-s3');
    const client = options.client ?? createS3Client(sdk, options.env ?? process.env);
    const store = new S3DatumStore(location, client, sdk);
    try {
      await store.headBucket();
      await store.refresh();
      await store.checkObjects();
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw store.ioError(`Cannot open the store ${store.url}`, e);
    }
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

  /** The `s3://` URL of a cell's datum object, or undefined. */
  objectOf(cellId: string): string | undefined {
    const entry = this.entries.get(cellId);
    return entry ? this.objectUrl(entry.key) : undefined;
  }

  /** The key of a cell's record (with the prefix). */
  recordKeyOf(cellId: string): string {
    return `${this.location.prefix}cells/${encodeId(cellId)}.json`;
  }

  /**
   * Lists the records again: cells other processes wrote, replaced or deleted since are seen. With
   * `cellIds`, reads only their records (one request each, no listing).
   */
  async refresh(cellIds?: readonly string[]): Promise<void> {
    if (cellIds !== undefined) {
      await mapLimit(cellIds, (id) => this.fetchEntry(id));
      return;
    }
    try {
      const listed = await this.listKeys(`${this.location.prefix}cells/`);
      const fresh = new Map<string, Entry>();
      const seen = new Set<string>();
      const byKey = new Map<string, Entry>();
      for (const entry of this.entries.values()) byKey.set(this.recordKeyOf(entry.cell.id), entry);
      await mapLimit(listed, async ({ key, etag }) => {
        if (!key.endsWith('.json')) return;
        seen.add(key);
        const known = byKey.get(key);
        if (known && etag !== undefined && this.etags.get(key) === etag) {
          fresh.set(known.cell.id, known);
          return;
        }
        try {
          const read = await this.readRecord(key);
          if (read) {
            fresh.set(read.entry.cell.id, read.entry);
            if (read.etag !== undefined) this.etags.set(key, read.etag);
          }
        } catch (e) {
          if (!isFancyflowError(e, 'CORRUPT_DATUM')) throw e;
          const cellId = e.details.cellId;
          this.problems.push({
            code: 'CORRUPT_DATUM',
            message: e.message,
            ...(typeof cellId === 'string' ? { cellId } : {}),
            file: this.objectUrl(key),
          });
        }
      });
      for (const key of [...this.etags.keys()]) if (!seen.has(key)) this.etags.delete(key);
      this.entries = new Map(
        [...fresh.values()]
          .sort(
            (a, b) =>
              a.cell.createdAt.localeCompare(b.cell.createdAt) ||
              a.seq - b.seq ||
              a.cell.id.localeCompare(b.cell.id),
          )
          .map((e) => [e.cell.id, e]),
      );
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(`Cannot list the cells of the store ${this.url}`, e);
    }
  }

  async resolve(cellId: string): Promise<unknown> {
    // a cell written, replaced or deleted by another process since: read its record again, once
    for (let reread = false; ; reread = true) {
      let entry = reread ? undefined : this.entries.get(cellId);
      if (!entry) {
        entry = await this.fetchEntry(cellId);
        if (!entry) {
          throw new FancyflowError(
            'DATUM_NOT_FOUND',
            `The store holds no datum for cell "${cellId}"`,
            { details: { cellId, store: this.url } },
          );
        }
      }
      let bytes: Buffer;
      let checksum: string;
      try {
        ({ bytes, checksum } = await this.readObject(entry.key));
      } catch (e) {
        if (isNotFound(e)) {
          if (!reread) continue;
          throw this.corrupt(cellId, entry.key, 'the object is missing', e);
        }
        throw this.ioError(`Cannot read cell "${cellId}" from the store ${this.url}`, e, {
          cellId,
        });
      }
      return this.check(cellId, entry, bytes, checksum);
    }
  }

  persist(value: unknown, options: PersistOptions): Promise<FancyCell> {
    const work = this.write(value, options);
    this.pending.add(work);
    const done = () => void this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  private async write(value: unknown, options: PersistOptions): Promise<FancyCell> {
    const cellId = options.cellId;
    const encoded = encodeDatum(value, cellId);
    const checksum = checksumOf(encoded.pieces);
    const description: ValueDescription = describeValue(encoded.equivalent ?? value);
    const byteLength = encoded.pieces.reduce((n, p) => n + p.byteLength, 0);
    const call = ++this.calls;
    this.latestCall.set(cellId, call);
    const key = `${this.location.prefix}data/${encodeId(cellId)}/${writeId()}.${encoded.tag}.${checksum.replace(':', '-')}.${EXTENSIONS[encoded.format]}`;
    const cell: FancyCell = {
      id: cellId,
      uri: this.objectUrl(key),
      kind: description.kind,
      summary: description.summary,
      createdAt: new Date().toISOString(),
      fingerprint: description.fingerprint,
    };
    if (options.producedBy) cell.producedBy = { ...options.producedBy };
    if (options.name) cell.name = options.name;
    if (options.record) cell.record = { ...options.record };
    const entry: Entry = {
      key,
      byteLength,
      format: encoded.format,
      tag: encoded.tag,
      checksum,
      seq: ++this.seq,
      cell,
    };
    const failure = `Cannot write cell "${cellId}" to the store ${this.url}`;
    try {
      await this.upload(key, encoded.pieces, byteLength, checksum);
      if (this.latestCall.get(cellId) !== call) {
        // a later call for this cell overtook this one: it is never stored
        await this.deleteObject(key);
        return cell;
      }
      const previous = this.entries.get(cellId) ?? (await this.fetchEntry(cellId));
      if (this.latestCall.get(cellId) !== call) {
        await this.deleteObject(key);
        return cell;
      }
      const etag = await this.putRecord(entry);
      this.entries.delete(cellId); // a replaced cell moves to the end, as in the memory store
      this.entries.set(cellId, entry);
      if (etag !== undefined) this.etags.set(this.recordKeyOf(cellId), etag);
      if (previous && previous.key !== key) await this.deleteObject(previous.key);
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(failure, e, { cellId });
    } finally {
      if (this.latestCall.get(cellId) === call) this.latestCall.delete(cellId);
    }
    return cell;
  }

  async delete(cellId: string): Promise<boolean> {
    try {
      let entry: Entry | undefined;
      try {
        entry = await this.fetchEntry(cellId);
      } catch (e) {
        if (!isFancyflowError(e, 'CORRUPT_DATUM')) throw e;
      }
      const recordKey = this.recordKeyOf(cellId);
      const existed = entry !== undefined || this.entries.has(cellId);
      await this.client.send(
        new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: recordKey }),
      );
      this.entries.delete(cellId);
      this.etags.delete(recordKey);
      if (entry) await this.deleteObject(entry.key);
      return existed;
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(`Cannot delete cell "${cellId}" from the store ${this.url}`, e, {
        cellId,
      });
    }
  }

  /** Waits until every write started so far is done (whether it succeeded or not). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }

  // ---- objects ------------------------------------------------------------------------------

  private objectUrl(key: string): string {
    return `s3://${this.location.bucket}/${key}`;
  }

  private async upload(
    key: string,
    pieces: readonly Uint8Array[],
    byteLength: number,
    checksum: string,
  ): Promise<void> {
    const params = {
      Bucket: this.location.bucket,
      Key: key,
      Metadata: { 'fancyflow-checksum': checksum },
      ContentType: 'application/octet-stream',
    };
    if (byteLength <= MULTIPART_BYTES) {
      const body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, byteLength);
      await this.client.send(
        new this.sdk.PutObjectCommand({ ...params, Body: body, ContentLength: byteLength }),
      );
      return;
    }
    const { Upload } = await import('@aws-sdk/lib-storage');
    // parts are cut from the pieces as they stream; the object exists only once all are in
    const upload = new Upload({
      client: this.client,
      params: { ...params, Body: Readable.from(pieces, { objectMode: false }) },
      partSize: PART_BYTES,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /** The object's bytes (in memory of their own) and their checksum, taken as they arrive. */
  private async readObject(key: string): Promise<{ bytes: Buffer; checksum: string }> {
    const response = await this.client.send(
      new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }),
    );
    const body = response.Body as Readable | undefined;
    const hash = new Checksum();
    const chunks: Buffer[] = [];
    let total = 0;
    if (body) {
      for await (const chunk of body) {
        const piece = chunk as Buffer;
        hash.update(piece);
        chunks.push(piece);
        total += piece.byteLength;
      }
    }
    const bytes = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const piece of chunks) {
      bytes.set(piece, at);
      at += piece.byteLength;
    }
    return { bytes, checksum: hash.digest() };
  }

  private async deleteObject(key: string): Promise<void> {
    await this.client.send(
      new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: key }),
    );
  }

  private async listKeys(prefix: string): Promise<{ key: string; etag?: string; size: number }[]> {
    const out: { key: string; etag?: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new this.sdk.ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({
          key: o.Key,
          size: o.Size ?? 0,
          ...(o.ETag === undefined ? {} : { etag: o.ETag }),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  // ---- records ------------------------------------------------------------------------------

  private async putRecord(entry: Entry): Promise<string | undefined> {
    const text = JSON.stringify({
      format: RECORD_FORMAT,
      version: RECORD_VERSION,
      checksum: checksumOf([Buffer.from(JSON.stringify(entry), 'utf8')]),
      entry,
    });
    const body = Buffer.from(text, 'utf8');
    const response = await this.client.send(
      new this.sdk.PutObjectCommand({
        Bucket: this.location.bucket,
        Key: this.recordKeyOf(entry.cell.id),
        Body: body,
        ContentLength: body.byteLength,
        ContentType: 'application/json',
      }),
    );
    return response.ETag;
  }

  /** The record of `cellId` read now (the cache is updated), or undefined when there is none. */
  private async fetchEntry(cellId: string): Promise<Entry | undefined> {
    const key = this.recordKeyOf(cellId);
    let read: { entry: Entry; etag?: string } | undefined;
    try {
      read = await this.readRecord(key, cellId);
    } catch (e) {
      if (isFancyflowError(e)) throw e;
      throw this.ioError(`Cannot read cell "${cellId}" from the store ${this.url}`, e, { cellId });
    }
    if (!read || read.entry.cell.id !== cellId) {
      if (this.entries.delete(cellId)) this.etags.delete(key);
      return undefined;
    }
    const known = this.entries.has(cellId);
    this.entries.set(cellId, read.entry);
    if (!known) {
      // keep the order of registration: a newly seen cell goes where its time puts it
      this.entries = new Map(
        [...this.entries.values()]
          .sort((a, b) => a.cell.createdAt.localeCompare(b.cell.createdAt) || a.seq - b.seq)
          .map((e) => [e.cell.id, e]),
      );
    }
    if (read.etag !== undefined) this.etags.set(key, read.etag);
    return read.entry;
  }

  /** Reads and checks a record; undefined when it does not exist; CORRUPT_DATUM when damaged. */
  private async readRecord(
    key: string,
    cellId?: string,
  ): Promise<{ entry: Entry; etag?: string } | undefined> {
    let text: string;
    let etag: string | undefined;
    try {
      const response = await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }),
      );
      etag = response.ETag;
      text = (await response.Body?.transformToString('utf8')) ?? '';
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const name = key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, '');
    const id = cellId ?? decodeId(name);
    try {
      const record = RecordSchema.parse(JSON.parse(text));
      const entry = EntrySchema.parse(record.entry) as Entry;
      if (checksumOf([Buffer.from(JSON.stringify(record.entry), 'utf8')]) !== record.checksum) {
        throw new Error('it does not match its checksum (changed or damaged in place)');
      }
      return { entry, ...(etag === undefined ? {} : { etag }) };
    } catch (e) {
      const why = e instanceof z.ZodError ? (e.issues[0]?.message ?? 'not a record') : reasonOf(e);
      const full = this.objectUrl(key);
      throw new FancyflowError(
        'CORRUPT_DATUM',
        `Cell${id === undefined ? '' : ` "${id}"`}: its record ${full} cannot be read: ${why}`,
        { details: { ...(id === undefined ? {} : { cellId: id }), file: full, reason: why } },
      );
    }
  }

  /** At open: every datum object a record names is there with its size. */
  private async checkObjects(): Promise<void> {
    const objects = new Map<string, number>();
    for (const o of await this.listKeys(`${this.location.prefix}data/`)) objects.set(o.key, o.size);
    for (const entry of this.entries.values()) {
      const size = objects.get(entry.key);
      const why =
        size === undefined
          ? 'is missing'
          : size !== entry.byteLength
            ? `has ${size} bytes, ${entry.byteLength} were written`
            : undefined;
      if (why) {
        const full = this.objectUrl(entry.key);
        this.problems.push({
          code: 'CORRUPT_DATUM',
          message: `Cell "${entry.cell.id}": its datum object ${full} ${why}`,
          cellId: entry.cell.id,
          file: full,
        });
      }
    }
  }

  /** Fails fast (STORE_IO naming the URL) when the bucket is missing or unreachable. */
  private async headBucket(): Promise<void> {
    try {
      await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (e) {
      const missing = isNotFound(e) || sdkErrorName(e) === 'NoSuchBucket';
      const why = missing ? 'the bucket does not exist' : reasonOf(e);
      throw new FancyflowError('STORE_IO', `Cannot open the store ${this.url}: ${why}`, {
        details: { url: this.url },
        cause: e,
      });
    }
  }

  // ---- checks and errors --------------------------------------------------------------------

  private check(cellId: string, entry: Entry, bytes: Buffer, checksum: string): unknown {
    if (bytes.byteLength !== entry.byteLength) {
      throw this.corrupt(
        cellId,
        entry.key,
        `the object has ${bytes.byteLength} bytes, ${entry.byteLength} were written (truncated or overwritten)`,
      );
    }
    if (checksum !== entry.checksum) {
      throw this.corrupt(
        cellId,
        entry.key,
        `its bytes do not match the checksum ${entry.checksum} recorded when it was written (changed or damaged in place)`,
      );
    }
    try {
      return decodeDatum(bytes, entry.format, entry.tag);
    } catch (e) {
      throw this.corrupt(cellId, entry.key, reasonOf(e), e);
    }
  }

  private corrupt(cellId: string, key: string, why: string, cause?: unknown): FancyflowError {
    const full = this.objectUrl(key);
    return new FancyflowError(
      'CORRUPT_DATUM',
      `Cell "${cellId}": its datum object ${full} cannot be read: ${why}`,
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
    const name = sdkErrorName(cause);
    const reason = reasonOf(cause);
    const why = name && !reason.includes(name) ? `${name}: ${reason}` : reason;
    return new FancyflowError('STORE_IO', `${message}: ${why}`, {
      details: { url: this.url, ...details },
      cause,
    });
  }
}

/** An S3 client configured from `env` the SDK's way (see {@link S3DatumStoreOptions.client}). */
function createS3Client(
  sdk: SdkModule,
  env: Readonly<Record<string, string | undefined>>,
): S3Client {
  // The SDK version is pinned: its notice that later versions will need Node 22 is not for users
  // of this one, and it would land in every CLI run's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // what the SDK would read from process.env itself, read from `env` (which may be another one)
  const keyId = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  const session = env.AWS_SESSION_TOKEN;
  return new sdk.S3Client({
    ...(endpoint ? { endpoint } : {}),
    ...(keyId && secret
      ? {
          credentials: {
            accessKeyId: keyId,
            secretAccessKey: secret,
            ...(session ? { sessionToken: session } : {}),
          },
        }
      : {}),
    forcePathStyle: usePathStyle(env),
    // checksums are ours (XXH3, checked on every read); the SDK's default request checksums make
    // some S3-compatible servers (s3rver) store streamed uploads wrongly
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // S3-compatible servers accept any region; AWS itself needs the bucket's (the SDK finds it
    // in the environment or the config files when not given here)
    ...(region === undefined && endpoint ? { region: 'us-east-1' } : {}),
    ...(region === undefined ? {} : { region }),
  });
}
