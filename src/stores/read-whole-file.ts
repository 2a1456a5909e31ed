/**
 * Reading a whole datum file fast. Opening, the size and closing are quick synchronous calls. A file
 * of up to 64 MiB is read with blocking reads (28.8 MB: ~3 ms, like `readFileSync`): on a busy
 * machine every thread-pool round trip waits for a CPU, so chunked asynchronous reads of the same
 * file took 3-10x longer there. A bigger file comes in 4 MiB reads queued in the thread pool at
 * once, handed to `consume` in file order as they arrive (the event loop stays free, and a
 * checksum is taken while the rest is still being read).
 */
import { closeSync, fstatSync, openSync, read as readFd, readSync } from 'node:fs';
import { promisify } from 'node:util';

const CHUNK = 4 << 20;
/** Blocking reads go in pieces this size, small enough to stay in the CPU's cache. */
const HOT = 256 << 10;
/** Files up to this size are read with blocking reads (a few ms of the event loop at most). */
const SYNC_LIMIT = 64 << 20;
const read = promisify(readFd);

/** Reads `length` bytes at `at` into `into` (fewer only at the end of the file). */
async function readAt(fd: number, into: Buffer, at: number, length: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await read(fd, into, at + done, length - done, at + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * The bytes of `file`, as many as its size when opened (fewer if it shrinks meanwhile). The buffer
 * owns its memory, so a typed array made over it shares nothing with other values.
 */
export async function readWholeFile(
  file: string,
  consume?: (chunk: Uint8Array) => void,
): Promise<Buffer> {
  const fd = openSync(file, 'r');
  const reads: Promise<number>[] = [];
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.allocUnsafeSlow(size);
    if (size <= SYNC_LIMIT) {
      // in pieces of HOT bytes, each handed to `consume` straight after it is read, while it is
      // still in the CPU's cache (a checksum of the whole file read first ran from memory: ~2x)
      let done = 0;
      while (done < size) {
        const piece = Math.min(HOT, size - done);
        let got = 0;
        while (got < piece) {
          const n = readSync(fd, bytes, done + got, piece - got, done + got);
          if (n === 0) break; // it shrank
          got += n;
        }
        consume?.(bytes.subarray(done, done + got));
        done += got;
        if (got < piece) return bytes.subarray(0, done);
      }
      return bytes;
    }
    for (let at = 0; at < size; at += CHUNK) {
      const pending = readAt(fd, bytes, at, Math.min(CHUNK, size - at));
      pending.catch(() => undefined); // awaited below, in order; a later failure must not go unseen
      reads.push(pending);
    }
    for (let k = 0; k < reads.length; k++) {
      const at = k * CHUNK;
      const got = await reads[k]!;
      consume?.(bytes.subarray(at, at + got));
      if (got < Math.min(CHUNK, size - at)) return bytes.subarray(0, at + got); // it shrank
    }
    return bytes;
  } finally {
    await Promise.allSettled(reads); // never close the fd under a read still running
    closeSync(fd);
  }
}
