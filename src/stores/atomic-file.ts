/**
 * Atomic file writes: the bytes go to a temp file in the same folder, which is renamed over the
 * target only once complete (rename is atomic within a file system), so a reader or a process that
 * restarts after a crash sees the old file or the new one, never a torn one. With `durable`, the
 * temp file and then the folder are fsynced, so the rename also survives a power loss.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** The prefix of temp files; a store ignores files that start with it (leftovers of a crash). */
export const TEMP_PREFIX = '.tmp-';

/** The most buffers one writev call takes (POSIX IOV_MAX is at least 1024). */
const IOV_MAX = 1024;

/** A temp file name beside `target`. */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(target)}`,
  );
}

async function writeAll(handle: fs.FileHandle, pieces: readonly Uint8Array[]): Promise<number> {
  let total = 0;
  for (let at = 0; at < pieces.length; at += IOV_MAX) {
    let group = pieces.slice(at, at + IOV_MAX);
    let expected = group.reduce((sum, p) => sum + p.byteLength, 0);
    while (expected > 0) {
      const { bytesWritten } = await handle.writev(group);
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
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open folders; the rename is still atomic there
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `pieces` (in order, with vectored writes) to `target` atomically. Returns the byte count.
 * On failure the temp file is removed and the target is untouched. `syncDirectory: false` leaves
 * the folder's fsync to a later write in the same folder (one fsync makes both renames durable).
 */
export async function writeFileAtomic(
  target: string,
  pieces: readonly Uint8Array[],
  options: { durable: boolean; syncDirectory?: boolean },
): Promise<number> {
  const temp = tempPathFor(target);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    const written = await writeAll(handle, pieces);
    if (options.durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
    if (options.durable && options.syncDirectory !== false)
      await syncDirectory(path.dirname(target));
    return written;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}
