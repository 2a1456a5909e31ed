import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFancyflowError, type FancyflowError } from '../core/errors';
import { SELF } from './process-owner';
import { StoreLock, type LockHolder } from './store-lock';

const root = mkdtempSync(path.join(tmpdir(), 'ff-store-lock-'));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function freshLockFile(): Promise<string> {
  const dir = path.join(root, `dir-${++counter}`);
  await fs.mkdir(dir);
  return path.join(dir, 'index.lock');
}

function holder(overrides: Partial<LockHolder>): LockHolder {
  return {
    ...SELF,
    hostname: hostname(),
    token: 'someone-else',
    since: new Date().toISOString(),
    ...overrides,
  };
}

/** The pid of a process that has ended (and been collected). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

async function lockedError(lock: StoreLock): Promise<FancyflowError> {
  try {
    await lock.run(() => Promise.resolve());
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected STORE_LOCKED');
}

describe('StoreLock', () => {
  it('lets one holder at a time run, across lock objects on the same file', async () => {
    const file = await freshLockFile();
    const locks = [new StoreLock(file, 10_000), new StoreLock(file, 10_000)];
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        locks[i % 2]!.run(async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 2));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // nothing is left: no lock file, no temp file
    expect(await fs.readdir(path.dirname(file))).toEqual([]);
  });

  it('takes over a lock whose process has ended', async () => {
    const file = await freshLockFile();
    await fs.writeFile(file, JSON.stringify(holder({ pid: deadPid(), start: 0 })));
    let ran = false;
    await new StoreLock(file, 60_000).run(() => Promise.resolve((ran = true)));
    expect(ran).toBe(true);
    expect(await fs.readdir(path.dirname(file))).toEqual([]);
  });

  it.runIf(SELF.start > 0)(
    'takes over a lock whose pid now belongs to another process (another start time)',
    async () => {
      const file = await freshLockFile();
      await fs.writeFile(file, JSON.stringify(holder({ start: SELF.start - 1 })));
      let ran = false;
      await new StoreLock(file, 60_000).run(() => Promise.resolve((ran = true)));
      expect(ran).toBe(true);
    },
  );

  it('waits for a live holder, then gives STORE_LOCKED naming the holder and the lock file', async () => {
    const file = await freshLockFile();
    await fs.writeFile(file, JSON.stringify(holder({})));
    const error = await lockedError(new StoreLock(file, 200));
    expect(error.code).toBe('STORE_LOCKED');
    expect(error.message).toContain(`process ${process.pid}`);
    expect(error.message).toContain(file);
    expect(error.details).toMatchObject({ file, pid: process.pid, dir: path.dirname(file) });
    // the live holder's lock is untouched
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ token: 'someone-else' });
    // once released, the next holder gets it
    await fs.rm(file);
    await new StoreLock(file, 200).run(() => Promise.resolve());
  });

  it('never judges a holder on another host: it waits, then STORE_LOCKED', async () => {
    const file = await freshLockFile();
    await fs.writeFile(
      file,
      JSON.stringify(holder({ host: 'ffffffff', hostname: 'elsewhere', pid: deadPid() })),
    );
    const error = await lockedError(new StoreLock(file, 150));
    expect(error.code).toBe('STORE_LOCKED');
    expect(error.message).toContain('on elsewhere');
  });

  it('judges an unreadable lock file by its age: stale only when older than the last boot', async () => {
    const file = await freshLockFile();
    await fs.writeFile(file, ''); // e.g. a lock whose content a power loss took
    expect((await lockedError(new StoreLock(file, 150))).code).toBe('STORE_LOCKED');
    const longAgo = new Date('2000-01-01T00:00:00Z');
    await fs.utimes(file, longAgo, longAgo);
    await new StoreLock(file, 150).run(() => Promise.resolve());
    expect(await fs.readdir(path.dirname(file))).toEqual([]);
  });
});
