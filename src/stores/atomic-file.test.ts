import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  removeOrphanTempFiles,
  tempFileOwner,
  tempPathFor,
  writeFileAtomic,
  writeTempFile,
} from './atomic-file';
import { ownerTag, SELF } from './process-owner';

const root = mkdtempSync(path.join(tmpdir(), 'ff-atomic-file-'));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function freshDir(): Promise<string> {
  const dir = path.join(root, `dir-${++counter}`);
  await fs.mkdir(dir);
  return dir;
}

describe('atomic files', () => {
  it('names temp files after the process writing them', () => {
    const temp = path.basename(tempPathFor(root, 'datum'));
    expect(temp.startsWith(`.tmp-${ownerTag(SELF)}-`)).toBe(true);
    expect(temp.endsWith('-datum')).toBe(true);
    expect(tempFileOwner(temp)).toEqual(SELF);
    expect(tempFileOwner('.tmp-4242-0a1b-kept~7.json.json')).toEqual({
      host: SELF.host,
      pid: 4242,
      start: 0,
    });
    expect(tempFileOwner('index.json')).toBeUndefined();
  });

  it('writes pieces in order and renames them into place, leaving no temp file', async () => {
    const dir = await freshDir();
    const target = path.join(dir, 'out.bin');
    const pieces = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
    expect(await writeFileAtomic(target, pieces, { durable: true })).toBe(3);
    expect([...(await fs.readFile(target))]).toEqual([1, 2, 3]);
    expect(await fs.readdir(dir)).toEqual(['out.bin']);
    // a failed write leaves the target as it was and no temp file
    await expect(
      writeFileAtomic(path.join(dir, 'missing-folder', 'x'), pieces, { durable: false }),
    ).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(dir)).toEqual(['out.bin']);
  });

  it('removes the temp files of ended writers only', async () => {
    const dir = await freshDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const names = {
      ownLive: path.basename((await writeTempFile(dir, 'datum', [], { durable: false })).path),
      deadWriter: `.tmp-${SELF.host}.${dead}.0-0badf00d-datum`,
      legacyDead: `.tmp-${dead}-abcd-cell~3.json.json`,
      otherHost: `.tmp-ffffffff.${dead}.0-0badf00d-datum`,
      reusedPid:
        SELF.start > 0 ? `.tmp-${SELF.host}.${process.pid}.${SELF.start - 1}-0badf00d-x` : '',
      notOurs: '.tmp-something-else',
      datum: 'cell~1.json.xxh3-0123456789abcdef.json',
    };
    for (const name of Object.values(names)) {
      if (name) await fs.writeFile(path.join(dir, name), 'x');
    }
    const removed = await removeOrphanTempFiles(dir);
    const expected = [names.deadWriter, names.legacyDead, names.reusedPid].filter(Boolean);
    expect(removed.sort()).toEqual(expected.sort());
    expect((await fs.readdir(dir)).sort()).toEqual(
      [names.ownLive, names.otherHost, names.notOurs, names.datum].sort(),
    );
  });
});
