#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in its own process (so one's heap does not skew another)
 * and prints their figures. Benchmarks print; they never fail on time.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const only = process.argv.slice(2);
const scripts = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failures = 0;
for (const script of scripts) {
  console.log(`\n=== bench/${script} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, script)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`bench/${script} exited with ${r.status}`);
    failures += 1;
  }
}
process.exit(failures === 0 ? 0 : 1);
