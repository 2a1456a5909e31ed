/**
 * Makes `fancyflow`, and the libraries its steps speak (`zod`, `arquero`, `apache-arrow`), resolve
 * in a notebook wherever the notebook is, to the very copies this package uses: at run time
 * (Node's resolver) and for type-checking (the TypeScript `sys` tslab's converter reads files
 * through). A second copy would split the session's state (fancyflow) or make a notebook's tables
 * and schemas foreign to the steps (arquero, zod). A notebook folder needs no node_modules.
 */
import Module from 'node:module';
import path from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
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

/**
 * Where `<anything>/node_modules/<aliased package>/<rest>` really is, or undefined for other
 * paths (the type checker probes such paths from the notebook's folder upwards).
 */
export function forwardPackagePath(
  file: string,
  packages: ReadonlyMap<string, string> = aliases(),
): string | undefined {
  const normalized = file.replace(/\\/g, '/');
  const at = normalized.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const [name, rest] = splitRequest(normalized.slice(at + '/node_modules/'.length));
  const target = packages.get(name);
  if (target === undefined) return undefined;
  const forwarded = rest === '' ? target : path.join(target, rest);
  // the alias's own files (its dependencies) are not forwarded again
  return normalized.startsWith(target.replace(/\\/g, '/')) ? undefined : forwarded;
}

let cached: Map<string, string> | undefined;
function aliases(): Map<string, string> {
  cached ??= aliasedPackages();
  return cached;
}

/** Installs the run-time and type-checking aliases (once per process). */
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

  const sys = ts.sys;
  const fileExists = sys.fileExists.bind(sys);
  const directoryExists = sys.directoryExists.bind(sys);
  const readFile = sys.readFile.bind(sys);
  const realpath = sys.realpath?.bind(sys);
  const forward = (file: string): string => forwardPackagePath(file, packages) ?? file;
  sys.fileExists = (file) => fileExists(forward(file));
  sys.directoryExists = (dir) => directoryExists(forward(dir));
  sys.readFile = (file, encoding) => readFile(forward(file), encoding);
  // The real path makes the packages' own imports (zod from fancyflow's types, …) resolve to the
  // same files as the notebook's, so their types are one and the same.
  sys.realpath = (file) => {
    const forwarded = forward(file);
    return realpath ? realpath(forwarded) : forwarded;
  };
}
