#!/usr/bin/env node
/**
 * `npm run build:all`: everything `npm start` and the browser tests need, skipping each step whose
 * outputs are newer than all of its inputs:
 *   1. tsc          the Node package (dist/, CommonJS)
 *   2. lab-tsc      the lab extension's ES modules (lib/, tsconfig.lab.json)
 *   3. labextension the prebuilt JupyterLab extension (dist/labextension/, published with the package)
 *   4. app          the JupyterLab host app (.build/lab/)
 * Steps 2-3 are skipped (with a note) while src/lab/index.ts does not exist.
 *
 * Usage: node scripts/lab/build-all.js [--force]
 * Also usable as a module: `buildAll({ force, log })` resolves to per-step timings.
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const STAMPS = path.join(ROOT, '.build', 'stamps');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TEST_FILE = /\.test(-d)?\.tsx?$/;

/** Newest modification time (ms) of the files under `paths` (tests excluded), 0 if none exist. */
function newestInput(paths) {
  let newest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    } else if (!TEST_FILE.test(file)) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const p of paths) visit(path.join(ROOT, p));
  return newest;
}

const hasLabEntry = () => fs.existsSync(path.join(ROOT, 'src', 'lab', 'index.ts'));

const STEPS = [
  {
    name: 'tsc',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json'],
    outputs: ['dist/index.js'],
    command: [TSC, '-p', 'tsconfig.build.json'],
  },
  {
    name: 'lab-tsc',
    enabled: hasLabEntry,
    inputs: ['src/lab', 'src/core', 'src/protocol', 'tsconfig.json', 'tsconfig.lab.json'],
    outputs: ['lib/lab/index.js'],
    command: [TSC, '-p', 'tsconfig.lab.json'],
  },
  {
    name: 'labextension',
    enabled: hasLabEntry,
    inputs: [
      'lib/lab',
      'lib/core',
      'lib/protocol',
      'style',
      'schema/lab',
      'package.json',
      'scripts/lab/build-labextension.js',
    ],
    outputs: ['dist/labextension/package.json'],
    command: [path.join(__dirname, 'build-labextension.js')],
  },
  {
    name: 'app',
    inputs: [
      'scripts/lab/app',
      'scripts/lab/extensions.js',
      'scripts/lab/build-app.js',
      'package-lock.json',
    ],
    outputs: ['.build/lab/templates/index.html'],
    command: [path.join(__dirname, 'build-app.js')],
  },
];

function isFresh(step) {
  const stamp = path.join(STAMPS, step.name);
  if (!fs.existsSync(stamp)) return false;
  if (!step.outputs.every((output) => fs.existsSync(path.join(ROOT, output)))) return false;
  return newestInput(step.inputs) < fs.statSync(stamp).mtimeMs;
}

/**
 * Runs the stale steps in order; throws on the first failure. Returns `{ step: seconds | 'fresh' |
 * 'skipped' }` for each step.
 */
function buildAll({ force = false, log = (line) => console.log(line) } = {}) {
  const timings = {};
  fs.mkdirSync(STAMPS, { recursive: true });
  for (const step of STEPS) {
    if (step.enabled && !step.enabled()) {
      log(`build-all: ${step.name}: skipped (src/lab/index.ts does not exist yet)`);
      timings[step.name] = 'skipped';
      continue;
    }
    if (!force && isFresh(step)) {
      timings[step.name] = 'fresh';
      continue;
    }
    const started = Date.now();
    // Stamp the start time: an input edited during the step makes the next run rebuild.
    const stampTime = new Date();
    const result = spawnSync(process.execPath, step.command, { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0)
      throw new Error(`build-all: ${step.name} failed (exit ${result.status})`);
    const stamp = path.join(STAMPS, step.name);
    fs.writeFileSync(stamp, '');
    fs.utimesSync(stamp, stampTime, stampTime);
    timings[step.name] = (Date.now() - started) / 1000;
    log(`build-all: ${step.name}: ${timings[step.name].toFixed(1)} s`);
  }
  return timings;
}

module.exports = { buildAll };

if (require.main === module) {
  try {
    buildAll({ force: process.argv.includes('--force') });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
