#!/usr/bin/env node
/**
 * `npm run screenshots`: rewrites the README's screenshots (docs/screenshots/*.png) from the real
 * JupyterLab, with the browser suite's server and build. The only command that writes them.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const result = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules', '@playwright', 'test', 'cli.js'),
    'test',
    '-c',
    'test/browser/playwright.config.ts',
    'test/browser/screenshots.spec.ts',
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FANCYFLOW_SCREENSHOTS: '1' } },
);
process.exit(result.status ?? 1);
