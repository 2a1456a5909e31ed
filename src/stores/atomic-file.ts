/**
 * Atomic file writes: the bytes go to a temp file in the same folder, which is renamed over the
 * target only once complete (rename is atomic within a file system), so a reader or a process that
 * restarts after a crash sees the old file or the new one, never a torn one. With `durable`, the
 * temp file and then the folder are fsynced, so the rename also survives a power loss.
 *
 * A temp file's name says which process writes it, so the temp files of a killed writer can be
 * removed later without touching those of a writer that is still running.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsync as fsyncFd,
  openSync,
  promises as fs,
  renameSync,
  unlinkSync,
  writev as writevFd,
  writevSync,
} from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ownerIsGone, ownerTag, parseOwnerTag, SELF, type ProcessOwner } from './process-owner';

/** The prefix of temp files: `.tmp-<owner>-<random>-<label>`. A store never reads them. */
export const TEMP_PREFIX = '.tmp-';

/** The most buffers one writev call takes (POSIX IOV_MAX is at least 1024). */
const IOV_MAX = 1024;

const OWNED = /^\.tmp-([0-9a-f]{8}\.\d+\.\d+)-[0-9a-f]+-/;
/** Temp names of earlier versions, which had the pid only. */
const LEGACY = /^\.tmp-(\d+)-[0-9a-f]+-/;

/** This process's part of its temp names: its owner tag and a random word (drawn once). */
const SELF_TEMP = `${TEMP_PREFIX}${ownerTag(SELF)}-${randomBytes(4).toString('hex')}`;
let tempCounter = 0;

/** A new temp file path in `dir`; `label` (a short, file-name-safe word) says what it becomes. */
export function tempPathFor(dir: string, label: string): string {
  return path.join(dir, `${SELF_TEMP}${(++tempCounter).toString(16)}-${label}`);
}

/** Removes the file `file` if it is there: one call, where `rm` with `force` makes three. */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The process that writes the temp file `name`, or undefined when `name` is not one of ours. */
export function tempFileOwner(name: string): ProcessOwner | undefined {
  const owned = OWNED.exec(name);
  if (owned) return parseOwnerTag(owned[1]!);
  // earlier versions allowed one writing process per store, on the host that uses the store
  const legacy = LEGACY.exec(name);
  return legacy ? { host: SELF.host, pid: Number(legacy[1]), start: 0 } : undefined;
}

// Metadata calls (open, close, rename, unlink) and writes of a few KiB are synchronous:
// microseconds each, where an asynchronous call is a thread-pool round trip that on a busy machine
// costs more than the call. Larger transfers and fsyncs, which take milliseconds, go to the thread
// pool.
const writev = promisify(writevFd);
const fsync = promisify(fsyncFd);
/** Up to this many bytes, a write is made in this thread. */
const SMALL_WRITE = 64 * 1024;

async function writeAll(fd: number, pieces: readonly Uint8Array[]): Promise<number> {
  let total = 0;
  for (let at = 0; at < pieces.length; at += IOV_MAX) {
    let group = pieces.slice(at, at + IOV_MAX);
    let expected = group.reduce((sum, p) => sum + p.byteLength, 0);
    while (expected > 0) {
      const bytesWritten =
        expected <= SMALL_WRITE ? writevSync(fd, group) : (await writev(fd, group)).bytesWritten;
      total += bytesWritten;
      if (bytesWritten === expected) break;
      // a short write: skip what went out and go on with the rest
      let skip = bytesWritten;
      const rest: Uint8Array[] = [];
      for (const p of group) {
        if (skip >= p.byteLength) {
          skip -= p.byteLength;
        } else {
          rest.push(skip > 0 ? p.subarray(skip) : p);
          skip = 0;
        }
      }
      group = rest;
      expected -= bytesWritten;
    }
  }
  return total;
}

/** fsyncs a folder (so a rename in it is durable); a no-op where folders cannot be opened. */
export async function syncDirectory(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // Windows cannot open folders; the rename is still atomic there
  }
  try {
    await fsync(fd);
  } catch {
    // some file systems cannot fsync a folder; the rename is still atomic
  } finally {
    closeSync(fd);
  }
}

/** A complete temp file, ready to be renamed into place. */
export interface TempFile {
  path: string;
  byteLength: number;
}

/**
 * Writes `pieces` (in order, with vectored writes) to a new temp file in `dir`, fsynced when
 * `durable`. The file is opened and a large write queued in the thread pool before this returns,
 * so the caller can go on working while the bytes go out. On failure nothing is left behind.
 */
export async function writeTempFile(
  dir: string,
  label: string,
  pieces: readonly Uint8Array[],
  options: { durable: boolean },
): Promise<TempFile> {
  const temp = tempPathFor(dir, label);
  const fd = openSync(temp, 'wx'); // a quick call; the writes are what takes time
  try {
    const byteLength = await writeAll(fd, pieces);
    if (options.durable) await fsync(fd);
    return { path: temp, byteLength };
  } catch (e) {
    removeFile(temp);
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `pieces` to `target` atomically. Returns the byte count. On failure the temp file is
 * removed and the target is untouched.
 */
export async function writeFileAtomic(
  target: string,
  pieces: readonly Uint8Array[],
  options: { durable: boolean },
): Promise<number> {
  const dir = path.dirname(target);
  const temp = await writeTempFile(dir, path.basename(target), pieces, options);
  try {
    renameSync(temp.path, target);
  } catch (e) {
    removeFile(temp.path);
    throw e;
  }
  if (options.durable) await syncDirectory(dir);
  return temp.byteLength;
}

/**
 * Removes the temp files in `dir` left by processes that have ended (killed in the middle of a
 * write), never one that a running process is writing. Returns the names removed.
 */
export async function removeOrphanTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const owner = name.startsWith(TEMP_PREFIX) ? tempFileOwner(name) : undefined;
    if (!owner) continue;
    const file = path.join(dir, name);
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.lstat(file)).mtimeMs;
    } catch {
      continue; // renamed into place or removed meanwhile
    }
    if (!ownerIsGone(owner, mtimeMs)) continue;
    await fs.rm(file, { force: true });
    removed.push(name);
  }
  return removed;
}
