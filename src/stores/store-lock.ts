/**
 * The lock that lets one process at a time change a store's index, so that several processes (a
 * notebook kernel and a CLI run) can write to one store and none loses another's cells. It is held
 * only while the index is re-read, changed and written back (milliseconds), never while a datum is
 * encoded or written, so a second writer simply waits its turn.
 *
 * The lock is a file (`index.lock`) naming its holder. It is created complete in one step
 * (a temp file hard-linked to the lock's name, which fails when the name exists), so its content
 * is never half-written. A lock whose holder has ended (killed, crashed, or from before the last
 * boot) is stale and is taken over: it is renamed aside and removed only once its content shows it
 * is the stale one, not a live lock that replaced it meanwhile.
 *
 * The lock file's calls are synchronous: microseconds each, and they keep the time the lock is held
 * short; only writing the candidate lock's few bytes and the waits between attempts are not.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FancyflowError } from '../core/errors';
import { removeFile, tempPathFor, writeTempFile } from './atomic-file';
import { beforeBoot, ownerIsGone, SELF, type ProcessOwner } from './process-owner';

/** What a lock file holds. */
export interface LockHolder extends ProcessOwner {
  /** The host name, for people (`host` is its tag). */
  hostname: string;
  /** Tells this holding of the lock from any other. */
  token: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** A lock file as found: its holder (undefined when the content is unreadable) and its identity. */
interface FoundLock {
  holder: LockHolder | undefined;
  ino: number;
  mtimeMs: number;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      h &&
      typeof h.host === 'string' &&
      typeof h.pid === 'number' &&
      typeof h.start === 'number' &&
      typeof h.token === 'string'
    ) {
      return {
        host: h.host,
        pid: h.pid,
        start: h.start,
        token: h.token,
        hostname: String(h.hostname ?? h.host),
        since: String(h.since ?? ''),
      };
    }
  } catch {
    // unreadable: judged by its age only
  }
  return undefined;
}

/** The lock file at `file`, or undefined when there is none. */
function readLock(file: string): FoundLock | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    // one open file for both, so the content and the identity are of the same lock
    const stat = fstatSync(fd);
    return { holder: parseHolder(readFileSync(fd, 'utf8')), ino: stat.ino, mtimeMs: stat.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

function sameLock(a: FoundLock, b: FoundLock): boolean {
  return a.ino === b.ino && a.holder?.token === b.holder?.token;
}

/** True when the lock's holder has certainly ended. */
function isStale(lock: FoundLock): boolean {
  return lock.holder ? ownerIsGone(lock.holder, lock.mtimeMs) : beforeBoot(lock.mtimeMs);
}

const HOSTNAME = os.hostname();
/** A lock holding's token: a random word drawn once per process, and a count. */
const TOKEN_PREFIX = `${randomBytes(8).toString('hex')}-`;
let tokenCounter = 0;

/** The inter-process lock of one store folder. */
export class StoreLock {
  /** The lock file. */
  readonly file: string;
  private readonly timeoutMs: number;

  /** A lock at `file`; a live holder is waited for up to `timeoutMs`, then STORE_LOCKED. */
  constructor(file: string, timeoutMs: number) {
    this.file = file;
    this.timeoutMs = timeoutMs;
  }

  /** Runs `fn` while holding the lock. Errors of the file system are thrown as they are. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const token = await this.acquire();
    try {
      return await fn();
    } finally {
      this.release(token);
    }
  }

  private async acquire(): Promise<string> {
    const holder: LockHolder = {
      ...SELF,
      hostname: HOSTNAME,
      token: `${TOKEN_PREFIX}${(++tokenCounter).toString(16)}`,
      since: new Date().toISOString(),
    };
    const dir = path.dirname(this.file);
    const temp = await writeTempFile(dir, 'lock', [Buffer.from(JSON.stringify(holder))], {
      durable: false,
    });
    try {
      const deadline = Date.now() + this.timeoutMs;
      for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
        try {
          linkSync(temp.path, this.file);
          return holder.token;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const found = readLock(this.file);
        if (!found) continue; // released meanwhile
        if (isStale(found)) {
          this.takeOver(found);
          continue;
        }
        if (Date.now() >= deadline) throw this.lockedError(found);
        await sleep(pause + Math.random() * pause);
      }
    } finally {
      removeFile(temp.path);
    }
  }

  private release(token: string): void {
    const found = readLock(this.file);
    if (found?.holder?.token === token) removeFile(this.file);
  }

  /**
   * Removes the stale lock `stale`. Two waiters may judge it stale at once: the first moves it
   * aside and takes the lock; the second then moves that live lock aside by mistake, sees that it
   * is not the stale one, and puts it back.
   */
  private takeOver(stale: FoundLock): void {
    const aside = tempPathFor(path.dirname(this.file), 'stale-lock');
    try {
      renameSync(this.file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another waiter removed it
      throw e;
    }
    const moved = readLock(aside);
    if (moved && !sameLock(moved, stale)) {
      try {
        linkSync(aside, this.file); // a live lock: put it back
      } catch {
        // EEXIST: a third process took the lock meanwhile (see the README)
      }
    }
    removeFile(aside);
  }

  private lockedError(found: FoundLock): FancyflowError {
    const dir = path.dirname(this.file);
    const h = found.holder;
    const who = h
      ? `process ${h.pid} on ${h.hostname}${h.since ? ` since ${h.since}` : ''}`
      : 'a lock file that cannot be read';
    return new FancyflowError(
      'STORE_LOCKED',
      `The store ${dir} is locked by ${who}; waited ${this.timeoutMs} ms. If no process uses the store any more, remove ${this.file}.`,
      {
        details: {
          dir,
          file: this.file,
          ...(h ? { pid: h.pid, hostname: h.hostname, since: h.since } : {}),
        },
      },
    );
  }
}
