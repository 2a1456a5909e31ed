/**
 * The S3 store against a real S3-compatible server (s3rver, started here on 127.0.0.1 as a child
 * process): the shared store suite, then what only an object store has (records, multipart
 * uploads, an unreachable endpoint). Never a mock of the SDK.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import * as aq from 'arquero';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeValue } from '../../src/core/cell';
import { S3DatumStore } from '../../src/stores/s3-datum-store';
import { parseS3Url } from '../../src/stores/s3-location';
import { freePort, startS3, type S3Service } from '../support/services';
import { datumStoreSuite, errorOf } from './datum-store-suite';

const BUCKET = 'ff-suite';
let s3: S3Service;
let client: S3Client;
let counter = 0;

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

/** `s3://bucket/key` → bucket and key. */
function objectOf(url: string): { Bucket: string; Key: string } {
  const { bucket, prefix } = parseS3Url(url);
  return { Bucket: bucket, Key: prefix.replace(/\/$/, '') };
}

async function keysUnder(url: string): Promise<string[]> {
  const { bucket, prefix } = parseS3Url(url);
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!);
}

const open = (url: string) => S3DatumStore.open(url, { env: s3.env });

datumStoreSuite('S3DatumStore', {
  freshLocation: () => `s3://${BUCKET}/suite/run-${++counter}`,
  open,
  datumOf: (store, cellId) => store.objectOf(cellId)!,
  readDatum: async (url) => {
    const response = await client.send(new GetObjectCommand(objectOf(url)));
    return Buffer.from(await response.Body!.transformToByteArray());
  },
  writeDatum: async (url, bytes) => {
    await client.send(new PutObjectCommand({ ...objectOf(url), Body: bytes }));
  },
  removeDatum: async (url) => {
    await client.send(new DeleteObjectCommand(objectOf(url)));
  },
  datums: async (url) => (await keysUnder(`${url}/data/`)).filter((k) => k !== ''),
  unusableLocations: async () => [`s3://no-such-bucket-${++counter}/x`, 's3://Not_A_Bucket/x'],
  close: (store) => store.close(),
});

describe('S3DatumStore: what only an object store has', () => {
  it('reports a damaged cell record for that cell only', async () => {
    const url = `s3://${BUCKET}/records/${++counter}`;
    const store = await open(url);
    await store.persist({ a: 1 }, { cellId: 'damaged' });
    await store.persist({ b: 2 }, { cellId: 'fine' });
    const key = store.recordKeyOf('damaged');
    const text = await (
      await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    ).Body!.transformToString();
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: text.replace('"createdAt":"2', '"createdAt":"1'),
      }),
    );
    const again = await open(url);
    expect(again.problems.map((p) => [p.cellId, p.code])).toEqual([['damaged', 'CORRUPT_DATUM']]);
    expect(again.problems[0]!.message).toMatch(/checksum/);
    expect(await again.resolve('fine')).toEqual({ b: 2 });
    const error = await errorOf(again.resolve('damaged'));
    expect(error.code).toBe('CORRUPT_DATUM');
    expect(error.message).toContain(`s3://${BUCKET}/${key}`);
    store.close();
    again.close();
  });

  it('uploads a large table in parts, and the object appears only when complete', async () => {
    const url = `s3://${BUCKET}/large/${++counter}`;
    const store = await open(url);
    const rows = 2_500_000; // 20 MB of float64: above the multipart threshold
    const table = aq.table({ x: Float64Array.from({ length: rows }, (_, i) => i * 0.5) });
    const cell = await store.persist(table, { cellId: 'big' });
    expect(cell.uri).toMatch(new RegExp(`^s3://${BUCKET}/large/\\d+/data/big/.*\\.arrow$`));
    const again = await open(url);
    const back = (await again.resolve('big')) as aq.ColumnTable;
    expect(back.numRows()).toBe(rows);
    expect(describeValue(back).fingerprint).toBe(cell.fingerprint);
    // no multipart upload is left open, and only the datum and its record exist
    expect((await keysUnder(url)).length).toBe(2);
    store.close();
    again.close();
  });

  it('names the URL when the endpoint cannot be reached', async () => {
    const port = await freePort();
    const error = await errorOf(
      S3DatumStore.open(`s3://${BUCKET}/x`, {
        env: { ...s3.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` },
      }),
    );
    expect(error.code).toBe('STORE_IO');
    expect(error.message).toContain(`s3://${BUCKET}/x`);
  });
});
