/**
 * Makes `fancyflow`, and the libraries its steps speak (`zod`, `arquero`, `apache-arrow`), resolve
 * in a notebook wherever the notebook is, to the very copies this package uses: at run time
 * (Node's resolver) and for type-checking (the TypeScript `sys` tslab's converter reads files
 * through). A second copy would split the session's state (fancyflow) or make a notebook's tables
 * and schemas foreign to the steps (arquero, zod). A notebook folder needs no node_modules.
 */
import { existsSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import type { System } from '@tslab/typescript-for-tslab';
import { packageRoot } from './package-root';

export { packageRoot };

/** The packages a notebook gets from this package: name → the folder of the copy to use. */
function aliasedPackages(): Map<string, string> {
  const out = new Map<string, string>([['fancyflow', packageRoot]]);
  for (const name of ['zod', 'arquero', 'apache-arrow']) {
    try {
      const manifest = require.resolve(`${name}/package.json`, { paths: [packageRoot] });
      out.set(name, path.dirname(manifest));
    } catch {
      // not installed with this package: the notebook resolves it the usual way
    }
  }
  return out;
}

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

/** The package a bare request names (`zod`, `apache-arrow`, `@scope/x`), and the rest. */
function splitRequest(request: string): [string, string] {
  const parts = request.split('/');
  const size = request.startsWith('@') ? 2 : 1;
  return [parts.slice(0, size).join('/'), parts.slice(size).join('/')];
}

/** A virtual path that must look absent (a nested copy of an aliased package: see below). */
export const ABSENT = Symbol('absent');

/** The folder of package `name` as Node would find it from `dir` (walking up), or undefined. */
function findPackageDir(dir: string, name: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(current) === current) return undefined;
  }
}

/**
 * The type checker's view of an aliased package: it lives in the notebook's folder, at
 * `<folder>/node_modules/<name>`, like a normal install, so declarations a cell emits name its
 * types `zod`, `arquero` (never `fancyflow/node_modules/arquero`, which TypeScript refuses as not
 * portable), and fancyflow's own types meet the notebook's through one copy.
 *
 * Returns the real file for such a virtual path, {@link ABSENT} for a nested copy of an aliased
 * package inside a virtual one (the checker then walks up to the top-level virtual copy), or
 * undefined for every other path.
 */
export function forwardPackagePath(
  file: string,
  packages: ReadonlyMap<string, string> = aliases(),
): string | typeof ABSENT | undefined {
  const normalized = file.replace(/\\/g, '/');
  const marker = '/node_modules/';
  let real: string | undefined;
  let remainder = '';
  for (let at = normalized.indexOf(marker); at >= 0; at = normalized.indexOf(marker, at + 1)) {
    const [name, rest] = splitRequest(normalized.slice(at + marker.length));
    const target = packages.get(name);
    if (target === undefined) continue;
    if (`${normalized.slice(0, at)}${marker}${name}` === target.replace(/\\/g, '/')) continue;
    real = target;
    remainder = rest;
    break;
  }
  if (real === undefined) return undefined;
  for (;;) {
    // the next node_modules folder inside the package, if any
    const segments = remainder === '' ? [] : remainder.split('/');
    const at = segments.indexOf('node_modules');
    if (at < 0) return remainder === '' ? real : path.join(real, remainder);
    const [name, rest] = splitRequest(segments.slice(at + 1).join('/'));
    if (name === '') return path.join(real, remainder);
    if (packages.has(name)) return ABSENT;
    const found = findPackageDir(path.join(real, ...segments.slice(0, at)), name);
    if (found === undefined) return ABSENT;
    real = found;
    remainder = rest;
  }
}

let cached: Map<string, string> | undefined;
function aliases(): Map<string, string> {
  cached ??= aliasedPackages();
  return cached;
}

/** Installs the run-time aliases: Node's resolver (once per process). */
export function installModuleAlias(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  const packages = aliases();

  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, isMain, options) {
    if (!request.startsWith('.') && !path.isAbsolute(request)) {
      const [name, rest] = splitRequest(request);
      const target = packages.get(name);
      if (target !== undefined) {
        const aliased = rest === '' ? target : path.join(target, rest);
        return original.call(this, aliased, parent, isMain, options);
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}

const TYPE_CHECK_INSTALLED = Symbol.for('fancyflow.kernel.typeCheckAlias');

/**
 * Installs the type-checking aliases on `sys`, the TypeScript `sys` tslab's converter reads files
 * through (once per process; the engine calls it before it makes the converter).
 */
export function installTypeCheckAlias(sys: System): void {
  const g = globalThis as { [TYPE_CHECK_INSTALLED]?: boolean };
  if (g[TYPE_CHECK_INSTALLED]) return;
  g[TYPE_CHECK_INSTALLED] = true;
  const packages = aliases();
  const fileExists = sys.fileExists.bind(sys);
  const directoryExists = sys.directoryExists.bind(sys);
  const readFile = sys.readFile.bind(sys);
  const realpath = sys.realpath?.bind(sys);
  const forward = (file: string) => forwardPackagePath(file, packages);
  sys.fileExists = (file) => {
    const real = forward(file);
    return real === ABSENT ? false : fileExists(real ?? file);
  };
  sys.directoryExists = (dir) => {
    const real = forward(dir);
    return real === ABSENT ? false : directoryExists(real ?? dir);
  };
  sys.readFile = (file, encoding) => {
    const real = forward(file);
    return real === ABSENT ? undefined : readFile(real ?? file, encoding);
  };
  // A virtual file is its own real path: the checker keeps it in the notebook's node_modules.
  sys.realpath = (file) => {
    if (forward(file) !== undefined) return file;
    return realpath ? realpath(file) : file;
  };
}
