/**
 * Creating a folder and its missing parents, failing at once where the OS cannot. Node's own
 * `mkdir(…, { recursive: true })` spins forever on paths like `/proc/self/nope/store` (the kernel
 * answers ENOENT for a parent that exists, and Node retries the parent), so each missing level is
 * created here one by one, a bounded loop.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Makes sure `dir` (absolute) is a folder, creating it and its missing parents. Throws the OS error. */
export async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      if ((await fs.stat(at)).isDirectory()) break;
      throw errnoError('ENOTDIR', `not a directory, ${at}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (path.dirname(at) === at) throw e; // even the root is missing
      missing.push(at);
    }
  }
  for (const level of missing.reverse()) {
    try {
      await fs.mkdir(level);
    } catch (e) {
      // another process may have created it meanwhile; anything else is final
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !(await fs.stat(level)).isDirectory())
        throw e;
    }
  }
}
