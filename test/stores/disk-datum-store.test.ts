/** The shared store suite against the disk store (its own deeper tests are in src/stores). */
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { DiskDatumStore, INDEX_FILE, JOURNAL_FILE } from '../../src/stores/disk-datum-store';
import { datumStoreSuite } from './datum-store-suite';

const root = mkdtempSync(path.join(tmpdir(), 'ff-store-suite-disk-'));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

datumStoreSuite('DiskDatumStore', {
  freshLocation: () => path.join(root, `store-${++counter}`),
  open: (dir) => DiskDatumStore.open(dir, { durable: false }),
  datumOf: (store, cellId) => store.fileOf(cellId)!,
  readDatum: (file) => fs.readFile(file),
  writeDatum: (file, bytes) => fs.writeFile(file, bytes),
  removeDatum: (file) => fs.rm(file),
  datums: async (dir) =>
    (await fs.readdir(dir)).filter(
      (f) => f !== INDEX_FILE && f !== JOURNAL_FILE && !f.startsWith('.tmp-'),
    ),
  unusableLocations: async () => {
    const file = path.join(root, `a-file-${++counter}`);
    await fs.writeFile(file, 'x');
    return ['/proc/self/nope/store', path.join(file, 'store')];
  },
});
