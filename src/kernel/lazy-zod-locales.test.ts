import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localeFiles } from './lazy-zod-locales';
import { packageRoot } from './package-root';

/** Runs `code` in a fresh Node process (its own module cache) and parses what it prints. */
function inFreshProcess(code: string): unknown {
  const out = execFileSync(process.execPath, ['-e', code], { cwd: packageRoot, encoding: 'utf8' });
  return JSON.parse(out) as unknown;
}

const install = `require(${JSON.stringify(path.join(packageRoot, 'dist', 'kernel', 'lazy-zod-locales.js'))});`;
const probe = `
const { z } = require('zod');
const before = Object.keys(require.cache).filter((f) => /[\\\\/]locales[\\\\/]/.test(f)).length;
const names = Object.keys(z.locales);
const dir = require('node:path').dirname(require.resolve('zod/v4/locales'));
const files = ${JSON.stringify(Object.fromEntries(localeFiles(readFileSync(require.resolve('zod/v4/locales'), 'utf8')) ?? []))};
const same = names.every((n) => {
  const m = require(require('node:path').join(dir, files[n]));
  return z.locales[n] === (m.__esModule ? m.default : m);
});
z.config(z.locales.de());
const message = z.string().safeParse(1).error.issues[0].message;
console.log(JSON.stringify({ before, names, same, message }));`;

describe('lazy zod locales', () => {
  it('loads no translation but English until one is read, and lists and applies them as zod does', () => {
    const eager = inFreshProcess(probe) as { before: number; names: string[]; message: string };
    const lazy = inFreshProcess(install + probe) as typeof eager & { same: boolean };
    expect(eager.before).toBeGreaterThan(60);
    // the index and English (zod's default configuration)
    expect(lazy.before).toBe(2);
    expect(lazy.names).toEqual(eager.names);
    expect(lazy.same).toBe(true);
    expect(lazy.message).toBe(eager.message);
    expect(lazy.message).toMatch(/Ungültige Eingabe/);
  });

  it('reads the names and files from zod’s index, and refuses an index it does not know', () => {
    const index = readFileSync(require.resolve('zod/v4/locales'), 'utf8');
    const files = localeFiles(index);
    expect(files?.get('fr')).toBe('fr.cjs');
    expect(files?.get('zhTW')).toBe('zh-TW.cjs');
    // an export bound to a require it does not find, or no export at all: left as it is
    expect(localeFiles(index.replace('var fr_js_1 = require("./fr.cjs");', ''))).toBeUndefined();
    expect(localeFiles('module.exports = {};')).toBeUndefined();
    // a require with no export of its own (the names would not all be listed)
    expect(localeFiles(`${index}\nvar extra_js_1 = require("./extra.cjs");\n`)).toBeUndefined();
  });
});
