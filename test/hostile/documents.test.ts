/**
 * Hostile workflow documents through the command line, as a user would meet them: prototype keys
 * (`__proto__`, `constructor`, `prototype`) anywhere in wiring, config, nested config, metadata or
 * a notebook's metadata; nesting 100,000 deep; ids of a megabyte. Each is exit 2 with one coded
 * line that names the place, never a silent success or a bare RangeError.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/core/json-limits';
import { expectInvalid, killRunning, lines, repoRoot, runCli } from './cli-process';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fancyflow-hostile-docs-'));
  // A step module of the test's own, loading fancyflow and zod from this checkout.
  writeFileSync(
    path.join(dir, 'steps.js'),
    `const { step } = require(${JSON.stringify(repoRoot)});
const { z } = require(require.resolve('zod', { paths: [${JSON.stringify(repoRoot)}] }));
step({ slug: 'hostile.one', inputs: {}, config: z.object({}).passthrough(), output: z.number() }, () => 1);
step({ slug: 'hostile.copy', inputs: { x: z.number() }, output: z.number() }, ({ x }) => x);
`,
  );
});

afterAll(() => {
  killRunning();
  rmSync(dir, { recursive: true, force: true });
});

/** A document as text (object literals cannot carry a `__proto__` key), written to `name`. */
function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

function documentText(options: { wiring?: string; config?: string; metadata?: string }): string {
  return `{
  "formatVersion": 1,
  "modules": ["./steps.js"],
  "steps": [
    { "id": "one", "slug": "hostile.one", "version": "1.0.0", "wiring": {}, "config": {} },
    { "id": "two", "slug": "hostile.copy", "version": "1.0.0",
      "wiring": { "x": "one"${options.wiring ? `, ${options.wiring}` : ''} },
      "config": {${options.config ?? ''}} }
  ],
  "metadata": {${options.metadata ?? ''}}
}`;
}

describe('fancyflow validate refuses prototype keys, with the pointer of the key', () => {
  const cases: [string, Parameters<typeof documentText>[0], string][] = [
    ['__proto__ in wiring', { wiring: '"__proto__": "one"' }, '/steps/1/wiring/__proto__'],
    ['constructor in wiring', { wiring: '"constructor": "one"' }, '/steps/1/wiring/constructor'],
    [
      '__proto__ in config',
      { config: '"__proto__": {"polluted": true}' },
      '/steps/1/config/__proto__',
    ],
    ['prototype in config', { config: '"prototype": 1' }, '/steps/1/config/prototype'],
    [
      'constructor in nested config',
      { config: '"rules": [{"when": {"constructor": {"name": "x"}}}]' },
      '/steps/1/config/rules/0/when/constructor',
    ],
    [
      '__proto__ in metadata',
      { metadata: '"author": {"__proto__": {}}' },
      '/metadata/author/__proto__',
    ],
  ];
  for (const [name, parts, pointer] of cases) {
    it(name, async () => {
      const file = write(`${name.replace(/\W+/g, '-')}.json`, documentText(parts));
      expectInvalid(
        await runCli(['validate', file], { cwd: dir }),
        file,
        'INVALID_DOCUMENT',
        pointer,
      );
    });
  }

  it('in a notebook, with the pointer into its metadata', async () => {
    const file = write(
      'notebook.ipynb',
      `{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"fancyflow": ${documentText({ config: '"__proto__": {}' })}}}`,
    );
    expectInvalid(
      await runCli(['validate', file], { cwd: dir }),
      file,
      'INVALID_DOCUMENT',
      '/metadata/fancyflow/steps/1/config/__proto__',
    );
  });

  it('and `run` refuses it before running anything', async () => {
    const file = write('run-proto.json', documentText({ wiring: '"__proto__": "one"' }));
    expectInvalid(
      await runCli(['run', file], { cwd: dir }),
      file,
      'INVALID_DOCUMENT',
      '/steps/1/wiring/__proto__',
    );
  });

  it('accepts the same document without the key', async () => {
    const result = await runCli(['validate', write('fine.json', documentText({}))], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    // its steps come from its own module, which validate never loads
    expect(result.stdout).toMatch(
      /^ok: 2 steps \(0 checked; not checked, because validate runs none/,
    );
  });
});

describe('fancyflow validate refuses documents nested too deep', () => {
  it('100,000 levels: INVALID_DOCUMENT at the place the limit is crossed, no RangeError', async () => {
    const depth = 100_000;
    const file = write(
      'deep.json',
      documentText({ config: `"deep": ${'['.repeat(depth)}${']'.repeat(depth)}` }),
    );
    const result = await runCli(['validate', file], { cwd: dir });
    // The document, steps, the step and config are levels 1-4, `deep` level 5: the array at
    // level 257 is `deep` and 252 indexes.
    const pointer = '/steps/1/config/deep' + '/0'.repeat(MAX_JSON_DEPTH - 4);
    const line = expectInvalid(result, file, 'INVALID_DOCUMENT', pointer);
    expect(line).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(result.stderr).not.toContain('RangeError');
  });

  it('invalid JSON nested 100,000 deep: INVALID_JSON with line and column', async () => {
    const file = write('deep-broken.json', '{"steps": ' + '['.repeat(100_000) + '}');
    const result = await runCli(['validate', file], { cwd: dir });
    expect(result.code).toBe(2);
    const errorLines = lines(result.stderr);
    expect(errorLines).toHaveLength(1);
    // `{"steps": ` is 10 characters: the `}` that breaks the text is in column 10 + 100,000 + 1.
    expect(errorLines[0]).toMatch(
      /^fancyflow: deep-broken\.json: INVALID_JSON at line 1, column 100011: Invalid JSON: \S/,
    );
    expect(result.stderr).not.toContain('RangeError');
  });
});

describe('fancyflow validate never echoes a huge value whole', () => {
  it('a duplicated 1 MB step id: one short line', async () => {
    const id = 'i'.repeat(1024 * 1024);
    const step = `{ "id": "${id}", "slug": "hostile.one", "version": "1.0.0", "wiring": {}, "config": {} }`;
    const file = write(
      'huge-id.json',
      `{"formatVersion": 1, "modules": ["./steps.js"], "steps": [${step}, ${step}]}`,
    );
    const result = await runCli(['validate', file], { cwd: dir });
    const line = expectInvalid(result, file, 'DUPLICATE_STEP_ID', '/steps/1/id');
    expect(line).toContain('more characters');
    expect(result.stderr.length).toBeLessThan(64 * 1024);
  });
});
