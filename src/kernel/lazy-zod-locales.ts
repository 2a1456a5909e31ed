/**
 * zod's `locales` (60-odd translations of its error messages, half of loading zod: ~45 ms of a
 * kernel's or a command's start) load when first read: `z.locales.fr()` and
 * `z.config(z.locales.de())` work as before and `Object.keys(z.locales)` lists the same names, but
 * nothing is loaded until one is used. Installed before zod first loads (the CLI's and the
 * kernel's entry modules import this first). The names and their files are read from zod's own
 * locales index; a zod whose index reads otherwise keeps it as it is.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';

/** `var fr_js_1 = require("./fr.cjs");` */
const REQUIRE = /^var (\w+) = require\("\.\/([\w-]+\.cjs)"\);$/gm;
/** `Object.defineProperty(exports, "fr", { … __importDefault(fr_js_1).default; … });` */
const EXPORT =
  /^Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return __importDefault\((\w+)\)\.default; \} \}\);$/gm;

/** The locales index's export names → their files, or undefined when it does not read as known. */
export function localeFiles(source: string): Map<string, string> | undefined {
  const variables = new Map([...source.matchAll(REQUIRE)].map((m) => [m[1]!, m[2]!]));
  const files = new Map<string, string>();
  for (const [, name, variable] of source.matchAll(EXPORT)) {
    const file = variables.get(variable!);
    if (file === undefined) return undefined;
    files.set(name!, file);
  }
  return files.size > 0 && files.size === variables.size ? files : undefined;
}

/** Makes zod's locales load on first use; does nothing once zod's locales index has loaded. */
export function installLazyZodLocales(): void {
  let index: string;
  try {
    index = require.resolve('zod/v4/locales');
  } catch {
    return;
  }
  if (require.cache[index] !== undefined || !index.endsWith('.cjs')) return;
  const files = localeFiles(readFileSync(index, 'utf8'));
  if (files === undefined) return;
  const dir = path.dirname(index);
  const exports: Record<string, unknown> = {};
  Object.defineProperty(exports, '__esModule', { value: true });
  for (const [name, file] of files) {
    Object.defineProperty(exports, name, {
      enumerable: true,
      get() {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loaded = require(path.join(dir, file)) as { __esModule?: boolean; default?: unknown };
        return loaded.__esModule ? loaded.default : loaded;
      },
    });
  }
  Object.freeze(exports);
  const module = new Module(index);
  module.filename = index;
  module.exports = exports;
  module.loaded = true;
  require.cache[index] = module;
}

installLazyZodLocales();
