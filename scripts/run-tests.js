#!/usr/bin/env node
/**
 * `npm test`: installs the Debian packages the real components need, builds everything, runs the
 * type-check and the linter, the vitest suites (units, type tests, real kernel and server) and the browser
 * suite (real JupyterLab in Debian's Chromium), then prints one closing line:
 * `N passed, N failed, N skipped`. Exits non-zero when anything failed.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });

function run(command, args, options = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const pkg = readJson(path.join(root, 'package.json'));
const scripts = pkg.scripts ?? {};
let failedSetup = false;

if (run(process.execPath, ['scripts/ensure-system.js']) !== 0) process.exit(1);
if (run('npm', ['run', scripts['build:all'] ? 'build:all' : 'build']) !== 0) process.exit(1);

// the type-check and the linter count as one test each
let staticFailures = 0;
for (const script of ['typecheck', 'lint']) {
  if (run('npm', ['run', script]) !== 0) {
    console.error(`npm run ${script} failed`);
    staticFailures += 1;
  }
}

const vitestJson = path.join(results, 'vitest.json');
fs.rmSync(vitestJson, { force: true });
const vitestStatus = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);

let passed = 2 - staticFailures;
let failed = staticFailures;
let skipped = 0;
const vitest = readJson(vitestJson);
if (vitest) {
  passed += vitest.numPassedTests ?? 0;
  failed += vitest.numFailedTests ?? 0;
  skipped += (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0);
  if (vitestStatus !== 0 && (vitest.numFailedTests ?? 0) === 0) failed += 1; // a suite failed to load
} else {
  failedSetup = true;
}

if (scripts['test:browser']) {
  const pwJson = path.join(results, 'playwright.json');
  fs.rmSync(pwJson, { force: true });
  const status = run('npm', ['run', 'test:browser'], {
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson },
  });
  const pw = readJson(pwJson);
  if (pw && pw.stats) {
    passed += pw.stats.expected ?? 0;
    failed += (pw.stats.unexpected ?? 0) + (pw.stats.flaky ?? 0);
    skipped += pw.stats.skipped ?? 0;
    if (status !== 0 && (pw.stats.unexpected ?? 0) === 0) failed += 1;
  } else if (status !== 0) {
    failedSetup = true;
  }
}

if (failedSetup) failed += 1;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
