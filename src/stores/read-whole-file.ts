/**
 * Reading a whole datum file fast without blocking: opening, the size and closing are quick
 * synchronous calls (microseconds; an asynchronous call is a thread-pool round trip, which on a busy
 * machine costs more than the call), and the bytes come in 4 MiB reads queued in the thread pool at
 * once, handed to `consume` in file order as they arrive, so a checksum is taken while the rest is
 * still being read. For a 29 MB table here: ~3.5 ms, against 2-3 ms for the blocking
 * `readFileSync` and 12-17 ms for `fs.promises.readFile` (512 KiB per round trip).
 */
import { closeSync, fstatSync, openSync, read as readFd } from 'node:fs';
import { promisify } from 'node:util';

const CHUNK = 4 << 20;
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
