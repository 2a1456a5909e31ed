/**
 * Makes `fancyflow` in a notebook mean THIS package, wherever the notebook is: at run time (Node's
 * resolver) and for type-checking (the TypeScript `sys` tslab's converter reads files through).
 * A second copy of the package would split the session's state.
 */
import Module from 'node:module';
import path from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { packageRoot } from './package-root';

const PACKAGE_NAME = 'fancyflow';

export { packageRoot };

type ResolveFilename = (
  request: string,
  parent: unknown,
  isMain: boolean,
  options?: unknown,
) => string;

interface ModuleInternals {
  _resolveFilename: ResolveFilename;
}

const INSTALLED = Symbol.for('fancyflow.kernel.moduleAlias');

/** Where `<anything>/node_modules/fancyflow/<rest>` really is, or undefined for other paths. */
export function forwardPackagePath(file: string): string | undefined {
  const normalized = file.replace(/\\/g, '/');
  const marker = `/node_modules/${PACKAGE_NAME}`;
  const at = normalized.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = normalized.slice(at + marker.length);
  if (rest !== '' && !rest.startsWith('/')) return undefined; // fancyflow-other
  return path.join(packageRoot, rest);
}

/** Installs the run-time and type-checking aliases (once per process). */
export function installModuleAlias(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;

  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, isMain, options) {
    if (request === PACKAGE_NAME || request.startsWith(`${PACKAGE_NAME}/`)) {
      const target = path.join(packageRoot, request.slice(PACKAGE_NAME.length));
      return original.call(this, target, parent, isMain, options);
    }
    return original.call(this, request, parent, isMain, options);
  };

  const sys = ts.sys;
  const fileExists = sys.fileExists.bind(sys);
  const directoryExists = sys.directoryExists.bind(sys);
  const readFile = sys.readFile.bind(sys);
  const realpath = sys.realpath?.bind(sys);
  sys.fileExists = (file) => fileExists(forwardPackagePath(file) ?? file);
  sys.directoryExists = (dir) => directoryExists(forwardPackagePath(dir) ?? dir);
  sys.readFile = (file, encoding) => readFile(forwardPackagePath(file) ?? file, encoding);
  // The real path makes the package's own imports (zod, …) resolve to the same files as the
  // notebook's, so their types are one and the same.
  sys.realpath = (file) => {
    const forwarded = forwardPackagePath(file) ?? file;
    return realpath ? realpath(forwarded) : forwarded;
  };
}
