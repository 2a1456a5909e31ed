/**
 * Layer boundaries: everything `src/lab/index.ts` reaches imports only src/lab, src/core,
 * src/protocol and browser packages; no `node:` module, no Node built-in, no kernel, store, CLI or
 * step-library file ends up in the browser bundle; and src/core imports nothing but zod and
 * hash-wasm (WebAssembly hashes that run in Node and in the browser alike: the cache keys).
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = path.resolve(__dirname, '..', 'src');
const ALLOWED_LAYERS = ['lab', 'core', 'protocol'];
const ALLOWED_PACKAGES =
  /^(@jupyterlab\/|@lumino\/|@rjsf\/|@lezer\/(common|javascript)$|react$|react-dom$|zod$|zod\/|hash-wasm$)/;

function resolveLocal(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${path.relative(src, from)}: cannot resolve ${specifier}`);
}

function importGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) queue.push(resolveLocal(file, fileName));
      else packages.set(fileName, path.relative(src, file));
    }
  }
  return { files, packages };
}

describe('the lab bundle', () => {
  const { files, packages } = importGraph(path.join(src, 'lab', 'index.ts'));

  it('reaches only src/lab, src/core and src/protocol', () => {
    const layers = new Set([...files].map((f) => path.relative(src, f).split(path.sep)[0]));
    expect([...layers].filter((l) => !ALLOWED_LAYERS.includes(l!))).toEqual([]);
    expect(files.size).toBeGreaterThan(20);
  });

  it('imports no Node module and only browser packages', () => {
    const builtins = new Set(builtinModules);
    const offending = [...packages].filter(
      ([name]) =>
        name.startsWith('node:') ||
        builtins.has(name.split('/')[0]!) ||
        !ALLOWED_PACKAGES.test(name),
    );
    expect(offending).toEqual([]);
  });
});

describe('the core', () => {
  const { files, packages } = importGraph(path.join(src, 'core', 'index.ts'));

  it('reaches only src/core and imports only zod and hash-wasm', () => {
    const layers = new Set([...files].map((f) => path.relative(src, f).split(path.sep)[0]));
    expect([...layers]).toEqual(['core']);
    expect([...packages.keys()].filter((name) => !/^(zod(\/|$)|hash-wasm$)/.test(name))).toEqual(
      [],
    );
  });
});
