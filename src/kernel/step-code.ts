/**
 * What the code fingerprint of a step includes besides its function's source: the version of the
 * module that declares it (`fancyflow` → this package's version; a package name → its
 * package.json version, resolved from the notebook's or document's folder). Shared by the kernel
 * and the CLI, so both compute the same keys.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CacheSettings } from '../core/cache';
import { packageRoot } from './package-root';

function versionIn(file: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return typeof pkg.version === 'string' ? `${String(pkg.name)}@${pkg.version}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cache settings of a kernel or CLI run from `baseDir`: module versions found once per module.
 *
 * @example
 * new Orchestrator({ store, cache: cacheSettings(process.cwd()) });
 */
export function cacheSettings(baseDir: string): CacheSettings {
  const versions = new Map<string, string | undefined>();
  const require = createRequire(path.join(baseDir, 'noop.js'));
  return {
    moduleVersion(module: string): string | undefined {
      if (versions.has(module)) return versions.get(module);
      let version: string | undefined;
      if (module === 'fancyflow') version = versionIn(path.join(packageRoot, 'package.json'));
      else if (!module.startsWith('.') && !path.isAbsolute(module)) {
        try {
          version = versionIn(require.resolve(`${module}/package.json`));
        } catch {
          version = undefined; // a package without an exported package.json: its source alone
        }
      }
      versions.set(module, version);
      return version;
    },
  };
}
