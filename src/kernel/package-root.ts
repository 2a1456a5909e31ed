/**
 * Where this package is installed. Kept light (no TypeScript compiler, no zeromq): the CLI's
 * `install` command imports it.
 */
import path from 'node:path';

/** The root folder of this package (holding package.json, bin/ and dist/). */
export const packageRoot = path.resolve(__dirname, '..', '..');
