/**
 * Loading the modules that define steps: the ones a workflow document names in `modules` (relative
 * to the document's folder) and the ones given with `--steps` (relative to the working directory).
 * Loading a module registers its steps in the default registry as a side effect of `step()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import { FancyflowError, isFancyflowError, STANDARD_MODULE } from '../core';
import { oneLine } from './report-error';

/** The module name that means this package itself (it registers the standard step library). */
export const PACKAGE_MODULE = STANDARD_MODULE;

/** Where a module was named, for error messages. */
export interface ModuleOrigin {
  /** The JSON pointer of the entry in the document (`/modules/0`). */
  pointer?: string;
  /** The command-line option that named it (`--steps`). */
  option?: string;
}

/**
 * Loads this package's root (`dist/index.js`): the table adapters and the standard step library
 * register themselves. Loaded lazily so that a broken step library cannot break `--help`.
 */
export function loadPackageRoot(origin: ModuleOrigin = {}): void {
  const root = path.join(__dirname, '..', 'index');
  try {
    createRequire(__filename)(root);
  } catch (e) {
    throw moduleLoadError(PACKAGE_MODULE, origin, e, root);
  }
}

function isPathSpecifier(spec: string): boolean {
  return (
    spec.startsWith('./') ||
    spec.startsWith('../') ||
    spec === '.' ||
    spec === '..' ||
    path.isAbsolute(spec)
  );
}

function moduleLoadError(
  spec: string,
  origin: ModuleOrigin,
  cause: unknown,
  resolved?: string,
): FancyflowError {
  const code = isFancyflowError(cause) ? `${cause.code}: ` : '';
  const reason = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause);
  const from = origin.option ? ` (${origin.option})` : '';
  const details: Record<string, string> = { module: spec };
  if (origin.pointer !== undefined) details.pointer = origin.pointer;
  if (origin.option !== undefined) details.option = origin.option;
  if (resolved !== undefined) details.resolved = resolved;
  return new FancyflowError(
    'MODULE_LOAD',
    `Cannot load step module "${spec}"${from}: ${code}${oneLine(reason)}`,
    { details, cause },
  );
}

/**
 * Resolves a module specifier the way `require` would from `baseDir`: paths (`./steps.js`) relative
 * to it, package names through its `node_modules`. A bare name that is no package but is a file in
 * `baseDir` (`steps.js`) is taken as that file.
 */
export function resolveStepModule(spec: string, baseDir: string): string {
  const requireFrom = createRequire(path.join(baseDir, '__fancyflow__.js'));
  try {
    return requireFrom.resolve(spec);
  } catch (e) {
    if (!isPathSpecifier(spec)) {
      const local = path.resolve(baseDir, spec);
      if (existsSync(local)) return requireFrom.resolve(local);
    }
    throw e;
  }
}

const TS_HOOK = Symbol.for('fancyflow.cli.typescriptModules');

/**
 * Lets `require` load TypeScript step modules (what `fancyflow export --steps-module` writes):
 * transpiled, not type-checked, with `fancyflow`, `zod`, `arquero` and `apache-arrow` resolving
 * to this package's copies as in a notebook. Once per process.
 */
function allowTypeScriptModules(): void {
  const g = globalThis as { [TS_HOOK]?: boolean };
  if (g[TS_HOOK]) return;
  g[TS_HOOK] = true;
  /* eslint-disable @typescript-eslint/no-require-imports -- the compiler is heavy: loaded for .ts only */
  const alias = require('../kernel/module-alias') as typeof import('../kernel/module-alias');
  const ts = require('@tslab/typescript-for-tslab') as typeof import('@tslab/typescript-for-tslab');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { installModuleAlias } = alias;
  installModuleAlias();
  type Loader = (module: { _compile(code: string, file: string): void }, file: string) => void;
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  extensions['.ts'] = (module, file) => {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    module._compile(outputText, file);
  };
}

/**
 * The file a step module specifier names, found without loading it. Throws `MODULE_LOAD` (as
 * loading would) when there is none.
 */
export function findStepModule(spec: string, baseDir: string, origin: ModuleOrigin = {}): string {
  try {
    return resolveStepModule(spec, baseDir);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw moduleLoadError(
      spec,
      origin,
      new Error(`${reason} (searched from ${baseDir})`, { cause: e }),
    );
  }
}

/**
 * Loads one step module. `fancyflow` is this package's root; anything else is resolved from
 * `baseDir` and loaded with `require` (`.ts` files transpiled). Throws `MODULE_LOAD` naming the
 * module and where it was named.
 */
export function loadStepModule(spec: string, baseDir: string, origin: ModuleOrigin = {}): void {
  if (spec === PACKAGE_MODULE) {
    loadPackageRoot(origin);
    return;
  }
  const resolved = findStepModule(spec, baseDir, origin);
  try {
    if (resolved.endsWith('.ts')) allowTypeScriptModules();
    createRequire(resolved)(resolved);
  } catch (e) {
    throw moduleLoadError(spec, origin, e, resolved);
  }
}

/**
 * Loads a list of step modules in order. With `pointerBase` (`/modules`), errors name the entry's
 * JSON pointer (`/modules/0`); with `option` (`--steps`), the option.
 */
export function loadStepModules(
  specs: readonly string[],
  baseDir: string,
  where: { pointerBase?: string; option?: string },
): void {
  specs.forEach((spec, i) => {
    const origin: ModuleOrigin = {};
    if (where.pointerBase !== undefined) origin.pointer = `${where.pointerBase}/${i}`;
    if (where.option !== undefined) origin.option = where.option;
    loadStepModule(spec, baseDir, origin);
  });
}
